"""The bot's command menu in Teams (`bots[0].commandLists`), generated from the registry.

Rule, so the menu always matches the code and is the same on every build:
1. hidden commands and names longer than MAX_TITLE characters are left out;
2. order: `help` first, then the "General" group, then the other groups alphabetically; within a
   group, one-word commands before sub-commands, then alphabetically;
3. the first MAX_COMMANDS of that order are the menu; a summary longer than MAX_DESCRIPTION is
   cut with an ellipsis.
Every scope gets its own list (Teams asks for one per scope); the registry has no per-scope
information yet, so the lists are equal.
"""

from __future__ import annotations

from typing import Any

from teams_bot.commands.registry import Command, CommandRegistry

# Teams' documented limits (the v1.29 schema allows more: 12 commands, 128/4000 characters).
MAX_COMMANDS = 10
MAX_TITLE = 32
MAX_DESCRIPTION = 128
SCOPES = ("team", "personal", "groupChat")
FIRST_GROUP = "General"


def _menu_order(command: Command) -> tuple[bool, bool, str, int, str]:
    return (
        command.name != "help",
        command.group != FIRST_GROUP,
        command.group,
        command.name.count(" "),
        command.name,
    )


def menu_commands(registry: CommandRegistry) -> list[Command]:
    """The commands on the menu, in menu order (see the module docstring for the rule)."""
    shown = [c for c in registry.commands() if not c.hidden and len(c.name) <= MAX_TITLE]
    return sorted(shown, key=_menu_order)[:MAX_COMMANDS]


def _describe(command: Command) -> str:
    text = " ".join(command.summary.split())
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"


def command_lists(registry: CommandRegistry) -> list[dict[str, Any]]:
    """`commandLists` for the manifest: one list per scope."""
    commands = [{"title": c.name, "description": _describe(c)} for c in menu_commands(registry)]
    return [{"scopes": [scope], "commands": [dict(c) for c in commands]} for scope in SCOPES]
