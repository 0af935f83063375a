"""The first run does the main job: in local development mode (no app id, loopback only) the
bot fills in what nobody configured yet, and says so in one line.

- no policy file: the trial policy (everyone an operator, Grace Hopper an ops-lead);
- no automation config: the example config, its node state in the data directory (so the
  example scripts really heal nodes);
- no TEAMS_BOT_ACTION_SECRET: one generated once and kept in the data directory (0600), so
  buttons keep working across restarts.

With an app id nothing is implied: a missing policy still means the restrictive default, and a
missing action secret is an error (see settings).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from teams_bot.settings import Settings

CHECKOUT = Path(__file__).resolve().parent.parent
TRIAL_POLICY = CHECKOUT / "infra" / "policy.trial.toml"
EXAMPLE_CONFIG = CHECKOUT / "infra" / "config.example.toml"
EXAMPLE_STATE_ENV = "OPSBOT_EXAMPLE_STATE"
SECRET_FILE = "action-secret"  # noqa: S105 - a file name, not a secret


@dataclass(frozen=True)
class FirstRun:
    settings: Settings
    implied: list[str] = field(default_factory=list)  # what was filled in, for one start-up line

    def line(self) -> str | None:
        if not self.implied:
            return None
        return "local development mode, nothing configured for: " + "; ".join(self.implied)


def with_local_defaults(settings: Settings) -> FirstRun:
    """`settings` with the local development defaults filled in (unchanged with an app id)."""
    if settings.auth_enabled:
        return FirstRun(settings)
    update: dict[str, Any] = {}
    implied: list[str] = []
    if settings.policy_file is None and TRIAL_POLICY.is_file():
        update["policy_file"] = TRIAL_POLICY
        implied.append(f"policy -> {TRIAL_POLICY}")
    if settings.config_file is None and EXAMPLE_CONFIG.is_file():
        update["config_file"] = EXAMPLE_CONFIG
        state = (settings.data_dir / "example-state.json").resolve()
        os.environ.setdefault(EXAMPLE_STATE_ENV, str(state))
        implied.append(f"automation config -> {EXAMPLE_CONFIG} (node state in {state})")
    if settings.action_secret is None:
        update["action_secret"] = SecretStr(kept_secret(settings.data_dir))
        implied.append(f"button signing key -> {(settings.data_dir / SECRET_FILE).resolve()}")
    return FirstRun(settings.model_copy(update=update), implied)


def kept_secret(data_dir: Path) -> str:
    """The action secret kept in the data directory, made once (readable by the owner only)."""
    path = data_dir / SECRET_FILE
    if path.is_file():
        kept = path.read_text(encoding="utf-8").strip()
        if len(kept) >= 32:
            return kept
    data_dir.mkdir(parents=True, exist_ok=True)
    made = secrets.token_urlsafe(48)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(made + "\n")
    return made
