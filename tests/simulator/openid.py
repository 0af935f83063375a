"""The channel's OpenID metadata and JWKS (what login.botframework.com serves)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .keys import SigningKey, jwks

METADATA_PATH = "/v1/.well-known/openidconfiguration"
KEYS_PATH = "/v1/.well-known/keys"


class ChannelOpenId:
    """Serves the metadata document and the signing keys botbuilder fetches."""

    def __init__(self, base_url: str, issuer: str, key: SigningKey) -> None:
        self.base_url = base_url.rstrip("/")
        self.issuer = issuer
        self._keys = jwks(key)
        self.metadata_requests = 0
        self.keys_requests = 0

    @property
    def metadata_url(self) -> str:
        return self.base_url + METADATA_PATH

    @property
    def jwks_uri(self) -> str:
        return self.base_url + KEYS_PATH

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": "https://invalid.botframework.com",
            "jwks_uri": self.jwks_uri,
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        }

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(METADATA_PATH, self._metadata)
        app.router.add_get(KEYS_PATH, self._jwks)

    async def _metadata(self, _request: web.Request) -> web.Response:
        self.metadata_requests += 1
        return web.json_response(self.metadata())

    async def _jwks(self, _request: web.Request) -> web.Response:
        self.keys_requests += 1
        return web.json_response(self._keys)
