"""Who may post alerts: a bearer token, or an HMAC-SHA256 signature with a fresh timestamp.

HMAC: the sender puts the Unix time in `X-Opsbot-Timestamp` and
`sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>` in `X-Opsbot-Signature`.
A timestamp more than 5 minutes away from the bot's clock is refused (replays).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from teams_bot.alerts.config import AlertSource

TIMESTAMP_HEADER = "X-Opsbot-Timestamp"
SIGNATURE_HEADER = "X-Opsbot-Signature"
MAX_SKEW_S = 300


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def signed_headers(secret: str, body: bytes, now: float) -> dict[str, str]:
    """The headers a sender adds for HMAC sources (for scripts and tests)."""
    timestamp = str(int(now))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature(secret, timestamp, body)}


def authorised(source: AlertSource, headers: Mapping[str, str], body: bytes, now: float) -> bool:
    if source.auth == "bearer":
        return _bearer_ok(source.secret, headers.get("Authorization", ""))
    return _hmac_ok(source.secret, headers, body, now)


def _bearer_ok(secret: str, header: str) -> bool:
    scheme, _, token = header.partition(" ")
    expected = secret.encode()
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), expected)


def _hmac_ok(secret: str, headers: Mapping[str, str], body: bytes, now: float) -> bool:
    timestamp = headers.get(TIMESTAMP_HEADER, "")
    given = headers.get(SIGNATURE_HEADER, "")
    if not timestamp.isdigit() or abs(now - int(timestamp)) > MAX_SKEW_S:
        return False
    return hmac.compare_digest(given.encode(), signature(secret, timestamp, body).encode())
