"""[runners.NAME] and pipeline actions in the config file: typed, checked, and run for real."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from teams_bot.automation import ConfigError, PipelineActionSpec, load_automation
from teams_bot.automation.pipelines import (
    AzurePipelinesRunner,
    GitHubActionsRunner,
    JenkinsRunner,
    Timing,
    WebhookRunner,
)
from tests.standins.github import TOKEN, GitHubStandIn, app_private_key

RUNNERS = """
[runners.gh]
kind = "github"
repository = "contoso/web"
workflow = "deploy.yml"
token_env = "OPSBOT_T_GH"
api_url = "GH_URL"
poll_interval = "1s"

[runners.azdo]
kind = "azure_pipelines"
organization_url = "https://dev.azure.com/contoso"
project = "Web Platform"
pipeline_id = 12
token_env = "OPSBOT_T_AZDO"

[runners.ci]
kind = "jenkins"
url = "https://jenkins.contoso.example/"
job = "deploy/web"
user = "opsbot"
token_env = "OPSBOT_T_JENKINS"

[runners.hook]
kind = "webhook"
url = "https://deploy.contoso.example/hooks/opsbot"
secret_env = "OPSBOT_T_HOOK"
completion = "callback"
callback_url = "https://opsbot.contoso.example/api/runners/hook/callback"

[actions.ping]
runner = "hook"

