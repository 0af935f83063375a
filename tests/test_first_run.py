"""Local development defaults: the main job works with nothing configured; nothing is implied
once an app id is set."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from teams_bot.first_run import EXAMPLE_CONFIG, TRIAL_POLICY, kept_secret, with_local_defaults
from teams_bot.policy import load_policy
from teams_bot.settings import Settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSBOT_EXAMPLE_STATE", "")  # so the fixture restores it afterwards
    for name in list(os.environ):
        if name.startswith(("TEAMS_BOT_", "MicrosoftApp", "OPSBOT_")):
            monkeypatch.delenv(name, raising=False)


def test_nothing_configured_gets_the_trial_policy_example_config_and_a_kept_secret(
    tmp_path: Path,
) -> None:
    first = with_local_defaults(Settings(data_dir=tmp_path / "data", _env_file=None))
    settings = first.settings
    assert settings.policy_file == TRIAL_POLICY and settings.config_file == EXAMPLE_CONFIG
    assert os.environ["OPSBOT_EXAMPLE_STATE"] == str(tmp_path / "data/example-state.json")
    assert settings.action_secret is not None
    line = first.line() or ""
    assert str(TRIAL_POLICY) in line and str(EXAMPLE_CONFIG) in line, line
    assert load_policy(settings.policy_file).roles, "the trial policy loads"


def test_the_secret_is_made_once_and_kept_private(tmp_path: Path) -> None:
    first = kept_secret(tmp_path)
    assert kept_secret(tmp_path) == first and len(first) >= 48
    mode = stat.S_IMODE((tmp_path / "action-secret").stat().st_mode)
    assert mode == 0o600
    again = with_local_defaults(Settings(data_dir=tmp_path, _env_file=None)).settings
    assert again.action_secret is not None and again.action_secret.get_secret_value() == first


def test_what_is_configured_is_kept(tmp_path: Path) -> None:
    policy = tmp_path / "mine.toml"
    policy.write_text('default_roles = []\n[roles]\n', encoding="utf-8")
    first = with_local_defaults(
        Settings(data_dir=tmp_path, policy_file=policy, action_secret="x" * 40, _env_file=None)
    )
    assert first.settings.policy_file == policy
    assert first.settings.action_secret.get_secret_value() == "x" * 40  # type: ignore[union-attr]
    assert all("policy" not in part for part in first.implied)


def test_with_an_app_id_nothing_is_implied(tmp_path: Path) -> None:
    settings = Settings(
        MicrosoftAppId="7f3a9c2e-5b1d-4e8f-a6c4-2d9b0e1f3a57",
        MicrosoftAppPassword="p" * 20,
        MicrosoftAppTenantId="3e9b7c1a-2f4d-4a6b-8c0e-5d7f9a1b3c24",
        action_secret="s" * 40,
        data_dir=tmp_path,
        _env_file=None,
    )
    first = with_local_defaults(settings)
    assert first.settings is settings and first.line() is None
    assert first.settings.policy_file is None, "a missing policy stays the restrictive default"
