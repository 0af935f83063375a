"""The automation config file: typed loading, and errors that name the file and the key."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest

from teams_bot.automation import (
    ArgumentError,
    AutomationConfig,
    ConfigError,
    ExecInventory,
    ExecSpec,
    HttpInventory,
    HttpInventorySpec,
    Job,
    NotConfiguredError,
    Runner,
    load_automation,
)

PY = sys.executable
EXAMPLE = Path(__file__).parents[1] / "infra/config.example.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "automation.toml"
    path.write_text(text.replace("PY", PY))
    return path


def test_no_file_means_nothing_configured() -> None:
    config = load_automation(None)
    assert config.actions == {} and not config.has_inventory
    with pytest.raises(NotConfiguredError, match="No inventory source is configured"):
        config.inventory()
    with pytest.raises(NotConfiguredError, match=r"'reboot' is not configured.*\[actions.reboot\]"):
        config.job_for("reboot", {"node": "a"})
    with pytest.raises(NotConfiguredError):
        config.runner_for("reboot")


def test_example_file_loads(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # the example's workdir is relative to the file, not the cwd
    config = load_automation(EXAMPLE)
    root = EXAMPLE.parent.parent
    assert config.inventory_spec == ExecSpec(
        argv=("python3", "infra/examples/inventory.py", "--cluster", "{cluster}"),
        timeout=timedelta(seconds=20),
        workdir=root,
        env=("OPSBOT_EXAMPLE_STATE",),
    )
    assert sorted(config.actions) == ["deploy-web", "reboot", "rollback", "rollback-web"]
    assert sorted(config.services.services) == ["web"] and config.runners == {}
    reboot = config.actions["reboot"]
    assert reboot.timeout == timedelta(minutes=5) and reboot.workdir == root
    assert config.actions["rollback"].timeout == timedelta(minutes=15)
    assert isinstance(config.inventory(), ExecInventory)
    assert isinstance(config.runner_for("reboot"), Runner)


def test_job_for_builds_a_checked_job(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [automation]
        env = ["HOME"]
        [actions.reboot]
        argv = ["PY", "-c", "pass", "--", "{node}", "{nodes*}"]
        timeout = "90s"
        env = ["KUBECONFIG", "HOME"]
        """,
    )
    config = load_automation(path)
    job = config.job_for("reboot", {"node": "web-07", "nodes": ["a", "b"], "unused": "x"})
    assert job == Job(
        "reboot",
        (PY, "-c", "pass", "--", "{node}", "{nodes*}"),
        {"node": "web-07", "nodes": ["a", "b"], "unused": "x"},
        timedelta(seconds=90),
        Path.cwd().resolve(),
        ("HOME", "KUBECONFIG"),
    )
    assert job.render() == [PY, "-c", "pass", "--", "web-07", "a", "b"]
    with pytest.raises(ArgumentError, match="Missing a value for 'nodes'"):
        config.job_for("reboot", {"node": "web-07"})
    with pytest.raises(ArgumentError, match="NUL"):
        config.job_for("reboot", {"node": "a\0", "nodes": []})


