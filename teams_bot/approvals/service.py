"""Four-eyes approvals: file a request, take decisions from buttons or text, run on quorum.

Every decision is one atomic store call, so two approvers on two replicas pressing at the same
moment produce exactly one "approved", and only that caller runs the work. Expiry is a due-time
scan of the store, so it happens even across restarts and nobody has to touch the card. The
approval's final state follows the real end of the work it ran.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from teams_bot.approvals import render
from teams_bot.approvals.models import (
    Approval,
    ApprovalState,
    VoteResult,
    WorkOutcome,
    new_approval_id,
)
from teams_bot.approvals.requests import ApprovalRequest, place, requester
from teams_bot.approvals.work import execute
from teams_bot.auditing import audit_record
from teams_bot.commands.context import CardReply, Reply
from teams_bot.identity import Caller, Where
from teams_bot.leases import kept

if TYPE_CHECKING:
    from teams_bot.services import Services

log = logging.getLogger(__name__)

VERB_APPROVE, VERB_DENY = "approval.approve", "approval.deny"
VERB_CANCEL, VERB_REFRESH = "approval.cancel", "approval.refresh"


# -- filing -------------------------------------------------------------------------------
async def file(services: Services, request: ApprovalRequest, reason: str) -> CardReply:
    now = datetime.now(UTC)
    approval = await services.approvals.create(
        Approval(
            id=new_approval_id(),
            state="pending",
            tenant_id=request.tenant_id,
            conversation_id=request.where["conversation_id"],
            activity_id="",
            requester_id=request.requester_id,
            requester_name=request.requester_name,
            requester_teams_id=request.requester_teams_id,
            kind=request.kind,
            command=request.command,
            text=request.text,
            action_id=request.action_id,
            arguments=dict(request.arguments),
            summary=request.summary,
            reason=reason,
            where=dict(request.where),
            approver_roles=request.approver_roles,
            quorum=request.quorum,
            rule=request.rule,
            rule_description=request.rule_description,
            created_at=now,
            expires_at=now + timedelta(seconds=request.expires_s),
        )
    )
    await _audit(services, approval, request.requester, "requested", reason, request.correlation_id)

    async def posted(message_id: str) -> None:
        await services.approvals.set_activity_id(approval.id, message_id)

    summary = f"Approval {approval.id} requested by {approval.requester_name}: {approval.summary}"
    return CardReply(card(services, approval), summary, on_posted=posted)


def card(
    services: Services, approval: Approval, *, for_requester: bool = False
) -> dict[str, object]:
    return render.card(approval, services.signer, for_requester=for_requester)


# -- decisions ----------------------------------------------------------------------------
async def decide(
    services: Services,
    approval: Approval,
    verb: str,
    caller: Caller,
    where: Where,
    reason: str,
    correlation_id: str,
) -> str:
    """Apply one decision; the sentence says what happened, for the person who decided."""
    now = datetime.now(UTC)
    if verb == VERB_CANCEL:
        result = await services.approvals.cancel(approval.id, caller.aad_object_id, now)
    else:
        caller = await services.gate.identify(caller)
        own = caller.aad_object_id == approval.requester_id  # the store refuses: four eyes
        if not own and not services.authorizer.may_approve(caller, approval.approver_roles):
            roles = " or ".join(approval.approver_roles)
            why = f"not an approver ({roles})"
            await _audit(services, approval, caller, "denied", why, correlation_id)
            return f"Only people with the role {roles} may decide on {approval.id}."
        decision = "approve" if verb == VERB_APPROVE else "deny"
        name = caller.display_name or caller.aad_object_id
        result = await services.approvals.vote(
            approval.id, caller.aad_object_id, name, decision, reason, now
        )
    await _after(services, result, caller, verb, reason, correlation_id)
    return _sentence(result, approval.id)


async def _after(
    services: Services,
    result: VoteResult,
    caller: Caller,
    verb: str,
    reason: str,
    correlation_id: str,
) -> None:
    approval = result.approval
    if approval is None:
        return
    outcome = {"recorded": verb.split(".")[1], "approved": "approved", "denied": "denied"}.get(
        result.outcome, result.outcome
    )
    await _audit(services, approval, caller, outcome, reason, correlation_id)
    if result.outcome in ("recorded", "denied", "expired"):
        await publish(services, approval)  # every change shows on the card for everyone
    if result.outcome == "approved":
        services.tasks.spawn(_run(services, approval, correlation_id), f"approval {approval.id}")


# -- running ------------------------------------------------------------------------------
async def _run(services: Services, approval: Approval, correlation_id: str) -> None:
    started = time.perf_counter()
    running = await services.approvals.mark(approval.id, "running", datetime.now(UTC))
    await publish(services, running)

    async def renew(until: datetime) -> None:
        await services.approvals.renew(approval.id, until)

    try:
        async with kept(renew):  # a lease that runs out means this process is gone
            outcome = await execute(services, running)
    except Exception:
        log.exception("approved work %s failed", approval.id)
        outcome = WorkOutcome(False, "failed unexpectedly; see the bot's log")
    state: ApprovalState = "succeeded" if outcome.ok else "failed"
    done = await services.approvals.mark(
        approval.id, state, datetime.now(UTC), {"text": outcome.text}
    )
    await publish(services, done)
    if outcome.reply is not None:
        await _say(services, done, outcome.reply)
    elapsed = (time.perf_counter() - started) * 1000
    await _audit(services, done, requester(done), state, outcome.text, correlation_id, elapsed)


async def expire_due(services: Services) -> list[Approval]:
    """Expire what is past due (every replica may call this; each expires once)."""
    expired = await services.approvals.expire_due(datetime.now(UTC))
    for approval in expired:
        system = Caller(aad_object_id="", tenant_id=approval.tenant_id, display_name="(expiry)")
        await _audit(services, approval, system, "expired", "nobody decided in time", "")
        await publish(services, approval)
    return expired


async def recover_interrupted(services: Services) -> list[Approval]:
    """Report approved work whose process is gone (restart, crash) as failed."""
    found = await services.approvals.interrupted(datetime.now(UTC))
    for approval in found:
        text = str((approval.result or {}).get("text", "interrupted"))
        await _audit(services, approval, requester(approval), "interrupted", text, "")
        await publish(services, approval)
    return found


async def publish(services: Services, approval: Approval) -> None:
    if not approval.activity_id:
        return
    try:
        await services.messenger.update_card(
            approval.conversation_id, approval.activity_id, card(services, approval)
        )
    except Exception:
        log.exception("could not update approval card %s", approval.id)


async def _say(services: Services, approval: Approval, reply: Reply) -> None:
    try:
        await services.messenger.post(approval.conversation_id, reply)
    except Exception:
        log.exception("could not post the result of approval %s", approval.id)


# -- text ---------------------------------------------------------------------------------
async def pending_text(services: Services, caller: Caller) -> str:
    caller = await services.gate.identify(caller)
    mine = await services.approvals.open_for(caller.aad_object_id)
    theirs = [
        a
        for a in await services.approvals.open_with_roles(caller.roles)
        if a.requester_id != caller.aad_object_id
    ]
    waiting = [_line(a) for a in theirs] or ["- none"]
    asked = [_line(a) for a in mine] or ["- none"]
    return "\n".join(["**Waiting for your decision**", *waiting, "", "**Your requests**", *asked])


async def _audit(
    services: Services,
    approval: Approval,
    who: Caller,
    outcome: str,
    detail: str,
    correlation_id: str,
    duration_ms: float = 0.0,
) -> None:
    await services.audit.append(
        audit_record(
            "approval",
            who,
            place(approval),
            command=approval.command,
            arguments={"approval": approval.id, **approval.arguments},
            outcome=outcome,
            detail=detail,
            correlation_id=correlation_id,
            duration_ms=duration_ms,
            job_id=approval.id,
        )
    )


def _line(approval: Approval) -> str:
    left = approval.expires_at - datetime.now(UTC)
    minutes = max(0, int(left.total_seconds() // 60))
    return (
        f"- `{approval.id}` {approval.summary} — asked by {approval.requester_name}, "
        f"{approval.approvals}/{approval.quorum} approvals, {minutes} min left"
    )


_SENTENCES = {
    "recorded": "Your decision on {id} is recorded.",
    "approved": "Approved: {id} reached its quorum and is running now.",
    "denied": "Denied: {id} will not run.",
    "duplicate": "You already decided on {id}.",
    "closed": "{id} is no longer open for decisions.",
    "expired": "{id} expired before it was decided; nothing ran.",
    "self": "You can't approve or deny your own request {id}: someone else has to (four eyes).",
    "unknown": "There is no approval {id}.",
    "forbidden": "Only the person who asked can cancel {id}.",
}


def _sentence(result: VoteResult, approval_id: str) -> str:
    return _SENTENCES.get(result.outcome, "{id}: " + result.outcome).format(id=approval_id)
