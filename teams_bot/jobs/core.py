"""The card-job core: what every button that runs automation shares.

claim (done by the router, exactly once across replicas) -> lock each target -> lease -> run the
configured action per target with progress -> coalesced card updates -> final state (kept through
database hiccups; states only move forward) -> audit. Interrupted work is recovered by card kind.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from teams_bot.actions.models import Claim, Press
from teams_bot.actions.store import ActionRecord, CardRecord
from teams_bot.auditing import audit_record
from teams_bot.automation.models import JobResult
from teams_bot.errors import CommandError
from teams_bot.identity import Caller
from teams_bot.jobs.retry import kept_trying
from teams_bot.leases import kept
from teams_bot.metrics import JOB_SECONDS, JOBS_RUNNING

if TYPE_CHECKING:
    from teams_bot.services import Services

log = logging.getLogger(__name__)

CardData = dict[str, Any]
Entry = dict[str, str]  # {"state", "by", "at", "detail"}
Mark = Callable[[CardData, Sequence[str], Entry], CardData]
# (services, the claimed action, target, its result) after each target's job ends
Finished = Callable[["Services", "ActionRecord", str, "Result"], Awaitable[None]]
Started = Callable[["Services", "ActionRecord", Caller], Awaitable[None]]


@dataclass(frozen=True)
class RetrySpec:
    """After an interruption, a fresh single-use button per target (verb and its arguments)."""

    verb: str
    arguments: Callable[[str], dict[str, Any]]


@dataclass(frozen=True)
class JobSpec:
    """What a job button runs: the configured action, its placeholders per target, the lock
    key per target, and how its card shows a target's state."""

    action: str | Callable[[Mapping[str, Any]], str]  # the config action (or from the record)
    arguments: Callable[[str, Mapping[str, Any]], dict[str, str]]  # (target, record arguments)
    lock: Callable[[str], str]
    mark: Mark
    group_member_verb: str | None = None  # "do all" buttons that cover per-target buttons
    retry: RetrySpec | None = None
    finished: Finished | None = None  # told each target's result (e.g. to keep a history)
    started: Started | None = None  # told when the job starts (e.g. to record it as running)

    def action_for(self, record_arguments: Mapping[str, Any]) -> str:
        return self.action if isinstance(self.action, str) else self.action(record_arguments)


@dataclass(frozen=True)
class Failed:
    why: str
    ok: bool = False


Result = JobResult | Failed


def progress_entry(state: str, by: str, detail: str = "", **extra: str) -> Entry:
    entry = {"state": state, "by": by, "at": datetime.now(UTC).isoformat(), "detail": detail}
    return {**entry, **{k: v for k, v in extra.items() if v}}


def detail_of(result: Result) -> str:
    if isinstance(result, Failed):
        return result.why
    if result.ok:
        return ""
    last = result.output_tail.strip().splitlines()[-1:] or [result.status]
    return f"{result.status.replace('_', ' ')}: {last[0]}"[:200]


async def mark(
    services: Services, card_id: str, spec: JobSpec, targets: Sequence[str], entry: Entry
) -> CardRecord:
    def change(data: CardData) -> CardData:
        return spec.mark(data, targets, entry)

    return await services.actions.update_card(card_id, change, datetime.now(UTC))


async def show(services: Services, card: CardRecord, *, wait: bool = False) -> None:
    """Put the card's latest state into its Teams message (coalesced, only when it changed)."""
    content = services.catalog.render(services, card)
    await services.card_updates.update(
        card.id, card.conversation_id, card.activity_id, content, wait=wait
    )


def posted_then_shown(services: Services, card_id: str) -> Callable[[str], Awaitable[None]]:
    """A CardReply's on_posted for a card whose job already runs: remember the message, then
    show the card's latest state (the job may have moved on while the card was being sent)."""

    async def posted(message_id: str) -> None:
        await services.actions.set_activity_id(card_id, message_id)
        latest = await services.actions.card(card_id)
        if latest is not None:
            await show(services, latest)

    return posted


