"""Argument rules over a time window: "more than 3 nodes within 15m needs ops-lead".

A rule with `count_over = N` and `within = "15m"` counts what this person already ran of the
matching commands in the last 15 minutes (typed commands and button presses alike, from the audit
log) plus this request. So pressing single Reboot buttons one by one gets the same answer as
typing `nodes reboot` with all of them at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from teams_bot.authz import Decision, count_of, matches
from teams_bot.identity import Caller
from teams_bot.policy import ArgumentRule, Policy, command_key
from teams_bot.storage.audit import AuditLog, AuditRecord


async def window_refusal(
    policy: Policy,
    audit: AuditLog,
    caller: Caller,
    command: str,
    arguments: Mapping[str, object],
) -> Decision | None:
    """The first windowed rule this request would break, as a refusal; None when none."""
    key = command_key(command)
    for rule in policy.argument_rules:
        if rule.within is None or rule.require_role in caller.roles:
            continue
        if not matches(rule.commands, key) or rule.argument not in arguments:
            continue
        now = count_of(arguments[rule.argument])
        before = await _already(audit, caller, rule)
        if before + now > int(rule.value):  # type: ignore[arg-type]
            return _refusal(rule, before, now)
    return None


async def _already(audit: AuditLog, caller: Caller, rule: ArgumentRule) -> int:
    assert rule.within is not None
    since = datetime.now(UTC) - rule.within
    records = await audit.done_since(caller.aad_object_id, since)
    return sum(_targets(record, rule) for record in records)


def _targets(record: AuditRecord, rule: ArgumentRule) -> int:
    """A typed command or a button press (outcome ok) of a matching command."""
    if record.kind not in ("command", "action"):
        return 0
    if not matches(rule.commands, command_key(record.command)):
        return 0
    return count_of(record.arguments.get(rule.argument))


def _refusal(rule: ArgumentRule, before: int, now: int) -> Decision:
    window = _minutes(rule)
    what = rule.description or f"more than {rule.value} {rule.argument}"
    reason = (
        f"{what} within {window} needs the role '{rule.require_role}': you ran {before} in the "
        f"last {window}, and this would add {now}."
    )
    return Decision(False, reason, missing=rule.place)


def _minutes(rule: ArgumentRule) -> str:
    assert rule.within is not None
    minutes = int(rule.within.total_seconds() // 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"