async def test_configured_job_runs(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [actions.hello]
        argv = ["PY", "-c", "import os, sys; print(os.getcwd(), sys.argv[1])", "{who}"]
        workdir = "."
        """,
    )
    config = load_automation(path)
    result = await config.runner_for("hello").run(config.job_for("hello", {"who": "$(whoami)"}))
    assert result.status == "succeeded"
    assert result.output_tail == f"{config.actions['hello'].workdir} $(whoami)"
    assert config.actions["hello"].workdir == path.parent.resolve()


def test_workdir_is_relative_to_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "jobs").mkdir()
    path = tmp_path / "conf" / "automation.toml"
    path.write_text(
        f"""
        [automation]
        workdir = "../jobs"
        [actions.a]
        argv = ["{PY}"]
        [actions.b]
        argv = ["{PY}"]
        workdir = "."
        """
    )
    monkeypatch.chdir("/")
    config = load_automation(path)
    assert config.actions["a"].workdir == (tmp_path / "jobs").resolve()
    assert config.actions["b"].workdir == (tmp_path / "conf").resolve()


def test_relative_executable_is_checked_in_the_workdir(tmp_path: Path) -> None:
    tool = tmp_path / "bin" / "tool.sh"
    tool.parent.mkdir()
    tool.write_text("#!/bin/sh\necho ok\n")
    tool.chmod(0o755)
    path = write(tmp_path, '[actions.t]\nargv = ["./bin/tool.sh"]\nworkdir = "."\n')
    assert load_automation(path).actions["t"].argv == ("./bin/tool.sh",)
    tool.chmod(0o644)
    with pytest.raises(
        ConfigError, match=r"actions\.t\.argv: executable '\./bin/tool\.sh' not found"
    ):
        load_automation(path)


def test_http_inventory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSBOT_INV_TOKEN", "t0ken")
    path = write(
        tmp_path,
        """
        [inventory]
        kind = "http"
        url = "http://127.0.0.1:9/nodes"
        token_env = "OPSBOT_INV_TOKEN"
        timeout = "5s"
        """,
    )
    config = load_automation(path)
    assert config.inventory_spec == HttpInventorySpec(
        "http://127.0.0.1:9/nodes", timedelta(seconds=5), "OPSBOT_INV_TOKEN"
    )
    assert isinstance(config.inventory(), HttpInventory)
    assert "t0ken" not in repr(config)


def test_other_top_level_tables_are_left_alone(tmp_path: Path) -> None:
    path = write(tmp_path, '[alerts]\nroute = "x"\n[freeze]\nrisky = ["deploy"]\n')
    assert load_automation(path) == AutomationConfig(path=path)


ERRORS = [
    ("[inventory\n", "", "not valid TOML"),
    ('[inventory]\nkind = "ftp"\n', "inventory.kind", 'must be "exec" or "http"'),
    ("[inventory]\n", "inventory.argv", "missing"),
    ('[inventory]\nargv = "PY x"\n', "inventory.argv", "must be a non-empty list"),
    ("[inventory]\nargv = []\n", "inventory.argv", "must be a non-empty list"),
    ('[inventory]\nargv = ["{tool}"]\n', "inventory.argv", "element 0 (the executable)"),
    ('[inventory]\nargv = ["PY", 5]\n', "inventory.argv", "element 1 must be a string"),
    ('[inventory]\nargv = ["PY", "{node}"]\n', "inventory.argv", "only placeholder"),
    ('[inventory]\nargv = ["PY", "{cluster*}"]\n', "inventory.argv", "only placeholder"),
    ('[inventory]\nargv = ["PY"]\ntimeout = "1h"\n', "inventory.timeout", "at most 10m"),
    ('[actions.r]\nargv = ["PY", "--node={node}"]\n', "actions.r.argv", "element 1"),
    ('[actions.r]\nargv = ["PY", "{node"]\n', "actions.r.argv", "whole-element placeholder"),
    ('[actions.r]\nargv = ["PY", "{no-de}"]\n', "actions.r.argv", "whole-element placeholder"),
    ('[actions.r]\nargv = ["PY", "{a}{b}"]\n', "actions.r.argv", "whole-element placeholder"),
    ('[actions.r]\nargv = ["PY"]\ntimeout = 20\n', "actions.r.timeout", "quoted duration"),
    ('[actions.r]\nargv = ["PY"]\ntimeout = "soon"\n', "actions.r.timeout", "'soon' must be"),
    ('[actions.r]\nargv = ["PY"]\ntimeout = "2d"\n', "actions.r.timeout", "at most 1d"),
    ('[actions.r]\nargv = ["PY"]\ntimeout = "0s"\n', "actions.r.timeout", "longer than zero"),
    ('[actions.r]\nargv = ["PY"]\ntiemout = "5m"\n', "actions.r.tiemout", "unknown key"),
    ('[actions."Re boot"]\nargv = ["PY"]\n', "actions.Re boot", "action names are"),
    ('[actions.r]\nargv = ["PY"]\nrunner = "gh"\n', "actions.r.runner", "unknown runner"),
    ('[actions.r]\nargv = ["PY"]\nworkdir = "nope"\n', "actions.r.workdir", "not a directory"),
    ('[actions.r]\nargv = ["PY"]\nenv = "HOME"\n', "actions.r.env", "must be a list"),
    ('[actions.r]\nargv = ["PY"]\nenv = ["1X"]\n', "actions.r.env", "not an environment"),
    (
        '[actions.r]\nargv = ["PY"]\nenv = ["MicrosoftAppPassword"]\n',
        "actions.r.env",
        "MicrosoftAppPassword is one of the bot's own settings",
    ),
    (
        '[automation]\nenv = ["TEAMS_BOT_DATABASE_URL"]\n',
        "automation.env",
        "one of the bot's own settings",
    ),
    ('[automation]\nworkdri = "."\n', "automation.workdri", "unknown key"),
    ('[actions.r]\nargv = ["./nope.sh"]\n', "actions.r.argv", "'./nope.sh' not found in"),
    ('[actions.r]\nargv = ["opsbot-no-such-tool"]\n', "actions.r.argv", "not found on PATH"),
    ('[inventory]\nkind = "http"\n', "inventory.url", "missing"),
    ('[inventory]\nkind = "http"\nurl = "ftp://h/x"\n', "inventory.url", "http:// or https://"),
    ('[inventory]\nkind = "http"\nurl = "https:///x"\n', "inventory.url", "with a host"),
    (
        '[inventory]\nkind = "http"\nurl = "https://h/x"\ntoken_env = "OPSBOT_UNSET_TOKEN"\n',
        "inventory.token_env",
        "environment variable OPSBOT_UNSET_TOKEN is not set",
    ),
    (
        '[inventory]\nkind = "http"\nurl = "http://inv.example/x"\ntoken_env = "PATH"\n',
        "inventory.url",
        "must use https:// when a token is sent",
    ),
    ('[inventory]\nkind = "http"\nurl = "https://h"\nargv = []\n', "inventory.argv", "unknown"),
    ('[action.r]\nargv = ["PY"]\n', "action", "did you mean [actions]?"),
    ("actions = 5\n", "actions", "must be a table"),
    ('[actions]\nr = "PY"\n', "actions.r", "must be a table"),
]


@pytest.mark.parametrize(("text", "key", "problem"), ERRORS)
def test_errors_name_the_file_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, key: str, problem: str
) -> None:
    monkeypatch.delenv("OPSBOT_UNSET_TOKEN", raising=False)
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_automation(path)
    error = caught.value
    assert (error.path, error.key) == (path, key)
    assert str(error).startswith(f"{path}: {key}: " if key else f"{path}: ")
    assert problem in error.problem


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the file: No such file or directory"):
        load_automation(tmp_path / "missing.toml")
