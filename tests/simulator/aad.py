"""An AD FS-style token authority that MSAL accepts (client_credentials grant only).

MSAL treats an authority whose first path segment is ``adfs`` as known to the developer:
no instance discovery, one GET of ``<authority>/.well-known/openid-configuration``
(no ``/v2.0``), then a form POST to the advertised ``token_endpoint``.
"""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any
from urllib.parse import unquote_plus

import jwt
from aiohttp import web

from .keys import SigningKey, jwks

TOKEN_LIFETIME = 3600


def aad_error(status: int, error: str, code: int, description: str) -> web.Response:
    """An error body shaped like Azure AD's."""
    body = {
        "error": error,
        "error_description": f"AADSTS{code}: {description}",
        "error_codes": [code],
        "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
        "trace_id": str(uuid.uuid4()),
        "correlation_id": str(uuid.uuid4()),
    }
    return web.json_response(body, status=status)


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header or not header.startswith("Basic "):
        return None
    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    return unquote_plus(user), unquote_plus(password)


class AadAuthority:
    """Issues bot->channel access tokens and validates them on the connector side."""

    def __init__(
        self, base_url: str, app_id: str, app_password: str, tenant_id: str, oauth_scope: str
    ) -> None:
        self.login_url = base_url.rstrip("/") + "/adfs"
        self.app_id = app_id
        self.app_password = app_password
        self.tenant_id = tenant_id
        self.oauth_scope = oauth_scope
        self.key = SigningKey.for_slot("aad")
        self.token_requests = 0  # tokens issued
        self.discovery_requests = 0
        self._valid: dict[str, float] = {}  # token string -> exp, already verified

    # -- documents ---------------------------------------------------------------
    @property
    def token_endpoint(self) -> str:
        return self.login_url + "/oauth2/token"

    def openid_configuration(self) -> dict[str, Any]:
        return {
            "issuer": self.login_url,
            "access_token_issuer": self.login_url,
            "authorization_endpoint": self.login_url + "/oauth2/authorize",
            "token_endpoint": self.token_endpoint,
            "jwks_uri": self.login_url + "/discovery/keys",
            "response_types_supported": ["code", "id_token", "token"],
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "subject_types_supported": ["pairwise"],
            "scopes_supported": ["openid"],
        }

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/adfs/.well-known/openid-configuration", self._discovery)
        app.router.add_get("/adfs/discovery/keys", self._keys)
        app.router.add_post("/adfs/oauth2/token", self._token)

    # -- issuing -----------------------------------------------------------------
    def issue(self, scope_resource: str | None = None) -> str:
        now = int(time.time())
        claims = {
            "aud": scope_resource or self.oauth_scope,
            "iss": self.login_url,
            "iat": now,
            "nbf": now,
            "exp": now + TOKEN_LIFETIME,
            "appid": self.app_id,
            "appidacr": "1",
            "idp": self.login_url,
            "tid": self.tenant_id,
            "sub": self.app_id,
            "ver": "1.0",
        }
        return self.key.sign(claims)

    async def _discovery(self, _request: web.Request) -> web.Response:
        self.discovery_requests += 1
        return web.json_response(self.openid_configuration())

    async def _keys(self, _request: web.Request) -> web.Response:
        return web.json_response(jwks(self.key))

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        fields = {k: str(v) for k, v in form.items()}
        rejection = self._reject(fields, _basic_credentials(request.headers.get("Authorization")))
        if rejection is not None:
            return rejection
        self.token_requests += 1
        body = {
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME,
            "ext_expires_in": TOKEN_LIFETIME,
            "access_token": self.issue(),
        }
        return web.json_response(body)

    def _reject(self, fields: dict[str, str], basic: tuple[str, str] | None) -> web.Response | None:
        if fields.get("grant_type") != "client_credentials":
            return aad_error(400, "unsupported_grant_type", 70003, "The grant type is unsupported.")
        client_id, secret = basic or (fields.get("client_id"), fields.get("client_secret"))
        if client_id != self.app_id:
            return aad_error(
                401,
                "invalid_client",
                700016,
                f"Application with identifier '{client_id}' was not found.",
            )
        if secret != self.app_password:
            return aad_error(401, "invalid_client", 7000215, "Invalid client secret provided.")
        if fields.get("scope") != self.oauth_scope + "/.default":
            return aad_error(
                400,
                "invalid_scope",
                1002012,
                f"The provided value for scope {fields.get('scope')} is not valid.",
            )
        return None

    # -- validation (connector side) ---------------------------------------------
    def is_valid_bearer(self, authorization: str | None) -> bool:
        """True for "Bearer <token issued here for oauth_scope>"; cached per token string."""
        if not authorization or not authorization.startswith("Bearer "):
            return False
        token = authorization[7:]
        exp = self._valid.get(token)
        if exp is not None:
            return exp > time.time()
        return self._verify(token)

    def _verify(self, token: str) -> bool:
        try:
            claims = jwt.decode(
                token,
                self.key.public_key,
                algorithms=["RS256"],
                audience=self.oauth_scope,
                issuer=self.login_url,
                options={"require": ["exp", "aud", "iss", "appid"]},
            )
        except jwt.PyJWTError:
            return False
        if claims["appid"] != self.app_id:
            return False
        if len(self._valid) > 10_000:
            self._valid.clear()
        self._valid[token] = float(claims["exp"])
        return True
