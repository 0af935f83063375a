"""A local Microsoft Graph + Azure AD token endpoint on https://127.0.0.1 (trustme CA).

It speaks the real shapes: OpenID discovery at /{tenant}/v2.0/.well-known/openid-configuration,
client credentials (secret or certificate assertion) at /{tenant}/oauth2/v2.0/token, the App
Service managed identity endpoint at /msi/token, and POST /v1.0/users/{id}/checkMemberGroups
with transitive (nested) groups. Graph answers 401 without a bearer token it issued itself.
Faults can be injected for the next N calls (status codes, Retry-After, hangs); calls are counted.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import ssl
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import jwt
import trustme
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

TENANT = "11111111-2222-3333-4444-555555555555"
APP_ID = "aaaaaaaa-0000-0000-0000-000000000001"
APP_SECRET = "s3cret-value-for-tests"
MSI_CLIENT_ID = "aaaaaaaa-0000-0000-0000-0000000000ff"
MSI_HEADER = "identity-header-for-tests"


@dataclass
class Fault:
    status: int = 500  # 0 = hang until the client gives up
    retry_after: str | None = None


@dataclass
class Directory:
    """Users and groups; a group's members are user ids or group ids (nesting)."""

    users: set[str] = field(default_factory=set)
    groups: dict[str, set[str]] = field(default_factory=dict)

    def member_of(self, user: str) -> set[str]:
        """Every group the user is in, directly or through nested groups."""
        found: set[str] = set()
        frontier = {user}
        while frontier:
            parents = {g for g, members in self.groups.items() if members & frontier} - found
            found |= parents
            frontier = parents
        return found


