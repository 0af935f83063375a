"""Runbooks (issue 14): Markdown runbooks shown as paged cards, and executable runbooks run
step by step on one card with Continue (where a step pauses) and Stop.

Permissions: `runbooks.read` (list, show), `runbooks.run` (run, Continue, Stop).
"""

from __future__ import annotations

from cards.runbook import VERB_CONTINUE, VERB_PAGE, VERB_STOP
from teams_bot.features.runbooks import buttons, run
from teams_bot.features.runbooks.commands import commands
from teams_bot.kit import Button, CardKind, Feature

feature = Feature(
    name="runbooks",
    commands=commands,
    buttons=[
        Button(VERB_PAGE, buttons.page),
        Button(VERB_CONTINUE, buttons.continue_run),
        Button(VERB_STOP, buttons.stop_run),
    ],
    cards=[CardKind(run.KIND, run.render, interrupted=run.interrupted)],
)
