"""Credentials of pipeline runners: read from named environment variables at config load.

A Secret never shows its value in repr, str or logs; `mask` removes it (and its common
encodings) from any text that is about to reach chat or a log line.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable

MASK = "***"


class Secret:
    """A credential and the environment variable it came from."""

    __slots__ = ("_value", "env")

    def __init__(self, env: str, value: str) -> None:
        if not value:
            raise ValueError(f"environment variable {env} is empty")
        self.env = env
        self._value = value

    @classmethod
    def from_env(cls, env: str) -> Secret | None:
        value = os.environ.get(env, "")
        return cls(env, value) if value else None

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret(env={self.env!r}, value={MASK!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and (self.env, self._value) == (other.env, other._value)

    def __hash__(self) -> int:
        return hash((self.env, self._value))


def mask(text: str, secrets: Iterable[Secret | None]) -> str:
    """`text` with every secret (plain, base64 as in Basic auth) replaced by ***."""
    for secret in secrets:
        if secret is None:
            continue
        value = secret.reveal()
        text = text.replace(value, MASK)
        encoded = base64.b64encode(value.encode()).decode()
        text = text.replace(encoded, MASK)
    return text


def basic_auth(user: str, secret: Secret) -> str:
    raw = f"{user}:{secret.reveal()}".encode()
    return "Basic " + base64.b64encode(raw).decode()
