"""What crosses layers for a button press: the press itself, its result, and a claim."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from teams_bot.identity import Caller, Where

if TYPE_CHECKING:
    from teams_bot.actions.store import ActionRecord
    from teams_bot.approvals.requests import ApprovalRequest

Card = dict[str, Any]


@dataclass(frozen=True)
class Press:
    """One press of a card button, as the authenticated activity describes it."""

    token: object  # the signed action id from the card's data; nothing else in it is trusted
    verb: str | None  # None on the Action.Submit path: the record's own verb applies
    caller: Caller
    where: Where
    correlation_id: str
    message_id: str = ""  # the Teams message the card is in (replyToId)
    data: dict[str, Any] | None = None  # inputs sent with the press (e.g. a deny reason)


@dataclass(frozen=True)
class PressResult:
    card: Card | None  # what the presser sees now
    for_everyone: bool  # True: the card changed for everybody (update the message too)
    outcome: str  # audit outcome: ok | refused | denied | duplicate | expired | error | approval
    message: str = ""  # why, in a sentence, when it is not "ok"
    approval_request: ApprovalRequest | None = None  # set when policy wants approval first


@dataclass(frozen=True)
class Claim:
    action: ActionRecord
    targets: list[str]  # for group actions: the targets this press now owns


def refused(message: str, outcome: str = "refused") -> PressResult:
    return PressResult(None, False, outcome, message)
