"""Outbound credentials built once and tokens fetched off the event loop.

botbuilder builds a new MSAL application for every turn, and MSAL then performs synchronous HTTPS
calls on the event loop. Here each credential is built once per (app id, scope, authority) and its
token is fetched in a worker thread ahead of use, then served from memory until near expiry.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import jwt
from botframework.connector.auth import AppCredentials, ServiceClientCredentialsFactory

log = logging.getLogger(__name__)

_REFRESH_MARGIN_S = 300.0
_FALLBACK_LIFETIME_S = 3000.0


class CachedTokenCredentials(AppCredentials):  # type: ignore[misc]
    """Wraps botbuilder credentials; answers `get_access_token` from memory after `ensure_fresh`."""

    def __init__(self, inner: AppCredentials) -> None:
        super().__init__(app_id=inner.microsoft_app_id, oauth_scope=inner.oauth_scope)
        self.inner = inner
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    def _fresh(self) -> bool:
        return self._token is not None and time.time() < self._expires_at - _REFRESH_MARGIN_S

    async def ensure_fresh(self) -> None:
        if not self.microsoft_app_id or self._fresh():
            return
        async with self._lock:
            if not self._fresh():
                await asyncio.to_thread(self._fetch)

    async def bearer(self) -> str | None:
        """The Authorization header value, or None without an app id (local development)."""
        if not self.microsoft_app_id:
            return None
        await self.ensure_fresh()
        return f"Bearer {self._token}"

    def _fetch(self) -> None:
        token = self.inner.get_access_token()
        self._token, self._expires_at = token, _expiry_of(token)

    def get_access_token(self, force_refresh: bool = False) -> str:
        if force_refresh or not self._fresh():
            log.warning("outbound token fetched synchronously (ensure_fresh was not awaited)")
            self._fetch()
        assert self._token is not None
        return self._token


def _expiry_of(token: str) -> float:
    try:
        claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
        return float(claims["exp"])
    except (jwt.PyJWTError, KeyError, TypeError, ValueError):
        return time.time() + _FALLBACK_LIFETIME_S


class CachingCredentialsFactory(ServiceClientCredentialsFactory):  # type: ignore[misc]
    """Hands out one CachedTokenCredentials per (app id, scope, authority, validate)."""

    def __init__(self, inner: ServiceClientCredentialsFactory) -> None:
        self._inner = inner
        self._cache: dict[tuple[str, str, str, bool], CachedTokenCredentials] = {}
        self._lock = asyncio.Lock()

    async def is_valid_app_id(self, app_id: str) -> bool:
        return bool(await self._inner.is_valid_app_id(app_id))

    async def is_authentication_disabled(self) -> bool:
        return bool(await self._inner.is_authentication_disabled())

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> CachedTokenCredentials:
        key = (app_id or "", oauth_scope or "", login_endpoint or "", bool(validate_authority))
        cached = self._cache.get(key)
        if cached is None:
            async with self._lock:
                cached = self._cache.get(key)
                if cached is None:
                    inner = await self._inner.create_credentials(
                        app_id, oauth_scope, login_endpoint, validate_authority
                    )
                    cached = self._cache[key] = CachedTokenCredentials(inner)
        await cached.ensure_fresh()
        return cached