[actions.deploy]
runner = "gh"
timeout = "45m"
parameters = { service = "{service}", version = "{version}", environment = "{environment}" }
"""
SECRETS = {
    "OPSBOT_T_GH": TOKEN,
    "OPSBOT_T_AZDO": "azdo-secret-value-123",
    "OPSBOT_T_JENKINS": "jenkins-secret-value-456",
    "OPSBOT_T_HOOK": "hook-secret-value-789",
}


@pytest.fixture(autouse=True)
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("OPSBOT_T_APP_KEY", app_private_key())
    monkeypatch.setenv("OPSBOT_T_SHORT", "abc")


def write(tmp_path: Path, text: str, url: str = "https://api.github.com") -> Path:
    path = tmp_path / "automation.toml"
    path.write_text(text.replace("GH_URL", url))
    return path


def test_runners_are_built_with_secrets_from_the_environment(tmp_path: Path) -> None:
    config = load_automation(write(tmp_path, RUNNERS))
    assert isinstance(config.runners["gh"], GitHubActionsRunner)
    assert isinstance(config.runners["azdo"], AzurePipelinesRunner)
    assert isinstance(config.runners["ci"], JenkinsRunner)
    hook = config.runners["hook"]
    assert isinstance(hook, WebhookRunner) and hook.hub is config.callbacks
    assert config.runners["gh"].timing.poll_interval == 1.0
    assert config.runners["azdo"].timing.poll_interval == 5.0
    assert config.actions["deploy"] == PipelineActionSpec(
        "gh",
        (("service", "{service}"), ("version", "{version}"), ("environment", "{environment}")),
        timedelta(minutes=45),
    )
    assert config.runner_for("deploy") is config.runners["gh"]
    assert config.job_for("ping", {"x": "y"}).render_parameters() == {}  # no parameters at all
    shown = repr(config) + "".join(repr(r.__dict__) for r in config.runners.values())
    assert not any(value in shown for value in SECRETS.values())


async def test_configured_pipeline_action_runs_against_the_stand_in(tmp_path: Path) -> None:
    github = GitHubStandIn()
    async with github.serve() as url:
        config = load_automation(write(tmp_path, RUNNERS, url))
        config.runners["gh"].timing = Timing(poll_interval=0.02)
        job = config.job_for(
            "deploy", {"service": "web", "version": "1.4.2", "environment": "prod"}
        )
        result = await config.runner_for("deploy").run(job)
    assert result.status == "succeeded", result.output_tail
    assert result.url == "https://github.com/contoso/web/actions/runs/101"
    assert github.runs[101].parameters == {
        "service": "web",
        "version": "1.4.2",
        "environment": "prod",
    }


def test_github_app_credentials(tmp_path: Path) -> None:
    app = GH.replace('token_env = "OPSBOT_T_GH"\n', APP)
    runner = load_automation(write(tmp_path, app)).runners["gh"]
    assert isinstance(runner, GitHubActionsRunner) and runner.spec.token is None
    assert runner.spec.app is not None and runner.spec.app.installation_id == 58213377
    assert "PRIVATE KEY" not in repr(runner.spec)


def test_job_for_a_pipeline_action_checks_arguments_now(tmp_path: Path) -> None:
    config = load_automation(write(tmp_path, RUNNERS))
    with pytest.raises(Exception, match="Missing a value for 'version'"):
        config.job_for("deploy", {"service": "web", "environment": "prod"})
    with pytest.raises(Exception, match="NUL"):
        config.job_for("deploy", {"service": "web", "version": "1\0", "environment": "prod"})


GH = (
    '[runners.gh]\nkind = "github"\nrepository = "o/r"\nworkflow = "d.yml"\n'
    'token_env = "OPSBOT_T_GH"\n'
)
APP = 'app_id = 1049532\ninstallation_id = 58213377\nprivate_key_env = "OPSBOT_T_APP_KEY"\n'
NO_TOKEN = GH.replace('token_env = "OPSBOT_T_GH"\n', "")
ERRORS = [
    (
        NO_TOKEN + APP.replace("installation_id = 58213377\n", ""),
        "runners.gh.installation_id",
        "positive",
    ),
    (
        NO_TOKEN + APP.replace("OPSBOT_T_APP_KEY", "OPSBOT_T_HOOK"),
        "runners.gh.private_key_env",
        "RSA",
    ),
    (
        NO_TOKEN + APP.replace("app_id = 1049532", "app_id = true"),
        "runners.gh.app_id",
        "GitHub App",
    ),
    ('[runners.gh]\nkind = "gitlab"\n', "runners.gh.kind", "must be one of: github, azure"),
    ("[runners.gh]\n", "runners.gh.kind", "must be one of"),
    ('[runners.Bad]\nkind = "github"\n', "runners.Bad", "runner names are"),
    ('[runners.local]\nkind = "github"\n', "runners.local", "not 'local'"),
    (GH + 'reop = "x"\n', "runners.gh.reop", "unknown key"),
    (GH.replace('repository = "o/r"\n', ""), "runners.gh.repository", "missing (owner/name)"),
    (GH.replace('"o/r"', '"o/r/x"'), "runners.gh.repository", "is not valid (owner/name)"),
    (GH.replace('"d.yml"', '"../x"'), "runners.gh.workflow", "is not valid"),
    (
        GH.replace("OPSBOT_T_GH", "OPSBOT_T_UNSET"),
        "runners.gh.token_env",
        "OPSBOT_T_UNSET is not set",
    ),
    (
        GH.replace("OPSBOT_T_GH", "MicrosoftAppPassword"),
        "runners.gh.token_env",
        "bot's own settings",
    ),
    (GH.replace('token_env = "OPSBOT_T_GH"\n', ""), "runners.gh.token_env", "missing"),
    (GH + 'api_url = "http://github.example/api/v3"\n', "runners.gh.api_url", "must use https://"),
    (
        GH + 'api_url = "https://u:p@github.example"\n',
        "runners.gh.api_url",
        "user name or password",
    ),
    (GH + 'poll_interval = "0s"\n', "runners.gh.poll_interval", "longer than zero"),
    (GH + "return_run_details = 1\n", "runners.gh.return_run_details", "true or false"),
    (
        '[runners.a]\nkind = "azure_pipelines"\norganization_url = "https://dev.azure.com/c"\n'
        'project = "p"\npipeline_id = "12"\ntoken_env = "OPSBOT_T_AZDO"\n',
        "runners.a.pipeline_id",
        "positive whole number",
    ),
    (
        '[runners.a]\nkind = "azure_pipelines"\norganization_url = "https://dev.azure.com/c"\n'
        'project = "p"\npipeline_id = 1\ntoken_env = "OPSBOT_T_AZDO"\nauth = "basic"\n',
        "runners.a.auth",
        '"pat" or "bearer"',
    ),
    (
        '[runners.j]\nkind = "jenkins"\nurl = "https://j.example"\njob = "a//b"\nuser = "u"\n'
        'token_env = "OPSBOT_T_JENKINS"\n',
        "runners.j.job",
        "is not valid",
    ),
    (
        '[runners.h]\nkind = "webhook"\nurl = "https://h.example"\nsecret_env = "OPSBOT_T_HOOK"\n'
        'completion = "callback"\n',
        "runners.h.callback_url",
        "missing",
    ),
    (
        '[runners.h]\nkind = "webhook"\nurl = "https://h.example"\nsecret_env = "OPSBOT_T_HOOK"\n'
        'completion = "push"\n',
        "runners.h.completion",
        '"poll" or "callback"',
    ),
    ('[actions.d]\nrunner = "nope"\n', "actions.d.runner", 'expected one of: "local"'),
    (GH + '[actions.d]\nrunner = "gh"\nargv = ["x"]\n', "actions.d.argv", "unknown key"),
    (
        GH + '[actions.d]\nrunner = "gh"\nparameters = ["x"]\n',
        "actions.d.parameters",
        "must be a table",
    ),
    (
        GH + '[actions.d]\nrunner = "gh"\nparameters = { v = "v{version}" }\n',
        "actions.d.parameters",
        "braces",
    ),
    (
        GH + '[actions.d]\nrunner = "gh"\nparameters = { v = "{vs*}" }\n',
        "actions.d.parameters",
        "lists",
    ),
    (
        GH + '[actions.d]\nrunner = "gh"\nparameters = { v = 3 }\n',
        "actions.d.parameters",
        "must be a string",
    ),
    (
        GH + '[actions.d]\nrunner = "gh"\nparameters = { "a b" = "x" }\n',
        "actions.d.parameters",
        "parameter name",
    ),
    ('[runner.gh]\nkind = "github"\n', "runner", "did you mean [runners]?"),
]


@pytest.mark.parametrize(("text", "key", "problem"), ERRORS)
def test_errors_name_the_file_and_key(tmp_path: Path, text: str, key: str, problem: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_automation(path)
    assert (caught.value.path, caught.value.key) == (path, key)
    assert problem in caught.value.problem
    assert not any(value in str(caught.value) for value in SECRETS.values())
