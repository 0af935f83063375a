"""One console conversation: the real bot app and the local connector, activities out, replies in.

The bot runs in this process exactly as `teams-bot serve` runs it (create_app, CloudAdapter,
/api/messages over HTTP on 127.0.0.1), in local development mode. Replies come back through the
LocalConnector and are shown as text through `emit`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from teams_bot.console.activities import ActivityFactory, Person, Scope
from teams_bot.console.connector import Delivery, LocalConnector
from teams_bot.console.render import (
    Button,
    ButtonNumbers,
    RenderedCard,
    clean,
    markdown_text,
    render_card,
)
from teams_bot.settings import Settings

log = logging.getLogger(__name__)

Emit = Callable[[str], None]
CARD_TYPE = "application/vnd.microsoft.card.adaptive"
MESSAGE_TYPE = "application/vnd.microsoft.activity.message"
INDENT = "  "
MAX_CARDS = 200  # cards remembered for button presses, most recent first


@dataclass
class CardView:
    """A card the bot posted: what everyone sees, plus per-person views (refresh, press answer)."""

    message_id: str
    conversation_id: str
    card: dict[str, Any]
    own: dict[str, dict[str, Any]] = field(default_factory=dict)  # Teams id -> card
    shown: tuple[str, ...] = ()  # the rendering last printed, to skip invisible updates
    numbers: dict[str, ButtonNumbers] = field(default_factory=dict)  # Teams id -> numbering

    def for_person(self, person: Person) -> dict[str, Any]:
        return self.own.get(person.teams_id, self.card)

    def render(self, person: Person) -> RenderedCard:
        """The card as `person` sees it; their buttons keep their numbers across updates."""
        numbers = self.numbers.setdefault(person.teams_id, ButtonNumbers())
        return render_card(self.for_person(person), numbers=numbers)

    def gave(self, person: Person, number: int) -> bool:
        numbers = self.numbers.get(person.teams_id)
        return numbers is not None and numbers.given(number)

    def refreshes_for(self, person: Person) -> bool:
        """Teams asks the bot for a personal view when the card's refresh names this person."""
        refresh = self.card.get("refresh")
        if not isinstance(refresh, dict) or not isinstance(refresh.get("action"), dict):
            return False
        users = refresh.get("userIds")
        return isinstance(users, list) and person.teams_id in users


