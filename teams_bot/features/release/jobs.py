"""What the card-job core runs for a release: the service's configured deploy or rollback
action, one at a time per service and environment, recorded in the release history."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from teams_bot.actions.store import ActionRecord
from teams_bot.features.release import card as release_card
from teams_bot.features.release.store import Release, ReleaseStore
from teams_bot.identity import Caller
from teams_bot.jobs.core import JobSpec, Result, detail_of

if TYPE_CHECKING:
    from teams_bot.services import Services

VERB_DEPLOY, VERB_ROLLBACK = "deploy.run", "rollback.run"


def lock_key(target: str) -> str:
    """`web@production` -> `service:web@production`: one release at a time there."""
    return f"service:{target}"


def _arguments(target: str, record: Mapping[str, Any]) -> dict[str, str]:
    return {
        "service": str(record["service"]),
        "environment": str(record["environment"]),
        "version": str(record["version"]),
    }


def _action(record: Mapping[str, Any]) -> str:
    return str(record["action"])


async def _started(services: Services, action: ActionRecord, caller: Caller) -> None:
    card = await services.actions.card(action.card_id)
    args = action.arguments
    await ReleaseStore(services.db).start(
        Release(
            id=action.id,
            kind=str(args["kind"]),
            service=str(args["service"]),
            environment=str(args["environment"]),
            version=str(args["version"]),
            previous=str(args.get("previous", "")),
            state="running",
            tenant_id=action.tenant_id,
            requested_by=caller.aad_object_id,
            requested_by_name=caller.display_name or caller.aad_object_id,
            conversation_id=card.conversation_id if card else "",
            card_id=action.card_id,
            url="",
            detail="",
            started_at=datetime.now(UTC),
        )
    )


async def _finished(services: Services, action: ActionRecord, target: str, result: Result) -> None:
    state = "succeeded" if result.ok else str(getattr(result, "status", "error"))
    url = str(getattr(result, "url", "") or "")
    await ReleaseStore(services.db).finish(
        action.id, state, url, detail_of(result), datetime.now(UTC)
    )


def _spec(mark: Any) -> JobSpec:
    return JobSpec(
        action=_action,
        arguments=_arguments,
        lock=lock_key,
        mark=mark,
        started=_started,
        finished=_finished,
    )


RUN = _spec(release_card.mark_release)  # a typed deploy or rollback, on its own card
ROLLBACK_BUTTON = _spec(release_card.mark_rollback)  # Rollback on a finished deploy's card


async def recover_interrupted(services: Services) -> list[Release]:
    """Releases still "running" whose job the core reported interrupted: say so in history."""
    store = ReleaseStore(services.db)
    found: list[Release] = []
    for release in await store.running():
        action = await services.actions.get(release.id)
        if action is None or action.state != "claimed":
            await store.mark_interrupted(release.id, datetime.now(UTC))
            found.append(release)
    return found
