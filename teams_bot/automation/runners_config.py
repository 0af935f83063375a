"""`[runners.NAME]` tables: HTTP pipeline runners built from the automation config.

Every runner has `kind` (github | azure_pipelines | jenkins | webhook), an optional
`poll_interval` and the name of the environment variable holding its credential
(`token_env`, or `secret_env` for webhooks), read here at load: unset is an error, the value
is never printed. URLs must be https:// unless the host is loopback (credentials are sent).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import jwt

from teams_bot.automation.pipelines import (
    AzurePipelinesRunner,
    AzurePipelinesSpec,
    CallbackHub,
    GitHubActionsRunner,
    GitHubSpec,
    JenkinsRunner,
    JenkinsSpec,
    PipelineRunner,
    Secret,
    Timing,
    WebhookRunner,
    WebhookSpec,
)
from teams_bot.automation.pipelines.github_app import GitHubApp
from teams_bot.hosts import is_loopback

if TYPE_CHECKING:
    from teams_bot.automation.config import _Loader

KINDS = ("github", "azure_pipelines", "jenkins", "webhook")
_NAME = re.compile(r"[a-z][a-z0-9_-]{0,39}")
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}")
_WORKFLOW = re.compile(r"[A-Za-z0-9_.-]{1,200}\.ya?ml|\d{1,20}")
_JOB = re.compile(r"[^/\s][^/]*(/[^/\s][^/]*)*")
MAX_POLL = timedelta(minutes=10)
MIN_SECRET_CHARS = 12  # real tokens are longer; a short one could not be masked safely
_BAD_NAME = "runner names are lower-case letters, digits, '-' and '_' (and not 'local')"
_COMMON = {"kind", "poll_interval"}
_KEYS = {
    "github": {
        "repository", "workflow", "ref", "token_env", "api_url", "api_version",
        "return_run_details", "app_id", "installation_id", "private_key_env",
    },
    "azure_pipelines": {"organization_url", "project", "pipeline_id", "token_env", "auth", "ref"},
    "jenkins": {"url", "job", "user", "token_env"},
    "webhook": {"url", "secret_env", "completion", "callback_url"},
}  # fmt: skip


class RunnerParser:
    def __init__(self, loader: _Loader, hub: CallbackHub) -> None:
        self.loader = loader
        self.hub = hub

    def all(self, data: dict[str, object]) -> dict[str, PipelineRunner]:
        runners = self.loader.table(data, "runners", None)
        return {name: self.one(runners, name) for name in sorted(runners)}

    def one(self, runners: dict[str, object], name: str) -> PipelineRunner:
        key = f"runners.{name}"
        if not _NAME.fullmatch(name) or name == "local":
            raise self.loader.fail(key, _BAD_NAME)
        kind = self.loader.table(runners, name, None, "runners").get("kind")
        if kind not in KINDS:
            raise self.loader.fail(f"{key}.kind", f"must be one of: {', '.join(KINDS)}")
        table = self.loader.table(runners, name, _COMMON | _KEYS[str(kind)], "runners")
        value = _Table(self, key, table)
        poll = self.loader.duration(table, "poll_interval", key, "5s", MAX_POLL)
        timing = Timing(poll_interval=poll.total_seconds())
        if kind == "github":
            return GitHubActionsRunner(name, self.github(value), timing)
        if kind == "azure_pipelines":
            return AzurePipelinesRunner(name, self.azure(value), timing)
        if kind == "jenkins":
            return JenkinsRunner(name, self.jenkins(value), timing)
        return WebhookRunner(name, self.webhook(value), timing, self.hub)

    def github(self, t: _Table) -> GitHubSpec:
        api_url = t.url("api_url", "https://api.github.com")
        app = self.github_app(t) if "token_env" not in t.table else None
        return GitHubSpec(
            repository=t.text("repository", pattern=_REPOSITORY, hint="owner/name"),
            workflow=t.text("workflow", pattern=_WORKFLOW, hint="a file like deploy.yml, or an id"),
            ref=t.text("ref", "main"),
            token=t.secret("token_env") if app is None else None,
            app=app,
            api_url=api_url,
            api_version=t.text("api_version", "2022-11-28"),
            return_run_details=t.flag("return_run_details", True),
        )

    def github_app(self, t: _Table) -> GitHubApp:
        """token_env, or a GitHub App: app_id, installation_id and private_key_env (PEM)."""
        if not {"app_id", "installation_id", "private_key_env"} & t.table.keys():
            raise t.fail("token_env", "missing (or app_id, installation_id, private_key_env)")
        app_id = t.table.get("app_id")
        if isinstance(app_id, bool) or not isinstance(app_id, int | str) or not str(app_id):
            raise t.fail("app_id", "must be the GitHub App's id (or client id)")
        key = t.secret("private_key_env")
        try:
            jwt.encode({"iss": str(app_id)}, key.reveal(), algorithm="RS256")
        except (ValueError, TypeError, jwt.PyJWTError):
            problem = f"{key.env} does not hold an RSA private key (PEM)"
            raise t.fail("private_key_env", problem) from None
        return GitHubApp(str(app_id), t.number("installation_id"), key)

    def azure(self, t: _Table) -> AzurePipelinesSpec:
        auth = t.text("auth", "pat")
        if auth not in ("pat", "bearer"):
            raise t.fail("auth", 'must be "pat" or "bearer"')
        return AzurePipelinesSpec(
            organization_url=t.url("organization_url"),
            project=t.text("project"),
            pipeline_id=t.number("pipeline_id"),
            token=t.secret("token_env"),
            auth="pat" if auth == "pat" else "bearer",
            ref=t.optional_text("ref"),
        )

    def jenkins(self, t: _Table) -> JenkinsSpec:
        return JenkinsSpec(
            url=t.url("url"),
            job=t.text("job", pattern=_JOB, hint='a job name, "folder/job" for folders'),
            user=t.text("user"),
            token=t.secret("token_env"),
        )

    def webhook(self, t: _Table) -> WebhookSpec:
        completion = t.text("completion", "poll")
        if completion not in ("poll", "callback"):
            raise t.fail("completion", 'must be "poll" or "callback"')
        callback = t.url("callback_url") if completion == "callback" else None
        if completion == "poll" and "callback_url" in t.table:
            raise t.fail("callback_url", 'only with completion = "callback"')
        return WebhookSpec(
            url=t.url("url"),
            secret=t.secret("secret_env"),
            completion="callback" if callback else "poll",
            callback_url=callback,
        )


class _Table:
    """Typed reads of one runner table; every error names the file and the key."""

    def __init__(self, parser: RunnerParser, key: str, table: dict[str, Any]) -> None:
        self.loader = parser.loader
        self.key = key
        self.table = table

    def fail(self, name: str, problem: str) -> Exception:
        return self.loader.fail(f"{self.key}.{name}", problem)

    def text(
        self, name: str, default: str | None = None, *, pattern: re.Pattern[str] | None = None,
        hint: str = "",
    ) -> str:  # fmt: skip
        value = self.table.get(name, default)
        if value is None:
            raise self.fail(name, "missing" + (f" ({hint})" if hint else ""))
        if not isinstance(value, str) or not value.strip():
            raise self.fail(name, "must be a non-empty string")
        if pattern is not None and not pattern.fullmatch(value):
            raise self.fail(name, f"{value[:60]!r} is not valid ({hint})")
        return value

    def optional_text(self, name: str) -> str | None:
        return self.text(name) if name in self.table else None

    def number(self, name: str) -> int:
        value = self.table.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise self.fail(name, "must be a positive whole number")
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self.table.get(name, default)
        if not isinstance(value, bool):
            raise self.fail(name, "must be true or false")
        return value

    def url(self, name: str, default: str | None = None) -> str:
        value = self.text(name, default, hint="an https:// URL")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise self.fail(name, "must be an http:// or https:// URL with a host")
        if parts.username or parts.password:
            raise self.fail(name, "must not contain a user name or password (use token_env)")
        if parts.scheme == "http" and not is_loopback(parts.hostname):
            raise self.fail(name, "must use https:// (credentials are sent)")
        return value

    def secret(self, name: str) -> Secret:
        key = f"{self.key}.{name}"
        if name not in self.table:
            raise self.fail(name, "missing (the environment variable holding the credential)")
        env = self.loader.passed_env_name(key, self.table[name])
        secret = Secret.from_env(env)
        if secret is None:
            raise self.fail(name, f"environment variable {env} is not set")
        if len(secret.reveal()) < MIN_SECRET_CHARS:
            raise self.fail(name, f"{env} is shorter than {MIN_SECRET_CHARS} characters")
        return secret