class ConsoleSession:
    """Talks to the bot as `person`; shows every reply, update and proactive message."""

    def __init__(
        self, settings: Settings, person: Person, scope: Scope, tenant_id: str, emit: Emit
    ) -> None:
        self.settings = settings
        self.person = person
        self.scope = scope
        self.tenant_id = tenant_id
        self.emit = emit
        self.bot_name = settings.bot_name
        self.connector = LocalConnector(self._on_delivery, self._members)
        self.cards: OrderedDict[str, CardView] = OrderedDict()  # most recent last
        self._people: dict[str, Person] = {person.teams_id: person}
        self._pending: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self._factory: ActivityFactory | None = None
        self._bot_url = ""
        self._closing = False

    # -- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        from teams_bot.app import create_app  # heavy: botbuilder, storage, automation

        service_url = await self.connector.start()
        self._factory = ActivityFactory(service_url, self.bot_name, self.scope, self.tenant_id)
        self._runner = web.AppRunner(create_app(self.settings), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._bot_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/api/messages"
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))

    async def close(self) -> None:
        """Stop the bot (it finishes running jobs first, so their last updates still show)."""
        await self.settle()
        self._closing = True
        if self._runner is not None:
            await self._runner.cleanup()
        await self.connector.stop()
        if self._http is not None:
            await self._http.close()

    async def settle(self) -> None:
        """Wait for views still being fetched (card refreshes) to be shown."""
        while self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    # -- talking --------------------------------------------------------------------------
    def switch(self, person: Person) -> None:
        self.person = person
        self._people[person.teams_id] = person

    async def say(self, text: str) -> None:
        """Send a typed message, as the current person."""
        status, body = await self._post(self.factory.message(text, self.person))
        if status >= 300:
            self._problem(status, body)

    def find_button(self, number: int) -> tuple[CardView, Button | None] | None:
        """Button `number` on the most recent card (as this person sees it) that gave that
        number; (card, None) when its button is gone (pressed, or no longer applies), so a
        number never reaches a button on another card. None: no card ever showed it."""
        for view in reversed(self.cards.values()):
            if view.gave(self.person, number):
                return view, view.render(self.person).button(number)
        for view in reversed(self.cards.values()):
            button = view.render(self.person).button(number)
            if button is not None:
                return view, button
        return None

    async def press(self, view: CardView, button: Button, values: dict[str, str]) -> None:
        """Press `button` with the inputs filled in; show the bot's answer."""
        self.cards.move_to_end(view.message_id)
        data = {**button.data, **values}
        if button.kind == "submit":
            activity = self.factory.submit(data, self.person, view.message_id, view.conversation_id)
            status, body = await self._post(activity)
            if status >= 300:
                self._problem(status, body)
            return
        activity = self.factory.card_action(
            button.verb, data, self.person, view.message_id, view.conversation_id
        )
        await self._invoke(view, activity)

    async def show_latest(self) -> bool:
        """Show the latest card with buttons the way the current person sees it."""
        for view in reversed(self.cards.values()):
            if view.refreshes_for(self.person) and self.person.teams_id not in view.own:
                await self._refresh(view)
            rendered = view.render(self.person)
            if rendered.buttons:
                self._show_card(f"(latest card, as {self.person.name} sees it)", rendered)
                return True
        return False

    @property
    def factory(self) -> ActivityFactory:
        if self._factory is None:
            raise RuntimeError("the console session is not started")
        return self._factory

    # -- HTTP to the bot ---------------------------------------------------------------------
    async def _post(self, activity: dict[str, Any]) -> tuple[int, Any]:
        if self._http is None:
            raise RuntimeError("the console session is not started")
        try:
            async with self._http.post(self._bot_url, json=activity) as response:
                text = await response.text()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            return 0, f"could not reach the bot: {exc or type(exc).__name__}"
        try:
            return status, json.loads(text) if text else None
        except ValueError:
            return status, text

    async def _invoke(self, view: CardView, activity: dict[str, Any]) -> None:
        status, body = await self._post(activity)
        if not isinstance(body, dict) or status >= 300:
            self._problem(status, body)
            return
        kind, value = body.get("type"), body.get("value")
        if kind == CARD_TYPE and isinstance(value, dict):
            self._own_view(view, value)
        elif kind == MESSAGE_TYPE:
            self._show_text(f"{self.bot_name} (to you):", str(value or ""))
        else:
            self._problem(int(body.get("statusCode") or status), value)

    async def _refresh(self, view: CardView) -> None:
        """What Teams does for the people a card's refresh names: fetch their own view."""
        action = view.card["refresh"]["action"]
        data = action.get("data") if isinstance(action.get("data"), dict) else {}
        activity = self.factory.card_action(
            str(action.get("verb") or ""),
            data,
            self.person,
            view.message_id,
            view.conversation_id,
            "automatic",
        )
        status, body = await self._post(activity)
        value = body.get("value") if isinstance(body, dict) else None
        if status < 300 and isinstance(body, dict) and body.get("type") == CARD_TYPE:
            if isinstance(value, dict):
                view.own[self.person.teams_id] = value

    def _own_view(self, view: CardView, card: dict[str, Any]) -> None:
        """The invoke answer: the presser's view of the card, shown unless already on screen."""
        before = view.for_person(self.person)
        view.own[self.person.teams_id] = card
        if card != before:
            self._show_view(view, f"{self.bot_name}: (card updated for you)")

    # -- what the bot sends --------------------------------------------------------------
    def _on_delivery(self, delivery: Delivery) -> None:
        activity = delivery.activity
        if delivery.kind == "delete":
            self.cards.pop(delivery.activity_id, None)
            self.emit(f"{self.bot_name}: (a message was deleted)")
            return
        if activity.get("type", "message") != "message":
            return  # typing indicators and the like
        card = _first_card(activity)
        if delivery.kind == "update" and card is not None:
            self._card_arrived(delivery, card, f"{self.bot_name}: (card updated)")
            return
        text = str(activity.get("text") or "")
        if text:
            self._show_text(f"{self.bot_name}:", text)
        for note in _other_attachments(activity):
            self.emit(f"{INDENT}[attachment: {note}]")
        if card is not None:
            self._card_arrived(delivery, card, f"{self.bot_name}:" if not text else "")

    def _card_arrived(self, delivery: Delivery, card: dict[str, Any], title: str) -> None:
        view = self.cards.get(delivery.activity_id)
        if view is None:
            view = CardView(delivery.activity_id, delivery.conversation_id, card)
        view.card, view.own = card, {}
        self.cards[view.message_id] = view
        self.cards.move_to_end(view.message_id)
        while len(self.cards) > MAX_CARDS:
            self.cards.popitem(last=False)
        if self._closing or not view.refreshes_for(self.person):
            self._show_view(view, title)
            return
        self._spawn(self._refresh_then_show(view, title))

    async def _refresh_then_show(self, view: CardView, title: str) -> None:
        try:
            await self._refresh(view)
        except aiohttp.ClientError as exc:
            log.warning("could not refresh card %s: %s", view.message_id, exc)
        self._show_view(view, title)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    # -- showing -------------------------------------------------------------------------
    def _show_text(self, title: str, text: str) -> None:
        lines = markdown_text(text).split("\n")
        head, rest = lines[0], lines[1:]
        self.emit("\n".join([f"{title} {head}".strip(), *(INDENT + line for line in rest)]))

    def _show_view(self, view: CardView, title: str) -> None:
        """The card as the current person sees it, unless that is what was shown last."""
        rendered = view.render(self.person)
        if rendered.lines != view.shown:
            view.shown = rendered.lines
            self._show_card(title, rendered)

    def _show_card(self, title: str, rendered: RenderedCard) -> None:
        lines = [INDENT + line if line else "" for line in rendered.lines]
        self.emit("\n".join([title, *lines] if title else lines))

    def _problem(self, status: int, body: Any) -> None:
        detail = ""
        if isinstance(body, dict):
            error = body.get("error")
            detail = str(body.get("message") or (error if isinstance(error, str) else "") or "")
            if body.get("correlation_id"):
                detail += f" (correlation id {body['correlation_id']})"
        elif isinstance(body, str):
            detail = body[:200]
        if status == 0:
            self.emit(clean(f"({detail})"))
            return
        self.emit(clean(f"(the bot answered HTTP {status}{': ' + detail if detail else ''})"))

    def _members(self) -> list[dict[str, Any]]:
        """Conversation members, as GET .../members returns them: everyone who typed here."""
        return [
            {**person.account(), "tenantId": self.tenant_id, "userRole": "user"}
            for person in self._people.values()
        ]


def _first_card(activity: dict[str, Any]) -> dict[str, Any] | None:
    for attachment in activity.get("attachments") or []:
        if isinstance(attachment, dict) and attachment.get("contentType") == CARD_TYPE:
            content = attachment.get("content")
            if isinstance(content, dict):
                return content
    return None


def _other_attachments(activity: dict[str, Any]) -> list[str]:
    notes = []
    for attachment in activity.get("attachments") or []:
        if isinstance(attachment, dict) and attachment.get("contentType") != CARD_TYPE:
            notes.append(clean(str(attachment.get("name") or attachment.get("contentType"))))
    return notes
