"""`teams-bot console` run as a person runs it: a real subprocess, piped stdin or a tmux terminal.

The console starts the real app in-process, so these tests cover the whole path: typed text ->
Teams-shaped activity -> /api/messages -> commands, policy, automation -> the console's own
Bot Connector -> text on stdout.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from teams_bot.console.activities import CONSOLE_TENANT_ID, Person

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CONFIG = ROOT / "infra" / "config.example.toml"
ADA = Person.named("Ada Lovelace")
GRACE = Person.named("Grace Hopper")

POLICY = f"""
default_roles = ["viewer"]

[roles.viewer]
permissions = ["help", "whoami", "version", "nodes.read", "approvals"]

[roles.operator]
permissions = ["nodes.*", "release.*"]

[roles.ops-lead]
permissions = ["nodes.*", "release.*"]

[bindings.users]
"{ADA.aad_object_id}" = ["operator"]
"{GRACE.aad_object_id}" = ["ops-lead"]

[[approval_rules]]
commands = ["release.rollback"]
approvers = ["ops-lead"]
description = "rollbacks"
"""


def console_command() -> list[str]:
    """The installed `teams-bot` script beside this Python, else the module."""
    script = Path(sys.executable).with_name("teams-bot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "teams_bot.cli"]


def console_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "TEAMS_BOT_"))}
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY, encoding="utf-8")
    env.update(
        PYTHONPATH=str(ROOT),
        TEAMS_BOT_DATA_DIR=str(tmp_path / "data"),
        TEAMS_BOT_POLICY_FILE=str(policy),
        TEAMS_BOT_CONFIG_FILE=str(EXAMPLE_CONFIG),
        OPSBOT_EXAMPLE_STATE=str(tmp_path / "nodes.json"),
        OPSBOT_EXAMPLE_DELAY="0.05",
        USER="Ada Lovelace",
    )
    env.update(extra)
    return env


def run_console(
    tmp_path: Path, stdin: str, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*console_command(), "console", *args],
        input=stdin,
        cwd=tmp_path,
        env=console_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_no_json(text: str) -> None:
    for marker in ('{"', "{'", '"type"', "AdaptiveCard", "Action.Execute", "application/vnd"):
        assert marker not in text, f"raw card data in the output: {marker!r}"


def test_help_and_whoami_with_piped_input(tmp_path: Path) -> None:
    done = run_console(tmp_path, "help\nwhoami\n/whois\n/help\n")
    out = done.stdout
    assert done.returncode == 0, done.stderr
    assert "in a personal chat" in out
    # The hint to bind this person names a role this policy has (it has no "admin").
    assert "(roles: viewer, operator, ops-lead)" in out
    assert f'"{ADA.aad_object_id}" = ["ops-lead"]' in out
    assert '"admin"' not in out
    assert "Ada Lovelace> help\nopsbot:\n  ChatOps commands\n" in out
    assert "  nodes failed\n" in out  # operator sees the nodes commands in help
    assert "Ada Lovelace> whoami\nopsbot:\n  Who am I\n" in out
    assert f"    AAD object id: {ADA.aad_object_id}\n" in out
    assert f"    Tenant id: {CONSOLE_TENANT_ID}\n" in out
    assert "    operator: from user binding\n" in out  # roles come from the policy file
    assert f"You are Ada Lovelace (AAD object id {ADA.aad_object_id}, Teams id 29:" in out
    assert "/user NAME [ID]" in out  # /help lists the console's commands
    assert "local development mode, no Teams sign-in was checked" in out  # whoami's footer
    assert "signed-in Teams account" not in out
    assert_no_json(out)


def test_nodes_failed_then_press_reboot_by_number(tmp_path: Path) -> None:
    done = run_console(tmp_path, "nodes failed\n1\n7\n")
    out = done.stdout
    assert done.returncode == 0, done.stderr
    assert "  ⚠️ 4 failed nodes\n" in out
    assert "  web-07  [1] Reboot\n" in out
    assert "  Last error: /var/lib/postgresql is 97% full; evicting pods\n" in out
    assert "  [5] Reboot all failed (4)  [6] Rollback web-2026.11.20-3\n" in out
    assert "Ada Lovelace> 1\n(pressing [1] Reboot)\nopsbot: (card updated)\n" in out
    assert "⏳ Rebooting web-07, requested by Ada Lovelace" in out
    # The job's result arrives after the turn, as a proactive card update; at the end of
    # input the console lets running jobs finish, so it is printed before the exit.
    assert "  Rebooted by Ada Lovelace at " in out
    # Buttons keep their numbers for the life of the card: [1] is gone, the rest stay.
    assert "  [5] Reboot all failed (3)  [6] Rollback web-2026.11.20-3\n" in out
    assert "Ada Lovelace> 7\n(no button [7] on the recent cards)\n" in out
    assert_no_json(out)
    nodes = json.loads((tmp_path / "nodes.json").read_text())
    states = {n["name"]: n["state"] for n in nodes.get("nodes", nodes)}
    assert states["web-07"] == "healthy"  # the example reboot script really ran
    assert states["web-11"] != "healthy"


def test_typing_a_pressed_number_again_acts_on_nothing_else(tmp_path: Path) -> None:
    done = run_console(tmp_path, "nodes failed\n1\n/wait 1\n1\n2\n")
    out = done.stdout
    assert done.returncode == 0, done.stderr
    assert out.count("(pressing [1] Reboot)") == 1
    assert "Ada Lovelace> 1\n(button [1] is no longer on its card: it was pressed" in out
    assert "Ada Lovelace> 2\n(pressing [2] Reboot)\n" in out
    nodes = json.loads((tmp_path / "nodes.json").read_text())
    states = {n["name"]: n["state"] for n in nodes.get("nodes", nodes)}
    assert states["web-07"] == "healthy"  # [1]
    assert states["web-11"] == "healthy"  # [2], still [2] after [1] was pressed
    assert states["db-02"] != "healthy" and states["web-21"] != "healthy"  # [3], [4]: untouched


@pytest.mark.parametrize("scope", [(), ("--channel",)])
def test_commands_written_as_in_teams(tmp_path: Path, scope: tuple[str, ...]) -> None:
    done = run_console(tmp_path, "@opsbot whoami\n<at>opsbot</at> version\n@OpsBot: help\n", *scope)
    out = done.stdout
    assert done.returncode == 0, done.stderr
    assert "Ada Lovelace> @opsbot whoami\nopsbot:\n  Who am I\n" in out
    assert "Ada Lovelace> <at>opsbot</at> version\nopsbot: " in out
    assert "Ada Lovelace> @OpsBot: help\nopsbot:\n  ChatOps commands\n" in out
    assert "Did you mean" not in out and "Unknown command" not in out


def test_role_hints_follow_the_policy_in_use(tmp_path: Path) -> None:
    trial = run_console(
        tmp_path, "", TEAMS_BOT_POLICY_FILE=str(ROOT / "infra" / "policy.trial.toml")
    )
    assert trial.returncode == 0, trial.stderr
    assert f'"{ADA.aad_object_id}" = ["ops-lead"]' in trial.stdout
    env = console_env(tmp_path)
    del env["TEAMS_BOT_POLICY_FILE"]
    bare = subprocess.run(
        [*console_command(), "console"],
        input="",
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # Nothing configured: the console, like `serve`, uses the trial policy and says so.
    assert bare.returncode == 0, bare.stderr
    trial_file = ROOT / "infra" / "policy.trial.toml"
    assert f"(local development mode, nothing configured for: policy -> {trial_file}" in bare.stdout
    assert f"Roles come from {trial_file} (roles: operator, ops-lead)" in bare.stdout
    assert f'"{ADA.aad_object_id}" = ["ops-lead"]' in bare.stdout


def test_the_main_job_with_nothing_configured(tmp_path: Path) -> None:
    """Issue 11's walk-through: no policy, no config, no secret; reboot, rollback, approval by a
    second person, and the card shows what really healed."""
    env = console_env(tmp_path)
    for name in ("TEAMS_BOT_POLICY_FILE", "TEAMS_BOT_CONFIG_FILE", "OPSBOT_EXAMPLE_STATE"):
        del env[name]
    script = "nodes failed\n1\n/wait 3\n5\nthe release breaks probes\n/user Grace Hopper\n"
    script += "/show\n1\n/wait 5\n"
    done = subprocess.run(
        [*console_command(), "console", "--channel"],
        input=script,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    out = done.stdout
    assert done.returncode == 0, done.stderr
    # Ada is an operator: rebooting all 4 needs an ops-lead, so her view has no such button
    # and says why; Rollback keeps the number it has in her view.
    assert "! Your view: no “Reboot all” button." in out
    assert "  [1] Reboot" in out and "[5] Rollback web-2026.11.20-3" in out
    assert "Rebooted by Ada Lovelace at " in out
    assert "needs approval (release rollbacks)" in out
    assert "(latest card, as Grace Hopper sees it)" in out
    assert "Grace Hopper> 1\n(pressing [1] Approve)" in out
    assert "Approvals: 1 of 1 · Grace Hopper" in out and "Approved · succeeded" in out
    assert "Rolled back web-2026.11.20-3, requested by Ada Lovelace" in out
    assert out.count("Healed by the rollback of web-2026.11.20-3") == 2  # web-11, web-21
    assert "⚠️ 1 failed node · 3 healed" in out
    state = json.loads((tmp_path / "data" / "example-state.json").read_text())["nodes"]
    unhealthy = [n["name"] for n in state if n["state"] != "healthy"]
    assert unhealthy == ["db-02"]  # the one node no action touched


def test_second_person_denies_with_a_reason_in_a_channel(tmp_path: Path) -> None:
    script = "nodes failed\n6\n/user Grace Hopper\n2\nnot during the freeze\n/whois\n"
    done = run_console(tmp_path, script, "--channel", "--user", "Ada Lovelace")
    out = done.stdout
    assert done.returncode == 0, done.stderr
    assert "in a team channel thread" in out
    assert "needs approval (rollbacks)" in out
    # The requester's own view (a card refresh, as Teams fetches it) offers Cancel only.
    assert "  [1] Cancel request\n" in out
    # Grace sees the approver's view of the same card, then is asked for the reason.
    assert "(latest card, as Grace Hopper sees it)" in out
    assert "  [1] Approve  [2] Deny…\n" in out
    assert "Grace Hopper> 2\n  Reason for denying (optional): not during the freeze\n" in out
    assert "Denied by Grace Hopper at " in out
    assert "  Reason: not during the freeze\n" in out
    assert f"You are Grace Hopper (AAD object id {GRACE.aad_object_id}" in out
    assert_no_json(out)


def test_aad_id_option_and_identity_from_user(tmp_path: Path) -> None:
    oid = str(uuid.uuid4())
    done = run_console(tmp_path, "/whois\nwhoami\n", "--aad-id", oid)  # name from $USER
    assert done.returncode == 0, done.stderr
    assert f"You are Ada Lovelace (AAD object id {oid}" in done.stdout
    assert f"    AAD object id: {oid}\n" in done.stdout
    assert "    viewer: " in done.stdout  # not bound in the policy: default roles only


def test_a_tenant_the_bot_refuses_is_reported_before_starting(tmp_path: Path) -> None:
    done = run_console(tmp_path, "help\n", TEAMS_BOT_ALLOWED_TENANTS="aaaa,bbbb")
    assert done.returncode == 2
    assert "TEAMS_BOT_ALLOWED_TENANTS (aaaa, bbbb) does not include" in done.stderr
    assert CONSOLE_TENANT_ID in done.stderr
    allowed = run_console(
        tmp_path, "whoami\n", "--tenant", "bbbb", TEAMS_BOT_ALLOWED_TENANTS="aaaa,bbbb"
    )
    assert allowed.returncode == 0, allowed.stderr
    assert "    Tenant id: bbbb\n" in allowed.stdout


def test_bad_aad_id_and_app_id_set(tmp_path: Path) -> None:
    done = run_console(tmp_path, "", "--aad-id", "not-a-guid")
    assert done.returncode == 2
    assert "--aad-id must be an AAD object id" in done.stderr
    secured = run_console(
        tmp_path,
        "whoami\n",
        MicrosoftAppId=str(uuid.uuid4()),
        MicrosoftAppTenantId=str(uuid.uuid4()),
        MicrosoftAppPassword="p" * 20,
        TEAMS_BOT_ACTION_SECRET="s" * 32,
    )
    assert secured.returncode == 0, secured.stderr
    assert "MicrosoftAppId is set; the console ignores it" in secured.stdout
    assert "    Display name: Ada Lovelace\n" in secured.stdout  # tokens were not required


# -- interactive, in a real terminal -------------------------------------------------------------
class Tmux:
    """One tmux server on its own socket, so nothing else's sessions are touched."""

    def __init__(self, tmp_path: Path) -> None:
        self.socket = f"console-test-{uuid.uuid4().hex[:8]}"
        self.tmp_path = tmp_path

    def run(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=30
        )
        return done.stdout

    def start(self, command: list[str], env: dict[str, str]) -> None:
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items() if "\n" not in v)
        line = f"cd {shlex.quote(str(self.tmp_path))} && env -i {exports} " + shlex.join(command)
        self.run("new-session", "-d", "-s", "console", "-x", "160", "-y", "60", line + "; sleep 30")

    def type(self, text: str) -> None:
        self.run("send-keys", "-t", "console", "-l", text)
        self.run("send-keys", "-t", "console", "Enter")

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-J", "-S", "-500", "-t", "console")

    def wait_for(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} did not appear; the screen shows:\n{self.screen()}")

    def stop(self) -> None:
        self.run("kill-server")


