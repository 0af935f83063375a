"""GitHub App authentication: installation tokens minted from the app's private key.

A JWT (RS256, `iss` = app id, at most 10 minutes) is exchanged at
POST {api}/app/installations/{id}/access_tokens for an installation token (201, `token`,
`expires_at`, one hour). The token is cached and renewed five minutes before it expires;
the private key and every token minted are secrets (masked out of messages).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime

import jwt

from teams_bot.automation.pipelines.http import Api, RemoteError
from teams_bot.automation.pipelines.secrets import Secret

RENEW_BEFORE_SECONDS = 300
JWT_SECONDS = 540  # GitHub allows at most 600; leave room for clock drift
CLOCK_DRIFT_SECONDS = 60


@dataclass(frozen=True)
class GitHubApp:
    app_id: str
    installation_id: int
    private_key: Secret  # PEM


class InstallationTokens:
    """Installation tokens for one app installation, shared by every run of a runner."""

    def __init__(self, app: GitHubApp, api_url: str) -> None:
        self.app = app
        self.url = f"{api_url.rstrip('/')}/app/installations/{app.installation_id}/access_tokens"
        self.current: Secret | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    async def token(self, api: Api, headers: dict[str, str]) -> Secret:
        async with self._lock:
            if self.current is None or time.time() > self._expires - RENEW_BEFORE_SECONDS:
                self.current, self._expires = await self._mint(api, headers)
            return self.current

    def _jwt(self) -> str:
        now = int(time.time())
        claims = {
            "iat": now - CLOCK_DRIFT_SECONDS,
            "exp": now + JWT_SECONDS,
            "iss": self.app.app_id,
        }
        try:
            return jwt.encode(claims, self.app.private_key.reveal(), algorithm="RS256")
        except (ValueError, TypeError, jwt.PyJWTError):
            raise RemoteError("The GitHub App private key is not a usable RSA key (PEM).") from None

    async def _mint(self, api: Api, headers: dict[str, str]) -> tuple[Secret, float]:
        assertion = self._jwt()
        api.secrets = (*api.secrets, Secret("GitHub App JWT", assertion))
        reply = await api.call(
            "POST",
            self.url,
            headers={**headers, "Authorization": f"Bearer {assertion}"},
            ok=(201,),
        )
        data = reply.json("GitHub")
        token = data.get("token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise RemoteError("GitHub did not send an installation token.")
        return Secret("GitHub App installation token", token), _expiry(data.get("expires_at"))


def _expiry(value: object) -> float:
    """Seconds since the epoch; an hour from now when GitHub does not say."""
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return time.time() + 3600
