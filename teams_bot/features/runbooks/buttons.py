"""The runbook buttons: Previous/Next on a runbook's pages, Continue and Stop on a run.

Each re-checks what the router checks for job buttons: the signed id, the server-side record,
tenant and conversation, then the gate (the presser's own permission), and audits the press.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cards.common import with_notice
from cards.runbook import VERB_CONTINUE, VERB_STOP
from teams_bot.actions.models import Press, PressResult, refused
from teams_bot.actions.router import UNKNOWN, UNSIGNED, same_conversation
from teams_bot.actions.store import ActionRecord, CardRecord
from teams_bot.auditing import audit_record
from teams_bot.errors import CommandError, PermissionDeniedError
from teams_bot.features.runbooks import run
from teams_bot.features.runbooks.documents import PAGE_PREFIX, doc_card, read_page_id

if TYPE_CHECKING:
    from teams_bot.services import Services


async def page(services: Services, pressed: Press) -> PressResult:
    """Show another page of a Markdown runbook (stateless: the page is in the signed id)."""
    started = time.perf_counter()
    wanted = read_page_id(services.signer.verify(pressed.token) or "")
    if wanted is None:
        return await _done(services, pressed, refused(UNSIGNED), started, "runbook page")
    name, number = wanted
    try:
        await services.gate.admit(
            pressed.caller,
            pressed.where,
            "runbooks.read",
            "runbook",
            {"name": name},
            approval=False,
        )
        card = doc_card(services, name, number)
    except (PermissionDeniedError, CommandError) as exc:
        result = PressResult(None, False, "denied", getattr(exc, "reason", str(exc)))
        return await _done(services, pressed, result, started, "runbook")
    return await _done(services, pressed, PressResult(card, True, "ok"), started, "runbook")


async def continue_run(services: Services, pressed: Press) -> PressResult:
    started = time.perf_counter()
    found = await _record(services, pressed, VERB_CONTINUE)
    if isinstance(found, PressResult):
        return await _done(services, pressed, found, started, run.COMMAND)
    record, card = found
    if record.state != "open" or card.data["state"] != "paused":
        return await _done(
            services,
            pressed,
            _current(services, card, "Already continued or stopped. This is the current state."),
            started,
            run.COMMAND,
        )
    if record.expires_at <= datetime.now(UTC):
        message = "This run waited too long for Continue; start the runbook again."
        return await _done(
            services, pressed, _current(services, card, message), started, run.COMMAND
        )
    caller = pressed.caller
    claimed = await services.actions.claim(
        record.id,
        caller.aad_object_id,
        caller.display_name or caller.aad_object_id,
        datetime.now(UTC),
    )
    if claimed is None:
        message = "Someone else pressed this first. This is the current state."
        return await _done(
            services, pressed, _current(services, card, message), started, run.COMMAND
        )

    def going(data: dict[str, Any]) -> dict[str, Any]:
        if data["state"] != "paused":  # stopped meanwhile: the run ends at its next check
            return data
        return {**data, "state": "running", "continue": ""}

    updated = await services.actions.update_card(card.id, going, datetime.now(UTC))
    services.tasks.spawn(
        run.run_segment(
            services, claimed, caller, pressed.where, pressed.correlation_id, resumed=True
        ),
        f"runbook {claimed.id}",
    )
    shown = run.render(services, updated)
    services.card_updates.mark_sent(updated.id, shown)
    return await _done(services, pressed, PressResult(shown, True, "ok"), started, run.COMMAND)


async def stop_run(services: Services, pressed: Press) -> PressResult:
    started = time.perf_counter()
    found = await _record(services, pressed, VERB_STOP)
    if isinstance(found, PressResult):
        return await _done(services, pressed, found, started, "runbook stop")
    _, card = found
    if card.data["state"] not in ("running", "paused"):
        result = _current(services, card, "This run has already ended.")
        return await _done(services, pressed, result, started, "runbook stop")
    who = pressed.caller.display_name or pressed.caller.aad_object_id
    waiting = card.data.get("continue", "")
    if waiting:  # the Continue button must not work any more
        now = datetime.now(UTC)
        if await services.actions.claim(waiting, pressed.caller.aad_object_id, who, now):
            await services.actions.finish(waiting, "done", {"stopped": True}, now)

    def stopping(data: dict[str, Any]) -> dict[str, Any]:
        if data["state"] not in ("running", "paused"):
            return data
        return {**data, "state": "stopped", "continue": "", "stopped_by": who}

    updated = await services.actions.update_card(card.id, stopping, datetime.now(UTC))
    shown = run.render(services, updated)
    services.card_updates.mark_sent(updated.id, shown)
    return await _done(services, pressed, PressResult(shown, True, "ok"), started, "runbook stop")


async def _record(
    services: Services, pressed: Press, verb: str
) -> tuple[ActionRecord, CardRecord] | PressResult:
    action_id = services.signer.verify(pressed.token)
    if action_id is None:
        return refused(UNSIGNED)
    record = await services.actions.get(action_id)
    if record is None or record.verb != verb:
        return refused(UNKNOWN)
    if record.tenant_id != pressed.caller.tenant_id:
        return refused("This card belongs to another organization.")
    card = await services.actions.card(record.card_id)
    if card is None:
        return refused("This card no longer exists.")
    if not same_conversation(card.conversation_id, pressed.where.conversation_id):
        return refused("This button belongs to a card in another conversation.")
    try:
        await services.gate.admit(
            pressed.caller,
            pressed.where,
            run.PERMISSION,
            run.COMMAND,
            {"runbook": card.data["runbook"]},
            approval=False,
        )
    except PermissionDeniedError as exc:
        return _current(services, card, exc.reason, "denied")
    return record, card


def _current(
    services: Services, card: CardRecord, message: str, outcome: str = "refused"
) -> PressResult:
    shown = with_notice(run.render(services, card), message)
    return PressResult(shown, False, outcome, message)


async def _done(
    services: Services, pressed: Press, result: PressResult, started: float, command: str
) -> PressResult:
    await services.audit.append(
        audit_record(
            "action",
            pressed.caller,
            pressed.where,
            command=command,
            arguments={"verb": pressed.verb or ""},
            outcome=result.outcome,
            detail=result.message,
            correlation_id=pressed.correlation_id,
            duration_ms=(time.perf_counter() - started) * 1000,
        )
    )
    return result


__all__ = ["PAGE_PREFIX", "continue_run", "page", "stop_run"]
