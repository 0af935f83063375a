"""Help as chat text. Teams renders markdown, so this uses a little: bold headings, lists, code."""

from __future__ import annotations

from collections.abc import Sequence

from teams_bot.commands.parser import ParamSpec, format_value
from teams_bot.commands.registry import Command


def render_index(commands: Sequence[Command]) -> str:
    """Every command, grouped by `group`, one line each: name — summary."""
    if not commands:
        return "There are no commands you can use here."
    groups: dict[str, list[Command]] = {}
    for command in sorted(commands, key=lambda c: c.name):
        groups.setdefault(command.group, []).append(command)
    sections = [
        f"**{group}**\n\n" + "\n".join(f"- `{c.name}` — {c.summary}" for c in groups[group])
        for group in sorted(groups, key=lambda g: (g != "General", g.lower()))
    ]
    footer = "Type `help <command>` for details."
    return "\n\n".join([*sections, footer])


def render_command(cmd: Command) -> str:
    """One command in full: summary, usage, long help, arguments, examples."""
    parts = [f"**{cmd.name}** — {cmd.summary}", f"Usage: `{cmd.usage}`"]
    if cmd.help:
        parts.append(cmd.help)
    if cmd.params:
        parts.append("**Arguments**\n\n" + "\n".join(_describe(p) for p in cmd.params))
    if cmd.examples:
        parts.append("**Examples**\n\n" + "\n".join(f"- `{e}`" for e in cmd.examples))
    return "\n\n".join(parts)


def _describe(p: ParamSpec) -> str:
    label = {"positional": p.display, "variadic": f"{p.display}...", "option": f"--{p.display}"}
    facts = [f"one of {', '.join(p.choices)}" if p.choices else p.type_name]
    if p.kind == "variadic":
        facts.append("any number")
    elif p.required:
        facts.append("required")
    elif p.default is not None and not p.is_flag:
        facts.append(f"default {format_value(p.default)}")
    elif not p.is_flag:
        facts.append("optional")
    text = f"- `{label[p.kind]}` ({'; '.join(facts)})"
    return f"{text}: {p.help}" if p.help else text
