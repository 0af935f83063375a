"""`teams-bot manifest build` needs only the bot id (not the runtime secrets)."""

from __future__ import annotations

import subprocess
import uuid
import zipfile
from pathlib import Path

from tests.test_serve_startup import CLI, cli_env


def test_manifest_build_with_only_the_app_id_set(tmp_path: Path) -> None:
    env = {**cli_env(), "MicrosoftAppId": str(uuid.uuid4())}  # no password, secret or tenant
    built = subprocess.run(
        [*CLI, "manifest", "build", "--out", "app.zip", "--domain", "bot.contoso.example"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert built.returncode == 0, built.stderr
    checked = subprocess.run(
        [*CLI, "manifest", "validate", "app.zip"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0 and "valid" in checked.stdout, checked.stderr
    assert "manifest.json" in zipfile.ZipFile(tmp_path / "app.zip").namelist()
