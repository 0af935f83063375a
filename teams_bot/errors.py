"""Exceptions whose message is meant for the person in chat."""

from __future__ import annotations


class CommandError(Exception):
    """An expected failure; its message is shown to the user as is."""


class UsageError(CommandError):
    """The command line did not fit the command's signature."""

    def __init__(self, problem: str, usage: str = "") -> None:
        self.problem = problem
        self.usage = usage
        text = problem if not usage else f"{problem}\nUsage: {usage}"
        super().__init__(text)


class UnknownCommandError(CommandError):
    """No command by that name; carries did-you-mean suggestions."""

    def __init__(self, name: str, suggestions: list[str]) -> None:
        self.name = name
        self.suggestions = suggestions
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"Unknown command '{name}'.{hint} Type 'help' to see what I can do.")


class PermissionDeniedError(CommandError):
    """The caller lacks the permission a command or action needs."""

    def __init__(self, permission: str, what: str, reason: str = "") -> None:
        self.permission = permission
        why = reason or f"it needs the permission '{permission}'."
        self.reason = why
        super().__init__(f"You are not allowed to run '{what}': {why}")


class TenantNotAllowedError(CommandError):
    """The activity came from an Azure AD tenant this bot does not serve."""

    def __init__(self, tenant_id: str) -> None:
        self.tenant_id = tenant_id
        super().__init__(
            f"This bot does not accept requests from your organization (tenant {tenant_id or '?'})."
        )
