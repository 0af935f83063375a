"""What a command function receives besides its own arguments, and what it may return."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from teams_bot.identity import Caller, Where


@dataclass(frozen=True)
class MentionedUser:
    """Another person @mentioned in the command text (`oncall page @Bob`)."""

    name: str
    aad_object_id: str = ""
    teams_id: str = ""


@dataclass(frozen=True)
class CardReply:
    """A reply carried as an Adaptive Card; `summary` is the text fallback and audit outcome."""

    card: dict[str, Any]
    summary: str
    # Called with the Teams message id once posted, for cards that are updated in place later.
    on_posted: Callable[[str], Awaitable[None]] | None = None


Reply = str | CardReply


@dataclass
class CommandContext:
    """Everything a command may use: who, where, the turn's correlation id, and the services."""

    caller: Caller
    where: Where
    correlation_id: str
    permissions: frozenset[str] = frozenset()
    mentions: dict[str, MentionedUser] = field(default_factory=dict)
    services: Any = None  # teams_bot.app.Services; Any to keep commands free of import cycles
