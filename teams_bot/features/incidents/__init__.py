"""Incidents: `incident create` posts a card (severity, state, commander, timeline) that every
later change (`note`, `assign`, `sev`, `mitigate`, `resolve`) updates in place; `incident export`
gives the timeline as Markdown for the post-mortem. Stored in migration 0010.
"""

from __future__ import annotations

from teams_bot.features.incidents.commands import commands
from teams_bot.kit import Feature

feature = Feature(name="incidents", commands=commands)
