"""Features declared once and wired by a list; clashes fail at start; plug-ins from entry points."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from teams_bot.commands.registry import CommandRegistry
from teams_bot.features import default_features
from teams_bot.kit import (
    Button,
    CardKind,
    Catalog,
    Feature,
    FeatureConflictError,
    Route,
    installed_features,
)

HERE = Path(__file__).resolve().parent


async def _noop(*_: object) -> object:
    return None


def test_the_shipped_features_merge_without_clashes() -> None:
    catalog = Catalog(default_features())
    names = {f.name for f in catalog.features}
    assert names == {
        "builtins",
        "nodes",
        "reboot",
        "release",
        "alerts",
        "approvals",
        "observability",
        "oncall",
        "runbooks",
        "opslog",
        "schedules",
        "incidents",
    }
    assert {"nodes.reboot", "approval.approve", "card.refresh", "reboot.node"} <= set(
        catalog.buttons
    )
    assert {"failed_nodes", "node_reboot"} <= set(catalog.cards)
    assert catalog.commands.get("nodes reboot") is not None
    # interrupted jobs, retention, timed freezes, interrupted releases, approval expiry and
    # recovery, outbox gauges, the ops-log channel, schedules
    assert len(catalog.scans) == 9
    assert len(catalog.guards) == 1 and len(catalog.workers) == 1  # the freeze; alert delivery
    assert ("POST", "/api/alerts/{source}") in catalog.routes


@pytest.mark.parametrize(
    "second",
    [
        Feature("b", buttons=[Button("x.go", _noop)]),  # type: ignore[arg-type]
        Feature("b", cards=[CardKind("k", _noop)]),  # type: ignore[arg-type]
        Feature("b", routes=[Route("post", "/api/x", _noop)]),  # type: ignore[arg-type]
    ],
)
def test_a_clash_is_an_error_at_start(second: Feature) -> None:
    first = Feature(
        "a",
        buttons=[Button("x.go", _noop)],  # type: ignore[arg-type]
        cards=[CardKind("k", _noop)],  # type: ignore[arg-type]
        routes=[Route("POST", "/api/x", _noop)],  # type: ignore[arg-type]
    )
    with pytest.raises(FeatureConflictError, match="already declared"):
        Catalog([first, second])


def test_a_command_clash_is_an_error_too() -> None:
    one, two = CommandRegistry(), CommandRegistry()

    @one.command("ping", permission="help")
    async def ping(ctx: object) -> str:
        """Ping."""
        return "pong"

    @two.command("ping", permission="help")
    async def ping2(ctx: object) -> str:
        """Ping again."""
        return "pong"

    with pytest.raises(Exception, match="ping"):
        Catalog([Feature("a", commands=one), Feature("b", commands=two)])


def test_a_feature_package_installed_with_pip_is_loaded_from_its_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "--target",
            str(target),
            str(HERE / "example_feature"),
        ],
        check=True,
    )
    monkeypatch.syspath_prepend(str(target))
    loaded = installed_features()
    (feature,) = [f for f in loaded if f.name == "hello"]
    assert feature.commands.get("hello") is not None
    assert ("GET", "/api/hello") in Catalog([feature]).routes
