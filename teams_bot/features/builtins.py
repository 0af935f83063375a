"""What every bot has: help, whoami, version, audit, and the per-viewer refresh of any card."""

from __future__ import annotations

from teams_bot.actions.refresh import REFRESH_VERB, refresh
from teams_bot.commands.builtins import builtins
from teams_bot.housekeeping import prune_old_records
from teams_bot.jobs.recovery import recover_interrupted
from teams_bot.kit import Button, Feature

feature = Feature(
    name="builtins",
    commands=builtins,
    buttons=[Button(REFRESH_VERB, refresh)],
    # interrupted card jobs, redrawn by each card's own kind; retention of old records
    scans=[recover_interrupted, prune_old_records],
)
