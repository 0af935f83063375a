"""On-call: who is on call now and next (rotations from the config file, DST-correct, with
dated overrides), and pages that @mention someone with an Acknowledge button.

Other features ask `oncall_for(services, team, at)` (see lookup.py).
"""

from __future__ import annotations

from cards.oncall import VERB_ONCALL_ACKNOWLEDGE
from teams_bot.features.oncall.buttons import acknowledge
from teams_bot.features.oncall.commands import commands
from teams_bot.features.oncall.config import Person
from teams_bot.features.oncall.lookup import oncall_for
from teams_bot.kit import Button, Feature

__all__ = ["Person", "feature", "oncall_for"]

feature = Feature(
    name="oncall",
    commands=commands,
    buttons=[Button(VERB_ONCALL_ACKNOWLEDGE, acknowledge)],
)
