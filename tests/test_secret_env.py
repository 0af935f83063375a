"""The bot's secrets stay out of reach of its jobs (issue 9, #17) and tenancy is warned (#13).

The end-to-end test starts a real bot-like process: it loads settings from its environment,
calls protect_secrets() as the service does at start, then runs a real job through the
automation runner. The job tries its own environment, /proc/<bot>/environ and printing the
secret; none of it may show the secret.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from teams_bot.automation import output
from teams_bot.automation.output import MASK, OutputTail, clean_line, register_secrets
from teams_bot.automation.process import minimal_env
from teams_bot.secret_env import scrub_environment
from teams_bot.settings import Settings, secret_values, tenancy_warning

PASSWORD = "app-Password~0123456789abcdef"
ACTION_SECRET = "action-secret-0123456789-xyz"
DB_PASSWORD = "db-pass-9876543210"

BOT = textwrap.dedent(
    """
    import asyncio, json, os, sys
    from teams_bot.automation.output import OutputTail
    from teams_bot.automation.process import minimal_env, run_process
    from teams_bot.settings import load_settings, protect_secrets

    settings = load_settings(_env_file=None)
    removed = protect_secrets(settings)
    tail = OutputTail()
    job = [
        "/bin/sh", "-c",
        'echo "env: $(env | tr "\\\\n" " ")"; '
        'echo "parent: $(tr "\\\\0" " " < /proc/$PPID/environ)"; '
        'echo "printed: $1"; echo "split: \\033[1m$2\\033[0m$3"',
        "job", sys.argv[1], sys.argv[1][:5], sys.argv[1][5:],
    ]
    env = minimal_env(["MicrosoftAppPassword", "TEAMS_BOT_ACTION_SECRET", "KEEP_ME"])
    asyncio.run(run_process(job, cwd=None, env=env, time_limit=10, stdout=tail.feed))
    tail.close()
    with open(f"/proc/{os.getpid()}/environ", "rb") as own:
        own_environ = own.read().decode("utf-8", "replace")
    print(json.dumps({"removed": sorted(removed), "tail": tail.text(),
                      "own_environ": own_environ, "keep": os.environ.get("KEEP_ME")}))
    """
)


@pytest.mark.skipif(sys.platform != "linux", reason="/proc/<pid>/environ is Linux's")
def test_a_job_cannot_read_or_print_the_bots_secrets(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
        "MicrosoftAppId": "00000000-0000-0000-0000-000000000001",
        "MicrosoftAppPassword": PASSWORD,
        "MicrosoftAppType": "SingleTenant",
        "MicrosoftAppTenantId": "00000000-0000-0000-0000-000000000002",
        "teams_bot_action_secret": ACTION_SECRET,  # settings names are case-insensitive
        "TEAMS_BOT_DATABASE_URL": f"postgresql+asyncpg://bot:{DB_PASSWORD}@127.0.0.1/x",
        "AZURE_CLIENT_SECRET": PASSWORD,  # a copy under another name
        "KEEP_ME": "ordinary-value",
    }
    done = subprocess.run(
        [sys.executable, "-c", BOT, PASSWORD],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result = json.loads(done.stdout.splitlines()[-1])
    removed = ["AZURE_CLIENT_SECRET", "MicrosoftAppPassword", "TEAMS_BOT_DATABASE_URL"]
    assert result["removed"] == sorted([*removed, "teams_bot_action_secret"])
    tail = result["tail"]
    assert "parent: " in tail and "KEEP_ME=ordinary-value" in tail, tail
    assert f"printed: {MASK}" in tail and f"split: {MASK}" in tail, tail
    for secret in (PASSWORD, ACTION_SECRET, DB_PASSWORD):
        assert secret not in tail and secret not in result["own_environ"]
    assert result["keep"] == "ordinary-value"


def test_output_masks_registered_secrets_in_lines_tails_and_partials() -> None:
    register_secrets([PASSWORD, "", None, "short"])
    try:
        assert clean_line(f"token={PASSWORD}!") == f"token={MASK}!"
        assert clean_line(f"{PASSWORD[:4]}\x1b[31m{PASSWORD[4:]}") == MASK
        assert clean_line("short words stay") == "short words stay"
        tail = OutputTail(max_lines=3)
        tail.feed(f"one {PASSWORD}\nunfinished {PASSWORD}".encode())
        assert PASSWORD not in tail.text() and tail.text().count(MASK) == 2
    finally:
        register_secrets([])
    assert output.mask_secrets(PASSWORD) == PASSWORD


def test_minimal_env_never_passes_a_registered_secret() -> None:
    register_secrets([PASSWORD])
    try:
        source = {"PATH": "/bin", "DEPLOY_TOKEN": f"x{PASSWORD}", "REGION": "eu"}
        assert minimal_env(["DEPLOY_TOKEN", "REGION"], source) == {
            "PATH": "/bin",
            "LANG": "C.UTF-8",
            "REGION": "eu",
        }
    finally:
        register_secrets([])


def test_scrub_environment_on_a_mapping_matches_names_and_values() -> None:
    environ = {"MICROSOFTAPPPASSWORD": "x" * 8, "OTHER": f"pre-{PASSWORD}", "PATH": "/bin"}
    removed = scrub_environment(["MicrosoftAppPassword"], [PASSWORD], environ)
    assert sorted(removed) == ["MICROSOFTAPPPASSWORD", "OTHER"] and environ == {"PATH": "/bin"}


def test_a_short_secret_value_does_not_remove_ordinary_variables() -> None:
    environ = {"PATH": "/usr/lib/postgresql/bin:/bin", "PGHOST": "postgres-1"}
    assert scrub_environment(["TEAMS_BOT_DATABASE_URL"], ["postgres"], environ) == []
    assert environ["PATH"] == "/usr/lib/postgresql/bin:/bin"


def _settings(**values: object) -> Settings:
    base: dict[str, object] = {
        "MicrosoftAppId": "00000000-0000-0000-0000-000000000001",
        "MicrosoftAppPassword": PASSWORD,
        "MicrosoftAppTenantId": "00000000-0000-0000-0000-000000000002",
        "action_secret": ACTION_SECRET,
    }
    return Settings(_env_file=None, **{**base, **values})  # type: ignore[arg-type]


def test_secret_values_include_the_database_password() -> None:
    url = "postgresql://bot:p%40ss-word-1@db.example:5432/x"
    values = secret_values(_settings(database_url=url))
    assert set(values) == {PASSWORD, ACTION_SECRET, url, "p@ss-word-1"}


def test_multi_tenant_without_allow_list_is_warned() -> None:
    warning = tenancy_warning(_settings(MicrosoftAppType="MultiTenant"))
    assert warning and "TEAMS_BOT_ALLOWED_TENANTS" in warning
    assert tenancy_warning(_settings(MicrosoftAppType="MultiTenant", allowed_tenants="t1")) is None
    assert tenancy_warning(_settings(MicrosoftAppType="SingleTenant")) is None
    assert tenancy_warning(Settings(_env_file=None)) is None  # local development mode


def test_retention_days_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings(_env_file=None).retention_days == 30
    monkeypatch.setenv("TEAMS_BOT_RETENTION_DAYS", "7")
    assert Settings(_env_file=None).retention_days == 7
