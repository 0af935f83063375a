"""The release card kind: its stored data, how a job's states are written into it, its drawing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cards.common import with_notice
from cards.release import ReleaseView, release_card
from teams_bot.actions.store import ActionRecord, CardRecord
from teams_bot.jobs.core import Entry, progress_entry

if TYPE_CHECKING:
    from teams_bot.services import Services

KIND = "release"
INTERRUPTED = "interrupted: the bot stopped while this ran; check the pipeline before retrying"
_STATES = {"succeeded": "succeeded", "failed": "failed"}


def initial_data(
    kind: str, target: Any, previous: str, by: str, release_id: str, rollback_id: str | None
) -> dict[str, Any]:
    return {
        "kind": kind,
        "release_id": release_id,
        "service": target.service.name,
        "environment": target.environment,
        "version": target.version or "",
        "previous": previous,
        "by": by,
        "at": datetime.now(UTC).isoformat(),
        "entry": None,
        "rollback_id": rollback_id,
        "rollback_entry": None,
    }


def mark_release(data: dict[str, Any], targets: Sequence[str], entry: Entry) -> dict[str, Any]:
    return {**data, "entry": entry}


def mark_rollback(data: dict[str, Any], targets: Sequence[str], entry: Entry) -> dict[str, Any]:
    return {**data, "rollback_entry": entry}


def interrupted(
    data: dict[str, Any], action: ActionRecord, retries: dict[str, str]
) -> dict[str, Any]:
    entry = progress_entry("interrupted", action.claimed_by_name, INTERRUPTED)
    if (data.get("rollback_entry") or {}).get("state") == "running":
        return {**data, "rollback_entry": entry}
    return {**data, "entry": entry}


def state_of(entry: Entry | None) -> str:
    if entry is None:
        return "queued"
    if entry["state"] == "failed" and entry.get("status") in ("timed_out", "cancelled", "error"):
        return entry["status"]
    return entry["state"]


def render(services: Services, card: CardRecord) -> dict[str, Any]:
    data = card.data
    entry = data.get("entry")
    state = state_of(entry)
    finished = None
    if entry and state not in ("queued", "running"):
        finished = datetime.fromisoformat(entry["at"])
    rollback = data.get("rollback_id")
    view = ReleaseView(
        kind=data["kind"],
        service=data["service"],
        environment=data["environment"],
        version=data["version"],
        previous=data["previous"],
        state=state,
        requested_by=data["by"],
        started_at=datetime.fromisoformat(data["at"]),
        now=datetime.now(UTC),
        progress=(entry or {}).get("detail", "") if state == "running" else "",
        url=(entry or {}).get("url", ""),
        tail=(entry or {}).get("tail", "") or (entry or {}).get("detail", ""),
        finished_at=finished,
        rollback_id=services.signer.token(rollback)
        if rollback and not data.get("rollback_entry")
        else None,
    )
    return _with_rollback(release_card(view), data)


def _with_rollback(card: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    entry = data.get("rollback_entry")
    if not entry:
        return card
    words = {
        "running": "Rolling back",
        "succeeded": "Rolled back",
        "failed": "Rollback failed, back",
        "interrupted": "Rollback interrupted, back",
    }
    clock = datetime.fromisoformat(entry["at"]).strftime("%H:%M UTC")
    text = (
        f"{words.get(entry['state'], 'Rollback')} to {data['previous']}, "
        f"requested by {entry['by']} at {clock}"
    )
    if entry.get("detail") and entry["state"] != "running":
        text += f": {entry['detail']}"
    colors = {"running": "accent", "succeeded": "good"}
    return with_notice(card, text, color=colors.get(entry["state"], "attention"))
