"""The channel simulator against the real MSAL and botbuilder stacks (no mocks)."""

from __future__ import annotations

import asyncio
import json
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import msal
import pytest
from aiohttp import web
from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsInfo, teams_get_channel_id, teams_get_team_info
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import MicrosoftAppCredentials
from jwt.algorithms import RSAAlgorithm

from tests.simulator import BAD_TOKEN_KINDS, BOB, ChannelSimulator, post_activity
from tests.simulator.tls import LocalTls

# tests/conftest.py may register this plugin too; pluggy registers a module only once.
pytest_plugins = ["tests.simulator.pytest_plugin"]
ROOT = Path(__file__).resolve().parents[1]


# -- helpers -------------------------------------------------------------------------------
def _tls() -> ssl.SSLContext:
    return LocalTls().client_context()


async def _get_json(session: aiohttp.ClientSession, url: str) -> Any:
    async with session.get(url) as resp:
        assert resp.status == 200
        return await resp.json()


async def _aad_token(sim: ChannelSimulator, **overrides: str) -> tuple[int, dict[str, Any]]:
    """POST the token endpoint over verified TLS; (status, JSON body)."""
    form = {
        "grant_type": "client_credentials",
        "client_id": sim.app_id,
        "client_secret": sim.app_password,
        "scope": sim.oauth_scope + "/.default",
        **overrides,
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(sim.aad.token_endpoint, data=form, ssl=_tls()) as resp,
    ):
        return resp.status, await resp.json()


async def _bot_bearer(sim: ChannelSimulator) -> str:
    status, body = await _aad_token(sim)
    assert status == 200, body
    return "Bearer " + body["access_token"]


def _auth(sim: ChannelSimulator) -> ConfigurationBotFrameworkAuthentication:
    return ConfigurationBotFrameworkAuthentication(sim.botbuilder_config())


