"""Interrupted work, recovered by card kind: each kind redraws its own card, offers a retry
where its job allows one, and the audit records the interruption exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from teams_bot.actions.store import ActionRecord, CardRecord
from teams_bot.auditing import audit_record
from teams_bot.identity import Caller, Where
from teams_bot.jobs.core import JobSpec, show
from teams_bot.kit import JobButton

if TYPE_CHECKING:
    from teams_bot.services import Services

INTERRUPTED = "interrupted: the bot stopped while this ran; check the target before retrying"


async def recover_interrupted(services: Services) -> list[ActionRecord]:
    """Report button work whose process is gone: the card says so, the audit records it."""
    found = await services.actions.interrupted(datetime.now(UTC))
    for action in found:
        card = await services.actions.card(action.card_id)
        if card is not None:
            card = await _redraw(services, card, action)
            await show(services, card)
        await services.locks.release(action.id)
        await _audit(services, action, card)
    return found


def targets_of(action: ActionRecord) -> list[str]:
    found = action.arguments.get("targets") or [action.arguments.get("target", "")]
    return [str(t) for t in found if t]


async def _redraw(services: Services, card: CardRecord, action: ActionRecord) -> CardRecord:
    kind = services.catalog.cards.get(card.kind)
    if kind is None or kind.interrupted is None:
        return card
    retries = await _mint_retries(services, card, action)
    show_interrupted = kind.interrupted

    def change(data: dict[str, Any]) -> dict[str, Any]:
        return show_interrupted(data, action, retries)

    return await services.actions.update_card(card.id, change, datetime.now(UTC))


async def _mint_retries(
    services: Services, card: CardRecord, action: ActionRecord
) -> dict[str, str]:
    """Fresh single-use buttons for the interrupted targets, when the job allows a retry."""
    button = services.catalog.buttons.get(action.verb)
    spec: JobSpec | None = button.job if isinstance(button, JobButton) else None
    if spec is None or spec.retry is None:
        return {}
    now = datetime.now(UTC)
    expires = now + timedelta(minutes=services.settings.action_ttl_minutes)
    made = {
        target: ActionRecord(
            id=services.signer.new_id(),
            card_id=card.id,
            verb=spec.retry.verb,
            permission=action.permission,
            command=action.command,
            arguments=spec.retry.arguments(target),
            tenant_id=action.tenant_id,
            created_by=action.created_by,
            created_at=now,
            expires_at=expires,
        )
        for target in targets_of(action)
    }
    await services.actions.add_actions(list(made.values()))
    return {target: record.id for target, record in made.items()}


async def _audit(services: Services, action: ActionRecord, card: CardRecord | None) -> None:
    who = Caller(action.claimed_by, action.tenant_id, action.claimed_by_name)
    where = Where(
        conversation_id=card.conversation_id if card else "",
        tenant_id=action.tenant_id,
    )
    await services.audit.append(
        audit_record(
            "action",
            who,
            where,
            command=action.command,
            arguments=action.arguments,
            outcome="interrupted",
            detail=INTERRUPTED,
            correlation_id="",
            job_id=action.id,
        )
    )
