"""Azure AD group membership via Microsoft Graph: app token (msal), checkMemberGroups, TTL cache.

Fail closed: any doubt (no token, timeout, an error status, a malformed answer) raises
GroupLookupError, whose message the person sees; it never yields a membership.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

import aiohttp

from teams_bot.errors import CommandError
from teams_bot.policy import Policy
from teams_bot.settings import Settings, SettingsError

log = logging.getLogger(__name__)

GRAPH_TIMEOUT_S = 5.0
MAX_GROUPS_PER_CALL = 20  # checkMemberGroups accepts at most 20 group ids per request
MAX_RETRY_AFTER_S = 2.0  # a longer Retry-After would blow the turn deadline: fail instead
CACHE_LIMIT = 10_000
_RETRYABLE = frozenset({429, 503, 504})


class GroupLookupError(CommandError):
    """Group membership could not be established; the command is refused."""

    def __init__(self, why: str) -> None:
        self.why = why
        super().__init__(f"I could not check your Azure AD groups ({why}); refusing to be safe.")


class GroupResolver(Protocol):
    async def member_of(self, aad_object_id: str, group_ids: Sequence[str]) -> frozenset[str]:
        """Which of `group_ids` the user is a (transitive) member of."""
        ...


class TokenSource(Protocol):
    async def token(self) -> str: ...

    def invalidate(self) -> None: ...


@dataclass(frozen=True)
class ClientSecret:
    client_id: str
    secret: str = field(repr=False)


@dataclass(frozen=True)
class ClientCertificate:
    """A PEM file holding the app's private key and its certificate."""

    client_id: str
    pem_file: Path


@dataclass(frozen=True)
class ManagedIdentity:
    """User-assigned (client id given) or system-assigned (None) managed identity."""

    client_id: str | None = None


Credential = ClientSecret | ClientCertificate | ManagedIdentity