@pytest.mark.skipif(
    shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)"
)
def test_interactive_session_in_tmux(tmp_path: Path) -> None:
    tmux = Tmux(tmp_path)
    env = console_env(tmp_path, TERM="xterm-256color")
    tmux.start([*console_command(), "console"], env)
    try:
        tmux.wait_for("Ada Lovelace> ")
        tmux.type("whoami")
        tmux.wait_for(f"AAD object id: {ADA.aad_object_id}")
        tmux.type("nodes failed")
        tmux.wait_for("[6] Rollback web-2026.11.20-3")
        tmux.type("1")
        screen = tmux.wait_for("Rebooted by Ada Lovelace")
        # The result came while the prompt waited: it is printed above a redrawn prompt.
        time.sleep(0.5)
        screen = tmux.screen()
        lines = [line.rstrip() for line in screen.splitlines() if line.strip()]
        assert lines[-1] == "Ada Lovelace>", lines[-5:]
        assert "Rebooted by Ada Lovelace" in "\n".join(lines[-25:])
        tmux.type("/user Grace Hopper")
        tmux.wait_for("Grace Hopper> ")
        tmux.run("send-keys", "-t", "console", "C-d")
        screen = tmux.wait_for("(stopping the bot")
        assert_no_json(screen)
    finally:
        tmux.stop()
