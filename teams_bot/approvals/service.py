"""Four-eyes approvals: file a request, take decisions from buttons or text, run on quorum.

Every decision is one atomic store call, so two approvers on two replicas pressing at the same
moment produce exactly one "approved", and only that caller runs the work. Expiry is a due-time
scan of the store, so it happens even across restarts and nobody has to touch the card.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from teams_bot.actions.router import PressResult
from teams_bot.approvals import render
from teams_bot.approvals.models import Approval, ApprovalState, VoteResult, new_approval_id
from teams_bot.approvals.requests import place, requester, requester_of
from teams_bot.approvals.store import ApprovalStore
from teams_bot.auditing import audit_record
from teams_bot.commands.context import CardReply, Reply
from teams_bot.identity import Caller, Where
from teams_bot.leases import kept
from teams_bot.services import Services

log = logging.getLogger(__name__)

VERB_APPROVE, VERB_DENY = "approval.approve", "approval.deny"
VERB_CANCEL, VERB_REFRESH = "approval.cancel", "approval.refresh"
VERBS = (VERB_APPROVE, VERB_DENY, VERB_CANCEL, VERB_REFRESH)


@dataclass(frozen=True)
class Outcome:
    """What an approved piece of work did."""

    ok: bool
    text: str  # one line for the approval card
    reply: Reply | None = None  # what the command answered, posted in the conversation


Executor = Callable[[Approval], Awaitable[Outcome]]


class ApprovalService:
    def __init__(self, services: Services, store: ApprovalStore, execute: Executor) -> None:
        self.services = services
        self.store = store
        self.execute = execute

    # -- filing ---------------------------------------------------------------------------
    async def file(self, request: Mapping[str, Any], reason: str) -> CardReply:
        now = datetime.now(UTC)
        where = request["where"]
        approval = await self.store.create(
            Approval(
                id=new_approval_id(),
                state="pending",
                tenant_id=request["tenant_id"],
                conversation_id=where["conversation_id"],
                activity_id="",
                requester_id=request["requester_id"],
                requester_name=request["requester_name"],
                requester_teams_id=request.get("requester_teams_id", ""),
                kind=request["kind"],
                command=request["command"],
                text=request["text"],
                action_id=request["action_id"],
                arguments=dict(request["arguments"]),
                summary=request["summary"],
                reason=reason,
                where=dict(where),
                approver_roles=tuple(request["approver_roles"]),
                quorum=int(request["quorum"]),
                rule=request["rule"],
                rule_description=request["rule_description"],
                created_at=now,
                expires_at=now + timedelta(seconds=float(request["expires_s"])),
            )
        )
        await self._audit(
            approval, requester_of(request), "requested", reason, request.get("correlation_id", "")
        )

        async def posted(message_id: str) -> None:
            await self.store.set_activity_id(approval.id, message_id)

        summary = (
            f"Approval {approval.id} requested by {approval.requester_name}: {approval.summary}"
        )
        return CardReply(self.card(approval), summary, on_posted=posted)

    def card(self, approval: Approval, *, for_requester: bool = False) -> dict[str, Any]:
        return render.card(approval, self.services.signer, for_requester=for_requester)

    # -- decisions ------------------------------------------------------------------------
    async def press(
        self,
        token: object,
        verb: str,
        caller: Caller,
        where: Where,
        data: Mapping[str, Any],
        correlation_id: str,
    ) -> PressResult:
        approval_id = render.approval_id_of(self.services.signer, token)
        approval = await self.store.get(approval_id) if approval_id else None
        if approval is None:
            return PressResult(None, False, "refused", "This approval button is not valid here.")
        if approval.tenant_id != caller.tenant_id:
            return PressResult(None, False, "refused", "This card belongs to another organization.")
        if verb == VERB_REFRESH:
            mine = caller.aad_object_id == approval.requester_id
            return PressResult(self.card(approval, for_requester=mine), False, "ok")
        reason = str(data.get("reason") or "").strip()[:500]
        message = await self.decide(approval, verb, caller, where, reason, correlation_id)
        latest = await self.store.get(approval.id) or approval
        changed = latest.state != approval.state or latest.votes != approval.votes
        mine = caller.aad_object_id == latest.requester_id
        shown = self.card(latest, for_requester=mine)
        if changed:  # decide() already updated the card for everyone
            return PressResult(shown, False, "ok", message)
        return PressResult(render.with_notice(shown, message), False, "refused", message)

    async def decide(
        self,
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
            result = await self.store.cancel(approval.id, caller.aad_object_id, now)
        else:
            caller = await self.services.authorizer.identify(caller)
            own = caller.aad_object_id == approval.requester_id  # the store refuses: four eyes
            if not own and not self.services.authorizer.may_approve(
                caller, approval.approver_roles
            ):
                roles = " or ".join(approval.approver_roles)
                await self._audit(
                    approval, caller, "denied", f"not an approver ({roles})", correlation_id
                )
                return f"Only people with the role {roles} may decide on {approval.id}."
            decision = "approve" if verb == VERB_APPROVE else "deny"
            name = caller.display_name or caller.aad_object_id
            result = await self.store.vote(
                approval.id, caller.aad_object_id, name, decision, reason, now
            )
        await self._after(result, caller, verb, reason, correlation_id)
        return _sentence(result, approval.id)

    async def _after(
        self, result: VoteResult, caller: Caller, verb: str, reason: str, correlation_id: str
    ) -> None:
        approval = result.approval
        if approval is None:
            return
        outcome = {"recorded": verb.split(".")[1], "approved": "approved", "denied": "denied"}.get(
            result.outcome, result.outcome
        )
        await self._audit(approval, caller, outcome, reason, correlation_id)
        if result.outcome in ("recorded", "denied", "expired"):
            await self._publish(approval)  # every change shows on the card for everyone
        if result.outcome == "approved":
            self.services.tasks.spawn(
                self._run(approval, correlation_id), f"approval {approval.id}"
            )

    # -- running --------------------------------------------------------------------------
    async def _run(self, approval: Approval, correlation_id: str) -> None:
        started = time.perf_counter()
        running = await self.store.mark(approval.id, "running", datetime.now(UTC))
        await self._publish(running)

        async def renew(until: datetime) -> None:
            await self.store.renew(approval.id, until)

        try:
            async with kept(renew):  # a lease that runs out means this process is gone
                outcome = await self.execute(running)
        except Exception:
            log.exception("approved work %s failed", approval.id)
            outcome = Outcome(False, "failed unexpectedly; see the bot's log")
        state: ApprovalState = "succeeded" if outcome.ok else "failed"
        done = await self.store.mark(approval.id, state, datetime.now(UTC), {"text": outcome.text})
        await self._publish(done)
        if outcome.reply is not None:
            await self._say(done, outcome.reply)
        await self._audit(
            done,
            requester(done),
            state,
            outcome.text,
            correlation_id,
            (time.perf_counter() - started) * 1000,
        )

    async def expire_due(self) -> list[Approval]:
        """Expire what is past due (every replica may call this; each expires once)."""
        expired = await self.store.expire_due(datetime.now(UTC))
        for approval in expired:
            system = Caller(aad_object_id="", tenant_id=approval.tenant_id, display_name="(expiry)")
            await self._audit(approval, system, "expired", "nobody decided in time", "")
            await self._publish(approval)
        return expired

    async def recover_interrupted(self) -> list[Approval]:
        """Report approved work whose process is gone (restart, crash) as failed."""
        found = await self.store.interrupted(datetime.now(UTC))
        for approval in found:
            text = str((approval.result or {}).get("text", "interrupted"))
            await self._audit(approval, requester(approval), "interrupted", text, "")
            await self._publish(approval)
        return found

    async def _publish(self, approval: Approval) -> None:
        if not approval.activity_id:
            return
        try:
            await self.services.publish(
                approval.conversation_id, approval.activity_id, self.card(approval)
            )
        except Exception:
            log.exception("could not update approval card %s", approval.id)

    async def _say(self, approval: Approval, reply: Reply) -> None:
        try:
            await self.services.say(approval.conversation_id, reply)
        except Exception:
            log.exception("could not post the result of approval %s", approval.id)

    # -- text ------------------------------------------------------------------------------
    async def pending_text(self, caller: Caller) -> str:
        caller = await self.services.authorizer.identify(caller)
        mine = await self.store.open_for(caller.aad_object_id)
        theirs = [
            a
            for a in await self.store.open_with_roles(caller.roles)
            if a.requester_id != caller.aad_object_id
        ]
        waiting = [_line(a) for a in theirs] or ["- none"]
        asked = [_line(a) for a in mine] or ["- none"]
        return "\n".join(
            ["**Waiting for your decision**", *waiting, "", "**Your requests**", *asked]
        )

    async def _audit(
        self,
        approval: Approval,
        who: Caller,
        outcome: str,
        detail: str,
        correlation_id: str,
        duration_ms: float = 0.0,
    ) -> None:
        await self.services.audit.append(
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
