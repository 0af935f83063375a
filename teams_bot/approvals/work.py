"""Run approved work as its requester: a typed command line, or a card button's job."""

from __future__ import annotations

from typing import TYPE_CHECKING

from teams_bot.actions.router import start_approved
from teams_bot.approvals.models import Approval, WorkOutcome
from teams_bot.approvals.requests import place, requester
from teams_bot.dispatch import run_approved

if TYPE_CHECKING:
    from teams_bot.services import Services


async def execute(services: Services, approval: Approval) -> WorkOutcome:
    if approval.kind == "command":
        return await run_approved(services, approval)
    text, done = await start_approved(
        services, approval.action_id, requester(approval), place(approval)
    )
    if done is None:
        return WorkOutcome(False, text)
    ok = await done  # the approval follows its job's real end
    return WorkOutcome(ok, f"{text.removeprefix('started: ')}: {'succeeded' if ok else 'failed'}")