@pytest.fixture
def trust_sim_ca(simulator_thread: ChannelSimulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", simulator_thread.ca_bundle_path)


# -- channel OpenID metadata and tokens ------------------------------------------------------
async def test_openid_metadata_publishes_the_channel_key(simulator: ChannelSimulator) -> None:
    async with aiohttp.ClientSession() as session:
        meta = await _get_json(session, simulator.openid_metadata_url)
        keys = (await _get_json(session, meta["jwks_uri"]))["keys"]
    assert meta["issuer"] == simulator.token_issuer == "https://api.botframework.com"
    assert meta["id_token_signing_alg_values_supported"] == ["RS256"]
    raw = simulator.authorization().removeprefix("Bearer ")
    header = jwt.get_unverified_header(raw)
    (entry,) = [k for k in keys if k["kid"] == header["kid"]]
    assert header["alg"] == "RS256" and "msteams" in entry["endorsements"]
    claims = jwt.decode(
        raw,
        RSAAlgorithm.from_jwk(json.dumps(entry)),
        algorithms=["RS256"],
        audience=simulator.app_id,
        issuer=simulator.token_issuer,
    )
    assert claims["serviceurl"] == simulator.service_url
    assert claims["exp"] - claims["nbf"] >= 3600


def test_token_kinds(simulator_thread: ChannelSimulator) -> None:
    sim = simulator_thread
    assert sim.authorization("missing") is None
    assert sim.authorization("malformed").count(".") < 2
    none = jwt.get_unverified_header(sim.authorization("alg_none").removeprefix("Bearer "))
    assert none["alg"] == "none"
    custom = sim.authorization("valid", service_url="https://x.example/")[7:]
    assert (
        jwt.decode(custom, options={"verify_signature": False})["serviceurl"]
        == "https://x.example/"
    )
    with pytest.raises(ValueError, match="unknown token kind"):
        sim.authorization("bogus")


# -- the AAD (AD FS-style) authority through MSAL --------------------------------------------
async def test_msal_acquires_and_caches_a_token(
    simulator: ChannelSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", simulator.ca_bundle_path)

    def acquire() -> tuple[dict[str, Any], dict[str, Any]]:
        app = msal.ConfidentialClientApplication(
            simulator.app_id,
            client_credential=simulator.app_password,
            authority=simulator.login_url,
        )
        scopes = [simulator.oauth_scope + "/.default"]
        return app.acquire_token_for_client(scopes), app.acquire_token_for_client(scopes)

    first, second = await asyncio.to_thread(acquire)
    assert first["token_type"] == "Bearer" and first["expires_in"] == 3600
    assert second["access_token"] == first["access_token"]
    assert simulator.token_requests == 1  # MSAL served the second one from its cache
    key, scope = simulator.aad.key.public_key, simulator.oauth_scope
    claims = jwt.decode(first["access_token"], key, algorithms=["RS256"], audience=scope)
    assert claims["appid"] == simulator.app_id


async def test_msal_with_wrong_secret_fails(
    simulator: ChannelSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", simulator.ca_bundle_path)

    def acquire() -> dict[str, Any]:
        app = msal.ConfidentialClientApplication(
            simulator.app_id, client_credential="not-the-secret", authority=simulator.login_url
        )
        return app.acquire_token_for_client([simulator.oauth_scope + "/.default"])

    result = await asyncio.to_thread(acquire)
    assert "access_token" not in result and result["error"] == "invalid_client"
    assert simulator.token_requests == 0


@pytest.mark.parametrize(
    ("override", "status", "error"),
    [
        ({"client_id": "00000000-0000-0000-0000-000000000000"}, 401, "invalid_client"),
        ({"scope": "https://graph.microsoft.com/.default"}, 400, "invalid_scope"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
    ],
)
async def test_token_endpoint_rejections(
    simulator: ChannelSimulator, override: dict[str, str], status: int, error: str
) -> None:
    got, body = await _aad_token(simulator, **override)
    assert (got, body["error"]) == (status, error)
    assert simulator.token_requests == 0


async def test_https_is_real_tls(simulator: ChannelSimulator) -> None:
    url = simulator.login_url + "/.well-known/openid-configuration"
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await session.get(url, ssl=ssl.create_default_context())
        async with session.get(url, ssl=_tls()) as doc:
            assert (await doc.json())["token_endpoint"] == simulator.login_url + "/oauth2/token"


# -- botbuilder trusts the inbound channel tokens ------------------------------------------
async def test_botbuilder_accepts_a_valid_channel_token(simulator_thread: ChannelSimulator) -> None:
    sim = simulator_thread
    activity = Activity().deserialize(sim.activities.channel_message("help"))
    result = await _auth(sim).authenticate_request(activity, sim.authorization("valid"))
    assert result.claims_identity.is_authenticated
    assert result.claims_identity.claims["aud"] == sim.app_id
    assert result.audience == sim.oauth_scope


@pytest.mark.parametrize("kind", BAD_TOKEN_KINDS)
async def test_botbuilder_rejects_bad_tokens(simulator_thread: ChannelSimulator, kind: str) -> None:
    sim, auth = simulator_thread, _auth(simulator_thread)
    activity = Activity().deserialize(sim.activities.personal_message("hi"))
    await auth.authenticate_request(activity, sim.authorization("valid"))  # the setup is sound
    with pytest.raises(Exception):  # botbuilder raises assorted types
        await auth.authenticate_request(activity, sim.authorization(kind))


# -- the Bot Connector -----------------------------------------------------------------------
@pytest.mark.usefixtures("trust_sim_ca")
async def test_botbuilder_connector_reply_is_recorded(simulator_thread: ChannelSimulator) -> None:
    sim = simulator_thread
    inbound = sim.activities.channel_message("status")
    result = await _auth(sim).authenticate_request(
        Activity().deserialize(inbound), sim.authorization()
    )
    client = await result.connector_factory.create(sim.service_url, result.audience)
    conv_id = inbound["conversation"]["id"]
    reply = await client.conversations.reply_to_activity(
        conv_id, inbound["id"], Activity(type="message", text="all green")
    )
    (call,) = await sim.wait_for_calls(1)
    assert (call.method, call.status, call.conversation_id) == ("POST", 200, conv_id)
    assert call.activity_id == inbound["id"] and call.body["text"] == "all green"
    assert sim.aad.is_valid_bearer(call.authorization)
    assert reply.id and sim.token_requests == 1


async def test_connector_without_token_says_401(simulator_thread: ChannelSimulator) -> None:
    sim = simulator_thread
    client = ConnectorClient(MicrosoftAppCredentials.empty(), base_url=sim.service_url)
    with pytest.raises(Exception) as caught:  # msrest's ErrorResponseException
        await client.conversations.send_to_conversation("a:1x", Activity(type="message"))
    assert caught.value.response.status_code == 401
    assert [(c.status, c.authorization) for c in sim.calls] == [(401, None)]


async def test_connector_operations(simulator: ChannelSimulator) -> None:
    bearer = await _bot_bearer(simulator)
    base = simulator.service_url + "v3/conversations"
    headers = {"Authorization": bearer}
    async with aiohttp.ClientSession(headers=headers) as s:
        sent = await s.post(f"{base}/19%3Aabc%40thread.v2/activities", json={"text": "a"})
        assert sent.status == 200 and (await sent.json())["id"]
        upd = await s.put(f"{base}/c1/activities/42", json={"text": "b"})
        assert (await upd.json()) == {"id": "42"}
        assert (await s.delete(f"{base}/c1/activities/42")).status == 200
        made = await s.post(base, json={"members": [{"id": BOB.teams_id}], "activity": {}})
        assert made.status == 201 and (await made.json())["id"].startswith("a:")
        members = await (await s.get(f"{base}/c1/members")).json()
        assert {"aadObjectId", "tenantId"} <= members[0].keys()
        one = await (await s.get(f"{base}/c1/members/{BOB.aad_object_id}")).json()
        assert one["id"] == BOB.teams_id
        assert (await s.get(f"{base}/c1/members/29:nobody")).status == 404
        channel_token = simulator.authorization()
        denied = await s.post(
            f"{base}/c1/activities", json={}, headers={"Authorization": channel_token}
        )
        assert denied.status == 401
    assert simulator.calls[0].conversation_id == "19:abc@thread.v2"
    assert [c.method for c in simulator.calls][:4] == ["POST", "PUT", "DELETE", "POST"]


async def test_fail_next_injects_faults_then_recovers(simulator: ChannelSimulator) -> None:
    headers = {"Authorization": await _bot_bearer(simulator)}
    url = simulator.service_url + "v3/conversations/c1/activities"
    simulator.fail_next(429, times=2, retry_after=1.5)
    async with aiohttp.ClientSession(headers=headers) as s:
        statuses = []
        for _ in range(3):
            resp = await s.post(url, json={"text": "x"})
            statuses.append((resp.status, resp.headers.get("Retry-After")))
    assert statuses == [(429, "1.5"), (429, "1.5"), (200, None)]
    assert [c.status for c in await simulator.wait_for_calls(3)] == [429, 429, 200]


async def test_wait_for_calls_times_out_clearly(simulator: ChannelSimulator) -> None:
    with pytest.raises(TimeoutError, match="expected at least 1 connector call"):
        await simulator.wait_for_calls(1, timeout=0.05)


# -- Teams activity builders -----------------------------------------------------------------
async def test_channel_message_is_teams_shaped(simulator: ChannelSimulator) -> None:
    raw = simulator.activities.channel_message("help", extra_mentions=[BOB])
    assert raw["text"] == f"<at>opsbot</at> help <at>{BOB.name}</at>"
    assert raw["conversation"]["conversationType"] == "channel" and raw["conversation"]["isGroup"]
    assert raw["conversation"]["id"].endswith(f";messageid={raw['id']}")
    activity = Activity().deserialize(raw)
    assert activity.recipient.id == f"28:{simulator.app_id}"
    assert TurnContext.remove_recipient_mention(activity).strip() == f"help <at>{BOB.name}</at>"
    mentioned = [
        m.additional_properties["mentioned"]["id"] for m in TurnContext.get_mentions(activity)
    ]
    assert mentioned == [f"28:{simulator.app_id}", BOB.teams_id]
    assert teams_get_team_info(activity).id == teams_get_channel_id(activity)  # General channel
    assert activity.channel_data["tenant"]["id"] == simulator.tenant_id
    assert activity.service_url == simulator.service_url and activity.channel_id == "msteams"


async def test_other_activity_shapes(simulator: ChannelSimulator) -> None:
    acts = simulator.activities
    personal = acts.personal_message("hi", user=BOB)
    assert personal["text"] == "hi" and personal["from"]["aadObjectId"] == BOB.aad_object_id
    assert personal["conversation"]["conversationType"] == "personal"
    group = acts.group_chat_message("deploy")
    assert group["text"].startswith("<at>opsbot</at>")
    assert group["conversation"]["conversationType"] == "groupChat"
    invoke = acts.card_action_invoke("approve", {"request": 7})
    assert (invoke["type"], invoke["name"]) == ("invoke", "adaptiveCard/action")
    assert invoke["value"] == {
        "action": {"type": "Action.Execute", "verb": "approve", "data": {"request": 7}},
        "trigger": "manual",
    }
    submit = acts.submit_message({"verb": "approve"})
    assert submit["type"] == "message" and "text" not in submit and submit["value"]
    added = acts.conversation_update_bot_added()
    assert added["membersAdded"] == [{"id": f"28:{simulator.app_id}"}]
    assert added["channelData"]["eventType"] == "teamMemberAdded"
    install = acts.installation_update_add()
    assert (install["type"], install["action"]) == ("installationUpdate", "add")
    from_bot = acts.message_from_bot("loop?")
    assert from_bot["from"]["id"].startswith("28:")
    assert from_bot["from"]["id"] != added["recipient"]["id"]
    for raw in (personal, group, invoke, submit, added, install, from_bot):
        # botbuilder-python maps conversation.tenant_id to "tenantID"; Teams sends "tenantId".
        assert raw["conversation"]["tenantId"] == simulator.tenant_id
        assert Activity().deserialize(raw).channel_data["tenant"]["id"] == simulator.tenant_id


# -- out-of-process use ----------------------------------------------------------------------
async def test_control_api(simulator: ChannelSimulator) -> None:
    ctl = simulator.control_url
    bearer = await _bot_bearer(simulator)
    async with aiohttp.ClientSession() as s:
        minted = await (await s.post(f"{ctl}/mint", json={"kind": "expired"})).json()
        assert minted["authorization"].startswith("Bearer ")
        assert (await s.post(f"{ctl}/mint", json={"kind": "nope"})).status == 400
        assert (await s.post(f"{ctl}/fail", json={"status": 503})).status == 204
        url = simulator.service_url + "v3/conversations/c1/activities"
        for _ in range(2):
            await s.post(url, json={"text": "x"}, headers={"Authorization": bearer})
        page = await _get_json(s, f"{ctl}/calls?since=1")
        assert page["total"] == 2 and [c["status"] for c in page["calls"]] == [200]
        assert (await _get_json(s, f"{ctl}/stats"))["token_requests"] == 1
        assert (await s.post(f"{ctl}/clear")).status == 204
        assert (await _get_json(s, f"{ctl}/calls"))["total"] == 0


def test_standalone_runner(tmp_path: Path) -> None:
    env_file = tmp_path / "sim.env"
    argv = [sys.executable, "-m", "tests.simulator", "--env-file", str(env_file)]
    with subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, text=True) as proc:
        try:
            env = json.loads(proc.stdout.readline())
            assert env["TO_CHANNEL_FROM_BOT_LOGIN_URL"].startswith("https://127.0.0.1:")
            assert f"SIM_SERVICE_URL={env['SIM_SERVICE_URL']}" in env_file.read_text()
            minted = asyncio.run(_mint_remote(env["SIM_CONTROL_URL"]))
            assert minted.startswith("Bearer ey")
        finally:
            proc.terminate()
        assert proc.wait(timeout=10) == 0


async def _mint_remote(control_url: str) -> str:
    async with aiohttp.ClientSession() as s, s.post(control_url + "/mint", json={}) as resp:
        return (await resp.json())["authorization"]


# -- end to end: a real CloudAdapter bot -----------------------------------------------------
class _EchoBot(ActivityHandler):
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        member = await TeamsInfo.get_member(turn_context, turn_context.activity.from_property.id)
        await turn_context.send_activity(MessageFactory.text(f"echo for {member.name}"))


@pytest.fixture
async def bot_url(simulator_thread: ChannelSimulator, trust_sim_ca: None) -> AsyncIterator[str]:
    adapter, bot = CloudAdapter(_auth(simulator_thread)), _EchoBot()

    async def messages(request: web.Request) -> web.StreamResponse:
        return await adapter.process(request, bot)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/api/messages"
    await runner.cleanup()


async def test_cloud_adapter_end_to_end(simulator_thread: ChannelSimulator, bot_url: str) -> None:
    sim = simulator_thread
    async with aiohttp.ClientSession() as session:
        inbound = sim.activities.personal_message("hello", user=BOB)
        ok = await post_activity(session, bot_url, inbound, sim.authorization())
        assert ok.status in (200, 201), ok.text
        denied = await post_activity(session, bot_url, inbound, sim.authorization("wrong_audience"))
        assert denied.status == 401
        # CloudAdapter 4.17.1 turns a missing header into "" and then crashes (500), not 401.
        missing = await post_activity(session, bot_url, inbound, None)
        assert missing.status >= 400
    member, send = await sim.wait_for_calls(2)
    await asyncio.sleep(0.1)
    assert len(sim.calls) == 2  # rejected requests never reached the bot
    assert member.method == "GET" and member.path.endswith(f"/members/{BOB.teams_id}")
    assert send.body["text"] == f"echo for {BOB.name}" and send.activity_id == inbound["id"]
    assert send.body["conversation"]["id"] == inbound["conversation"]["id"]
