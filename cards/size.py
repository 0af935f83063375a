"""Keeping cards under the size Teams accepts.

`card_size` measures what goes on the wire (compact JSON, non-ASCII as \\u escapes, the way
Python's json module sends it). `fit_card` shortens the longest texts until the card fits and
raises `CardTooLarge` when even that is not enough (too many elements: page the list instead).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

from cards.text import ELLIPSIS

MAX_CARD_BYTES = 80_000
_MIN_TEXT = 40  # texts are never cut shorter than this
_SHRINKABLE = ("text", "value")  # TextBlock.text, Fact.value; never ids, verbs or URLs


class CardTooLarge(ValueError):
    """The card cannot be made to fit; the message says by how much."""


def card_size(card: dict[str, Any]) -> int:
    """Serialised size of `card` in bytes."""
    return len(json.dumps(card, separators=(",", ":")).encode("utf-8"))


def fit_card(card: dict[str, Any], limit: int = MAX_CARD_BYTES) -> dict[str, Any]:
    """Return `card` (a copy if changed) cut down to at most `limit` bytes, or raise.

    Texts longer than a cap are cut to it; the cap halves until the card fits.
    """
    size = card_size(card)
    if size <= limit:
        return card
    card = copy.deepcopy(card)
    refs = list(_texts(card))
    cap = max((len(owner[key]) for owner, key in refs), default=0)
    while size > limit:
        cap //= 2
        if cap < _MIN_TEXT:
            raise CardTooLarge(f"card is {size} bytes after shortening texts; limit {limit}")
        for owner, key in refs:
            if len(owner[key]) > cap + 1:
                owner[key] = _cut(owner[key], cap)
        size = card_size(card)
    return card


def _texts(node: Any) -> Iterator[tuple[dict[str, Any], str]]:
    """(owner, key) of every shrinkable string in the card tree."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _SHRINKABLE and isinstance(value, str):
                yield node, key
            else:
                yield from _texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)


def _cut(text: str, cap: int) -> str:
    """The first `cap` characters and an ellipsis, never ending inside a backslash escape."""
    cut = text[:cap]
    trailing = len(cut) - len(cut.rstrip("\\"))
    if trailing % 2:
        cut = cut[:-1]
    return cut.rstrip() + ELLIPSIS
