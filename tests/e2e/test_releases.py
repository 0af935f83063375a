"""Issue 13 end to end through the real route with signed tokens: deploy, its live card and
history, rollback (button and typed, to the previous good version), status, freeze with an
override that needs approval, injection in every argument, a failing and a hanging pipeline,
overlapping deploys. Runs the example config's local scripts (infra/examples)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from teams_bot.features.release.freeze import end_timed_freezes
from teams_bot.features.release.store import Freeze, FreezeStore, ReleaseStore
from tests.botrunner import BotUnderTest, card_text, start_bot, visible_text
from tests.db_fixtures import DbTarget
from tests.e2e.test_card_actions import executes, wait_until
from tests.simulator import ALICE, BOB, ChannelSimulator, User

ROOT = Path(__file__).resolve().parents[2]
LENA = User.named("Lena Lead")
POLICY = """
default_roles = ["viewer"]

[roles.viewer]
permissions = ["help", "whoami", "status", "deploy.read", "approvals"]

[roles.operator]
permissions = ["deploy.*", "status", "freeze.set", "freeze.override"]

[roles.deployer]
permissions = ["deploy.*", "status"]

[roles.ops-lead]
permissions = ["*"]

[bindings.users]
"{alice}" = ["operator"]
"{bob}" = ["deployer"]
"{lena}" = ["ops-lead"]