async def start(
    services: Services, claim: Claim, caller: Caller, press: Press, spec: JobSpec
) -> tuple[CardRecord, asyncio.Future[bool]]:
    """Mark the claimed targets running and run them in the background.

    Returns the card as it is now and a future that says, when the job ends, whether it succeeded.
    """
    who = caller.display_name or caller.aad_object_id
    if spec.started is not None:
        await spec.started(services, claim.action, caller)
    card = await mark(
        services, claim.action.card_id, spec, claim.targets, progress_entry("running", who)
    )
    done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
    services.tasks.spawn(_run(services, claim, caller, press, spec, done), f"job {claim.action.id}")
    return card, done


async def _run(
    services: Services,
    claim: Claim,
    caller: Caller,
    press: Press,
    spec: JobSpec,
    done: asyncio.Future[bool],
) -> None:
    started, failures, ok = time.perf_counter(), 0, False
    who = caller.display_name or caller.aad_object_id
    holder = claim.action.id

    async def renew(until: datetime) -> None:
        await services.actions.renew(holder, until)
        await services.locks.renew(holder, until)

    JOBS_RUNNING.inc()
    try:
        async with kept(renew):  # a lease that runs out means this process is gone
            for target in claim.targets:
                result = await _run_one(services, claim, spec, target, who)
                failures += 0 if result.ok else 1
        ok = failures == 0
        await _finish(services, claim, caller, press, ok, started)
        await _show_final(services, claim.action.card_id)
    finally:
        JOBS_RUNNING.dec()
        JOB_SECONDS.labels("succeeded" if ok else "failed").observe(time.perf_counter() - started)
        await _release(services, holder)
        if not done.done():
            done.set_result(ok)


async def _run_one(
    services: Services, claim: Claim, spec: JobSpec, target: str, who: str
) -> Result:
    card_id = claim.action.card_id

    async def on_line(line: str) -> None:
        entry = progress_entry("running", who, line[:200])
        await show(services, await mark(services, card_id, spec, [target], entry))

    given = claim.action.arguments
    try:
        action = spec.action_for(given)
        job = services.automation.job_for(action, spec.arguments(target, given))
        runner = services.automation.runner_for(action)
        result: Result = await runner.run(job, on_line)
    except CommandError as exc:
        result = Failed(str(exc))
    except Exception:
        log.exception("job for %s failed", target)
        result = Failed("the job could not be started")
    entry = progress_entry(
        "succeeded" if result.ok else "failed", who, detail_of(result), **_extra(result)
    )
    if spec.finished is not None:
        await kept_trying(lambda: _tell(spec, services, claim, target, result), "a job's result")

    async def record_result() -> CardRecord:
        return await mark(services, card_id, spec, [target], entry)

    await show(services, await kept_trying(record_result, f"the result for {target}"))
    return result


async def _tell(
    spec: JobSpec, services: Services, claim: Claim, target: str, result: Result
) -> None:
    assert spec.finished is not None
    await spec.finished(services, claim.action, target, result)


def _extra(result: Result) -> dict[str, str]:
    """What a card may show of a finished job besides its state: the link, the output tail."""
    if isinstance(result, Failed):
        return {}
    url = getattr(result, "url", None) or ""
    return {
        "url": str(url),
        "tail": result.output_tail[-1500:],
        "duration": f"{result.duration_seconds:.0f}",
        "status": result.status,
    }


async def _finish(
    services: Services, claim: Claim, caller: Caller, press: Press, ok: bool, started: float
) -> None:
    action = claim.action
    state = "done" if ok else "failed"
    summary = {"targets": claim.targets, "ok": ok}

    async def write() -> bool:
        return await services.actions.finish(action.id, state, summary, datetime.now(UTC))

    moved = await kept_trying(write, f"the final state of {action.id}")
    detail = f"{action.command} finished: {state}"
    if not moved:
        detail += " (after it had been reported interrupted)"
    await services.audit.append(
        audit_record(
            "action",
            caller,
            press.where,
            command=action.command,
            arguments={"targets": claim.targets, "verb": action.verb},
            outcome="succeeded" if ok else "failed",
            detail=detail,
            correlation_id=press.correlation_id,
            duration_ms=(time.perf_counter() - started) * 1000,
            job_id=action.id,
        )
    )


async def _show_final(services: Services, card_id: str) -> None:
    card = await services.actions.card(card_id)
    if card is not None:
        await show(services, card, wait=True)  # the job ends once its card says how it ended


async def _release(services: Services, holder: str) -> None:
    try:
        await services.locks.release(holder)
    except Exception:  # the lock's lease runs out by itself
        log.warning("could not release the target locks of %s now", holder)
