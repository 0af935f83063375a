"""ChannelSimulator: a local Bot Framework channel + Azure AD for one Teams bot.

Plain HTTP on 127.0.0.1:P serves the channel OpenID metadata/JWKS, the Bot Connector
(service_url) and /_sim control; HTTPS on 127.0.0.1:Q serves the AD FS-style authority.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import tempfile
import weakref
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from aiohttp import web

from .aad import AadAuthority
from .activities import TeamsActivities
from .channel_tokens import BAD_TOKEN_KINDS, ChannelTokenMinter
from .connector import BotConnector
from .control import ControlApi
from .openid import ChannelOpenId
from .recorder import CallRecorder, RecordedCall
from .tls import LocalTls
from .users import DEFAULT_USERS, User

DEFAULT_APP_ID = "7f3a9c2e-5b1d-4e8f-a6c4-2d9b0e1f3a57"
DEFAULT_TENANT_ID = "3e9b7c1a-2f4d-4a6b-8c0e-5d7f9a1b3c24"
BOTFRAMEWORK = "https://api.botframework.com"


def _listen() -> socket.socket:
    return socket.create_server(("127.0.0.1", 0), backlog=1024)


class ChannelSimulator:
    """Speaks the real channel protocols on loopback; see the package docstring."""

    BAD_TOKEN_KINDS: tuple[str, ...] = BAD_TOKEN_KINDS

    def __init__(
        self,
        app_id: str = DEFAULT_APP_ID,
        app_password: str | None = None,
        tenant_id: str = DEFAULT_TENANT_ID,
        *,
        bot_name: str = "opsbot",
        users: list[User] | None = None,
    ) -> None:
        self.app_id = app_id
        self.app_password = app_password or "sim-secret-" + secrets.token_urlsafe(18)
        self.tenant_id = tenant_id
        self.bot_name = bot_name
        self.token_issuer = BOTFRAMEWORK
        self.oauth_scope = BOTFRAMEWORK
        self.users: list[User] = list(users or DEFAULT_USERS)  # the connector's roster
        self.recorder = CallRecorder()
        self._tls = LocalTls()
        self._runners: list[web.AppRunner] = []
        self._transports: weakref.WeakSet[asyncio.Transport] = weakref.WeakSet()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._started = False
        self._http_base = self._https_base = ""
        self.ca_bundle_path = ""  # PEM of the test CA, written by start()

    # -- lifecycle ---------------------------------------------------------------------
    async def start(self) -> None:
        if self._started:
            raise RuntimeError("simulator already started")
        plain, tls = _listen(), _listen()
        self._http_base = f"http://127.0.0.1:{plain.getsockname()[1]}"
        self._https_base = f"https://127.0.0.1:{tls.getsockname()[1]}"
        self._tmp = tempfile.TemporaryDirectory(prefix="channel-sim-")
        self.ca_bundle_path = str(self._tls.write_ca_bundle(Path(self._tmp.name)))
        self._build_components()
        await self._serve(self._plain_app(), plain, None)
        await self._serve(self._https_app(), tls, self._tls)
        self._started = True

    async def stop(self) -> None:
        for runner in self._runners:
            await runner.cleanup()
        self._runners.clear()
        # Clients (requests/MSAL) keep idle keep-alive and TLS connections open; drop them
        # so nothing outlives the loop.
        for transport in list(self._transports):
            transport.abort()
        await asyncio.sleep(0)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        self._started = False

    async def __aenter__(self) -> ChannelSimulator:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    def _build_components(self) -> None:
        self.minter = ChannelTokenMinter(self.app_id, self.token_issuer)
        self.openid = ChannelOpenId(self._http_base, self.token_issuer, self.minter.key)
        self.aad = AadAuthority(
            self._https_base, self.app_id, self.app_password, self.tenant_id, self.oauth_scope
        )
        self.connector = BotConnector(self._http_base + "/", self.aad, self.recorder, self.users)

    @web.middleware
    async def _track(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if request.transport is not None:
            self._transports.add(request.transport)
        return await handler(request)

    def _plain_app(self) -> web.Application:
        app = web.Application(client_max_size=4 * 1024 * 1024, middlewares=[self._track])
        self.openid.add_routes(app)
        self.connector.add_routes(app)
        ControlApi(self).add_routes(app)
        return app

    def _https_app(self) -> web.Application:
        app = web.Application(middlewares=[self._track])
        self.aad.add_routes(app)
        return app

    async def _serve(self, app: web.Application, sock: socket.socket, tls: LocalTls | None) -> None:
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        ssl_context = tls.server_context() if tls else None
        await web.SockSite(runner, sock, ssl_context=ssl_context).start()
        self._runners.append(runner)

    # -- addresses ---------------------------------------------------------------------
    def _require_started(self) -> None:
        if not self._started:
            raise RuntimeError("ChannelSimulator is not running; await start() first")

    @property
    def service_url(self) -> str:
        self._require_started()
        return self._http_base + "/"

    @property
    def openid_metadata_url(self) -> str:
        self._require_started()
        return self.openid.metadata_url

    @property
    def login_url(self) -> str:
        self._require_started()
        return self.aad.login_url

    @property
    def control_url(self) -> str:
        self._require_started()
        return self._http_base + "/_sim"

    def bot_env(self) -> dict[str, str]:
        """Environment variables a botbuilder bot needs to trust and reach this channel."""
        self._require_started()
        return {
            "MicrosoftAppId": self.app_id,
            "MicrosoftAppPassword": self.app_password,
            "MicrosoftAppType": "MultiTenant",
            "MicrosoftAppTenantId": self.tenant_id,
            "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL": self.openid_metadata_url,
            "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER": self.token_issuer,
            "TO_CHANNEL_FROM_BOT_LOGIN_URL": self.login_url,
            "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE": self.oauth_scope,
            "REQUESTS_CA_BUNDLE": self.ca_bundle_path,
            "SSL_CERT_FILE": self.ca_bundle_path,
        }

    def botbuilder_config(self) -> SimpleNamespace:
        """bot_env() plus the APP_* attribute names botbuilder's configuration classes read."""
        return SimpleNamespace(
            **self.bot_env(),
            APP_ID=self.app_id,
            APP_PASSWORD=self.app_password,
            APP_TYPE="MultiTenant",
            APP_TENANTID=self.tenant_id,
        )

    # -- channel -> bot ----------------------------------------------------------------
    def authorization(self, kind: str = "valid", service_url: str | None = None) -> str | None:
        """The Authorization header the channel would send ("Bearer <jwt>"; None = missing)."""
        self._require_started()
        return self.minter.authorization(kind, service_url or self.service_url)

    @property
    def activities(self) -> TeamsActivities:
        self._require_started()
        return TeamsActivities(self.app_id, self.tenant_id, self.service_url, self.bot_name)

    # -- bot -> connector ----------------------------------------------------------------
    @property
    def calls(self) -> list[RecordedCall]:
        return self.recorder.calls

    async def wait_for_calls(
        self,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the public API
    ) -> list[RecordedCall]:
        return await self.recorder.wait_for(count, timeout)

    def wait_for_calls_sync(self, count: int, timeout: float = 5.0) -> list[RecordedCall]:
        return self.recorder.wait_for_sync(count, timeout)

    def clear(self) -> None:
        """Forget recorded calls and pending faults (token counters are kept)."""
        self.recorder.clear()

    def fail_next(self, status: int, times: int = 1, retry_after: float | None = None) -> None:
        """The next `times` authenticated connector calls answer `status`."""
        self.recorder.fail_next(status, times, retry_after)

    @property
    def token_requests(self) -> int:
        self._require_started()
        return self.aad.token_requests

    def stats(self) -> dict[str, Any]:
        self._require_started()
        return {
            "calls": len(self.calls),
            "token_requests": self.aad.token_requests,
            "aad_discovery_requests": self.aad.discovery_requests,
            "openid_metadata_requests": self.openid.metadata_requests,
            "jwks_requests": self.openid.keys_requests,
        }
