"""The README's command forms work as written: every `teams-bot ...` invocation it shows parses
(the subcommand and each --option exist), and every file it names exists in the checkout."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", ROOT / "infra" / "README.md"]
_INVOCATION = re.compile(r"teams-bot ((?:[a-z][a-z-]*)(?: [a-z][a-z-]*)?)((?: --[a-z-]+)*)")


def invocations() -> list[tuple[str, tuple[str, ...]]]:
    found: set[tuple[str, tuple[str, ...]]] = set()
    for doc in DOCS:
        for match in _INVOCATION.finditer(doc.read_text(encoding="utf-8")):
            words = match.group(1).split()
            options = tuple(o for o in match.group(2).split() if o.startswith("--"))
            found.add((" ".join(words), options))
    return sorted(found)


def cli_help(*words: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "teams_bot.cli", *words, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


@pytest.mark.parametrize(("command", "options"), invocations())
def test_every_teams_bot_command_shown_exists_with_its_options(
    command: str, options: tuple[str, ...]
) -> None:
    words = command.split()
    result = cli_help(*words)
    if result.returncode != 0:  # the second word was an argument, not a subcommand
        result = cli_help(words[0])
    assert result.returncode == 0, (command, result.stderr)
    for option in options:
        assert option in result.stdout, f"`teams-bot {command} {option}` is not an option"


def test_every_repository_path_the_readme_names_exists() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    paths = set(
        re.findall(r"`((?:infra|docs|scripts|tests|bench|teams_bot|cards)/[\w./-]+)`", text)
    )
    paths |= set(re.findall(r"\]\(((?:docs|infra)/[\w./-]+)\)", text))
    missing = sorted(p for p in paths if not (ROOT / p.rstrip("/")).exists() and "*" not in p)
    assert missing == [], missing
    assert shlex.split("./scripts/run --port 3979")  # the forms shown are plain shell words