class GraphStandIn:
    def __init__(self, workdir: Path, *, token_lifetime: int = 3599) -> None:
        self.ca = trustme.CA(organization_name="Graph Stand-in Test CA")
        self.ca_file = workdir / "graph-standin-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        self.directory = Directory()
        self.token_lifetime = token_lifetime
        self.secrets: dict[str, str] = {APP_ID: APP_SECRET}
        self.certificates: dict[str, x509.Certificate] = {}
        self.tokens: dict[str, float] = {}  # access token -> expiry (epoch seconds)
        self.graph_faults: deque[Fault] = deque()
        self.token_faults: deque[Fault] = deque()
        self.graph_calls = 0
        self.token_calls = 0
        self.scopes: list[str] = []
        self.last_graph_body: object = None
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.base = ""

    # --- test controls ---------------------------------------------------------------------

    def fail_graph(self, times: int, status: int = 500, retry_after: str | None = None) -> None:
        self.graph_faults.extend(Fault(status, retry_after) for _ in range(times))

    def hang_graph(self, times: int = 1) -> None:
        self.graph_faults.extend(Fault(0) for _ in range(times))

    def fail_token(self, times: int, status: int = 500) -> None:
        self.token_faults.extend(Fault(status) for _ in range(times))

    def hang_token(self, times: int = 1) -> None:
        self.token_faults.extend(Fault(0) for _ in range(times))

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    def add_certificate_app(self, client_id: str, cert_pem: bytes) -> None:
        self.certificates[client_id] = x509.load_pem_x509_certificate(cert_pem)

    @property
    def graph_url(self) -> str:
        return f"{self.base}/v1.0"

    @property
    def authority(self) -> str:
        return f"{self.base}/{TENANT}"

    def client_ssl(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context()
        self.ca.configure_trust(ctx)
        return ctx

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", self._discovery)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        app.router.add_get("/msi/token", self._msi_token)
        app.router.add_post("/v1.0/users/{user}/checkMemberGroups", self._check_member_groups)
        server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
        self._runner = web.AppRunner(app, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=server_ctx)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base = f"https://127.0.0.1:{port}"

    async def stop(self) -> None:
        self._release.set()
        if self._runner:
            await self._runner.cleanup()

    async def _fault(self, faults: deque[Fault]) -> web.Response | None:
        if not faults:
            return None
        fault = faults.popleft()
        if fault.status == 0:
            await asyncio.wait_for(self._release.wait(), 30)
            fault = Fault(504)
        headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
        error = {"code": "serviceNotAvailable" if fault.status >= 500 else "TooManyRequests"}
        error["message"] = "Injected fault."
        return web.json_response({"error": error}, status=fault.status, headers=headers)

    # --- Azure AD --------------------------------------------------------------------------

    async def _discovery(self, request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        root = f"{self.base}/{tenant}"
        return web.json_response(
            {
                "issuer": f"{self.base}/{tenant}/v2.0",
                "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
                "token_endpoint": f"{root}/oauth2/v2.0/token",
                "jwks_uri": f"{root}/discovery/v2.0/keys",
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "private_key_jwt",
                    "client_secret_basic",
                ],
                "tenant_region_scope": "EU",
            }
        )

    async def _token(self, request: web.Request) -> web.Response:
        self.token_calls += 1
        fault = await self._fault(self.token_faults)
        if fault:
            return fault
        form = await request.post()
        if request.match_info["tenant"] != TENANT:
            return _aad_error(400, "invalid_request", "AADSTS90002: Tenant not found.")
        if form.get("grant_type") != "client_credentials":
            return _aad_error(400, "unsupported_grant_type", "AADSTS70003: grant type.")
        client_id = str(form.get("client_id", ""))
        problem = self._client_auth_problem(client_id, form, str(request.url))
        if problem:
            return _aad_error(401, "invalid_client", problem)
        scope = str(form.get("scope", ""))
        if scope not in (f"{self.base}/.default", "https://graph.microsoft.com/.default"):
            return _aad_error(400, "invalid_scope", f"AADSTS1002012: bad scope {scope}.")
        self.scopes.append(scope)
        return web.json_response(
            {
                "token_type": "Bearer",
                "expires_in": self.token_lifetime,
                "ext_expires_in": self.token_lifetime,
                "access_token": self._issue(),
            }
        )

    def _client_auth_problem(self, client_id: str, form: object, url: str) -> str:
        assert hasattr(form, "get")
        if client_id in self.certificates:
            return self._assertion_problem(client_id, str(form.get("client_assertion", "")), url)
        if client_id not in self.secrets:
            return f"AADSTS700016: Application with identifier '{client_id}' was not found."
        if form.get("client_secret") != self.secrets[client_id]:
            return "AADSTS7000215: Invalid client secret provided."
        return ""

    def _assertion_problem(self, client_id: str, assertion: str, url: str) -> str:
        cert = self.certificates[client_id]
        try:
            header = jwt.get_unverified_header(assertion)
            jwt.decode(
                assertion,
                cert.public_key(),  # type: ignore[arg-type]
                algorithms=["PS256", "RS256"],
                audience=url,
                issuer=client_id,
            )
        except jwt.PyJWTError as exc:
            return f"AADSTS700027: Client assertion failed signature validation. ({exc})"
        thumb = base64.urlsafe_b64encode(cert.fingerprint(hashes.SHA256())).rstrip(b"=").decode()
        if str(header.get("x5t#S256", "")).rstrip("=") != thumb:  # msal keeps the padding
            return "AADSTS700027: Client assertion contains an unknown thumbprint."
        return ""

    async def _msi_token(self, request: web.Request) -> web.Response:
        """Azure App Service managed identity (api-version 2019-08-01)."""
        self.token_calls += 1
        if request.headers.get("X-IDENTITY-HEADER") != MSI_HEADER:
            return web.json_response({"statusCode": 400, "message": "bad header"}, status=400)
        if request.query.get("client_id") != MSI_CLIENT_ID:
            return web.json_response({"statusCode": 400, "message": "unknown identity"}, status=400)
        resource = request.query.get("resource", "")
        self.scopes.append(resource)
        expires_on = int(time.time()) + self.token_lifetime
        return web.json_response(
            {
                "access_token": self._issue(),
                "expires_on": str(expires_on),
                "resource": resource,
                "token_type": "Bearer",
                "client_id": MSI_CLIENT_ID,
            }
        )

    def _issue(self) -> str:
        token = secrets.token_urlsafe(32)
        self.tokens[token] = time.time() + self.token_lifetime
        return token

    # --- Microsoft Graph -------------------------------------------------------------------

    async def _check_member_groups(self, request: web.Request) -> web.Response:
        self.graph_calls += 1
        fault = await self._fault(self.graph_faults)
        if fault:
            return fault
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or not token:
            return _graph_error(401, "InvalidAuthenticationToken", "Access token is empty.")
        if self.tokens.get(token, 0) < time.time():
            return _graph_error(401, "InvalidAuthenticationToken", "Access token has expired.")
        try:
            body = await request.json()
        except ValueError:
            return _graph_error(400, "BadRequest", "Unable to read JSON request payload.")
        self.last_graph_body = body
        ids = body.get("groupIds") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            return _graph_error(400, "Request_BadRequest", "groupIds must be a list of strings.")
        if len(ids) > 20:
            return _graph_error(400, "Request_BadRequest", "Too many groupIds (at most 20).")
        user = request.match_info["user"]
        if user not in self.directory.users:
            message = f"Resource '{user}' does not exist or one of its queried reference-property"
            return _graph_error(404, "Request_ResourceNotFound", message + " objects are absent.")
        groups = self.directory.member_of(user)
        return web.json_response(
            {
                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(Edm.String)",
                "value": [i for i in ids if i in groups],
            },
            headers={"request-id": str(uuid.uuid4())},
        )


def _aad_error(status: int, error: str, description: str) -> web.Response:
    return web.json_response(
        {
            "error": error,
            "error_description": description,
            "error_codes": [int(description[6:].split(":")[0] or 0)],
            "trace_id": str(uuid.uuid4()),
            "correlation_id": str(uuid.uuid4()),
        },
        status=status,
    )


def _graph_error(status: int, code: str, message: str) -> web.Response:
    inner = {"date": time.strftime("%Y-%m-%dT%H:%M:%S"), "request-id": str(uuid.uuid4())}
    return web.json_response(
        {"error": {"code": code, "message": message, "innerError": inner}},
        status=status,
        headers={"request-id": inner["request-id"]},
    )


def certificate_pem(ca: trustme.CA, workdir: Path, name: str = "app") -> tuple[Path, bytes]:
    """A PEM file with an RSA private key and its certificate (an app registration's credential)."""
    leaf = ca.issue_cert(f"{name}.example.test", key_type=trustme.KeyType.RSA)
    key = serialization.load_pem_private_key(leaf.private_key_pem.bytes(), password=None)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    cert_pem = leaf.cert_chain_pems[0].bytes()
    path = workdir / f"{name}.pem"
    path.write_bytes(key_pem + cert_pem)
    return path, cert_pem


@asynccontextmanager
async def running_standin(workdir: Path, **kwargs: int) -> AsyncIterator[GraphStandIn]:
    standin = GraphStandIn(workdir, **kwargs)
    await standin.start()
    try:
        yield standin
    finally:
        await standin.stop()
