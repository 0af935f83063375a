"""The feature kit: a feature declares, in one place, everything it adds to the bot.

    feature = Feature(
        name="nodes",
        commands=commands,                                  # typed commands (a CommandRegistry)
        buttons=[JobButton(VERB_NODE_REBOOT, REBOOT_JOB)],   # button verbs and what they run
        cards=[CardKind(KIND, render, view=..., interrupted=...)],  # card kinds it posts
        scans=[...],                                        # periodic background work
        routes=[Route("POST", "/api/x", handler)],          # HTTP routes it adds
    )

`create_app(settings, features=[...])` wires a list of them; third-party features come from the
`teams_bot.features` entry-point group (see docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from teams_bot.commands.registry import CommandRegistry

if TYPE_CHECKING:
    from aiohttp import web

    from teams_bot.actions.models import Press, PressResult
    from teams_bot.actions.store import ActionRecord, CardRecord
    from teams_bot.identity import Caller, Where
    from teams_bot.jobs.core import JobSpec
    from teams_bot.services import Services
    from teams_bot.settings import Settings
    from teams_bot.storage.db import Database

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "teams_bot.features"

Card = dict[str, Any]
CardData = dict[str, Any]
ButtonHandler = Callable[["Services", "Press"], Awaitable["PressResult"]]
Renderer = Callable[["Services", "CardRecord"], Card]
Viewer = Callable[["Services", "CardRecord", "Caller", "Where"], Awaitable[Card]]
# (card data, the interrupted action, retry action id per target) -> new card data
Interrupted = Callable[[CardData, "ActionRecord", dict[str, str]], CardData]
Scan = Callable[["Services"], Awaitable[Sequence[object]]]
Worker = Callable[["Services"], Awaitable[None]]  # runs for the life of the app (e.g. delivery)
RouteHandler = Callable[["Services", "web.Request"], Awaitable["web.StreamResponse"]]


@dataclass(frozen=True)
class Hold:
    """A guard's answer: this request is held (e.g. a change freeze), saying why. Those with
    `override_permission` may still go ahead, but only with the approval that policy's rules
    for `override_command` require (none: no override)."""

    message: str
    override_permission: str = ""
    override_command: str = ""


# A guard the gate asks after policy: (identified caller, where, command, arguments) -> Hold
Guard = Callable[["Caller", "Where", str, "Mapping[str, object]"], Awaitable[Hold | None]]
GuardFactory = Callable[["Settings", "Database"], Guard]


@dataclass(frozen=True)
class Button:
    """A verb whose handler does its own work (e.g. an approval vote); it must re-check identity."""

    verb: str
    handle: ButtonHandler


@dataclass(frozen=True)
class JobButton:
    """A verb backed by a single-use action record: the router verifies, gates and claims it,
    then the card-job core runs `job` (see teams_bot.jobs.core)."""

    verb: str
    job: JobSpec


@dataclass(frozen=True)
class CardKind:
    """A kind of card stored in `cards`: how it is drawn, each viewer's own view (Universal
    Actions refresh; the viewer is already identified), and how interrupted work shows on it."""

    kind: str
    render: Renderer
    view: Viewer | None = None
    interrupted: Interrupted | None = None


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handle: RouteHandler


@dataclass(frozen=True)
class Feature:
    name: str
    commands: CommandRegistry = field(default_factory=CommandRegistry)
    buttons: Sequence[Button | JobButton] = ()
    cards: Sequence[CardKind] = ()
    scans: Sequence[Scan] = ()
    routes: Sequence[Route] = ()
    guards: Sequence[GuardFactory] = ()
    workers: Sequence[Worker] = ()


class FeatureConflictError(Exception):
    """Two features declare the same verb, card kind or route."""


class Catalog:
    """Every feature's declarations merged; a clash is an error at start, not a surprise later."""

    def __init__(self, features: Iterable[Feature]) -> None:
        self.features = tuple(features)
        self.commands = CommandRegistry()
        self.buttons: dict[str, Button | JobButton] = {}
        self.cards: dict[str, CardKind] = {}
        self.scans: list[Scan] = []
        self.routes: dict[tuple[str, str], Route] = {}
        self.guards: list[GuardFactory] = []
        self.workers: list[Worker] = []
        for feature in self.features:
            self._add(feature)

    def _add(self, feature: Feature) -> None:
        self.commands.include(feature.commands)
        for button in feature.buttons:
            _put(self.buttons, button.verb, button, f"button verb {button.verb!r}", feature)
        for kind in feature.cards:
            _put(self.cards, kind.kind, kind, f"card kind {kind.kind!r}", feature)
        for route in feature.routes:
            key = (route.method.upper(), route.path)
            _put(self.routes, key, route, f"route {route.method} {route.path}", feature)
        self.scans.extend(feature.scans)
        self.guards.extend(feature.guards)
        self.workers.extend(feature.workers)

    def render(self, services: Services, card: CardRecord) -> Card:
        return self.cards[card.kind].render(services, card)


def _put(table: dict[Any, Any], key: object, value: object, what: str, feature: Feature) -> None:
    if key in table:
        raise FeatureConflictError(f"{what} of feature {feature.name!r} is already declared")
    table[key] = value


def installed_features() -> list[Feature]:
    """Features from installed packages (entry-point group `teams_bot.features`)."""
    found: list[Feature] = []
    for point in entry_points(group=ENTRY_POINT_GROUP):
        loaded = point.load()
        feature = loaded() if callable(loaded) and not isinstance(loaded, Feature) else loaded
        if not isinstance(feature, Feature):
            raise TypeError(f"entry point {point.name!r} is not a teams_bot.kit.Feature")
        log.info("feature %s loaded from %s", feature.name, point.value)
        found.append(feature)
    return found
