"""Before an activity is parsed: the Authorization header, the token's signature, the body's size.

botbuilder validates the token only after the body has been JSON-parsed and msrest-deserialized,
so anyone could make the bot parse megabytes for free (issue 9, #1). Here, in order:

1. Authorization: with auth on, the header must be `Bearer <header.payload.signature>`, signed
   with RS256 by a key in the already-fetched OpenID signing keys (see bf/metadata.py), for this
   bot (`aud`) and not expired (5 minutes' tolerance, as botbuilder). Otherwise 401, and the body
   is never read or parsed. botbuilder still does the full validation afterwards (issuer,
   endorsements for the channel, serviceUrl claim).
2. Content-Type must be application/json: else 415.
3. Size: a request with a pre-verified token may send VERIFIED_BODY_LIMIT (1 MiB). In local
   development mode nothing is verified, so every request is unauthenticated and gets
   UNVERIFIED_BODY_LIMIT (256 KiB: real Teams activities, cards and attachments included, stay
   far below; Teams caps a message at about 28 KiB of text). Over the limit: 413, by the declared
   Content-Length before reading, or as soon as a streamed body passes it.
4. JSON parsed once; invalid, nested deeper than MAX_DEPTH (never a RecursionError), not an
   object, or without a string `type`: 400.

Refusals log one warning line naming the status (a flood: LOG_BURST lines per LOG_WINDOW_S,
then a count); the route should not log them again.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Sequence
from typing import Any, Protocol

import jwt
from aiohttp import web
from botframework.connector.auth import JwtTokenExtractor

from teams_bot.bf.auth import metadata_urls
from teams_bot.bf.metadata import AsyncOpenIdMetadata
from teams_bot.bf.verified import VerifiedTokens
from teams_bot.metrics import TOKEN_REFUSALS
from teams_bot.settings import Settings

log = logging.getLogger(__name__)

VERIFIED_BODY_LIMIT = 1024 * 1024
UNVERIFIED_BODY_LIMIT = 256 * 1024
MAX_DEPTH = 64
MAX_TOKEN_CHARS = 4096  # real channel tokens are about 1.5 KiB
CLOCK_TOLERANCE_S = 300
_JWT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_CHUNK = 64 * 1024
LOG_BURST = 20  # refusal lines per LOG_WINDOW_S; a flood is summarised, not logged line by line
LOG_WINDOW_S = 10.0


class _RefusalLog:
    """One warning per refusal, up to LOG_BURST per window; then one line counting the rest."""

    def __init__(self) -> None:
        self._window_start = 0.0
        self._logged = 0
        self._suppressed = 0

    def warning(self, message: str, *args: object) -> None:
        now = time.monotonic()
        if now - self._window_start >= LOG_WINDOW_S:
            if self._suppressed:
                log.warning("%d more refused requests not logged one by one", self._suppressed)
            self._window_start, self._logged, self._suppressed = now, 0, 0
        if self._logged < LOG_BURST:
            self._logged += 1
            log.warning(message, *args)
        else:
            self._suppressed += 1


class KeySource(Protocol):
    """What bf/metadata.AsyncOpenIdMetadata offers: a cached signing key by key id."""

    async def get(self, key_id: str) -> Any: ...


class TokenPrecheck:
    """Cheap checks of the inbound token before the body is read; the contract of the route.

    `await precheck.refusal(header)` is None when the request may go on, else why it may not.
    `body_limit` is how many body bytes a request that passed may send.
    """

    def __init__(self, settings: Settings, sources: Sequence[KeySource] | None = None) -> None:
        self.enabled = settings.auth_enabled
        self.app_id = settings.microsoft_app_id or ""
        self._urls = metadata_urls(settings)
        self._sources = sources
        self.body_limit = VERIFIED_BODY_LIMIT if self.enabled else UNVERIFIED_BODY_LIMIT
        self.refusals = _RefusalLog()
        self.verified = VerifiedTokens(self.key_known)  # a token's signature is checked once

    def key_known(self, kid: str) -> bool:
        """Still in a published key set (as last fetched): remembered tokens stay valid."""
        sources = self._key_sources()
        return any(getattr(source, "knows", lambda _: True)(kid) for source in sources)

    async def refusal(self, header: str) -> str | None:
        if not self.enabled:
            return None  # local development mode: tokens are not checked at all
        token = _bearer(header)
        if token is None:
            return "no Authorization header" if not header else "malformed Authorization header"
        if self.verified.get((token,)) is not None:
            return None
        return await self._check(token)

    async def _check(self, token: str) -> str | None:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError:
            return "malformed token"
        key = await self._key(kid) if isinstance(kid, str) else None
        if key is None:
            return "token signed with an unknown key"
        return self._verify(token, key.public_key)

    async def _key(self, kid: str) -> Any:
        for source in self._key_sources():
            key = await source.get(kid)
            if key is not None:
                return key
        return None

    def _key_sources(self) -> Sequence[KeySource]:
        if self._sources is not None:
            return self._sources
        # The objects bf/metadata.install_metadata put in botbuilder's cache (never its own
        # synchronous ones, which would fetch with `requests` on the event loop).
        cache = JwtTokenExtractor.metadataCache
        found = (cache.get(url) for url in self._urls)
        return [meta for meta in found if isinstance(meta, AsyncOpenIdMetadata)]

    def _verify(self, token: str, public_key: Any) -> str | None:
        try:
            claims = jwt.decode(
                token,
                public_key,
                algorithms=["RS256"],
                audience=self.app_id,
                leeway=CLOCK_TOLERANCE_S,
                options={"require": ["exp"]},
            )
        except jwt.PyJWTError as exc:
            return f"token rejected ({type(exc).__name__})"
        self.verified.put((token,), token, True, float(claims["exp"]))
        return None


def _bearer(header: str) -> str | None:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or len(token) > MAX_TOKEN_CHARS or not _JWT.fullmatch(token):
        return None
    return token


def _problem(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def read_activity_body(
    request: web.Request, precheck: TokenPrecheck
) -> dict[str, Any] | web.Response:
    """The activity as a JSON object, or the 401/413/415/400 answer to send instead."""
    reason = await precheck.refusal(request.headers.get("Authorization", ""))
    if reason is not None:
        precheck.refusals.warning("401 before reading the body from %s: %s", request.remote, reason)
        TOKEN_REFUSALS.labels(reason.split(" (")[0][:40]).inc()
        return _problem(401, "unauthorized")
    if request.content_type != "application/json":
        return _problem(415, "Content-Type must be application/json")
    raw = await _read_capped(request, precheck.body_limit)
    if raw is None:
        precheck.refusals.warning(
            "413 from %s: body over %d bytes", request.remote, precheck.body_limit
        )
        return await _answer_and_close(request, 413, f"over {precheck.body_limit} bytes")
    return parse_activity(raw)


async def _answer_and_close(request: web.Request, status: int, message: str) -> web.Response:
    """Send the answer, then close the connection rather than read the rest of the body."""
    response = _problem(status, message)
    response.force_close()
    await response.prepare(request)
    await response.write_eof()
    request.protocol.force_close()
    return response


async def _read_capped(request: web.Request, limit: int) -> bytes | None:
    declared = request.content_length
    if declared is not None and declared > limit:
        return None
    body = bytearray()
    async for chunk in request.content.iter_chunked(_CHUNK):
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def parse_activity(raw: bytes) -> dict[str, Any] | web.Response:
    """Parse once; every malformed body is a 400, never an exception."""
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: nesting past the parser's stack
        return _problem(400, "body is not valid JSON")
    if _too_deep(body):
        return _problem(400, f"body is nested deeper than {MAX_DEPTH} levels")
    if not isinstance(body, dict) or not isinstance(body.get("type"), str) or not body["type"]:
        return _problem(400, "body is not a Bot Framework activity (no 'type')")
    return body


def _too_deep(value: object) -> bool:
    """Iterative, so the check itself cannot exhaust the stack."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            if depth > MAX_DEPTH:
                return True
            stack.extend((child, depth + 1) for child in item)
    return False
