"""Inbound token validation through botbuilder, made to fail closed and cheaply.

botbuilder's stock CloudAdapter answers 500 with a traceback for most malformed or forged tokens
(its validators raise assorted exceptions). GuardedAuthentication turns every failure into a
PermissionError, which the HTTP route answers with 401 and one warning line. It also hands out
cached connector clients and user-token clients instead of building new msrest clients per turn.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

from botbuilder.integration.aiohttp import (
    ConfigurationBotFrameworkAuthentication,
    ConfigurationServiceClientCredentialFactory,
)
from botbuilder.schema import Activity
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    GovernmentConstants,
    UserTokenClient,
)

from teams_bot.bf.credentials import CachedTokenCredentials, CachingCredentialsFactory
from teams_bot.bf.verified import VerifiedTokens
from teams_bot.settings import Settings

log = logging.getLogger(__name__)

_SETTING_NAMES = {
    "CHANNEL_SERVICE": "channel_service",
    "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL": "to_bot_from_channel_openid_metadata_url",
    "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER": "to_bot_from_channel_token_issuer",
    "TO_CHANNEL_FROM_BOT_LOGIN_URL": "to_channel_from_bot_login_url",
    "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE": "to_channel_from_bot_oauth_scope",
}


def botbuilder_configuration(settings: Settings) -> SimpleNamespace:
    """The attribute-style configuration botbuilder's Configuration* classes read."""
    config = SimpleNamespace(
        APP_ID=settings.microsoft_app_id or "",
        APP_PASSWORD=settings.app_password,
        APP_TYPE=settings.microsoft_app_type,
        APP_TENANTID=settings.microsoft_app_tenant_id or "",
    )
    for name, field in _SETTING_NAMES.items():
        setattr(config, name, getattr(settings, field))
    return config


def metadata_urls(settings: Settings) -> list[str | None]:
    """The OpenID metadata URLs botbuilder will consult for this cloud."""
    parameterized = any(getattr(settings, f) for f in list(_SETTING_NAMES.values())[1:])
    if parameterized:
        return [settings.to_bot_from_channel_openid_metadata_url, None]
    if settings.channel_service == GovernmentConstants.CHANNEL_SERVICE:
        return [
            GovernmentConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL,
            GovernmentConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL,
        ]
    return [
        AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL,
        AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL,
    ]


class CachedConnectorFactory(ConnectorFactory):  # type: ignore[misc]
    """One ConnectorClient per (service URL, audience) for an app id."""

    def __init__(self, auth: GuardedAuthentication, app_id: str) -> None:
        self._auth = auth
        self._app_id = app_id

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        return await self._auth.connector_client(self._app_id, service_url, audience)


class GuardedAuthentication(BotFrameworkAuthentication):  # type: ignore[misc]
    """botbuilder's configuration-driven authentication, failing closed, with cached clients."""

    def __init__(self, settings: Settings) -> None:
        config = botbuilder_configuration(settings)
        self.credentials = CachingCredentialsFactory(
            ConfigurationServiceClientCredentialFactory(config)
        )
        self._inner = ConfigurationBotFrameworkAuthentication(
            config, credentials_factory=self.credentials
        )
        self._settings = settings
        self.verified = VerifiedTokens(lambda _kid: True)  # set to the key set's check at start
        self._connectors: dict[tuple[str, str, str], ConnectorClient] = {}
        self._token_clients: dict[str, UserTokenClient] = {}

    @property
    def app_id(self) -> str:
        return self._settings.microsoft_app_id or ""

    async def authenticate_request(
        self, activity: Activity, auth_header: str
    ) -> AuthenticateRequestResult:
        if self._settings.auth_enabled and not auth_header:
            raise PermissionError("no Authorization header")
        # Local development mode (no app id): botbuilder's anonymous identity, tokens ignored.
        header = auth_header if self._settings.auth_enabled else None
        key = (auth_header, str(activity.channel_id or ""), str(activity.service_url or ""))
        if header and (remembered := self.verified.get(key)) is not None:
            return remembered  # this exact token, verified for this channel and service URL
        result = await self._validated(activity, header)
        if header:
            claims = result.claims_identity.claims or {}
            token = header.partition(" ")[2]
            self.verified.put(key, token, result, float(claims.get("exp") or 0))
        return result

    async def _validated(self, activity: Activity, header: str | None) -> AuthenticateRequestResult:
        try:
            result = await self._inner.authenticate_request(activity, header)
        except PermissionError:
            raise
        except Exception as exc:  # botbuilder raises assorted types for bad tokens
            raise PermissionError(f"token rejected ({type(exc).__name__}: {exc})") from None
        if result.claims_identity is None or (
            self._settings.auth_enabled and not result.claims_identity.is_authenticated
        ):
            raise PermissionError("token did not yield an authenticated identity")
        result.connector_factory = self.create_connector_factory(result.claims_identity)
        return result

    async def authenticate_streaming_request(
        self, auth_header: str, channel_id_header: str
    ) -> AuthenticateRequestResult:
        raise PermissionError("streaming connections are not supported")

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return CachedConnectorFactory(self, self._claims_app_id(claims_identity))

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        app_id = self._claims_app_id(claims_identity)
        client = self._token_clients.get(app_id)
        if client is None:
            client = await self._inner.create_user_token_client(claims_identity)
            self._token_clients[app_id] = client
        return client

    def create_bot_framework_client(self) -> Any:
        return self._inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return str(self._inner.get_originating_audience())

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        try:
            return await self._inner.authenticate_channel_request(auth_header)
        except PermissionError:
            raise
        except Exception as exc:
            raise PermissionError(f"token rejected ({type(exc).__name__})") from None

    async def credentials_for(self, app_id: str, audience: str | None) -> CachedTokenCredentials:
        return await self.credentials.create_credentials(
            app_id,
            audience or self.get_originating_audience(),
            self._settings.to_channel_from_bot_login_url or _default_login(self._settings),
            True,
        )

    async def connector_client(
        self, app_id: str, service_url: str, audience: str | None
    ) -> ConnectorClient:
        key = (app_id, service_url, audience or "")
        client = self._connectors.get(key)
        credentials = await self.credentials_for(app_id, audience)
        if client is None:
            client = self._connectors[key] = ConnectorClient(credentials, base_url=service_url)
        return client

    def _claims_app_id(self, claims_identity: ClaimsIdentity) -> str:
        claims = claims_identity.claims or {}
        return str(claims.get("aud") or claims.get("appid") or self.app_id)


def _default_login(settings: Settings) -> str:
    if settings.channel_service == GovernmentConstants.CHANNEL_SERVICE:
        return str(GovernmentConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL)
    tenant = (
        settings.microsoft_app_tenant_id
        if settings.microsoft_app_type != "MultiTenant"
        else AuthenticationConstants.DEFAULT_CHANNEL_AUTH_TENANT
    )
    return f"{AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX}{tenant}"
