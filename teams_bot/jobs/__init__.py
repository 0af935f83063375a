"""The card-job core: claim once, lease, run with progress, coalesced card updates, recovery."""
