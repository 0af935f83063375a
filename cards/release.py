"""Release cards: a deploy (or rollback) as it runs and ends, and the status of services."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cards.common import (
    Card,
    Element,
    action_set,
    adaptive_card,
    execute_action,
    fact_set,
    footer,
    monospace_block,
    open_url_action,
    text_block,
)
from cards.size import fit_card
from cards.text import fmt_duration, fmt_time, one_line, tail_lines, truncate

VERB_DEPLOY_ROLLBACK = "deploy.rollback"
_STATES: dict[str, tuple[str, str]] = {
    "queued": ("⏳ Queued", "default"),
    "running": ("⏳ Running", "accent"),
    "succeeded": ("✅ Succeeded", "good"),
    "failed": ("❌ Failed", "attention"),
    "timed_out": ("⌛ Timed out", "attention"),
    "cancelled": ("✖ Cancelled", "warning"),
    "error": ("❌ Could not run", "attention"),
    "interrupted": ("⚠ Interrupted", "warning"),
}


@dataclass(frozen=True)
class ReleaseView:
    kind: str  # deploy | rollback
    service: str
    environment: str
    version: str
    previous: str  # what ran before ("" unknown)
    state: str
    requested_by: str
    started_at: datetime
    now: datetime
    progress: str = ""  # the runner's last progress line
    url: str = ""  # the pipeline run
    tail: str = ""  # the output tail when it ended
    finished_at: datetime | None = None
    rollback_id: str | None = None  # a signed action id when a Rollback button applies


def release_card(view: ReleaseView) -> Card:
    """One card per deploy or rollback, updated in place from queued to its end."""
    verb = "Deploy" if view.kind == "deploy" else "Rollback"
    label, color = _STATES.get(view.state, (view.state, "default"))
    title = (
        f"{verb} {one_line(view.service)} {one_line(view.version)} → {one_line(view.environment)}"
    )
    body: list[Element] = [
        text_block(truncate(title, 160), size="medium", weight="bolder"),
        text_block(f"{label} · {_elapsed(view)}", color=color, weight="bolder", spacing="small"),
        fact_set(_facts(view)),
    ]
    if view.state in ("queued", "running") and view.progress:
        body.append(text_block(truncate(one_line(view.progress), 300), subtle=True, size="small"))
    if view.tail and view.state not in ("queued", "running", "succeeded"):
        body.append(
            monospace_block(tail_lines(view.tail, 15, 3_000, 200)[0], note="Output (last lines)")
        )
    buttons = _buttons(view)
    if buttons:
        body.append(action_set(buttons))
    who = truncate(one_line(view.requested_by), 80)
    body.append(footer(f"Requested by {who} · {fmt_time(view.started_at)}"))
    return fit_card(adaptive_card(body, fallback_text=f"{title}: {label}"))


def _facts(view: ReleaseView) -> list[tuple[str, str]]:
    facts = [
        ("Service", view.service),
        ("Environment", view.environment),
        ("Version", view.version),
    ]
    if view.previous:
        facts.append(("Before", view.previous))
    return facts


def _elapsed(view: ReleaseView) -> str:
    end = view.finished_at or view.now
    took = fmt_duration(end - view.started_at)
    return f"took {took}" if view.finished_at else f"{took} so far"


def _buttons(view: ReleaseView) -> list[Element]:
    buttons: list[Element] = []
    link = open_url_action("Open the pipeline run", view.url)
    if link is not None:
        buttons.append(link)
    final = view.state not in ("queued", "running")
    if final and view.kind == "deploy" and view.rollback_id and view.previous:
        buttons.append(
            execute_action(
                f"Roll back to {truncate(one_line(view.previous), 40)}",
                VERB_DEPLOY_ROLLBACK,
                view.rollback_id,
                style="destructive",
            )
        )
    return buttons


@dataclass(frozen=True)
class EnvironmentStatus:
    environment: str
    version: str = ""  # what runs there, from the bot's history
    since: datetime | None = None
    by: str = ""
    last_result: str = ""  # the newest release's state
    healthy: bool | None = None  # from the status source; None: unknown
    health_detail: str = ""


@dataclass(frozen=True)
class ServiceStatus:
    service: str
    environments: Sequence[EnvironmentStatus] = field(default_factory=tuple)
    frozen: str = ""  # a sentence when a freeze holds
    health_error: str = ""


def status_card(services: Sequence[ServiceStatus], at: datetime) -> Card:
    body: list[Element] = [text_block("Service status", size="medium", weight="bolder")]
    for service in services:
        body.append(text_block(one_line(service.service), weight="bolder", spacing="medium"))
        if service.frozen:
            body.append(text_block(service.frozen, color="warning", size="small"))
        for env in service.environments:
            body.append(text_block(_env_line(env), size="small", spacing="none"))
        if service.health_error:
            body.append(
                text_block(f"Health unknown: {service.health_error}", subtle=True, size="small")
            )
    if not services:
        body.append(text_block("No services are configured.", subtle=True))
    body.append(footer(f"As of {fmt_time(at)}"))
    return fit_card(adaptive_card(body, fallback_text="Service status"))


def _env_line(env: EnvironmentStatus) -> str:
    health = {True: "✅ healthy", False: "❌ unhealthy", None: "health unknown"}[env.healthy]
    if env.health_detail:
        health += f" ({truncate(one_line(env.health_detail), 80)})"
    running = env.version or "nothing deployed by the bot yet"
    since = f" since {fmt_time(env.since)} by {truncate(one_line(env.by), 60)}" if env.since else ""
    last = f"; last: {env.last_result}" if env.last_result else ""
    return f"{one_line(env.environment)}: {one_line(running)}{since} · {health}{last}"
