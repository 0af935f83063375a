"""Teams ChatOps bot: audited, permissioned operations from Microsoft Teams."""

__version__ = "0.1.0"
