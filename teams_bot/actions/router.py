"""A card button press: verify the signed id, pass the gate, claim once, start.

Nothing in the card's data is trusted but the opaque action id: the verb, the targets and who may
press come from the server-side record, and the presser comes from the authenticated activity.
Buttons that are not backed by a record (approval votes, refresh) are handled by their feature.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cards.common import with_notice
from teams_bot.actions.models import Claim, Press, PressResult, refused
from teams_bot.actions.store import ActionRecord, CardRecord
from teams_bot.approvals.requests import ApprovalRequest
from teams_bot.auditing import audit_record
from teams_bot.errors import CommandError, PermissionDeniedError
from teams_bot.identity import Caller, Where
from teams_bot.jobs import core as jobs
from teams_bot.jobs.locks import Holder
from teams_bot.kit import Button, JobButton
from teams_bot.logs import new_correlation_id
from teams_bot.storage.outage import is_storage_outage

if TYPE_CHECKING:
    from teams_bot.services import Services

log = logging.getLogger(__name__)

UNSIGNED = (
    "This button is not valid here: its signature does not verify. Likely causes: the bot's "
    "TEAMS_BOT_ACTION_SECRET changed, the bot was restarted without a fixed secret, or the card "
    "comes from another installation of the bot. Ask me for a fresh card."
)
UNKNOWN = (
    "This button is not valid here: the bot has no record of it (cleaned up after "
    "TEAMS_BOT_RETENTION_DAYS, or another installation's card). Ask me for a fresh card."
)
ALTERED = "This button is not valid here: it was altered (its verb does not match its record)."
Started = tuple[PressResult, "asyncio.Future[bool] | None"]


async def press(services: Services, pressed: Press) -> PressResult:
    """Handle one press from any path (Action.Execute or Action.Submit)."""
    button = services.catalog.buttons.get(pressed.verb or "")
    if isinstance(button, Button):
        return await button.handle(services, pressed)
    started = time.perf_counter()
    record: ActionRecord | None = None
    try:
        record, result = await _press(services, pressed)
    except CommandError as exc:
        result = PressResult(None, False, "denied", str(exc))
    except Exception as exc:
        if is_storage_outage(exc):
            raise  # the Teams layer says "storage unavailable, try again"
        log.exception("card action failed")
        result = PressResult(None, False, "error", "Something went wrong handling that button.")
    await _audit(services, pressed, record, result, started)
    return result


async def _press(services: Services, pressed: Press) -> tuple[ActionRecord | None, PressResult]:
    action_id = services.signer.verify(pressed.token)
    if action_id is None:
        return None, refused(UNSIGNED)
    record = await services.actions.get(action_id)
    if record is None:
        return None, refused(UNKNOWN)
    if pressed.verb not in (None, record.verb):
        return record, refused(ALTERED)
    if record.tenant_id != pressed.caller.tenant_id:
        return record, refused("This card belongs to another organization.")
    card = await services.actions.card(record.card_id)
    if card is None:
        return record, refused("This card no longer exists.")
    if not same_conversation(card.conversation_id, pressed.where.conversation_id):
        return record, refused("This button belongs to a card in another conversation.")
    refusal = precheck(services, record)
    if refusal is not None:
        return record, for_presser(services, card, refusal)
    try:
        admission = await services.gate.admit(
            pressed.caller, pressed.where, record.permission, record.command, record.arguments
        )
    except PermissionDeniedError as exc:
        return record, for_presser(services, card, PressResult(None, False, "denied", exc.reason))
    if admission.approval is not None:
        request = ApprovalRequest.build(
            caller=admission.caller,
            where=pressed.where,
            kind="action",
            command=record.command,
            text="",
            action_id=record.id,
            arguments=record.arguments,
            summary=describe(record),
            requirement=admission.approval,
            correlation_id=pressed.correlation_id,
        )
        message = f"'{describe(record)}' needs approval ({request.rule_description})."
        shown = with_notice(services.catalog.render(services, card), message)
        return record, PressResult(shown, False, "approval", message, approval_request=request)
    result, _ = await claim_and_start(services, record, admission.caller, pressed, card)
    return record, result


async def start_approved(
    services: Services, action_id: str, caller: Caller, where: Where
) -> tuple[str, asyncio.Future[bool] | None]:
    """Start an approved button's work as its requester, re-checking their permission now.

    Returns what happened in a sentence, and a future of the job's success when it started.
    """
    record = await services.actions.get(action_id)
    card = await services.actions.card(record.card_id) if record else None
    if record is None or card is None:
        return "the button's action no longer exists", None
    pressed = Press(None, record.verb, caller, where, new_correlation_id())
    refusal = precheck(services, record)
    if refusal is not None:
        return refusal.message, None
    try:
        admission = await services.gate.admit(
            caller, where, record.permission, record.command, record.arguments, approval=False
        )
    except CommandError as exc:
        return getattr(exc, "reason", str(exc)), None
    result, done = await claim_and_start(services, record, admission.caller, pressed, card)
    if done is None:
        return result.message, None
    updated = await services.actions.card(card.id) or card
    if updated.activity_id:
        await jobs.show(services, updated)
    return f"started: {describe(record)}", done


def precheck(services: Services, record: ActionRecord) -> PressResult | None:
    if record.state != "open":
        who = record.claimed_by_name or "someone"
        when = record.claimed_at.strftime("%H:%M UTC") if record.claimed_at else ""
        return refused(
            f"Already handled: {who} pressed this at {when}. This is the current state.",
            "duplicate",
        )
    if record.expires_at <= datetime.now(UTC):
        return refused("This button has expired; ask me for a fresh card.", "expired")
    if not isinstance(services.catalog.buttons.get(record.verb), JobButton):
        return refused("This action is no longer supported.")
    return None


async def claim_and_start(
    services: Services, record: ActionRecord, caller: Caller, pressed: Press, card: CardRecord
) -> Started:
    button = services.catalog.buttons[record.verb]
    assert isinstance(button, JobButton)
    spec = button.job
    now, name = datetime.now(UTC), caller.display_name or caller.aad_object_id
    wanted = {spec.lock(t): t for t in targets_of(record)}
    busy = await services.locks.acquire(list(wanted), record.id, name, now)
    if busy and (not spec.group_member_verb or len(busy) == len(wanted)):
        await services.locks.release(record.id)
        return for_presser(services, card, refused(_busy_text(busy), "busy")), None
    claim = await _claim(services, record, spec.group_member_verb, caller, name, now)
    if claim is None:  # someone else was faster, or it expired this very moment
        await services.locks.release(record.id)
        latest = await services.actions.card(card.id) or card
        message = "Someone else pressed this first. This is the current state."
        return for_presser(services, latest, refused(message, "duplicate")), None
    skipped = {wanted[h.target] for h in busy}
    claim = Claim(claim.action, [t for t in claim.targets if t not in skipped])
    unused = [key for key, t in wanted.items() if t not in claim.targets and t not in skipped]
    if unused:  # taken earlier by their own buttons: not ours to hold
        await services.locks.release(record.id, unused)
    if pressed.message_id and not card.activity_id:
        await services.actions.set_activity_id(card.id, pressed.message_id)
    updated, done = await jobs.start(services, claim, caller, pressed, spec)
    shown = services.catalog.render(services, updated)
    services.card_updates.mark_sent(updated.id, shown)
    if busy:
        shown = with_notice(shown, _busy_text(busy))
    return PressResult(shown, True, "ok"), done


async def _claim(
    services: Services,
    record: ActionRecord,
    member_verb: str | None,
    caller: Caller,
    name: str,
    now: datetime,
) -> Claim | None:
    store, who = services.actions, caller.aad_object_id
    if member_verb:
        taken = await store.claim_group(record.id, member_verb, who, name, now)
        return Claim(taken[0], taken[1]) if taken else None
    one = await store.claim(record.id, who, name, now)
    return Claim(one, [str(one.arguments.get("target", ""))]) if one else None


def _busy_text(busy: list[Holder]) -> str:
    parts = [
        f"{h.target.split(':', 1)[-1]} (started by {h.name} at {h.since.strftime('%H:%M UTC')})"
        for h in busy[:5]
    ]
    return "Already running, so not started again: " + ", ".join(parts) + "."


def targets_of(record: ActionRecord) -> list[str]:
    found = record.arguments.get("targets") or [record.arguments.get("target", "")]
    return [str(t) for t in found if t]


def same_conversation(card_conversation: str, pressed_in: str) -> bool:
    """A channel thread's id adds ';messageid=...' to its channel's conversation id."""
    return card_conversation.split(";")[0] == pressed_in.split(";")[0]


def for_presser(services: Services, card: CardRecord, result: PressResult) -> PressResult:
    shown = with_notice(services.catalog.render(services, card), result.message)
    return PressResult(shown, False, result.outcome, result.message)


async def _audit(
    services: Services,
    pressed: Press,
    record: ActionRecord | None,
    result: PressResult,
    started: float,
) -> None:
    arguments: dict[str, object] = {"verb": pressed.verb or (record.verb if record else "")}
    if record is not None:
        arguments.update(record.arguments)
    await services.audit.append(
        audit_record(
            "action",
            pressed.caller,
            pressed.where,
            command=record.command if record else f"button {pressed.verb}",
            arguments=arguments,
            outcome=result.outcome,
            detail=result.message,
            correlation_id=pressed.correlation_id,
            duration_ms=(time.perf_counter() - started) * 1000,
            job_id=record.id if record else "",
        )
    )


def describe(record: ActionRecord) -> str:
    """One line of exactly what a button runs: "nodes reboot web-07, web-11"."""
    targets = targets_of(record)
    shown = ", ".join(targets[:10])
    more = f" and {len(targets) - 10} more" if len(targets) > 10 else ""
    return f"{record.command} {shown}{more}".strip()
