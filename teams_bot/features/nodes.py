"""`nodes failed`: the failed-node card, and its Reboot / Reboot all / Rollback buttons."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from cards import VERB_NODE_REBOOT, VERB_NODES_REBOOT_ALL, VERB_RELEASE_ROLLBACK
from cards.common import with_notice
from teams_bot.actions.router import ActionRouter, Claim, Press
from teams_bot.actions.store import ActionRecord, CardRecord
from teams_bot.auditing import audit_record
from teams_bot.automation.models import JobResult
from teams_bot.commands.context import CardReply, CommandContext, Reply
from teams_bot.commands.registry import CommandRegistry
from teams_bot.errors import CommandError
from teams_bot.features import nodes_card
from teams_bot.identity import Caller, Where
from teams_bot.leases import kept
from teams_bot.services import Services

log = logging.getLogger(__name__)

commands = CommandRegistry()

REBOOT, ROLLBACK = "reboot", "rollback"  # action names in the automation config


@commands.command(
    "nodes failed",
    permission="nodes.read",
    group="Nodes",
    examples=["nodes failed", "nodes failed --cluster prod-eu"],
)
async def nodes_failed(ctx: CommandContext, *, cluster: str | None = None) -> Reply:
    """List failed nodes, with Reboot buttons per node and Rollback for the release behind them.

    The nodes come from the inventory source in the bot's config file. Buttons re-check who
    presses them; each can be used once and expires (TEAMS_BOT_ACTION_TTL_MINUTES).
    """
    services: Services = ctx.services
    found = await services.automation.inventory().failed_nodes(cluster)
    now = datetime.now(UTC)
    who = ctx.caller.display_name or ctx.caller.aad_object_id
    card = CardRecord(
        id=services.signer.new_id(),
        kind=nodes_card.KIND,
        data=nodes_card.initial_data(found, cluster, who, now, ctx.caller.teams_id),
        tenant_id=ctx.caller.tenant_id,
        conversation_id=ctx.where.conversation_id,
        created_at=now,
        updated_at=now,
    )
    actions = _actions(services, card, ctx.caller, now)
    await services.actions.create(card, actions)
    card = await services.actions.card(card.id) or card
    summary = f"{len(found)} failed node(s)" + (f" in {cluster}" if cluster else "")
    card_id = card.id

    async def posted(message_id: str) -> None:
        await services.actions.set_activity_id(card_id, message_id)

    return CardReply(nodes_card.render(card, services.signer), summary, on_posted=posted)


def _actions(
    services: Services, card: CardRecord, caller: Caller, now: datetime
) -> list[ActionRecord]:
    """Records behind the buttons; their ids are written into the card data."""
    expires = now + timedelta(minutes=services.settings.action_ttl_minutes)
    configured = services.automation.actions

    def record(verb: str, permission: str, command: str, args: dict[str, Any]) -> ActionRecord:
        return ActionRecord(
            id=services.signer.new_id(),
            card_id=card.id,
            verb=verb,
            permission=permission,
            command=command,
            arguments=args,
            tenant_id=caller.tenant_id,
            created_by=caller.aad_object_id,
            created_at=now,
            expires_at=expires,
        )

    made: list[ActionRecord] = []
    nodes = [n["name"] for n in card.data["nodes"]]
    buttons = card.data["buttons"]
    if REBOOT in configured and nodes:
        for name in nodes[: nodes_card.PAGE_SIZE]:
            made.append(
                record(
                    VERB_NODE_REBOOT,
                    "nodes.reboot",
                    "nodes reboot",
                    {"target": name, "nodes": [name]},
                )
            )
            buttons["reboot"][name] = made[-1].id
        made.append(
            record(
                VERB_NODES_REBOOT_ALL,
                "nodes.reboot",
                "nodes reboot",
                {"targets": nodes, "nodes": nodes},
            )
        )
        buttons["reboot_all"] = made[-1].id
    release = card.data["release"]
    if ROLLBACK in configured and release:
        made.append(
            record(
                VERB_RELEASE_ROLLBACK,
                "release.rollback",
                "release rollback",
                {"target": release, "release": release},
            )
        )
        buttons["rollback"] = made[-1].id
    return made


class _JobHandler:
    """Marks the card, then runs the configured action per target in the background."""

    group_member_verb: str | None = None

    def __init__(self, services: Services, action: str) -> None:
        self.services = services
        self.action = action

    async def start(self, claim: Claim, caller: Caller, press: Press) -> CardRecord:
        who = caller.display_name or caller.aad_object_id
        card = await self._mark(claim, "running", who, "")
        self.services.tasks.spawn(self._run(claim, caller, press, who), f"job {claim.action.id}")
        return card

    async def _mark(self, claim: Claim, state: str, who: str, detail: str) -> CardRecord:
        entry = nodes_card.progress_entry(state, who, detail)
        return await self.services.actions.update_card(
            claim.action.card_id, self._apply(claim.targets, entry), datetime.now(UTC)
        )

    def _apply(
        self, targets: list[str], entry: dict[str, str]
    ) -> Callable[[dict[str, Any]], dict[str, Any]]:
        def change(data: dict[str, Any]) -> dict[str, Any]:
            data["progress"] = {**data["progress"], **{t: entry for t in targets}}
            return data

        return change

    async def _run(self, claim: Claim, caller: Caller, press: Press, who: str) -> None:
        started, failures = time.perf_counter(), 0

        async def renew(until: datetime) -> None:
            await self.services.actions.renew(claim.action.id, until)

        async with kept(renew):  # a lease that runs out means this process is gone
            for target in claim.targets:
                result = await self._run_one(claim, target, who)
                failures += 0 if result.ok else 1
        state = "done" if failures == 0 else "failed"
        summary = {"targets": claim.targets, "failed": failures}
        await self.services.actions.finish(claim.action.id, state, summary, datetime.now(UTC))
        await self._audit(claim, caller, press, state, started)

    async def _run_one(self, claim: Claim, target: str, who: str) -> JobResult | _Failed:
        one = Claim(claim.action, [target])
        try:
            job = self.services.automation.job_for(self.action, self._arguments(target))
            runner = self.services.automation.runner_for(self.action)
            result: JobResult | _Failed = await runner.run(job, self._progress(one, who))
        except CommandError as exc:
            result = _Failed(str(exc))
        except Exception:
            log.exception("job for %s failed", target)
            result = _Failed("the job could not be started")
        state = "succeeded" if result.ok else "failed"
        card = await self._mark(one, state, who, _detail(result))
        await self._publish(card)
        return result

    def _arguments(self, target: str) -> dict[str, str]:
        return {"node": target}

    def _progress(self, claim: Claim, who: str) -> Callable[[str], Any]:
        async def on_line(line: str) -> None:
            await self._publish(await self._mark(claim, "running", who, line[:200]))

        return on_line

    async def _publish(self, card: CardRecord) -> None:
        try:
            content = nodes_card.render(card, self.services.signer)
            await self.services.publish(card.conversation_id, card.activity_id, content)
        except Exception:
            log.exception("could not update card %s in Teams", card.id)

    async def _audit(
        self, claim: Claim, caller: Caller, press: Press, state: str, started: float
    ) -> None:
        action = claim.action
        await self.services.audit.append(
            audit_record(
                "action",
                caller,
                press.where,
                command=action.command,
                arguments={"targets": claim.targets, "verb": action.verb},
                outcome="succeeded" if state == "done" else "failed",
                detail=f"{self.action} finished: {state}",
                correlation_id=press.correlation_id,
                duration_ms=(time.perf_counter() - started) * 1000,
                job_id=action.id,
            )
        )


class _Failed:
    ok = False

    def __init__(self, why: str) -> None:
        self.why = why


def _detail(result: JobResult | _Failed) -> str:
    if isinstance(result, _Failed):
        return result.why
    if result.ok:
        return ""
    last = result.output_tail.strip().splitlines()[-1:] or [result.status]
    return f"{result.status.replace('_', ' ')}: {last[0]}"[:200]


class RebootAll(_JobHandler):
    group_member_verb: str | None = VERB_NODE_REBOOT


class Rollback(_JobHandler):
    def _arguments(self, target: str) -> dict[str, str]:
        return {"release": target}

    def _apply(
        self, targets: list[str], entry: dict[str, str]
    ) -> Callable[[dict[str, Any]], dict[str, Any]]:
        def change(data: dict[str, Any]) -> dict[str, Any]:
            data["rollback"] = entry
            return data

        return change


class NodesCardView:
    """Universal Actions refresh: each viewer's own view, without buttons they may not use."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def refresh(self, token: object, caller: Caller, where: Where) -> dict[str, Any] | None:
        card_id = nodes_card.card_id_of(self.services.signer, token)
        card = await self.services.actions.card(card_id) if card_id else None
        if card is None or card.tenant_id != caller.tenant_id:
            return None
        caller = await self.services.authorizer.identify(caller)
        check = self.services.authorizer.check
        reboot = check(caller, where, "nodes.reboot", "nodes reboot", {"nodes": []})
        rollback = check(caller, where, "release.rollback", "release rollback", {})
        view = nodes_card.render(
            card, self.services.signer, may_act=(reboot.allowed, rollback.allowed)
        )
        if not reboot.allowed:
            view = with_notice(view, f"Your view: no Reboot buttons. {reboot.reason}")
        return view


