"""The example scripts in infra/examples, run through the example config as the bot would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from teams_bot.automation import AutomationConfig, load_automation

EXAMPLE = Path(__file__).parents[1] / "infra/config.example.toml"
BAD_RELEASE = "web-2026.11.20-3"


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AutomationConfig:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPSBOT_EXAMPLE_DELAY", "0")
    monkeypatch.delenv("OPSBOT_EXAMPLE_STATE", raising=False)
    return load_automation(EXAMPLE)


async def names(config: AutomationConfig, cluster: str | None = None) -> list[str]:
    return [node.name for node in await config.inventory().failed_nodes(cluster)]


async def test_builtin_sample(config: AutomationConfig) -> None:
    nodes = await config.inventory().failed_nodes(None)
    assert len(nodes) == 4
    assert {node.cluster for node in nodes} == {"prod-weu", "prod-neu"}
    assert all(node.last_error and node.since for node in nodes)
    assert sum(node.release == BAD_RELEASE for node in nodes) == 3
    assert await names(config, "prod-weu") == ["web-07", "web-11"]
    assert await names(config, "nowhere") == []


async def test_reboot_and_rollback_heal_nodes_in_the_state_file(
    config: AutomationConfig, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    state = tmp_path / "state" / "nodes.json"
    monkeypatch.setenv("OPSBOT_EXAMPLE_STATE", str(state))
    assert await names(config) == ["web-07", "web-11", "db-02", "web-21"]
    assert state.exists()

    reboot = config.runner_for("reboot")
    result = await reboot.run(config.job_for("reboot", {"node": "web-07"}))
    assert result.status == "succeeded", result.output_tail
    assert result.output_tail.splitlines() == [
        'reboot requested for node "web-07"',
        'draining "web-07"...',
        'rebooting "web-07"...',
        'waiting for "web-07" to report Ready...',
        '"web-07" healthy',
    ]
    assert await names(config) == ["web-11", "db-02", "web-21"]

    job = config.job_for("rollback", {"release": BAD_RELEASE})
    result = await config.runner_for("rollback").run(job)
    assert result.status == "succeeded", result.output_tail
    assert "(2 recovered)" in result.output_tail
    assert await names(config) == ["db-02"]
    saved = json.loads(state.read_text())["nodes"]
    assert {n["name"]: n["state"] for n in saved}["web-11"] == "healthy"


async def test_reboot_of_an_unknown_node_fails(
    config: AutomationConfig, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("OPSBOT_EXAMPLE_STATE", str(tmp_path / "state.json"))
    result = await config.runner_for("reboot").run(
        config.job_for("reboot", {"node": "--cluster=all; touch opsbot-pwned-marker"})
    )
    assert (result.status, result.exit_code) == ("failed", 3)
    assert result.output_tail == 'unknown node "--cluster=all; touch opsbot-pwned-marker"'
    assert len(await names(config)) == 4
    assert not marker_exists()


def marker_exists() -> bool:
    """The jobs' working directory is the repository root (workdir = ".." in the example)."""
    return (EXAMPLE.parent.parent / "opsbot-pwned-marker").exists()


async def test_progress_reaches_the_callback(
    config: AutomationConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSBOT_EXAMPLE_DELAY", "0.3")
    seen: list[str] = []

    async def progress(line: str) -> None:
        seen.append(line)

    job = config.job_for("rollback", {"release": "-x"})  # argparse refuses it: exit 2
    assert (await config.runner_for("rollback").run(job, progress)).exit_code == 2
    seen.clear()
    job = config.job_for("reboot", {"node": "web-07"})
    result = await config.runner_for("reboot").run(job, progress)
    assert result.status == "succeeded"
    assert seen[0] == 'reboot requested for node "web-07"'
    assert 2 <= len(seen) <= 3  # 1.2 s of output, at most one update per second
