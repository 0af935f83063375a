"""OpenID metadata for inbound token validation, fetched with aiohttp, never on the event loop.

botbuilder's JwtTokenExtractor keeps a class-level cache of metadata objects keyed by URL and
refreshes them with synchronous `requests` calls. We put our own objects in that cache: same
interface (`await get(kid)` -> key with `public_key` and `endorsements`), parsed keys kept in
memory, refreshed asynchronously, and an unknown key id answers None instead of raising.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
from botframework.connector.auth import JwtTokenExtractor
from jwt.algorithms import RSAAlgorithm

log = logging.getLogger(__name__)

_MAX_AGE_S = 24 * 3600.0
_UNKNOWN_KID_RETRY_S = 300.0


@dataclass(frozen=True)
class SigningKey:
    public_key: Any
    endorsements: list[str]


class AsyncOpenIdMetadata:
    """One metadata document and its JWKS, as botbuilder's extractor expects to find it."""

    def __init__(self, url: str | None, session: aiohttp.ClientSession | None) -> None:
        self.url = url
        self._session = session
        self._keys: dict[str, SigningKey] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    def knows(self, key_id: str) -> bool:
        """Whether the key is in the key set as last fetched (no fetch)."""
        return key_id in self._keys

    async def get(self, key_id: str) -> SigningKey | None:
        if time.monotonic() - self._fetched_at > _MAX_AGE_S:
            await self.refresh()
        key = self._keys.get(key_id)
        if key is None and time.monotonic() - self._fetched_at > _UNKNOWN_KID_RETRY_S:
            await self.refresh()  # keys roll over: look once more, at most every 5 minutes
            key = self._keys.get(key_id)
        return key

    async def refresh(self) -> None:
        if not self.url or self._session is None:
            return
        async with self._lock:
            started = time.monotonic()
            try:
                self._keys = await self._download()
            except (aiohttp.ClientError, TimeoutError, ValueError, KeyError) as exc:
                log.warning("could not refresh OpenID metadata from %s: %s", self.url, exc)
            finally:
                self._fetched_at = started

    async def _download(self) -> dict[str, SigningKey]:
        assert self._session is not None and self.url is not None
        timeout = aiohttp.ClientTimeout(total=10)
        async with self._session.get(self.url, timeout=timeout) as resp:
            resp.raise_for_status()
            jwks_uri = (await resp.json(content_type=None))["jwks_uri"]
        async with self._session.get(jwks_uri, timeout=timeout) as resp:
            resp.raise_for_status()
            document = await resp.json(content_type=None)
        return {k["kid"]: _parse_key(k) for k in document["keys"] if k.get("kty") == "RSA"}


def _parse_key(jwk: dict[str, Any]) -> SigningKey:
    return SigningKey(RSAAlgorithm.from_jwk(json.dumps(jwk)), list(jwk.get("endorsements", [])))


async def install_metadata(
    urls: list[str | None], session: aiohttp.ClientSession | None
) -> list[AsyncOpenIdMetadata]:
    """Replace botbuilder's synchronous metadata objects for these URLs and fetch them now."""
    installed = []
    for url in dict.fromkeys(urls):
        meta = AsyncOpenIdMetadata(url, session)
        JwtTokenExtractor.metadataCache[url] = meta
        installed.append(meta)
    await asyncio.gather(*(m.refresh() for m in installed))
    return installed
