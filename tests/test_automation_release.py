"""[services.NAME]: the catalog the release commands use, and the example service end to end."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from teams_bot.automation import (
    ArgumentError,
    AutomationConfig,
    ConfigError,
    Health,
    NotConfiguredError,
    UnknownServiceError,
    load_automation,
)
from teams_bot.errors import CommandError

EXAMPLE = Path(__file__).parents[1] / "infra/config.example.toml"
HOSTILE = ["1.2.3; rm -rf /", "$(reboot)", "1.2.3\n--force", "-rf", "1.2.3 ", "`id`", "1" * 200]


@pytest.fixture
def example(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AutomationConfig:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPSBOT_EXAMPLE_DELAY", "0")
    monkeypatch.setenv("OPSBOT_EXAMPLE_STATE", str(tmp_path / "state" / "nodes.json"))
    monkeypatch.delenv("OPSBOT_EXAMPLE_FAIL", raising=False)
    return load_automation(EXAMPLE)


def test_example_service(example: AutomationConfig) -> None:
    web = example.service("web")
    assert web.environments == ("staging", "production")
    assert (web.deploy_action, web.rollback_action) == ("deploy-web", "rollback-web")
    target = example.services.target("web", None, "1.2.3")
    assert target.arguments() == {"service": "web", "environment": "staging", "version": "1.2.3"}
    assert example.services.target("Web", "PROD", "2.0.0-rc.1").environment == "production"
    assert example.services.target("web", "production").version is None


def test_unknown_service_and_environment_list_the_known_ones(example: AutomationConfig) -> None:
    with pytest.raises(UnknownServiceError) as caught:
        example.services.target("wbe", "prod", "1.2.3")
    assert str(caught.value) == "Unknown service 'wbe'; known: web. Did you mean web?"
    assert isinstance(caught.value, CommandError) and caught.value.known == ["web"]
    with pytest.raises(UnknownServiceError) as caught:
        example.services.target("web", "prdo", "1.2.3")
    assert str(caught.value) == (
        "'prdo' is not an environment of web; known: staging, production. Did you mean prod?"
    )


@pytest.mark.parametrize("version", HOSTILE)
def test_versions_must_match_the_pattern(example: AutomationConfig, version: str) -> None:
    with pytest.raises(ArgumentError, match=r"is not a valid version of web \(must match"):
        example.services.target("web", "staging", version)


def test_no_services_configured() -> None:
    config = load_automation(None)
    with pytest.raises(UnknownServiceError, match=r"No services are configured.*\[services.NAME\]"):
        config.services.target("web", None, "1.0")


async def test_example_deploy_rollback_and_status(
    example: AutomationConfig, tmp_path: Path
) -> None:
    lines: list[str] = []

    async def progress(line: str) -> None:
        lines.append(line)

    assert await example.status_source("web").health("web") == [
        Health("production", "1.2.2", True, "3/3 replicas ready since 2026-11-20T08:00:00Z"),
        Health("staging", "1.2.2", True, "3/3 replicas ready since 2026-11-20T08:00:00Z"),
    ]
    target = example.services.target("web", "prod", "1.2.3")
    action = target.service.deploy_action
    result = await example.runner_for(action).run(
        example.job_for(action, target.arguments()), progress
    )
    assert result.status == "succeeded", result.output_tail
    assert (
        result.output_tail.splitlines()[0] == 'deploying "web" in "production" to version "1.2.3"'
    )
    assert result.output_tail.splitlines()[-1] == '"web" in "production" now runs "1.2.3"'
    health = {h.environment: h.version for h in await example.status_source("web").health("web")}
    assert health == {"production": "1.2.3", "staging": "1.2.2"}

    back = example.services.target("web", "production", "1.2.2")
    action = back.service.rollback_action
    result = await example.runner_for(action).run(example.job_for(action, back.arguments()))
    assert result.status == "succeeded", result.output_tail
    assert "rolling back" in result.output_tail
    health = {h.environment: h.version for h in await example.status_source("web").health("web")}
    assert health["production"] == "1.2.2"
    state = json.loads((tmp_path / "state" / "nodes-services.json").read_text())
    assert state["services"]["web"]["production"]["version"] == "1.2.2"


async def test_example_failing_deploy(
    example: AutomationConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSBOT_EXAMPLE_FAIL", "1")
    target = example.services.target("web", "staging", "1.2.4")
    result = await example.runner_for("deploy-web").run(
        example.job_for("deploy-web", target.arguments())
    )
    assert result.status == "failed" and result.exit_code == 4
    assert "health check failed" in result.output_tail


SERVICE = """
[actions.dep]
argv = ["PY", "-c", "pass", "{service}", "{version}", "{environment}"]
[actions.other]
argv = ["PY", "-c", "pass", "{node}"]
[services.web]
environments = ["staging", "production"]
deploy = "dep"
"""
BASE = "[services.web]\nenvironments = ['a']\ndeploy = 'dep'\n"
STATUS = BASE + "[services.web.status]\n"
ERRORS = [
    ("[services.web]\ndeploy = 'dep'\n", "services.web.environments", "missing or empty"),
    ("[services.web]\nenvironments = []\ndeploy = 'dep'\n", "services.web.environments", "missing"),
    (
        "[services.web]\nenvironments = ['Prod']\ndeploy = 'dep'\n",
        "services.web.environments",
        "lower-case",
    ),
    (
        "[services.web]\nenvironments = ['a', 'a']\ndeploy = 'dep'\n",
        "services.web.environments",
        "twice",
    ),
    ("[services.web]\nenvironments = ['a']\n", "services.web.deploy", "missing"),
    (
        "[services.web]\nenvironments = ['a']\ndeploy = 'nope'\n",
        "services.web.deploy",
        "not a configured action (configured: dep, other)",
    ),
    (
        "[services.web]\nenvironments = ['a']\ndeploy = 'other'\n",
        "services.web.deploy",
        "uses {node}",
    ),
    (
        "[services.web]\nenvironments = ['a']\ndeploy = 'dep'\nrollback = 'other'\n",
        "services.web.rollback",
        "uses {node}",
    ),
    (
        "[services.web]\nenvironments = ['a']\ndeploy = 'dep'\ndefault_environment = 'b'\n",
        "services.web.default_environment",
        "not one of",
    ),
    (
        "[services.web]\nenvironments = ['a']\ndeploy = 'dep'\naliases = { p = 'b' }\n",
        "services.web.aliases.p",
        "not one of",
    ),
    (
        "[services.web]\nenvironments = ['a']\ndeploy = 'dep'\naliases = { a = 'a' }\n",
        "services.web.aliases.a",
        "not an environment",
    ),
    (
        "[services.web]\nenvironments = ['a']\ndeploy = 'dep'\nversion_pattern = '('\n",
        "services.web.version_pattern",
        "not a valid regular",
    ),
    (
        "[services.web]\nenvironments = ['a']\ndeploy = 'dep'\nenvs = []\n",
        "services.web.envs",
        "unknown key",
    ),
    ("[services.Web]\nenvironments = ['a']\ndeploy = 'dep'\n", "services.Web", "service names"),
    (
        STATUS + "kind = 'ftp'\n",
        "services.web.status.kind",
        '"exec" or "http"',
    ),
    (
        STATUS + "argv = ['PY', '{cluster}']\n",
        "services.web.status.argv",
        "only placeholder available here is {service}",
    ),
    (
        STATUS + "kind = 'http'\nurl = 'http://s.example/x'\ntoken_env = 'PATH'\n",
        "services.web.status.url",
        "must use https://",
    ),
    ("[service.web]\n", "service", "did you mean [services]?"),
]


@pytest.mark.parametrize(("text", "key", "problem"), ERRORS)
def test_service_errors_name_the_file_and_key(
    tmp_path: Path, text: str, key: str, problem: str
) -> None:
    path = tmp_path / "automation.toml"
    actions = SERVICE.split("[services.web]")[0]
    path.write_text((actions + text).replace("PY", sys.executable))
    with pytest.raises(ConfigError) as caught:
        load_automation(path)
    assert (caught.value.path, caught.value.key) == (path, key)
    assert problem in caught.value.problem


def test_status_not_configured(tmp_path: Path) -> None:
    path = tmp_path / "automation.toml"
    path.write_text(SERVICE.replace("PY", sys.executable))
    config = load_automation(path)
    with pytest.raises(NotConfiguredError, match=r"\[services.web.status\]"):
        config.status_source("web")
