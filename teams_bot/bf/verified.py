"""Verified inbound tokens, remembered until they expire, so a token's signature is checked once.

Keyed by the exact Authorization header (plus the channel and service URL of the activity, which
botbuilder checks against the token's claims), an entry is used only while the token has not
expired and its signing key is still in the published key set; any other request is validated in
full. Only successes are remembered; a bounded LRU keeps memory flat.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt

MAX_ENTRIES = 10_000
CLOCK_SKEW_S = 0.0  # expiry is enforced exactly here; botbuilder allows 5 min on first sight


@dataclass(frozen=True)
class _Entry:
    value: Any
    expires_at: float  # Unix seconds
    kid: str


class VerifiedTokens:
    def __init__(self, key_known: Callable[[str], bool], max_entries: int = MAX_ENTRIES) -> None:
        self._key_known = key_known
        self._max = max_entries
        self._entries: OrderedDict[tuple[str, ...], _Entry] = OrderedDict()

    def get(self, key: tuple[str, ...]) -> Any | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires_at <= time.time() + CLOCK_SKEW_S or not self._key_known(entry.kid):
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry.value

    def put(self, key: tuple[str, ...], token: str, value: Any, expires_at: float) -> None:
        try:
            kid = str(jwt.get_unverified_header(token).get("kid") or "")
        except jwt.PyJWTError:
            return
        if not kid or expires_at <= time.time():
            return
        self._entries[key] = _Entry(value, expires_at, kid)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