[[approval_rules]]
commands = ["freeze.override"]
approvers = ["ops-lead"]
description = "working during a change freeze"
"""


def settings_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **extra: Any) -> dict[str, Any]:
    monkeypatch.setenv("OPSBOT_EXAMPLE_STATE", str(tmp_path / "state.json"))
    monkeypatch.setenv("OPSBOT_EXAMPLE_DELAY", "0.05")
    monkeypatch.delenv("OPSBOT_EXAMPLE_FAIL", raising=False)
    policy = tmp_path / "release-policy.toml"
    policy.write_text(
        POLICY.format(alice=ALICE.aad_object_id, bob=BOB.aad_object_id, lena=LENA.aad_object_id)
    )
    values = {
        "config_file": ROOT / "infra" / "config.example.toml",
        "policy_file": policy,
        "approval_scan_seconds": 0.2,
    }
    return {**values, **extra}


@pytest.fixture
async def release_bot(
    simulator: ChannelSimulator, db_url: DbTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[BotUnderTest]:
    files = settings_for(tmp_path, monkeypatch)
    async with start_bot(simulator, db_url, tmp_path, monkeypatch, **files) as running:
        yield running


async def say(bot: BotUnderTest, text: str, user: User = ALICE) -> dict[str, Any]:
    """Send a command in a channel; the first message the bot posts in answer."""
    bot.sim.clear()
    message = bot.teams.channel_message(f"<at>opsbot</at> {text}", user=user)
    assert (await bot.post(message)).status in (200, 201)
    for _ in range(200):
        posts = [c for c in bot.sim.calls if c.method == "POST" and c.body]
        if posts:
            return posts[0].body  # type: ignore[return-value]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no answer to {text!r}")


async def final_card(bot: BotUnderTest, words: str) -> dict[str, Any]:
    def found() -> bool:
        return any(words in visible_text(c.body) for c in bot.sim.calls if c.method == "PUT")

    await wait_until(found, seconds=20)
    return next(
        c.body
        for c in reversed(bot.sim.calls)
        if c.method == "PUT" and words in visible_text(c.body)
    )  # type: ignore[return-value]


async def history(bot: BotUnderTest) -> list[tuple[str, str, str, str]]:
    found = await ReleaseStore(bot.services.db).history(bot.sim.tenant_id, last=20)
    return [(r.kind, r.version, r.environment, r.state) for r in found]


async def test_deploy_progresses_on_its_card_and_lands_in_history_and_status(
    release_bot: BotUnderTest,
) -> None:
    bot = release_bot
    posted = await say(bot, "deploy web 1.2.3")
    assert "Deploy web 1.2.3 → staging" in visible_text(posted)
    done = await final_card(bot, "Succeeded")
    assert "Deploy web 1.2.3 → staging" in visible_text(done)
    assert await history(bot) == [("deploy", "1.2.3", "staging", "succeeded")]
    listed = visible_text(await say(bot, "deploy list web"))
    assert "deploy `web 1.2.3` → staging" in listed and "succeeded" in listed
    status = visible_text(await say(bot, "status web"))
    assert "staging: 1.2.3" in status and "healthy" in status


async def test_rollback_button_and_typed_rollback_go_back_to_the_previous_good_version(
    release_bot: BotUnderTest,
) -> None:
    bot = release_bot
    await say(bot, "deploy web 1.2.3 env=prod")
    await final_card(bot, "Succeeded")
    second = await say(bot, "deploy web 1.2.4 environment=production")
    assert "Before" in visible_text(second) and "1.2.3" in visible_text(second)
    await final_card(bot, "Roll back to 1.2.3")
    card = next(
        c.body
        for c in reversed(bot.sim.calls)
        if c.method == "PUT" and "Roll back to 1.2.3" in visible_text(c.body)
    )["attachments"][0]["content"]  # type: ignore[index]
    (button,) = [a for a in executes(card) if a["title"] == "Roll back to 1.2.3"]
    message_id = next(c.activity_id for c in bot.sim.calls if c.method == "PUT")
    invoke = bot.teams.card_action_invoke(
        button["verb"], button["data"], user=ALICE, where="channel", reply_to_id=message_id or ""
    )
    answer = (await bot.post(invoke)).json()
    assert "Rolling back to 1.2.3" in card_text(answer["value"])
    await final_card(bot, "Rolled back to 1.2.3")
    assert (await history(bot))[0] == ("rollback", "1.2.3", "production", "succeeded")
    # what runs now is 1.2.3 (the rollback); the previous good version other than it is 1.2.4
    typed = visible_text(await say(bot, "rollback web env=production"))
    assert "Rollback web 1.2.4 → production" in typed and "Before\n1.2.3" in typed


async def test_hostile_arguments_are_refused_and_nothing_runs(release_bot: BotUnderTest) -> None:
    bot = release_bot
    for text, words in [
        ('deploy web "1.2.3; rm -rf /"', "is not a valid version of web"),
        ("deploy web $(id)", "is not a valid version of web"),
        ('deploy "web`id`" 1.2.3', "Unknown service"),
        ('deploy web 1.2.3 env="prod; touch /tmp/x"', "is not an environment of web"),
    ]:
        assert words in visible_text(await say(bot, text)), text
    assert await history(bot) == []


async def test_freeze_holds_deploys_and_an_override_needs_approval(
    release_bot: BotUnderTest,
) -> None:
    bot = release_bot
    frozen = visible_text(await say(bot, 'freeze on "release night" for=1h', user=LENA))
    assert "Changes are frozen everywhere by Lena Lead" in frozen
    held = visible_text(await say(bot, "deploy web 1.2.5", user=BOB))
    assert "Changes are frozen everywhere by Lena Lead" in held and "release night" in held
    asked = visible_text(await say(bot, "deploy web 1.2.5"))  # Alice may ask for an override
    assert "working during a change freeze" in asked
    assert await history(bot) == []
    (approval,) = await bot.services.approvals.open_for(ALICE.aad_object_id)
    assert "Changes are frozen" in approval.rule_description
    decided = visible_text(await say(bot, f"approve {approval.id}", user=LENA))
    assert "Approved" in decided
    for _ in range(200):
        if await history(bot) and (await history(bot))[0][3] == "succeeded":
            break
        await asyncio.sleep(0.05)
    assert await history(bot) == [("deploy", "1.2.5", "staging", "succeeded")]
    assert "Freeze ended by Lena Lead" in visible_text(await say(bot, "freeze off", user=LENA))
    await say(bot, "deploy web 1.2.6")
    await final_card(bot, "Succeeded")


async def test_a_timed_freeze_ends_by_itself_and_says_so_where_it_was_set(
    release_bot: BotUnderTest,
) -> None:
    bot = release_bot
    now = datetime.now(UTC)
    freeze = Freeze(
        id="f1",
        tenant_id=bot.sim.tenant_id,
        environment="*",
        reason="",
        by_id="x",
        by_name="Lena Lead",
        conversation_id=await _known_conversation(bot),
        started_at=now - timedelta(hours=2),
        until=now - timedelta(minutes=1),
    )
    await FreezeStore(bot.services.db).start(freeze)
    bot.sim.clear()
    # two scans at once (and the bot's own maintenance clock): the end is said exactly once
    await asyncio.gather(end_timed_freezes(bot.services), end_timed_freezes(bot.services))
    await bot.sim.wait_for_calls(1)
    await asyncio.sleep(0.5)
    said = [
        c for c in bot.sim.calls if "has ended: changes may go ahead again" in visible_text(c.body)
    ]
    assert len(said) == 1


async def _known_conversation(bot: BotUnderTest) -> str:
    message = bot.teams.channel_message("<at>opsbot</at> version", user=ALICE)
    await bot.post(message)
    await bot.sim.wait_for_calls(1)
    return str(message["conversation"]["id"])


async def test_a_failing_pipeline_shows_its_output_and_is_recorded_failed(
    release_bot: BotUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = release_bot
    monkeypatch.setenv("OPSBOT_EXAMPLE_FAIL", "1")
    await say(bot, "deploy web 1.2.3")
    done = await final_card(bot, "Failed")
    assert "health check failed" in visible_text(done)
    assert await history(bot) == [("deploy", "1.2.3", "staging", "failed")]


async def test_overlapping_deploys_of_one_service_and_environment_run_once(
    release_bot: BotUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = release_bot
    monkeypatch.setenv("OPSBOT_EXAMPLE_DELAY", "0.5")
    bot.sim.clear()
    first = bot.teams.channel_message("<at>opsbot</at> deploy web 1.3.0", user=ALICE)
    second = bot.teams.channel_message("<at>opsbot</at> deploy web 1.3.1", user=LENA)
    await asyncio.gather(bot.post(first), bot.post(second))
    await wait_until(lambda: len([c for c in bot.sim.calls if c.method == "POST"]) >= 2)
    texts = [visible_text(c.body) for c in bot.sim.calls if c.method == "POST"]
    assert sum("Already running, so not started again" in t for t in texts) == 1, texts
    await final_card(bot, "Succeeded")
    assert len(await history(bot)) == 1


async def test_a_pipeline_that_hangs_past_its_timeout_is_timed_out(
    simulator: ChannelSimulator, db_url: DbTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "slow.toml"
    example = (ROOT / "infra" / "config.example.toml").read_text(encoding="utf-8")
    config.write_text(
        example.replace('workdir = ".."', f"workdir = {json.dumps(str(ROOT))}").replace(
            'timeout = "30m"', 'timeout = "1s"'
        ),
        encoding="utf-8",
    )
    files = settings_for(tmp_path, monkeypatch, config_file=config)
    monkeypatch.setenv("OPSBOT_EXAMPLE_DELAY", "3")
    async with start_bot(simulator, db_url, tmp_path, monkeypatch, **files) as bot:
        await say(bot, "deploy web 1.2.3")
        done = await final_card(bot, "Timed out")
        assert "Deploy web 1.2.3" in visible_text(done)
        assert await history(bot) == [("deploy", "1.2.3", "staging", "timed_out")]


async def test_the_runner_callback_route_checks_what_it_is_sent(
    simulator: ChannelSimulator, db_url: DbTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """POST /api/runners/{name}/callback: unknown runner 404, bad signature 401, too big 413."""
    config = tmp_path / "hook.toml"
    example = (ROOT / "infra" / "config.example.toml").read_text(encoding="utf-8")
    config.write_text(
        example.replace('workdir = ".."', f"workdir = {json.dumps(str(ROOT))}")
        + '\n[runners.hook]\nkind = "webhook"\nurl = "http://127.0.0.1:9/hooks"\n'
        'secret_env = "TEST_HOOK_SECRET"\ncompletion = "callback"\n'
        'callback_url = "http://127.0.0.1:9/api/runners/hook/callback"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("TEST_HOOK_SECRET", "s" * 32)
    files = settings_for(tmp_path, monkeypatch, config_file=config)
    async with start_bot(simulator, db_url, tmp_path, monkeypatch, **files) as bot:
        base = bot.url.removesuffix("/api/messages") + "/api/runners"
        body = b'{"run": "x", "status": "succeeded"}'
        async with bot.session.post(f"{base}/nobody/callback", data=body) as resp:
            assert resp.status == 404
        headers = {"X-Opsbot-Timestamp": "1", "X-Opsbot-Signature": "sha256=00"}
        async with bot.session.post(f"{base}/hook/callback", data=body, headers=headers) as resp:
            assert resp.status == 401
        async with bot.session.post(f"{base}/hook/callback", data=b"x" * 70_000) as resp:
            assert resp.status == 413
