"""Schedules: commands the bot runs on a cron schedule in a conversation, as a configured
identity whose roles come from the policy, through the normal gate and audit; each tick runs
exactly once across replicas (a claimed row per schedule and tick), and a tick missed while the
bot was down runs once on start when younger than the schedule's grace."""

from __future__ import annotations

from teams_bot.features.schedules.commands import commands
from teams_bot.features.schedules.runner import run_due, scan_schedules
from teams_bot.kit import Feature

__all__ = ["feature", "run_due"]

feature = Feature(name="schedules", commands=commands, scans=[scan_schedules])
