"""The help card: commands grouped by area, each with its summary and usage line."""

from __future__ import annotations

from collections.abc import Sequence

from cards.common import Card, Element, adaptive_card, footer, text_block
from cards.models import HelpCommand, HelpGroup
from cards.size import fit_card

MAX_COMMANDS = 100


def help_card(
    groups: Sequence[HelpGroup],
    *,
    title: str = "ChatOps commands",
    hint: str = "Mention me with a command. Buttons on my cards run the same checks.",
) -> Card:
    """Every command the caller may see, grouped; empty groups are left out."""
    body: list[Element] = [
        text_block(title, heading=True, size="large", weight="bolder"),
        text_block(hint, subtle=True, spacing="none"),
    ]
    shown = [group for group in groups if group.commands]
    budget = MAX_COMMANDS
    for group in shown:
        if budget <= 0:
            break
        body.append(text_block(group.title, size="medium", weight="bolder", color="accent",
                               spacing="large", separator=True))
        body += [item for command in group.commands[:budget] for item in _command(command)]
        budget -= len(group.commands)
    if not shown:
        body.append(text_block("No commands are available to you here.", spacing="medium"))
    if budget < 0:
        body.append(text_block(f"… and {-budget} more {'command' if budget == -1 else 'commands'}; "
                               "ask for help on one by name",
                               weight="bolder", spacing="medium"))
    count = sum(len(group.commands) for group in shown)
    body.append(footer(f"{_count(count, 'command')} in {_count(len(shown), 'group')}"))
    return fit_card(adaptive_card(body, fallback_text=title))


def _count(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _command(command: HelpCommand) -> list[Element]:
    return [
        text_block(command.name, limit=80, monospace=True, weight="bolder", spacing="medium"),
        text_block(command.summary, limit=400, spacing="none"),
        text_block(f"Usage: {command.usage}", limit=300, monospace=True, size="small",
                   subtle=True, spacing="none"),
    ]
