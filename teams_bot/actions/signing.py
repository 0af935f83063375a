"""Opaque action ids: a random record id plus an HMAC, so a card can't point at a forged record."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

_SIG_BYTES = 16
_MAC_CHARS = 22  # base64url of _SIG_BYTES, unpadded
# Ids we issue are base64url; anything else (non-ASCII, separators, spaces) is not ours.
_TOKEN = re.compile(rf"[A-Za-z0-9_-]{{1,160}}\.[A-Za-z0-9_-]{{{_MAC_CHARS}}}")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class ActionSigner:
    """Signs and verifies action tokens `<id>.<mac>`; the key comes from TEAMS_BOT_ACTION_SECRET."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the action secret must be at least 16 bytes")
        self._key = hashlib.sha256(b"teams-bot action ids\x00" + secret).digest()

    @staticmethod
    def new_id() -> str:
        return _b64(secrets.token_bytes(15))

    def token(self, action_id: str) -> str:
        return f"{action_id}.{self._mac(action_id)}"

    def verify(self, token: object) -> str | None:
        """The action id inside a genuine token, else None (tampered, foreign or malformed).

        Only the exact shape we issue is considered: base64url id, a full-length MAC. So
        non-ASCII text never reaches the MAC code, and an empty or shortened MAC is refused.
        """
        if not isinstance(token, str) or not _TOKEN.fullmatch(token):
            return None
        action_id, mac = token.split(".")
        if not hmac.compare_digest(mac.encode("ascii"), self._mac(action_id).encode("ascii")):
            return None
        return action_id

    def _mac(self, action_id: str) -> str:
        digest = hmac.new(self._key, action_id.encode("utf-8"), hashlib.sha256).digest()
        return _b64(digest[:_SIG_BYTES])
