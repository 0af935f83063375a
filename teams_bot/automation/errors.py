"""Errors of the automation seam: config problems at start, expected failures in chat."""

from __future__ import annotations

from pathlib import Path

from teams_bot.errors import CommandError


class ConfigError(Exception):
    """The automation config file is malformed; the message names the file and the key."""

    def __init__(self, path: Path | None, key: str, problem: str) -> None:
        self.path = path
        self.key = key
        self.problem = problem
        where = f"{path}: " if path is not None else ""
        super().__init__(f"{where}{key}: {problem}" if key else f"{where}{problem}")


class TemplateError(ValueError):
    """An argv template is malformed (reported by config.py with its key)."""


class ArgumentError(CommandError):
    """A value given for a job's placeholder is missing, of the wrong kind or refused."""


class NotConfiguredError(CommandError):
    """The feature or action is not declared in the automation config."""


class InventoryError(CommandError):
    """The inventory source failed; the message is safe to show in chat."""


class UnknownServiceError(CommandError):
    """A service or environment not declared in [services]; the message lists the known ones."""

    def __init__(self, message: str, known: list[str]) -> None:
        self.known = known
        super().__init__(message)
