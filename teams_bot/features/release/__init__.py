"""Releases: deploy, rollback, status, freeze, on the services of the config file.

Typed commands and the deploy card's Rollback button run the services' configured actions
through the card-job core (one release at a time per service and environment, across
replicas), with live progress on the card and a history. A change freeze holds risky commands
at the gate (guard.py).
"""

from __future__ import annotations

from cards.release import VERB_DEPLOY_ROLLBACK
from teams_bot.features.release import card as release_card
from teams_bot.features.release import freeze, status  # noqa: F401 - they register commands
from teams_bot.features.release.callbacks import runner_callback
from teams_bot.features.release.commands import commands
from teams_bot.features.release.guard import freeze_guard
from teams_bot.features.release.jobs import (
    ROLLBACK_BUTTON,
    RUN,
    VERB_DEPLOY,
    VERB_ROLLBACK,
    recover_interrupted,
)
from teams_bot.kit import CardKind, Feature, JobButton, Route

feature = Feature(
    name="release",
    commands=commands,
    buttons=[
        JobButton(VERB_DEPLOY, RUN),
        JobButton(VERB_ROLLBACK, RUN),
        JobButton(VERB_DEPLOY_ROLLBACK, ROLLBACK_BUTTON),
    ],
    cards=[CardKind(release_card.KIND, release_card.render, interrupted=release_card.interrupted)],
    scans=[freeze.end_timed_freezes, recover_interrupted],
    guards=[freeze_guard],
    routes=[Route("POST", "/api/runners/{name}/callback", runner_callback)],
)