class AppTokens:
    """An app-only token for one scope from msal, cached until shortly before it expires.

    msal is synchronous (requests); every msal call runs in a worker thread.
    """

    def __init__(
        self,
        credential: Credential,
        *,
        scope: str,
        authority: str = "",
        instance_discovery: bool = True,
        verify: bool | str = True,
        timeout_s: float = GRAPH_TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.credential = credential
        self.scope = scope
        self.authority = authority
        self._instance_discovery = instance_discovery
        self._verify = verify
        self._timeout_s = timeout_s
        self._clock = clock
        self._token = ""
        self._refresh_at = 0.0
        self._lock = asyncio.Lock()
        self._build_lock = threading.Lock()
        self._app: Any = None
        self._stale = False

    async def token(self) -> str:
        async with self._lock:
            if not self._token or self._clock() >= self._refresh_at:
                await self._renew()
            return self._token

    def invalidate(self) -> None:
        """Forget the token (Graph refused it); msal's own cache goes with its client."""
        self._token = ""
        self._stale = True  # never take the build lock here: a stuck thread may hold it

    async def _renew(self) -> None:
        try:
            result = await asyncio.wait_for(asyncio.to_thread(self._acquire), self._timeout_s)
        except Exception as exc:  # network, TLS, authority discovery, timeout: all fail closed
            log.warning("app token for %s failed: %s", self.scope, type(exc).__name__)
            raise GroupLookupError("I could not get a token for Microsoft Graph") from exc
        token, lifetime = result.get("access_token"), result.get("expires_in")
        if not isinstance(token, str) or not token or not isinstance(lifetime, int | float):
            log.warning(
                "app token for %s refused: %s %s",
                self.scope,
                result.get("error"),
                str(result.get("error_description", ""))[:300],
            )
            raise GroupLookupError("I could not get a token for Microsoft Graph")
        self._token = token
        # Renew 5 minutes early, or halfway through a short-lived token.
        self._refresh_at = self._clock() + max(lifetime - 300, lifetime / 2)

    def _acquire(self) -> dict[str, Any]:
        app = self._client()
        if isinstance(self.credential, ManagedIdentity):
            resource = self.scope.removesuffix("/.default")
            result = app.acquire_token_for_client(resource=resource)
        else:
            result = app.acquire_token_for_client(scopes=[self.scope])
        return dict(result or {})

    def _client(self) -> Any:
        """The msal client, built once (a confidential client discovers its authority here)."""
        with self._build_lock:
            if self._app is None or self._stale:
                self._stale = False
                self._app = self._build()
            return self._app

    def _build(self) -> Any:
        import msal  # imported lazily: only deployments with group bindings need it
        import requests

        http = requests.Session()
        # An explicit CA file must beat REQUESTS_CA_BUNDLE, which requests prefers to http.verify.
        options: dict[str, Any] = {"timeout": self._timeout_s}
        if self._verify is not True:
            options["verify"] = self._verify
        http.request = functools.partial(http.request, **options)  # type: ignore[method-assign]
        cred = self.credential
        if isinstance(cred, ManagedIdentity):
            identity: Any = (
                msal.UserAssignedManagedIdentity(client_id=cred.client_id)
                if cred.client_id
                else msal.SystemAssignedManagedIdentity()
            )
            return msal.ManagedIdentityClient(identity, http_client=http)
        secret: Any = cred.secret if isinstance(cred, ClientSecret) else _certificate(cred)
        return msal.ConfidentialClientApplication(
            cred.client_id,
            client_credential=secret,
            authority=self.authority,
            http_client=http,
            instance_discovery=self._instance_discovery,
        )


def _certificate(cred: ClientCertificate) -> dict[str, str]:
    pem = cred.pem_file.read_text(encoding="ascii")
    start = pem.find("-----BEGIN CERTIFICATE-----")
    if start < 0:
        raise ValueError(f"{cred.pem_file} holds no certificate")
    return {"private_key": pem, "public_certificate": pem[start:]}


class GraphGroupResolver:
    """POST /users/{id}/checkMemberGroups (transitive), cached per (user, group set) for a TTL."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        tokens: TokenSource,
        *,
        base_url: str,
        cache_seconds: float,
        timeout_s: float = GRAPH_TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._session = session
        self._tokens = tokens
        self._base = base_url.rstrip("/")
        self._ttl = cache_seconds
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._clock = clock
        self._cache: dict[tuple[str, frozenset[str]], tuple[float, frozenset[str]]] = {}

    @classmethod
    def from_settings(
        cls, settings: Settings, session: aiohttp.ClientSession, *, policy: Policy | None = None
    ) -> GraphGroupResolver | None:
        """None when auth is off (local development) or `policy` is given and binds no groups."""
        if not settings.auth_enabled or (policy is not None and not policy.group_ids):
            return None
        return cls(
            session,
            app_tokens_from_settings(settings),
            base_url=settings.graph_base_url,
            cache_seconds=settings.graph_cache_seconds,
        )

    async def member_of(self, aad_object_id: str, group_ids: Sequence[str]) -> frozenset[str]:
        wanted = tuple(dict.fromkeys(g.lower() for g in group_ids))
        if not wanted:
            return frozenset()
        key = (aad_object_id.lower(), frozenset(wanted))
        cached = self._cache.get(key)
        if cached and cached[0] > self._clock():
            return cached[1]
        found: set[str] = set()
        for start in range(0, len(wanted), MAX_GROUPS_PER_CALL):
            found |= await self._check(aad_object_id, wanted[start : start + MAX_GROUPS_PER_CALL])
        result = frozenset(found)
        self._remember(key, result)
        return result

    def _remember(self, key: tuple[str, frozenset[str]], value: frozenset[str]) -> None:
        if self._ttl <= 0:
            return
        if len(self._cache) >= CACHE_LIMIT:
            now = self._clock()
            self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.pop(next(iter(self._cache)))
        self._cache[key] = (self._clock() + self._ttl, value)

    async def _check(self, aad_object_id: str, group_ids: Sequence[str]) -> set[str]:
        url = f"{self._base}/users/{quote(aad_object_id, safe='')}/checkMemberGroups"
        body = {"groupIds": list(group_ids)}
        status, data, wait = await self._post(url, body)
        if status == 401:  # the token may have been revoked or expired early: one fresh try
            self._tokens.invalidate()
            status, data, wait = await self._post(url, body)
        elif status in _RETRYABLE and wait <= MAX_RETRY_AFTER_S:
            await asyncio.sleep(wait)
            status, data, wait = await self._post(url, body)
        if status != 200:
            raise GroupLookupError(f"Microsoft Graph answered {status}")
        return _group_ids_in(data, group_ids)

    async def _post(self, url: str, body: dict[str, Any]) -> tuple[int, Any, float]:
        """(status, parsed JSON or None, Retry-After seconds) for one Graph request."""
        headers = {
            "Authorization": f"Bearer {await self._tokens.token()}",
            "client-request-id": str(uuid.uuid4()),
        }
        try:
            async with self._session.post(
                url, json=body, headers=headers, timeout=self._timeout
            ) as resp:
                data = _json(await resp.read())
                if resp.status != 200:
                    _log_graph_error(resp, data)
                return resp.status, data, _retry_after(resp.headers.get("Retry-After"))
        except (TimeoutError, aiohttp.ClientError) as exc:
            log.warning("Microsoft Graph %s failed: %s", url, type(exc).__name__)
            raise GroupLookupError("Microsoft Graph did not answer") from exc


def _group_ids_in(data: Any, asked: Sequence[str]) -> set[str]:
    """The `value` list of a checkMemberGroups answer, limited to the ids asked about."""
    value = data.get("value") if isinstance(data, dict) else None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise GroupLookupError("Microsoft Graph sent an answer I do not understand")
    return {v.lower() for v in value} & set(asked)


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _retry_after(header: str | None) -> float:
    """Seconds to wait before one retry; a short default when the header is absent or odd."""
    try:
        return max(0.0, float(header)) if header else 0.5
    except ValueError:
        return MAX_RETRY_AFTER_S + 1  # an HTTP date: too long for a chat turn


def _log_graph_error(resp: aiohttp.ClientResponse, data: Any) -> None:
    error = data.get("error") if isinstance(data, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    log.warning(
        "Microsoft Graph answered %s (%s), request-id %s",
        resp.status,
        code or "no error code",
        resp.headers.get("request-id", "?"),
    )


def app_tokens_from_settings(settings: Settings) -> AppTokens:
    """Graph app tokens from the bot's own identity (secret, certificate or managed identity)."""
    parts = urlsplit(settings.graph_base_url)
    scope = f"{parts.scheme}://{parts.netloc}/.default"
    app_id = settings.microsoft_app_id or ""
    if settings.microsoft_app_type == "UserAssignedMSI":
        return AppTokens(ManagedIdentity(app_id), scope=scope)
    cert_file = getattr(settings, "graph_certificate_file", None)  # optional setting, if defined
    credential: Credential = (
        ClientCertificate(app_id, Path(cert_file))
        if cert_file
        else ClientSecret(app_id, settings.app_password)
    )
    return AppTokens(
        credential,
        scope=scope,
        authority=_authority(settings),
        instance_discovery=not settings.graph_authority,
    )


def _authority(settings: Settings) -> str:
    tenant = settings.microsoft_app_tenant_id
    given = (settings.graph_authority or "").rstrip("/")
    if given and urlsplit(given).path.strip("/"):
        return given  # a full authority URL, tenant included
    if not tenant:
        raise SettingsError(
            "MicrosoftAppTenantId: needed to look up Azure AD groups (policy bindings.groups) "
            "with Microsoft Graph; an app token must come from the users' tenant"
        )
    return f"{given or 'https://login.microsoftonline.com'}/{tenant}"
