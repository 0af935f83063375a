"""Four-eyes approvals: the approval card's buttons, `approve`/`deny`/`pending`, and the scans
that expire undecided requests and report approved work a restart interrupted."""

from __future__ import annotations

from teams_bot.approvals import service
from teams_bot.approvals.service import VERB_APPROVE, VERB_CANCEL, VERB_DENY, VERB_REFRESH
from teams_bot.features.approvals.buttons import press
from teams_bot.features.approvals.commands import commands
from teams_bot.kit import Button, Feature

feature = Feature(
    name="approvals",
    commands=commands,
    buttons=[Button(verb, press) for verb in (VERB_APPROVE, VERB_DENY, VERB_CANCEL, VERB_REFRESH)],
    scans=[service.expire_due, service.recover_interrupted],
)
