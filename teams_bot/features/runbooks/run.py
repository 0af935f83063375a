"""An executable runbook's run: its steps one by one on ONE card, pausing where a step says
`pause = true` (until Continue), ending on a failed step or on Stop.

Built from the card-job core's parts rather than a JobSpec (the core runs one action for every
target and goes on after a failure; a runbook runs a different action per step, stops at the
first failure and waits between segments): each segment of steps is a single-use action record,
claimed once across replicas and kept alive by a lease, so a run whose process is gone is
reported interrupted by the core's recovery scan through this card kind's `interrupted`.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cards.runbook import StepView, runbook_run_card
from teams_bot.actions.store import ActionRecord, CardRecord
from teams_bot.auditing import audit_record
from teams_bot.automation.models import JobResult
from teams_bot.errors import CommandError
from teams_bot.identity import Caller, Where
from teams_bot.jobs.core import show
from teams_bot.jobs.retry import kept_trying
from teams_bot.leases import kept

if TYPE_CHECKING:
    from teams_bot.features.runbooks.config import Runbook
    from teams_bot.services import Services

log = logging.getLogger(__name__)

KIND = "runbook_run"
VERB_SEGMENT = "runbook.segment"  # the record a segment of steps runs under (not a button)
PERMISSION, COMMAND = "runbooks.run", "runbook run"
PAUSE_TTL = timedelta(days=1)  # how long a paused run waits for Continue
INTERRUPTED = "interrupted: the bot stopped while this step ran; check before running it again"
TAIL_CHARS = 1500
Data = dict[str, Any]


def new_card(
    services: Services, runbook: Runbook, args: dict[str, str], caller: Caller, where: Where
) -> CardRecord:
    now = datetime.now(UTC)
    steps = [
        {"name": s.name, "action": s.action, "pause": s.pause, "args": s.arguments(args)}
        for s in runbook.steps
    ]
    data: Data = {
        "runbook": runbook.name,
        "title": runbook.title,
        "args": args,
        "steps": steps,
        "states": {},
        "state": "running",
        "continue": "",
        "stop": services.signer.new_id(),
        "by": caller.display_name or caller.aad_object_id,
        "at": now.isoformat(),
    }
    return CardRecord(
        services.signer.new_id(), KIND, data, caller.tenant_id, where.conversation_id, now, now
    )


def segment(
    services: Services,
    card: CardRecord,
    start: int,
    caller: Caller,
    verb: str = VERB_SEGMENT,
    ttl: timedelta = timedelta(minutes=1),
) -> ActionRecord:
    """The single-use record the steps from `start` run under (a Continue button's, too)."""
    now = datetime.now(UTC)
    return ActionRecord(
        id=services.signer.new_id(),
        card_id=card.id,
        verb=verb,
        permission=PERMISSION,
        command=COMMAND,
        arguments={
            "runbook": card.data["runbook"],
            "from": start,
            "targets": [f"step {start + 1}"],
            "args": card.data["args"],
        },
        tenant_id=card.tenant_id,
        created_by=caller.aad_object_id,
        created_at=now,
        expires_at=now + ttl,
    )


def stop_record(card: CardRecord, caller: Caller, verb: str) -> ActionRecord:
    now = datetime.now(UTC)
    return ActionRecord(
        id=card.data["stop"],
        card_id=card.id,
        verb=verb,
        permission=PERMISSION,
        command="runbook stop",
        arguments={"runbook": card.data["runbook"]},
        tenant_id=card.tenant_id,
        created_by=caller.aad_object_id,
        created_at=now,
        expires_at=now + timedelta(days=30),
    )


async def run_segment(
    services: Services,
    record: ActionRecord,
    caller: Caller,
    where: Where,
    correlation_id: str,
    *,
    resumed: bool,
) -> None:
    """Run steps from the record's `from` until a pause, a failure, a Stop or the end."""
    started, outcome = time.perf_counter(), "failed"

    async def renew(until: datetime) -> None:
        await services.actions.renew(record.id, until)

    try:
        async with kept(renew):
            outcome = await _steps(services, record, int(record.arguments["from"]), resumed)
    except Exception:
        log.exception("runbook %s failed", record.arguments.get("runbook"))
        await _end(services, record.card_id, "failed")
    finally:
        await _finish(services, record, caller, where, correlation_id, outcome, started)


async def _steps(services: Services, record: ActionRecord, start: int, resumed: bool) -> str:
    card_id, index = record.card_id, start
    who = record.claimed_by_name or "someone"
    while True:
        card = await services.actions.card(card_id)
        assert card is not None
        steps = card.data["steps"]
        if card.data["state"] != "running":  # Stop, or reported interrupted meanwhile
            return str(card.data["state"])
        if index >= len(steps):
            await _end(services, card_id, "done")
            return "done"
        if steps[index]["pause"] and not (resumed and index == start):
            await _pause(services, card, index, record)
            return "paused"
        if not await _run_step(services, card_id, index, steps[index], who):
            await _end(services, card_id, "failed")
            return "failed"
        index += 1


async def _end(services: Services, card_id: str, state: str) -> None:
    """The run's end, unless a Stop (or the recovery scan) already ended it."""

    def change(data: Data) -> Data:
        return {**data, "state": state} if data["state"] == "running" else data

    await _set(services, card_id, change)


async def _pause(services: Services, card: CardRecord, index: int, record: ActionRecord) -> None:
    owner = Caller(record.created_by, record.tenant_id)
    waiting = segment(services, card, index, owner, "runbook.continue", PAUSE_TTL)
    await services.actions.add_actions([waiting])

    def change(data: Data) -> Data:
        if data["state"] != "running":
            return data
        return {**data, "state": "paused", "continue": waiting.id}

    await _set(services, card.id, change)


async def _run_step(services: Services, card_id: str, index: int, step: Data, who: str) -> bool:
    key = str(index)
    began = time.perf_counter()
    await _state(services, card_id, key, {"state": "running", "by": who, "tail": ""})
    tail: list[str] = []

    async def on_line(line: str) -> None:
        tail.append(line)
        await _state(services, card_id, key, {"tail": "\n".join(tail[-12:])[-TAIL_CHARS:]})

    try:
        job = services.automation.job_for(step["action"], step["args"])
        result: JobResult | str = await services.automation.runner_for(step["action"]).run(
            job, on_line
        )
    except CommandError as exc:
        result = str(exc)
    except Exception:
        log.exception("runbook step %s could not start", step["name"])
        result = "the step could not be started"
    took = f"{time.perf_counter() - began:.0f}"
    if isinstance(result, str):
        entry = {"state": "failed", "detail": result, "duration": took}
    else:
        entry = {
            "state": "succeeded" if result.ok else "failed",
            "detail": result.status.replace("_", " "),
            "tail": result.output_tail[-TAIL_CHARS:],
            "duration": took,
        }
    await kept_trying(lambda: _state(services, card_id, key, entry), "a runbook step's result")
    return entry["state"] == "succeeded"


async def _state(services: Services, card_id: str, key: str, entry: dict[str, str]) -> None:
    def change(data: Data) -> Data:
        states = dict(data["states"])
        if states.get(key, {}).get("detail") == INTERRUPTED:
            return data  # reported interrupted: a late result does not move it back
        states[key] = {**states.get(key, {}), **entry}
        return {**data, "states": states}

    await _set(services, card_id, change)


async def _set(services: Services, card_id: str, change: Any) -> CardRecord:
    card = await services.actions.update_card(card_id, change, datetime.now(UTC))
    await show(services, card)
    return card


async def _finish(
    services: Services,
    record: ActionRecord,
    caller: Caller,
    where: Where,
    correlation_id: str,
    outcome: str,
    started: float,
) -> None:
    state = "failed" if outcome == "failed" else "done"

    async def write() -> bool:
        return await services.actions.finish(
            record.id, state, {"outcome": outcome}, datetime.now(UTC)
        )

    await kept_trying(write, f"the final state of {record.id}")
    await services.audit.append(
        audit_record(
            "action",
            caller,
            where,
            command=COMMAND,
            arguments={"runbook": record.arguments["runbook"], "from": record.arguments["from"]},
            outcome="failed" if outcome == "failed" else "succeeded",
            detail=f"runbook {record.arguments['runbook']}: {outcome}",
            correlation_id=correlation_id,
            duration_ms=(time.perf_counter() - started) * 1000,
            job_id=record.id,
        )
    )
    card = await services.actions.card(record.card_id)
    if card is not None:
        await show(services, card, wait=True)


def interrupted(data: Data, action: ActionRecord, retries: dict[str, str]) -> Data:
    """The recovery scan found this run's lease run out: its running step failed, run ended."""
    states = {
        k: ({**v, "state": "failed", "detail": INTERRUPTED} if v["state"] == "running" else v)
        for k, v in data["states"].items()
    }
    return {**data, "states": states, "state": "failed"}


def views(data: Data) -> list[StepView]:
    ended = data["state"] in ("done", "failed", "stopped")
    shown = []
    for index, step in enumerate(data["steps"]):
        entry = data["states"].get(str(index), {})
        state = entry.get("state") or ("skipped" if ended else "waiting")
        if state == "waiting" and data["state"] == "paused" and data.get("continue"):
            state = "paused" if _paused_at(data) == index else state
        shown.append(
            StepView(
                step["name"],
                step["action"],
                step["pause"],
                state,
                entry.get("tail", ""),
                entry.get("duration", ""),
                entry.get("detail", ""),
            )
        )
    return shown


def _paused_at(data: Data) -> int:
    return next((i for i in range(len(data["steps"])) if str(i) not in data["states"]), -1)


def render(services: Services, card: CardRecord) -> dict[str, Any]:
    data = card.data
    state = data["state"]
    running = any(v.get("state") == "running" for v in data["states"].values())
    if state == "stopped" and running:
        state = "stopping"
    cont = services.signer.token(data["continue"]) if data.get("continue") else None
    return runbook_run_card(
        data["title"],
        views(data),
        state=state,
        requested_by=data["by"],
        at=datetime.fromisoformat(data["at"]),
        continue_id=cont,
        stop_id=services.signer.token(data["stop"]),
        note=f"Stopped by {data['stopped_by']}." if data.get("stopped_by") else "",
    )
