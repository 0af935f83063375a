"""Mint the bearer tokens the Bot Framework channel sends to a bot (good and bad ones)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from .keys import SigningKey, unsigned_jwt

BAD_TOKEN_KINDS: tuple[str, ...] = (
    "missing",
    "malformed",
    "expired",
    "not_yet_valid",
    "wrong_audience",
    "wrong_issuer",
    "unknown_key",
    "wrong_key",
    "alg_none",
    "serviceurl_mismatch",
)
TOKEN_KINDS: tuple[str, ...] = ("valid", *BAD_TOKEN_KINDS)

# Endorsements on real Bot Framework keys; botbuilder requires the channel id among them.
CHANNEL_ENDORSEMENTS: tuple[str, ...] = ("msteams", "webchat", "directline", "emulator")
HOUR = 3600
# Well past botbuilder's 5-minute clock tolerance.
SKEW = 2 * HOUR


class ChannelTokenMinter:
    """Signs channel->bot JWTs with the key published in the simulator's JWKS."""

    def __init__(self, app_id: str, issuer: str) -> None:
        self.app_id = app_id
        self.issuer = issuer
        self.key = SigningKey.for_slot("channel", CHANNEL_ENDORSEMENTS)
        self._impostor = SigningKey.for_slot("impostor")

    def claims(self, service_url: str, now: float | None = None) -> dict[str, Any]:
        """Claims shaped like a real channel token (no "ver": it is not a skill token)."""
        now = int(now if now is not None else time.time())
        return {
            "serviceurl": service_url,
            "nbf": now - 5,
            "iat": now - 5,
            "exp": now + HOUR,
            "iss": self.issuer,
            "aud": self.app_id,
        }

    def token(self, kind: str, service_url: str) -> str | None:
        """The raw JWT for kind (None for "missing")."""
        if kind not in TOKEN_KINDS:
            raise ValueError(f"unknown token kind {kind!r}; expected one of {TOKEN_KINDS}")
        if kind == "missing":
            return None
        if kind == "malformed":
            return "not-a-jwt." + secrets.token_urlsafe(24)
        return self._builders()[kind](self.claims(service_url))

    def authorization(self, kind: str, service_url: str) -> str | None:
        raw = self.token(kind, service_url)
        return None if raw is None else f"Bearer {raw}"

    def _builders(self) -> dict[str, Callable[[dict[str, Any]], str]]:
        sign = self.key.sign
        return {
            "valid": sign,
            "expired": lambda c: sign(
                {
                    **c,
                    "nbf": c["nbf"] - 2 * SKEW,
                    "iat": c["iat"] - 2 * SKEW,
                    "exp": c["nbf"] - SKEW,
                }
            ),
            "not_yet_valid": lambda c: sign(
                {**c, "nbf": c["nbf"] + SKEW, "iat": c["iat"] + SKEW, "exp": c["exp"] + SKEW}
            ),
            "wrong_audience": lambda c: sign({**c, "aud": "00000000-0000-0000-0000-00000000beef"}),
            "wrong_issuer": lambda c: sign({**c, "iss": "https://issuer.invalid.example"}),
            "unknown_key": lambda c: self._impostor.sign(c, kid="unknown-" + secrets.token_hex(8)),
            "wrong_key": lambda c: self._impostor.sign(c, kid=self.key.kid),
            "alg_none": lambda c: unsigned_jwt(c, self.key.kid),
            "serviceurl_mismatch": lambda c: sign(
                {**c, "serviceurl": c["serviceurl"].rstrip("/") + "/elsewhere/"}
            ),
        }
