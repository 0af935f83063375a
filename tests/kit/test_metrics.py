"""GET /metrics: what operators scrape, counted where the audit log is written."""

from __future__ import annotations

import re

import pytest

from tests.botrunner import BotUnderTest, start_bot
from tests.db_fixtures import DbTarget
from tests.simulator import ChannelSimulator


def value(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def scrape(bot: BotUnderTest, **headers: str) -> tuple[int, str]:
    base = bot.url.removesuffix("/api/messages")
    async with bot.session.get(base + "/metrics", headers=headers) as resp:
        return resp.status, await resp.text()


async def test_commands_turns_and_connector_calls_are_counted(bot: BotUnderTest) -> None:
    _, before = await scrape(bot)
    await bot.post(bot.teams.personal_message("whoami"))
    await bot.post(bot.teams.personal_message("audit"))  # denied: no audit.read for Alice
    await bot.sim.wait_for_calls(2)
    status, after = await scrape(bot)
    assert status == 200

    def grew(name: str, by: float, **labels: str) -> None:
        assert value(after, name, **labels) - value(before, name, **labels) == by, (name, labels)

    grew("teams_bot_audited_total", 1, kind="command", command="whoami", outcome="ok")
    grew("teams_bot_activities_total", 2, type="message")
    grew("teams_bot_connector_calls_total", 2, method="POST", status="200")
    assert "teams_bot_activity_seconds_bucket" in after and "teams_bot_jobs_running" in after


async def test_bad_tokens_are_counted_by_reason(bot: BotUnderTest) -> None:
    _, before = await scrape(bot)
    await bot.post(bot.teams.personal_message("whoami"), kind="missing")
    _, after = await scrape(bot)
    name = "teams_bot_token_refusals_total"
    assert (
        value(after, name, reason="no Authorization header")
        - value(before, name, reason="no Authorization header")
        == 1
    )


async def test_a_token_guards_metrics_when_one_is_set(
    simulator: ChannelSimulator, db_url: DbTarget, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with start_bot(simulator, db_url, tmp_path, monkeypatch, metrics_token="m" * 24) as bot:
        assert (await scrape(bot))[0] == 401
        assert (await scrape(bot, Authorization="Bearer " + "m" * 24))[0] == 200


def test_the_example_dashboard_only_queries_metrics_the_bot_exports() -> None:
    import json
    from pathlib import Path

    from prometheus_client.metrics import MetricWrapperBase

    from teams_bot import metrics

    dashboard = Path(__file__).resolve().parents[2] / "infra" / "grafana-dashboard.json"
    exprs = [t["expr"] for p in json.loads(dashboard.read_text())["panels"] for t in p["targets"]]
    used = {m for e in exprs for m in re.findall(r"teams_bot_[a-z_]+", e)}
    families = [
        family
        for metric in vars(metrics).values()
        if isinstance(metric, MetricWrapperBase)
        for family in metric.describe()
    ]
    suffixes = ("", "_total", "_bucket", "_count", "_sum")
    exported = {family.name + suffix for family in families for suffix in suffixes}
    assert used and used <= exported, used - exported
