"""`teams-bot send-alert` and `teams-bot alerts failed`, as a script or cron job would run them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.test_serve_startup import CLI, cli_env

SECRET = "cli-alert-source-secret-0123456789"


def run(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    config = tmp_path / "config.toml"
    config.write_text(
        '[alerts.sources.cron]\nkind = "generic"\nauth = "bearer"\nsecret_env = "CRON_SECRET"\n',
        encoding="utf-8",
    )
    env = {
        **cli_env(),
        "CRON_SECRET": SECRET,
        "TEAMS_BOT_CONFIG_FILE": str(config),
        "TEAMS_BOT_DATA_DIR": str(tmp_path / "data"),
    }
    return subprocess.run(
        [*CLI, *args],
        input=stdin,
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_send_alert_from_stdin_is_accepted_once(tmp_path: Path) -> None:
    body = json.dumps({"title": "Backup failed", "state": "firing", "dedup_key": "backup-1"})
    first = run(tmp_path, "send-alert", "--source", "cron", stdin=body)
    assert first.returncode == 0 and first.stdout.startswith("accepted"), first.stderr
    again = run(tmp_path, "send-alert", "--source", "cron", stdin=body)
    assert again.returncode == 0 and again.stdout.startswith("duplicate"), again.stderr


def test_send_alert_refuses_bad_input_with_one_line(tmp_path: Path) -> None:
    unknown = run(tmp_path, "send-alert", "--source", "nope", stdin="{}")
    assert unknown.returncode == 2 and "unknown alert source 'nope' (known: cron)" in unknown.stderr
    bad = run(tmp_path, "send-alert", "--source", "cron", stdin='{"state": "firing"}')
    assert bad.returncode == 2 and "invalid alert" in bad.stderr and "title" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_alerts_failed_lists_nothing_on_a_fresh_bot(tmp_path: Path) -> None:
    run(
        tmp_path,
        "send-alert",
        "--source",
        "cron",
        stdin=json.dumps({"title": "x", "state": "firing", "dedup_key": "k"}),
    )
    result = run(tmp_path, "alerts", "failed")
    assert result.returncode == 0 and "no failed deliveries" in result.stderr
