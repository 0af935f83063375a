"""Outbound credentials built once and tokens fetched off the event loop.

botbuilder builds a new MSAL application for every turn, and MSAL then performs synchronous HTTPS
calls on the event loop. Here each credential is built once per (app id, scope, authority) and its
token is fetched in a worker thread ahead of use, then served from memory until near expiry.

A token that cannot be had (wrong MicrosoftAppPassword, unknown app, authority unreachable) is
the bot's own configuration problem, not the caller's: it raises OutboundCredentialError (not
botbuilder's PermissionError, which the route would answer 401 as if the inbound token were
bad), logged once per failure as such, and retried at most every FAILURE_BACKOFF_S.
`check_outbound_token` fetches one at start-up (`teams-bot check-config --online`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Protocol

import jwt
from botframework.connector.auth import AppCredentials, ServiceClientCredentialsFactory

log = logging.getLogger(__name__)

_REFRESH_MARGIN_S = 300.0
_FALLBACK_LIFETIME_S = 3000.0
FAILURE_BACKOFF_S = 30.0


class OutboundCredentialError(RuntimeError):
    """The bot could not get its own token: its credentials or authority are wrong."""


class CachedTokenCredentials(AppCredentials):  # type: ignore[misc]
    """Wraps botbuilder credentials; answers `get_access_token` from memory after `ensure_fresh`."""

    def __init__(self, inner: AppCredentials) -> None:
        super().__init__(app_id=inner.microsoft_app_id, oauth_scope=inner.oauth_scope)
        self.inner = inner
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        self._failure: OutboundCredentialError | None = None
        self._failed_at = 0.0

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
        if self._failure and time.monotonic() - self._failed_at < FAILURE_BACKOFF_S:
            raise self._failure  # do not hammer the authority on every turn
        try:
            token = self.inner.get_access_token()
        except Exception as exc:  # botbuilder: PermissionError; MSAL, azure-identity: others
            self._failure, self._failed_at = self._describe(exc), time.monotonic()
            log.error("%s", self._failure)
            raise self._failure from None
        self._token, self._expires_at = token, _expiry_of(token)
        self._failure = None

    def _describe(self, exc: Exception) -> OutboundCredentialError:
        return OutboundCredentialError(
            f"outbound credentials failed: could not get a token for app "
            f"{self.microsoft_app_id} (scope {self.oauth_scope}); check MicrosoftAppPassword, "
            f"MicrosoftAppType and MicrosoftAppTenantId: {type(exc).__name__}: {exc}"
        )

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


class TokenSource(Protocol):
    """What bf/auth.GuardedAuthentication offers: the bot's app id and its credentials."""

    @property
    def app_id(self) -> str: ...

    async def credentials_for(
        self, app_id: str, audience: str | None
    ) -> CachedTokenCredentials: ...


async def check_outbound_token(auth: TokenSource) -> dict[str, Any]:
    """For `check-config --online`: fetch the bot's own token now, as replies will
    (`await check_outbound_token(GuardedAuthentication(settings))`).

    Returns the token's non-secret claims (aud, appid, tid, exp); raises OutboundCredentialError
    saying why not. Local development mode (no app id) has no credentials: an empty dict.
    """
    if not auth.app_id:
        return {}
    credentials = await auth.credentials_for(auth.app_id, None)
    try:
        claims = jwt.decode(credentials._token or "", options={"verify_signature": False})
    except jwt.PyJWTError:
        return {"token": "opaque"}
    return {key: claims[key] for key in ("aud", "appid", "tid", "exp") if key in claims}
