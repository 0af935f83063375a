"""Settings and the `teams-bot` command line, run as a user runs them (a real subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from teams_bot.settings import SettingsError, effective_settings, load_settings

CLI = [sys.executable, "-m", "teams_bot.cli"]


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "TEAMS_BOT_"))}
    clean["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    return subprocess.run(
        [*CLI, *args],
        cwd=cwd,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_config_hides_secrets_and_reads_dotenv(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "MicrosoftAppId=11111111-2222-3333-4444-555555555555\n"
        "MicrosoftAppTenantId=99999999-8888-7777-6666-555555555555\n"
        "MicrosoftAppPassword=super-secret-value\n"
        "TEAMS_BOT_ACTION_SECRET=card-signing-secret-value\n"
        "TEAMS_BOT_DATABASE_URL=postgresql://bot:db-secret@db/bot\n"
    )
    result = run_cli("check-config", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "MicrosoftAppId = 11111111-2222-3333-4444-555555555555" in result.stdout
    assert "MicrosoftAppPassword = ********" in result.stdout
    assert "super-secret-value" not in result.stdout + result.stderr
    assert "db-secret" not in result.stdout + result.stderr
    assert "card-signing-secret-value" not in result.stdout + result.stderr
    assert "# mode: authenticated" in result.stdout


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"MicrosoftAppId": "abc", "TEAMS_BOT_ACTION_SECRET": "s" * 20}, "MicrosoftAppPassword"),
        ({"MicrosoftAppId": "abc", "MicrosoftAppPassword": "p"}, "TEAMS_BOT_ACTION_SECRET"),
        ({"MicrosoftAppType": "Sometimes"}, "MicrosoftAppType"),
        ({"TEAMS_BOT_PORT": "eighty"}, "TEAMS_BOT_PORT"),
        (
            {
                "MicrosoftAppId": "a",
                "MicrosoftAppType": "SingleTenant",
                "MicrosoftAppPassword": "p",
            },
            "MicrosoftAppTenantId",
        ),
        ({"TEAMS_BOT_LOG_FORMAT": "xml"}, "TEAMS_BOT_LOG_FORMAT"),
    ],
)
def test_bad_settings_fail_with_the_setting_name(
    tmp_path: Path, env: dict[str, str], named: str
) -> None:
    result = run_cli("check-config", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert named in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_policy_file_fails_check_config(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('default_roles = ["nobody"]\n')
    result = run_cli("check-config", cwd=tmp_path, env={"TEAMS_BOT_POLICY_FILE": str(policy)})
    assert result.returncode == 2
    assert "TEAMS_BOT_POLICY_FILE" in result.stderr and "nobody" in result.stderr


def test_serve_refuses_remote_bind_without_app_id(tmp_path: Path) -> None:
    result = run_cli("serve", "--host", "0.0.0.0", cwd=tmp_path)
    assert result.returncode == 2
    assert "--dangerously-allow-unauthenticated-remote" in result.stderr


def test_allowed_tenants_accept_comma_separated_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEAMS_BOT_ALLOWED_TENANTS", "t1, t2,,t3")
    assert load_settings(_env_file=None).allowed_tenants == ["t1", "t2", "t3"]


def test_effective_settings_never_show_secret_values() -> None:
    settings = load_settings(
        _env_file=None,
        MicrosoftAppId="a",
        MicrosoftAppTenantId="t",
        MicrosoftAppPassword="pw-123456",
        action_secret="x" * 20,
    )
    shown = effective_settings(settings)
    assert shown["MicrosoftAppPassword"] == "********"
    assert "pw-123456" not in repr(shown) and "pw-123456" not in repr(settings)


def test_settings_error_is_raised_for_missing_password() -> None:
    with pytest.raises(SettingsError, match="MicrosoftAppPassword"):
        load_settings(_env_file=None, MicrosoftAppId="a", action_secret="x" * 20)


# --- the bot's app type: SingleTenant by default, MultiTenant only for existing bots ---

TENANT = "99999999-8888-7777-6666-555555555555"
CREDENTIALS = {"MicrosoftAppPassword": "pw-123456", "action_secret": "x" * 20}


def test_app_type_defaults_to_single_tenant_which_needs_the_tenant_id() -> None:
    settings = load_settings(
        _env_file=None, MicrosoftAppId="a", MicrosoftAppTenantId=TENANT, **CREDENTIALS
    )
    assert settings.microsoft_app_type == "SingleTenant"
    local = load_settings(_env_file=None)  # no app id: local development mode, nothing checked
    assert local.microsoft_app_type == "MultiTenant" and not local.auth_enabled
    with pytest.raises(SettingsError) as missing:
        load_settings(_env_file=None, MicrosoftAppId="a", **CREDENTIALS)
    assert str(missing.value) == (
        "MicrosoftAppTenantId is required when MicrosoftAppType is SingleTenant "
        "(the default; a bot registered as multi-tenant sets MultiTenant)"
    )


def test_managed_identity_needs_a_tenant_but_no_password() -> None:
    msi = {"MicrosoftAppId": "a", "MicrosoftAppType": "UserAssignedMSI", "action_secret": "x" * 20}
    assert load_settings(_env_file=None, MicrosoftAppTenantId=TENANT, **msi).app_password == ""
    with pytest.raises(
        SettingsError,
        match=r"MicrosoftAppTenantId is required when MicrosoftAppType is UserAssignedMSI$",
    ):
        load_settings(_env_file=None, **msi)


def test_every_missing_credential_is_named_at_once() -> None:
    with pytest.raises(SettingsError) as missing:
        load_settings(_env_file=None, MicrosoftAppId="a")
    named = str(missing.value)
    for setting in ("MicrosoftAppTenantId", "TEAMS_BOT_ACTION_SECRET", "MicrosoftAppPassword"):
        assert setting in named, setting


def test_multi_tenant_is_still_read_for_existing_bots_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level("WARNING", logger="teams_bot.settings"):
        settings = load_settings(
            _env_file=None, MicrosoftAppId="a", MicrosoftAppType="MultiTenant", **CREDENTIALS
        )
    assert settings.microsoft_app_type == "MultiTenant" and settings.microsoft_app_tenant_id is None
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "no longer creates multi-tenant bots" in warnings[0]
    assert "UserAssignedMSI" in warnings[0] and "pw-123456" not in warnings[0]
    caplog.clear()
    with caplog.at_level("WARNING", logger="teams_bot.settings"):
        load_settings(
            _env_file=None, MicrosoftAppId="a", MicrosoftAppTenantId=TENANT, **CREDENTIALS
        )
        load_settings(_env_file=None, MicrosoftAppType="MultiTenant")  # local development mode
    assert caplog.records == [], "no warning for SingleTenant, nor without an app id"


def test_check_config_warns_at_start_for_multi_tenant(tmp_path: Path) -> None:
    env = {
        "MicrosoftAppId": "11111111-2222-3333-4444-555555555555",
        "MicrosoftAppType": "MultiTenant",
        "MicrosoftAppPassword": "super-secret-value",
        "TEAMS_BOT_ACTION_SECRET": "card-signing-secret-value",
    }
    result = run_cli("check-config", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "MicrosoftAppType = MultiTenant" in result.stdout
    assert "Azure Bot Service no longer creates multi-tenant bots" in result.stderr
    assert "super-secret-value" not in result.stdout + result.stderr


def test_audit_command_reads_the_log(tmp_path: Path) -> None:
    import asyncio
    from datetime import UTC, datetime

    from teams_bot.storage.audit import AuditLog, AuditRecord
    from teams_bot.storage.db import Database, default_sqlite_url

    async def seed() -> None:
        db = await Database.connect(default_sqlite_url(tmp_path / "data"))
        await db.migrate()
        for who, command in (("Ada Lovelace", "whoami"), ("Bob Builder", "nodes failed")):
            await AuditLog(db).append(
                AuditRecord(
                    at=datetime.now(UTC),
                    correlation_id="c0ffee",
                    kind="command",
                    tenant_id="t",
                    aad_object_id=f"oid-{who[:3]}",
                    display_name=who,
                    team_id="",
                    channel_id="",
                    conversation_id="c",
                    command=command,
                    arguments={"password": "hunter2"},
                    outcome="ok",
                    detail="",
                    duration_ms=1.5,
                )
            )
        await db.close()

    asyncio.run(seed())
    env = {"TEAMS_BOT_DATA_DIR": str(tmp_path / "data")}
    result = run_cli("audit", "--user", "bob", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "Bob Builder nodes failed" in result.stdout and "Ada" not in result.stdout
    assert "hunter2" not in result.stdout, "secret-looking arguments are redacted"
    everyone = run_cli("audit", "--last", "5", cwd=tmp_path, env=env).stdout.splitlines()
    assert len(everyone) == 2 and "Bob Builder" in everyone[0], "newest first"


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_starts_answers_health_and_stops_cleanly(tmp_path: Path, workers: int) -> None:
    import signal
    import socket
    import time
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "TEAMS_BOT_"))}
    clean["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    server = subprocess.Popen(
        [*CLI, "serve", "--port", str(port), "--workers", str(workers)],
        cwd=tmp_path,
        env=clean,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as resp:
                    assert resp.status == 200 and b"reachable" in resp.read()
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("the bot did not come up")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as resp:
            assert b"alive" in resp.read()
    finally:
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=30)
    assert server.returncode == 0, stderr
    assert "LOCAL DEVELOPMENT MODE" in stderr and "Traceback" not in stderr
    assert (tmp_path / "data" / "teams-bot.db").exists()