INTERRUPTED = "interrupted: the bot stopped while this ran; check the node before retrying"


async def recover_interrupted(services: Services) -> list[ActionRecord]:
    """Report button work whose process is gone: the card says so, the audit records it."""
    found = await services.actions.interrupted(datetime.now(UTC))
    for action in found:
        targets = action.arguments.get("targets") or [action.arguments.get("target", "")]
        entry = nodes_card.progress_entry("failed", action.claimed_by_name, INTERRUPTED)
        change = _fail_running(targets, entry)
        card = await services.actions.update_card(action.card_id, change, datetime.now(UTC))
        content = nodes_card.render(card, services.signer)
        await services.publish(card.conversation_id, card.activity_id, content)
        who = Caller(action.claimed_by, action.tenant_id, action.claimed_by_name)
        where = Where(conversation_id=card.conversation_id, tenant_id=card.tenant_id)
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
    return found


def _fail_running(
    targets: list[str], entry: dict[str, str]
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A card change: these targets (and a rollback) still shown as running become `entry`."""

    def change(data: dict[str, Any]) -> dict[str, Any]:
        running = {t for t, p in data["progress"].items() if p["state"] == "running"}
        data["progress"] = {**data["progress"], **{t: entry for t in targets if t in running}}
        if (data.get("rollback") or {}).get("state") == "running":
            data["rollback"] = entry
        return data

    return change


def register(router: ActionRouter, services: Services) -> None:
    router.register(VERB_NODE_REBOOT, _JobHandler(services, REBOOT))
    router.register(VERB_NODES_REBOOT_ALL, RebootAll(services, REBOOT))
    router.register(VERB_RELEASE_ROLLBACK, Rollback(services, ROLLBACK))
    router.register_card(nodes_card.KIND, lambda card: nodes_card.render(card, services.signer))
