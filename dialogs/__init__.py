"""botbuilder-dialogs flows: approvals and confirmations."""
