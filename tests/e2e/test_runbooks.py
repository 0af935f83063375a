"""Runbooks end to end through the real route with signed tokens: list, show (paged with
Next/Previous), run with a pause -> Continue -> done, Stop, and the permissions. Runs the example
config's restart-web runbook (infra/examples/reboot_node.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from teams_bot.app import all_features
from teams_bot.jobs.recovery import recover_interrupted
from tests.botrunner import BotUnderTest, card_text, start_bot, visible_text
from tests.db_fixtures import DbTarget
from tests.e2e.test_card_actions import executes, wait_until
from tests.simulator import ALICE, BOB, ChannelSimulator, User

ROOT = Path(__file__).resolve().parents[2]
POLICY = """
default_roles = ["viewer"]

[roles.viewer]
permissions = ["help", "runbooks.read"]

[roles.operator]
permissions = ["runbooks.*", "help"]

[bindings.users]
"{alice}" = ["operator"]
"""


@pytest.fixture
async def bot(
    simulator: ChannelSimulator, db_url: DbTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[BotUnderTest]:
    """The example config as shipped (its runbooks folder and restart-web)."""
    monkeypatch.setenv("OPSBOT_EXAMPLE_STATE", str(tmp_path / "state.json"))
    monkeypatch.setenv("OPSBOT_EXAMPLE_DELAY", "0.05")
    config = ROOT / "infra" / "config.example.toml"
    async with _started(simulator, db_url, tmp_path, monkeypatch, config) as running:
        yield running


@pytest.fixture
async def paging_bot(
    simulator: ChannelSimulator, db_url: DbTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[BotUnderTest]:
    """A runbooks folder of its own with a long runbook."""
    folder = tmp_path / "books"
    folder.mkdir()
    long = "\n\n".join(f"## Part {i}\n\n" + "words " * 150 for i in range(30))
    (folder / "long.md").write_text(f"# A long one\n\n{long}\n")
    config = tmp_path / "config.toml"
    config.write_text(f"[runbooks]\nfolder = {json.dumps(str(folder))}\n")
    async with _started(simulator, db_url, tmp_path, monkeypatch, config) as running:
        yield running


@asynccontextmanager
async def _started(
    simulator: ChannelSimulator,
    db_url: DbTarget,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    config: Path,
) -> AsyncIterator[BotUnderTest]:
    policy = tmp_path / "runbooks-policy.toml"  # botrunner writes its own policy.toml
    policy.write_text(POLICY.format(alice=ALICE.aad_object_id))
    features = all_features()  # runbooks is a shipped feature
    async with start_bot(
        simulator,
        db_url,
        tmp_path,
        monkeypatch,
        features=features,
        config_file=config,
        policy_file=policy,
    ) as running:
        yield running


async def say(bot: BotUnderTest, text: str, user: User = ALICE) -> dict[str, Any]:
    bot.sim.clear()
    message = bot.teams.channel_message(f"<at>opsbot</at> {text}", user=user)
    assert (await bot.post(message)).status in (200, 201)
    for _ in range(200):
        posts = [c for c in bot.sim.calls if c.method == "POST" and c.body]
        if posts:
            return posts[0].body  # type: ignore[return-value]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no answer to {text!r}")


def buttons(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["title"]: a for a in executes(card) if "title" in a}


def content(activity: dict[str, Any]) -> dict[str, Any]:
    return activity["attachments"][0]["content"]  # type: ignore[no-any-return]


async def press(bot: BotUnderTest, action: dict[str, Any], user: User = ALICE) -> dict[str, Any]:
    record = await bot.services.actions.get(bot.services.signer.verify(action["data"]["actionId"]))
    card = await bot.services.actions.card(record.card_id) if record else None
    invoke = bot.teams.card_action_invoke(
        action["verb"],
        action["data"],
        user=user,
        where="channel",
        reply_to_id=card.activity_id if card else "",
    )
    answer = await bot.post(invoke)
    assert answer.status == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def latest(
    bot: BotUnderTest, words: str, seconds: float = 20, methods: tuple[str, ...] = ("PUT",)
) -> dict[str, Any]:
    """The newest card update (or, with methods, post) that shows `words`."""

    def shown() -> list[Any]:
        return [
            c.body for c in bot.sim.calls if c.method in methods and words in visible_text(c.body)
        ]

    await wait_until(lambda: bool(shown()), seconds=seconds)
    return content(shown()[-1])


async def test_list_and_show_a_runbook(bot: BotUnderTest) -> None:
    listed = visible_text(await say(bot, "runbook list", user=BOB))
    assert "Node NotReady — runbook node-not-ready" in listed
    assert "runbook run restart-web (2 steps)" in listed
    shown = await say(bot, "runbook node-not-ready", user=BOB)
    text = visible_text(shown)
    assert "Node NotReady" in text and "Check" in text
    assert "kubectl describe node web-07" in text  # the code block, literally
    assert "page 1 of 1" in text and not buttons(content(shown))
    missing = visible_text(await say(bot, "runbook nope", user=BOB))
    assert "No runbook named 'nope'" in missing and "node-not-ready" in missing


async def test_a_long_runbook_is_paged_with_next_and_previous(paging_bot: BotUnderTest) -> None:
    bot = paging_bot
    first = content(await say(bot, "runbook long", user=BOB))
    assert "page 1 of" in card_text(first) and "Previous" not in buttons(first)
    answer = await press(bot, buttons(first)["Next ▶"], user=BOB)
    second = answer["value"]
    assert "page 2 of" in card_text(second) and "Part 0" not in card_text(second)
    back = await press(bot, buttons(second)["◀ Previous"], user=BOB)
    assert "page 1 of" in card_text(back["value"]) and "Part 0" in card_text(back["value"])


async def test_run_pauses_then_continue_runs_to_done(bot: BotUnderTest) -> None:
    posted = await say(bot, "runbook run restart-web second=web-21")
    assert "Runbook Restart two web nodes" in visible_text(posted)
    paused = await latest(bot, "paused: press Continue")
    text = card_text(paused)
    assert "Reboot the first node (reboot): ✔ succeeded" in text
    assert "web-07" in text and "healthy" in text  # the first step's output tail
    assert "Reboot the second node (reboot): ⏸ waits for Continue" in text
    assert set(buttons(paused)) == {"Continue", "Stop"}
    answer = await press(bot, buttons(paused)["Continue"])
    assert "Runbook Restart two web nodes: running" in card_text(answer["value"])
    done = await latest(bot, "✔ done")
    assert "Reboot the second node (reboot): ✔ succeeded" in card_text(done)
    assert "web-21" in card_text(done) and not buttons(done)
    again = await press(bot, buttons(paused)["Continue"])  # the old card's button
    assert "Already continued or stopped" in card_text(again["value"])


async def test_stop_ends_a_paused_run_and_continue_no_longer_works(bot: BotUnderTest) -> None:
    await say(bot, "runbook run restart-web")
    paused = await latest(bot, "paused: press Continue")
    denied = await press(bot, buttons(paused)["Stop"], user=BOB)  # a viewer may not stop it
    assert "runbooks.run" in card_text(denied["value"])
    stopped = (await press(bot, buttons(paused)["Stop"]))["value"]
    assert "■ stopped" in card_text(stopped) and "Stopped by" in card_text(stopped)
    assert "Reboot the second node (reboot): - not run" in card_text(stopped)
    assert not buttons(stopped)
    late = await press(bot, buttons(paused)["Continue"])
    assert "Already continued or stopped" in card_text(late["value"])


async def test_stop_while_a_step_runs_ends_the_run_after_that_step(
    bot: BotUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSBOT_EXAMPLE_DELAY", "1.0")  # each reboot takes about 3 s
    await say(bot, "runbook run restart-web")
    # the card may already say "running" when it is posted (then no update says it again)
    running = await latest(
        bot, "1. Reboot the first node (reboot): ⏳ running", methods=("POST", "PUT")
    )
    answer = (await press(bot, buttons(running)["Stop"]))["value"]
    assert "■ stopping after the current step" in card_text(answer)
    stopped = await latest(bot, "■ stopped")
    text = card_text(stopped)
    assert "Reboot the first node (reboot): ✔ succeeded" in text
    assert "Reboot the second node (reboot): - not run" in text and not buttons(stopped)
    records = await bot.services.audit.query(last=10, kind="action")
    assert any(r.detail == "runbook restart-web: stopped" for r in records)


async def test_a_run_whose_process_is_gone_is_reported_interrupted_by_its_card_kind(
    bot: BotUnderTest,
) -> None:
    await say(bot, "runbook run restart-web")
    paused = await latest(bot, "paused: press Continue")
    token = buttons(paused)["Continue"]["data"]["actionId"]
    services = bot.services
    record = await services.actions.get(services.signer.verify(token) or "")
    assert record is not None
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    # the Continue press was claimed by a replica that died while the second step ran
    assert await services.actions.claim(record.id, ALICE.aad_object_id, "Alice", long_ago)

    def running(data: dict[str, Any]) -> dict[str, Any]:
        states = {**data["states"], "1": {"state": "running", "by": "Alice"}}
        return {**data, "state": "running", "continue": "", "states": states}

    await services.actions.update_card(record.card_id, running, datetime.now(UTC))
    bot.sim.clear()
    found = await recover_interrupted(services)
    assert [a.id for a in found] == [record.id]
    card = await latest(bot, "✖ failed")
    assert "Reboot the second node (reboot): ✖ failed" in card_text(card)
    assert "interrupted: the bot stopped while this step ran" in card_text(card)
    assert not buttons(card)


async def test_permissions_and_bad_arguments(bot: BotUnderTest) -> None:
    refused = visible_text(await say(bot, "runbook run restart-web", user=BOB))
    assert "runbooks.run" in refused
    bad = visible_text(await say(bot, "runbook run restart-web web-07"))
    assert "Arguments are key=value pairs" in bad
    unknown = visible_text(await say(bot, "runbook run nope"))
    assert "No executable runbook named 'nope'" in unknown and "restart-web" in unknown
    assert not [c for c in bot.sim.calls if c.method == "PUT"]


async def test_a_failed_step_ends_the_run_and_typed_values_never_reach_a_shell(
    bot: BotUnderTest, tmp_path: Path
) -> None:
    await say(bot, 'runbook run restart-web first="$(touch pwned)"')
    failed = await latest(bot, "✖ failed")
    text = card_text(failed)
    assert "Reboot the first node (reboot): ✖ failed" in text
    assert "$(touch pwned)" in text  # the example script printed the value it was given
    assert "Reboot the second node (reboot): - not run" in text and not buttons(failed)
    assert not _created("pwned", tmp_path, ROOT)


def _created(name: str, tmp_path: Path, root: Path) -> bool:
    """Anywhere the example script could have run a shell: its workdir (the repo) or the test's."""
    return bool(list(tmp_path.rglob(name))) or any(
        (folder / name).exists() for folder in (root, root / "infra", root / "infra" / "examples")
    )
