"""Graph group lookups over real HTTPS on 127.0.0.1, with real msal token acquisition."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from teams_bot.graph import (
    AppTokens,
    ClientCertificate,
    ClientSecret,
    Credential,
    GraphGroupResolver,
    GroupLookupError,
    ManagedIdentity,
)
from teams_bot.policy import parse_policy
from teams_bot.settings import Settings, SettingsError
from tests.graph_standin import (
    APP_ID,
    APP_SECRET,
    MSI_CLIENT_ID,
    MSI_HEADER,
    TENANT,
    GraphStandIn,
    certificate_pem,
    running_standin,
)

ALICE = "0000000a-0000-0000-0000-000000000001"
BOB = "0000000b-0000-0000-0000-000000000002"
CAROL = "0000000c-0000-0000-0000-000000000003"
OPS = "9000000a-0000-0000-0000-00000000000a"
LEADS = "9000000b-0000-0000-0000-00000000000b"
INNER = "9000000c-0000-0000-0000-00000000000c"
DEEP = "9000000d-0000-0000-0000-00000000000d"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def standin(tmp_path: Path) -> AsyncIterator[GraphStandIn]:
    async with running_standin(tmp_path) as running:
        running.directory.users |= {ALICE, BOB, CAROL}
        # BOB is in DEEP, DEEP in INNER, INNER in LEADS: BOB is a transitive member of all three.
        running.directory.groups.update({OPS: {ALICE}, LEADS: {INNER}, INNER: {DEEP}, DEEP: {BOB}})
        yield running


@pytest.fixture
async def session(standin: GraphStandIn) -> AsyncIterator[aiohttp.ClientSession]:
    connector = aiohttp.TCPConnector(ssl=standin.client_ssl())
    async with aiohttp.ClientSession(connector=connector) as client:
        yield client


def tokens_for(
    standin: GraphStandIn, credential: Credential | None = None, **kwargs: object
) -> AppTokens:
    return AppTokens(
        credential or ClientSecret(APP_ID, APP_SECRET),
        scope=f"{standin.base}/.default",
        authority=standin.authority,
        instance_discovery=False,
        verify=str(standin.ca_file),
        **kwargs,  # type: ignore[arg-type]
    )


def resolver_for(
    standin: GraphStandIn,
    session: aiohttp.ClientSession,
    *,
    ttl: float = 300,
    clock: Clock | None = None,
    tokens: AppTokens | None = None,
    timeout_s: float = 5.0,
) -> GraphGroupResolver:
    return GraphGroupResolver(
        session,
        tokens or tokens_for(standin),
        base_url=standin.graph_url,
        cache_seconds=ttl,
        timeout_s=timeout_s,
        clock=clock or Clock(),
    )


async def test_nested_groups_are_resolved(
    standin: GraphStandIn, session: aiohttp.ClientSession
) -> None:
    graph = resolver_for(standin, session)
    assert await graph.member_of(BOB, [OPS, LEADS, INNER]) == {LEADS, INNER}
    assert await graph.member_of(ALICE, [OPS, LEADS]) == {OPS}
    assert await graph.member_of(CAROL, [OPS, LEADS, INNER, DEEP]) == frozenset()
    assert standin.last_graph_body == {"groupIds": [OPS, LEADS, INNER, DEEP]}
    assert standin.scopes == [f"{standin.base}/.default"]  # one token served all calls


async def test_group_ids_are_compared_case_insensitively(
    standin: GraphStandIn, session: aiohttp.ClientSession
) -> None:
    graph = resolver_for(standin, session)
    assert await graph.member_of(ALICE, [OPS.upper()]) == {OPS}


async def test_more_than_20_groups_are_asked_in_batches(
    standin: GraphStandIn, session: aiohttp.ClientSession
) -> None:
    many = [f"99999999-0000-0000-0000-{i:012d}" for i in range(45)]
    standin.directory.groups[many[44]] = {ALICE}
    graph = resolver_for(standin, session)
    assert await graph.member_of(ALICE, [*many, OPS]) == {many[44], OPS}
    assert standin.graph_calls == 3


async def test_cache_answers_repeat_questions(
    standin: GraphStandIn, session: aiohttp.ClientSession
) -> None:
    graph = resolver_for(standin, session)
    for _ in range(3):
        assert await graph.member_of(BOB, [LEADS, OPS]) == {LEADS}
    assert standin.graph_calls == 1
    await graph.member_of(BOB, [OPS])  # another group set is another question
    assert standin.graph_calls == 2


async def test_cache_expires_after_ttl(
    standin: GraphStandIn, session: aiohttp.ClientSession
) -> None:
    clock = Clock()
    graph = resolver_for(standin, session, ttl=60, clock=clock)
    await graph.member_of(ALICE, [OPS])
    clock.now += 59
    standin.directory.groups[OPS].discard(ALICE)
    assert await graph.member_of(ALICE, [OPS]) == {OPS}  # still cached
    clock.now += 2
    assert await graph.member_of(ALICE, [OPS]) == frozenset()  # asked again
    assert standin.graph_calls == 2


async def test_ttl_zero_means_no_cache(
    standin: GraphStandIn, session: aiohttp.ClientSession
) -> None:
    graph = resolver_for(standin, session, ttl=0)
    await graph.member_of(ALICE, [OPS])
    await graph.member_of(ALICE, [OPS])
    assert standin.graph_calls == 2


@pytest.mark.parametrize("status", [500, 502, 403, 400])
async def test_graph_errors_refuse_and_are_not_cached(
    standin: GraphStandIn, session: aiohttp.ClientSession, status: int
) -> None:
    graph = resolver_for(standin, session)
    standin.fail_graph(1, status)
    with pytest.raises(GroupLookupError, match=f"Microsoft Graph answered {status}"):
        await graph.member_of(ALICE, [OPS])
    assert await graph.member_of(ALICE, [OPS]) == {OPS}  # the failure was not remembered


async def test_unknown_user_refuses(standin: GraphStandIn, session: aiohttp.ClientSession) -> None:
    graph = resolver_for(standin, session)
    with pytest.raises(GroupLookupError, match="answered 404"):
        await graph.member_of("0000000f-0000-0000-0000-00000000000f", [OPS])


async def test_throttling_is_retried_once(
    standin: GraphStandIn, session: aiohttp.ClientSession
) -> None:
    graph = resolver_for(standin, session)
    standin.fail_graph(1, 429, retry_after="0")
    assert await graph.member_of(ALICE, [OPS]) == {OPS}
    assert standin.graph_calls == 2


async def test_throttling_twice_refuses(
    standin: GraphStandIn, session: aiohttp.ClientSession
) -> None:
    graph = resolver_for(standin, session)
    standin.fail_graph(2, 503, retry_after="0")
    with pytest.raises(GroupLookupError, match="answered 503"):
        await graph.member_of(ALICE, [OPS])
    assert standin.graph_calls == 2


async def test_long_retry_after_refuses_at_once(
    standin: GraphStandIn, session: aiohttp.ClientSession
) -> None:
    graph = resolver_for(standin, session)
    standin.fail_graph(1, 429, retry_after="120")
    with pytest.raises(GroupLookupError, match="answered 429"):
        await graph.member_of(ALICE, [OPS])
    assert standin.graph_calls == 1


async def test_hanging_graph_times_out(
    standin: GraphStandIn, session: aiohttp.ClientSession
) -> None:
    graph = resolver_for(standin, session, timeout_s=0.5)
    await graph.member_of(CAROL, [OPS])  # token fetched before the clock starts
    standin.hang_graph()
    started = time.monotonic()
    with pytest.raises(GroupLookupError, match="did not answer") as caught:
        await graph.member_of(ALICE, [OPS])
    assert time.monotonic() - started < 3
    assert "refusing to be safe" in str(caught.value)


async def test_graph_unreachable_refuses(
    standin: GraphStandIn, session: aiohttp.ClientSession
) -> None:
    graph = GraphGroupResolver(
        session, tokens_for(standin), base_url="https://127.0.0.1:9/v1.0", cache_seconds=60
    )
    with pytest.raises(GroupLookupError, match="did not answer"):
        await graph.member_of(ALICE, [OPS])


async def test_graph_demands_a_bearer_token(
    standin: GraphStandIn, session: aiohttp.ClientSession
) -> None:
    url = f"{standin.graph_url}/users/{ALICE}/checkMemberGroups"
    async with session.post(url, json={"groupIds": [OPS]}) as resp:
        assert resp.status == 401
        assert (await resp.json())["error"]["code"] == "InvalidAuthenticationToken"


class BadTokens:
    async def token(self) -> str:
        return "not-issued-by-the-token-endpoint"

    def invalidate(self) -> None:
        pass


async def test_graph_401_refuses(standin: GraphStandIn, session: aiohttp.ClientSession) -> None:
    graph = GraphGroupResolver(session, BadTokens(), base_url=standin.graph_url, cache_seconds=60)
    with pytest.raises(GroupLookupError, match="answered 401"):
        await graph.member_of(ALICE, [OPS])
    assert standin.graph_calls == 2  # one retry with a fresh token, then refuse


async def test_revoked_token_is_renewed(
    standin: GraphStandIn, session: aiohttp.ClientSession
) -> None:
    graph = resolver_for(standin, session, ttl=0)
    await graph.member_of(ALICE, [OPS])
    standin.revoke_tokens()
    assert await graph.member_of(ALICE, [OPS]) == {OPS}
    assert len(standin.scopes) == 2


async def test_wrong_secret_refuses(standin: GraphStandIn, session: aiohttp.ClientSession) -> None:
    tokens = tokens_for(standin, ClientSecret(APP_ID, "wrong"))
    graph = resolver_for(standin, session, tokens=tokens)
    with pytest.raises(GroupLookupError, match="token for Microsoft Graph"):
        await graph.member_of(ALICE, [OPS])
    assert standin.graph_calls == 0


async def test_token_endpoint_error_refuses(
    standin: GraphStandIn, session: aiohttp.ClientSession
) -> None:
    standin.fail_token(5, 500)
    graph = resolver_for(standin, session)
    with pytest.raises(GroupLookupError, match="token for Microsoft Graph"):
        await graph.member_of(ALICE, [OPS])


async def test_token_is_fetched_in_a_thread(
    standin: GraphStandIn, session: aiohttp.ClientSession
) -> None:
    """A hanging token endpoint must not stall the event loop, and must end in a refusal."""
    standin.hang_token()
    graph = resolver_for(standin, session, tokens=tokens_for(standin, timeout_s=0.5))
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.05)
            ticks += 1

    task = asyncio.create_task(ticker())
    with pytest.raises(GroupLookupError, match="token"):
        await graph.member_of(ALICE, [OPS])
    task.cancel()
    assert ticks >= 5


async def test_token_is_cached_until_near_expiry(tmp_path: Path) -> None:
    # Under 5 minutes, so msal's own cache never answers and every renewal reaches the endpoint.
    async with running_standin(tmp_path, token_lifetime=240) as standin:
        standin.directory.users.add(ALICE)
        standin.directory.groups[OPS] = {ALICE}
        clock = Clock()
        tokens = tokens_for(standin, clock=clock)
        connector = aiohttp.TCPConnector(ssl=standin.client_ssl())
        async with aiohttp.ClientSession(connector=connector) as session:
            graph = resolver_for(standin, session, ttl=0, tokens=tokens)
            await graph.member_of(ALICE, [OPS])
            await graph.member_of(ALICE, [OPS])
            assert standin.token_calls == 1
            clock.now += 119  # a short-lived token is renewed halfway through its life
            await graph.member_of(ALICE, [OPS])
            assert standin.token_calls == 1
            clock.now += 2
            await graph.member_of(ALICE, [OPS])
            assert standin.token_calls == 2


async def test_certificate_credential(
    standin: GraphStandIn, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    pem_file, cert = certificate_pem(standin.ca, tmp_path)
    standin.add_certificate_app("aaaaaaaa-0000-0000-0000-0000000000ce", cert)
    tokens = tokens_for(
        standin, ClientCertificate("aaaaaaaa-0000-0000-0000-0000000000ce", pem_file)
    )
    graph = resolver_for(standin, session, tokens=tokens)
    assert await graph.member_of(BOB, [LEADS]) == {LEADS}


async def test_certificate_not_registered_refuses(
    standin: GraphStandIn, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    pem_file, _ = certificate_pem(standin.ca, tmp_path)
    _, other = certificate_pem(standin.ca, tmp_path, "other")
    standin.add_certificate_app("aaaaaaaa-0000-0000-0000-0000000000ce", other)
    tokens = tokens_for(
        standin, ClientCertificate("aaaaaaaa-0000-0000-0000-0000000000ce", pem_file)
    )
    graph = resolver_for(standin, session, tokens=tokens)
    with pytest.raises(GroupLookupError, match="token"):
        await graph.member_of(BOB, [LEADS])


async def test_managed_identity_on_app_service(
    standin: GraphStandIn, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IDENTITY_ENDPOINT", f"{standin.base}/msi/token")
    monkeypatch.setenv("IDENTITY_HEADER", MSI_HEADER)
    graph = resolver_for(
        standin, session, tokens=tokens_for(standin, ManagedIdentity(MSI_CLIENT_ID))
    )
    assert await graph.member_of(ALICE, [OPS]) == {OPS}
    assert standin.scopes == [standin.base]  # the resource, without /.default


def settings_for(standin: GraphStandIn, **values: Any) -> Settings:
    base: dict[str, Any] = {
        "MicrosoftAppId": APP_ID,
        "MicrosoftAppPassword": APP_SECRET,
        "MicrosoftAppType": "SingleTenant",
        "MicrosoftAppTenantId": TENANT,
        "graph_base_url": standin.graph_url,
        "graph_authority": standin.base,
        "graph_cache_seconds": 60,
        "action_secret": "card-action-secret-for-tests",
    }
    base.update(values)
    return Settings(_env_file=None, **base)  # type: ignore[call-arg]


async def test_from_settings_with_client_secret(
    standin: GraphStandIn, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(standin.ca_file))
    graph = GraphGroupResolver.from_settings(settings_for(standin), session)
    assert graph is not None
    assert await graph.member_of(BOB, [INNER, OPS]) == {INNER}
    assert await graph.member_of(BOB, [INNER, OPS]) == {INNER}
    assert standin.graph_calls == 1


async def test_from_settings_none_without_auth_or_groups(
    standin: GraphStandIn, session: aiohttp.ClientSession
) -> None:
    no_groups = parse_policy({"roles": {"viewer": {"permissions": ["help"]}}})
    assert (
        GraphGroupResolver.from_settings(settings_for(standin), session, policy=no_groups) is None
    )
    dev = settings_for(standin, MicrosoftAppId=None, MicrosoftAppPassword=None)
    assert GraphGroupResolver.from_settings(dev, session) is None


def test_from_settings_needs_a_tenant(standin: GraphStandIn) -> None:
    settings = settings_for(
        standin, MicrosoftAppType="MultiTenant", MicrosoftAppTenantId=None, graph_authority=None
    )
    with pytest.raises(SettingsError, match="MicrosoftAppTenantId"):
        GraphGroupResolver.from_settings(settings, session=None)  # type: ignore[arg-type]
