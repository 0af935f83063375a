"""Building blocks shared by the cards: text, facts, monospace blocks, actions, the envelope.

Every helper that shows text takes *plain* text and escapes it itself, so no string reaches a
card unescaped. TextBlocks come from the `adaptivecards` package (it types their properties);
everything it lacks (Action.Execute, refresh, 1.5 styles, nested elements) is plain dicts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from adaptivecards.elements import TextBlock

from cards.text import NBSP, monospace_line, plain_title, safe

Card = dict[str, Any]
Element = dict[str, Any]

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
MAX_REFRESH_USERS = 60  # Teams honours at most 60 userIds in a refresh
TEXT_LIMIT = 300  # default cut for one untrusted value


def text_block(
    text: str,
    *,
    limit: int = TEXT_LIMIT,
    size: str | None = None,
    weight: str | None = None,
    color: str | None = None,
    subtle: bool = False,
    monospace: bool = False,
    spacing: str | None = None,
    separator: bool = False,
    max_lines: int | None = None,
    heading: bool = False,
) -> Element:
    """A wrapping TextBlock showing `text` literally (cleaned, cut to `limit`, escaped)."""
    return _text_block_raw(
        safe(text, limit), size=size, weight=weight, color=color, subtle=subtle,
        monospace=monospace, spacing=spacing, separator=separator, max_lines=max_lines,
        heading=heading,
    )


def _text_block_raw(text: str, **opts: Any) -> Element:
    """TextBlock for text that is already escaped."""
    block = TextBlock()
    block.text = text
    block.wrap = True
    for attr, key in (("size", "size"), ("weight", "weight"), ("color", "color"),
                      ("spacing", "spacing"), ("maxLines", "max_lines")):
        if opts.get(key) is not None:
            setattr(block, attr, opts[key])
    if opts.get("subtle"):
        block.isSubtle = True
    if opts.get("monospace"):
        block.font_type = "Monospace"
    if opts.get("separator"):
        block.separator = True
    element: Element = dict(block.render())
    if opts.get("heading"):
        element["style"] = "heading"  # Adaptive Cards 1.5; unknown to adaptivecards 0.4.1
    return element


def fact_set(facts: Iterable[tuple[str, str]], *, limit: int = TEXT_LIMIT) -> Element:
    """A FactSet of (title, value) pairs, both escaped; empty values are left out."""
    return {
        "type": "FactSet",
        "facts": [{"title": safe(title, 60), "value": safe(value, limit)}
                  for title, value in facts if value],
    }


def monospace_block(lines: Sequence[str], *, note: str | None = None) -> Element:
    """Lines of output in a shaded container, one monospace TextBlock per line.

    One block per line keeps line breaks on every host (markdown joins single newlines).
    """
    items: list[Element] = []
    if note:
        items.append(text_block(note, size="small", subtle=True, spacing="none"))
    for line in lines or [NBSP]:
        items.append(_text_block_raw(monospace_line(line), monospace=True, size="small",
                                     spacing="none"))
    return {"type": "Container", "style": "emphasis", "items": items}


def footer(text: str) -> Element:
    """The small, subtle "who did what and when" line at the bottom of a card."""
    return text_block(text, size="small", subtle=True, spacing="medium", separator=True)


def execute_action(title: str, verb: str, action_id: str, *, style: str | None = None) -> Element:
    """An Action.Execute button: the data carries only the opaque, server-side action id.

    Clients without Universal Actions use the Action.Submit fallback, which carries the same id
    and the verb (a Submit has no verb of its own); the bot trusts neither beyond the signed id.
    """
    action: Element = {
        "type": "Action.Execute",
        "title": plain_title(title),
        "verb": verb,
        "data": {"actionId": action_id},
        "fallback": {
            "type": "Action.Submit",
            "title": plain_title(title),
            "data": {"actionId": action_id, "verb": verb},
        },
    }
    if style:
        action["style"] = style
    return action


def open_url_action(title: str, url: str | None) -> Element | None:
    """An Action.OpenUrl for an absolute http(s) URL without spaces or controls; else None."""
    if not url or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return {"type": "Action.OpenUrl", "title": plain_title(title), "url": url}


def action_set(actions: Sequence[Element], *, spacing: str | None = None) -> Element:
    element: Element = {"type": "ActionSet", "actions": list(actions)}
    if spacing:
        element["spacing"] = spacing
    return element


def refresh(verb: str, user_ids: Sequence[str], action_id: str | None = None) -> Element:
    """Universal Actions refresh: Teams asks the bot for a per-user view for these users."""
    return {
        "action": {
            "type": "Action.Execute",
            "verb": verb,
            "data": {"actionId": action_id} if action_id else {},
        },
        "userIds": list(user_ids)[:MAX_REFRESH_USERS],
    }


def adaptive_card(body: Sequence[Element], actions: Sequence[Element] = (), *,
                  fallback_text: str) -> Card:
    """The Adaptive Card 1.5 envelope, full width in Teams."""
    card: Card = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": VERSION,
        "fallbackText": safe(fallback_text, 200),
        "msteams": {"width": "Full"},
        "body": list(body),
    }
    if actions:
        card["actions"] = list(actions)
    return card


def with_refresh(card: Card, verb: str | None, user_ids: Sequence[str],
                 action_id: str | None = None) -> Card:
    """`card` plus a Universal Actions refresh when a verb and at least one user are given."""
    if not verb or not user_ids:
        return card
    return {**card, "refresh": refresh(verb, user_ids, action_id)}


def with_notice(card: Card, text: str, *, color: str = "attention") -> Card:
    """`card` with a short notice at the top, e.g. why a press was refused (for one viewer)."""
    notice = text_block(text, color=color, weight="bolder")
    return {**card, "body": [notice, *card.get("body", [])]}
