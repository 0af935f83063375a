"""A wrong MicrosoftAppPassword is the bot's own problem, said as such (issue 9, #16).

Against the simulator's Azure AD token endpoint over TLS (MSAL, as in production).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from teams_bot.bf import credentials
from teams_bot.bf.auth import GuardedAuthentication
from teams_bot.bf.credentials import OutboundCredentialError, check_outbound_token
from teams_bot.settings import Settings
from tests.botrunner import start_bot
from tests.db_fixtures import DbTarget
from tests.simulator import ChannelSimulator


@pytest.fixture
def trusted(simulator: ChannelSimulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", simulator.bot_env()["REQUESTS_CA_BUNDLE"])
    yield


def settings_for(sim: ChannelSimulator, **extra: Any) -> Settings:
    env: dict[str, Any] = dict(sim.bot_env())
    env.pop("REQUESTS_CA_BUNDLE")
    env.pop("SSL_CERT_FILE")
    env.update(action_secret="test-action-secret-0123456789", **extra)
    return Settings(_env_file=None, **env)  # type: ignore[call-arg]


async def test_online_check_fetches_a_token(simulator: ChannelSimulator, trusted: None) -> None:
    claims = await check_outbound_token(GuardedAuthentication(settings_for(simulator)))
    assert claims["appid"] == simulator.app_id and claims["exp"] > 0
    assert simulator.token_requests == 1


async def test_a_wrong_password_is_an_outbound_credential_error(
    simulator: ChannelSimulator, trusted: None, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(simulator, MicrosoftAppPassword="not-the-password")
    with pytest.raises(OutboundCredentialError) as raised:
        await check_outbound_token(GuardedAuthentication(settings))
    assert not isinstance(raised.value, PermissionError), "would be answered 401"
    message = str(raised.value)
    assert "outbound credentials failed" in message and "MicrosoftAppPassword" in message
    assert "AADSTS7000215" in message and "not-the-password" not in message
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.name for r in errors] == [credentials.__name__]


async def test_failures_back_off_instead_of_asking_on_every_turn(
    simulator: ChannelSimulator, trusted: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = GuardedAuthentication(settings_for(simulator, MicrosoftAppPassword="wrong-password"))
    with pytest.raises(OutboundCredentialError):
        await auth.credentials_for(auth.app_id, None)
    (cached,) = auth.credentials._cache.values()
    calls = 0
    real = cached.inner.get_access_token

    def counting(*args: Any) -> str:
        nonlocal calls
        calls += 1
        return str(real(*args))

    monkeypatch.setattr(cached.inner, "get_access_token", counting)
    for _ in range(3):
        with pytest.raises(OutboundCredentialError):
            await cached.ensure_fresh()
    assert calls == 0
    monkeypatch.setattr(credentials, "FAILURE_BACKOFF_S", 0.0)
    with pytest.raises(OutboundCredentialError):
        await cached.ensure_fresh()
    assert calls == 1


async def test_local_development_mode_has_no_token_to_check() -> None:
    assert await check_outbound_token(GuardedAuthentication(Settings(_env_file=None))) == {}


async def test_the_route_answers_500_not_401_for_a_wrong_password(
    simulator: ChannelSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = DbTarget("sqlite", f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    extra = {"MicrosoftAppPassword": "not-the-password"}
    async with start_bot(simulator, db, tmp_path, monkeypatch, **extra) as bot:
        result = await bot.post(bot.teams.personal_message("version"))
    assert result.status >= 500, (result.status, result.text)
    assert not simulator.calls
