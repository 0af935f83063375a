"""A card button press: verify the signed id, re-check identity and policy, claim once, start.

Nothing in the card's data is trusted but the opaque action id: the verb, the targets and who may
press come from the server-side record, and the presser comes from the authenticated activity.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from cards.common import with_notice
from teams_bot.actions.signing import ActionSigner
from teams_bot.actions.store import ActionRecord, ActionStore, CardRecord
from teams_bot.approvals.requests import pending_request
from teams_bot.auditing import audit_record
from teams_bot.errors import CommandError
from teams_bot.identity import Caller, Where
from teams_bot.logs import new_correlation_id
from teams_bot.storage.audit import AuditLog

log = logging.getLogger(__name__)

Card = dict[str, Any]


@dataclass(frozen=True)
class Press:
    """One press of a card button, as the authenticated activity describes it."""

    token: object
    verb: str | None  # None on the Action.Submit path: the record's own verb applies
    caller: Caller
    where: Where
    correlation_id: str
    message_id: str = ""


@dataclass(frozen=True)
class PressResult:
    card: Card | None  # what the presser sees now
    for_everyone: bool  # True: the card changed for everybody (update the message too)
    outcome: str  # audit outcome: ok | refused | denied | duplicate | expired | error | approval
    message: str = ""  # why, in a sentence, when it is not "ok"
    approval_request: dict[str, Any] | None = None  # set when policy wants approval first


@dataclass(frozen=True)
class Claim:
    action: ActionRecord
    targets: list[str]  # for group actions: the targets this press now owns


class Authorizer(Protocol):
    async def identify(self, caller: Caller) -> Caller: ...

    def check(
        self,
        caller: Caller,
        where: Where,
        permission: str,
        command: str,
        arguments: Mapping[str, object],
    ) -> Any: ...  # a Decision with .allowed and .reason

    def approval_for(
        self, caller: Caller, where: Where, command: str, arguments: Mapping[str, object]
    ) -> Any: ...  # a Requirement, or None


class VerbHandler(Protocol):
    group_member_verb: str | None  # set for "do all" buttons that cover per-target buttons

    async def start(self, claim: Claim, caller: Caller, press: Press) -> CardRecord: ...


CardRenderer = Callable[[CardRecord], Card]
CardPublisher = Callable[[CardRecord, Card], Awaitable[None]]


class ActionRouter:
    def __init__(
        self,
        store: ActionStore,
        signer: ActionSigner,
        authorizer: Authorizer,
        audit: AuditLog,
        publish: Callable[[str, str, Card], Awaitable[None]],
    ) -> None:
        self.store = store
        self.signer = signer
        self.authorizer = authorizer
        self.audit = audit
        self.publish = publish
        self._verbs: dict[str, VerbHandler] = {}
        self._renderers: dict[str, CardRenderer] = {}

    def register(self, verb: str, handler: VerbHandler) -> None:
        self._verbs[verb] = handler

    def register_card(self, kind: str, renderer: CardRenderer) -> None:
        self._renderers[kind] = renderer

    def render(self, card: CardRecord) -> Card:
        return self._renderers[card.kind](card)

    async def press(self, press: Press) -> PressResult:
        started = time.perf_counter()
        record: ActionRecord | None = None
        try:
            record, result = await self._press(press)
        except CommandError as exc:
            result = PressResult(None, False, "denied", str(exc))
        except Exception:
            log.exception("card action failed")
            result = PressResult(None, False, "error", "Something went wrong handling that button.")
        await self._audit(press, record, result, started)
        return result

    async def _press(self, press: Press) -> tuple[ActionRecord | None, PressResult]:
        action_id = self.signer.verify(press.token)
        record = await self.store.get(action_id) if action_id else None
        if record is None or press.verb not in (None, record.verb):
            return record, _refused(
                "This button is not valid here: it was altered, or it "
                "belongs to another installation of the bot."
            )
        if record.tenant_id != press.caller.tenant_id:
            return record, _refused("This card belongs to another organization.")
        card = await self.store.card(record.card_id)
        if card is None:
            return record, _refused("This card no longer exists.")
        refusal = await self._precheck(record, press)
        if refusal is not None:
            return record, self._for_presser(card, refusal)
        caller = await self.authorizer.identify(press.caller)
        decision = self.authorizer.check(
            caller, press.where, record.permission, record.command, record.arguments
        )
        if not decision.allowed:
            return record, self._for_presser(
                card, PressResult(None, False, "denied", decision.reason)
            )
        needed = self.authorizer.approval_for(caller, press.where, record.command, record.arguments)
        if needed is not None:
            return record, self._needs_approval(record, caller, press, card, needed)
        return record, await self._claim_and_start(record, caller, press, card)

    def _needs_approval(
        self, record: ActionRecord, caller: Caller, press: Press, card: CardRecord, needed: Any
    ) -> PressResult:
        request = pending_request(
            caller=caller,
            where=press.where,
            kind="action",
            command=record.command,
            text="",
            action_id=record.id,
            arguments=record.arguments,
            summary=describe(record),
            requirement=needed,
            correlation_id=press.correlation_id,
        )
        message = f"'{describe(record)}' needs approval ({request['rule_description']})."
        shown = with_notice(self.render(card), message)
        return PressResult(shown, False, "approval", message, approval_request=request)

    async def start_approved(
        self, action_id: str, caller: Caller, where: Where
    ) -> tuple[bool, str]:
        """Start an approved button's work as its requester; (started, what happened)."""
        record = await self.store.get(action_id)
        card = await self.store.card(record.card_id) if record else None
        if record is None or card is None:
            return False, "the button's action no longer exists"
        press = Press(None, record.verb, caller, where, new_correlation_id())
        refusal = await self._precheck(record, press)
        if refusal is not None:
            return False, refusal.message
        caller = await self.authorizer.identify(caller)
        decision = self.authorizer.check(
            caller, where, record.permission, record.command, record.arguments
        )
        if not decision.allowed:
            return False, str(decision.reason)
        result = await self._claim_and_start(record, caller, press, card)
        if result.outcome != "ok":
            return False, result.message
        updated = await self.store.card(card.id) or card
        if updated.activity_id and result.card is not None:
            await self.publish(updated.conversation_id, updated.activity_id, result.card)
        return True, f"started: {describe(record)}"

    async def _precheck(self, record: ActionRecord, press: Press) -> PressResult | None:
        if record.state != "open":
            who = record.claimed_by_name or "someone"
            when = record.claimed_at.strftime("%H:%M UTC") if record.claimed_at else ""
            return PressResult(
                None,
                False,
                "duplicate",
                f"Already handled: {who} pressed this at {when}. This is the current state.",
            )
        if record.expires_at <= datetime.now(UTC):
            return PressResult(
                None, False, "expired", "This button has expired; ask me for a fresh card."
            )
        if record.verb not in self._verbs:
            return PressResult(None, False, "refused", "This action is no longer supported.")
        return None

    async def _claim_and_start(
        self, record: ActionRecord, caller: Caller, press: Press, card: CardRecord
    ) -> PressResult:
        handler = self._verbs[record.verb]
        now, name = datetime.now(UTC), caller.display_name or caller.aad_object_id
        if handler.group_member_verb:
            taken = await self.store.claim_group(
                record.id, handler.group_member_verb, caller.aad_object_id, name, now
            )
            claim = Claim(taken[0], taken[1]) if taken else None
        else:
            one = await self.store.claim(record.id, caller.aad_object_id, name, now)
            claim = Claim(one, [str(one.arguments.get("target", ""))]) if one else None
        if claim is None:  # someone else was faster, or it expired this very moment
            latest = await self.store.card(card.id) or card
            return self._for_presser(
                latest,
                PressResult(
                    None,
                    False,
                    "duplicate",
                    "Someone else pressed this first. This is the current state.",
                ),
            )
        if press.message_id and not card.activity_id:
            await self.store.set_activity_id(card.id, press.message_id)
        updated = await handler.start(claim, caller, press)
        return PressResult(self.render(updated), True, "ok")

    def _for_presser(self, card: CardRecord, result: PressResult) -> PressResult:
        shown = with_notice(self.render(card), result.message)
        return PressResult(shown, False, result.outcome, result.message)

    async def _audit(
        self, press: Press, record: ActionRecord | None, result: PressResult, started: float
    ) -> None:
        caller, where = press.caller, press.where
        arguments: dict[str, object] = {"verb": press.verb or (record.verb if record else "")}
        if record is not None:
            arguments.update(record.arguments)
        await self.audit.append(
            audit_record(
                "action",
                caller,
                where,
                command=record.command if record else f"button {press.verb}",
                arguments=arguments,
                outcome=result.outcome,
                detail=result.message,
                correlation_id=press.correlation_id,
                duration_ms=(time.perf_counter() - started) * 1000,
                job_id=record.id if record else "",
            )
        )


def describe(record: ActionRecord) -> str:
    """One line of exactly what a button runs: "nodes reboot web-07, web-11"."""
    targets = record.arguments.get("targets") or [record.arguments.get("target", "")]
    shown = ", ".join(str(t) for t in targets[:10] if t)
    more = f" and {len(targets) - 10} more" if len(targets) > 10 else ""
    return f"{record.command} {shown}{more}".strip()


def _refused(message: str) -> PressResult:
    return PressResult(None, False, "refused", message)
