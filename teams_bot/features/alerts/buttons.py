"""An alert card's buttons: Acknowledge, Silence 1h / 4h / until resolved, Unsilence, Reboot.

Each press: the signed id names the group (and alert); the group is read again; the presser's
tenant must receive this group in this conversation; the gate decides (permission, approvals);
the result is audited and the card is updated for everyone through the outbox.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import aiohttp

from cards.common import with_notice
from teams_bot.actions.models import Press, PressResult, refused
from teams_bot.alerts import AlertGroup, AlertmanagerClient, SilenceError
from teams_bot.auditing import audit_record
from teams_bot.dispatch import Dispatcher, NeedsApproval, Request
from teams_bot.errors import CommandError
from teams_bot.features.alerts.draw import draw
from teams_bot.features.alerts.runtime import runtime
from teams_bot.features.alerts.tokens import AlertRef, ref_of

if TYPE_CHECKING:
    from teams_bot.services import Services

PERMISSIONS = {
    "ack": "alerts.acknowledge",
    "silence": "alerts.silence",
    "unsilence": "alerts.silence",
}
SILENCE_FOR = {"1h": timedelta(hours=1), "4h": timedelta(hours=4), "resolved": timedelta(days=7)}


async def press(services: Services, pressed: Press) -> PressResult:
    started = time.perf_counter()
    ref = ref_of(services.signer, pressed.token)
    group = await runtime(services).store.group(ref.group_id) if ref else None
    if ref is None or group is None:
        result = refused("This alert button is not valid here; ask me for `alerts`.")
    elif not await _receives(services, pressed, group):
        result = refused("This alert is not one this conversation receives.")
    else:
        try:
            result = await _act(services, pressed, ref, group)
        except CommandError as exc:
            result = _shown(services, group, PressResult(None, False, "denied", str(exc)))
    await _audit(services, pressed, ref, result, started)
    return result


async def _receives(services: Services, pressed: Press, group: AlertGroup) -> bool:
    channel = pressed.where.conversation_id.split(";")[0]  # a card's thread is in its channel
    subs = await runtime(services).store.subscriptions(channel, pressed.caller.tenant_id)
    return any(s.filter.matches(group.notification) for s in subs)


async def _act(services: Services, pressed: Press, ref: AlertRef, group: AlertGroup) -> PressResult:
    if ref.op == "reboot":
        return await _typed(services, pressed, group, f"nodes reboot {ref.option}")
    if ref.op == "runbook":
        return await _typed(services, pressed, group, f"runbook run {ref.option}")
    admission = await services.gate.admit(
        pressed.caller,
        pressed.where,
        PERMISSIONS.get(ref.op, "alerts.acknowledge"),
        f"alerts {ref.op}",
        {"alert": ref.fingerprint, "group": group.id},
    )
    who = admission.caller
    name, now = who.display_name or who.aad_object_id, datetime.now(UTC)
    store = runtime(services).store
    if ref.op == "ack":
        changed = await store.acknowledge(group.id, who.aad_object_id, name, now)
        return _changed(services, changed or group, changed is not None, "Already acknowledged.")
    if ref.op == "silence":
        silence_id = await _silence(services, group, ref, name)
        changed = await store.set_silence(group.id, ref.fingerprint, silence_id, now)
        return _changed(services, changed or group, True, f"Silenced ({silence_id}).")
    if ref.op == "unsilence":
        await _unsilence(services, group, ref)
        changed = await store.set_silence(group.id, ref.fingerprint, "", now)
        return _changed(services, changed or group, True, "Unsilenced.")
    return refused("This alert button is not valid here.")


async def _silence(services: Services, group: AlertGroup, ref: AlertRef, name: str) -> str:
    alert, source = group.alert(ref.fingerprint), runtime(services).config.sources.get(group.source)
    if alert is None or source is None or not source.api_url:
        raise CommandError("This alert can't be silenced from here (no Alertmanager API is set).")
    now = datetime.now(UTC)
    ends = now + SILENCE_FOR.get(ref.option, timedelta(hours=1))
    comment = f"silenced from Teams by {name} ({ref.option})"
    try:
        async with aiohttp.ClientSession() as http:
            client = AlertmanagerClient(http, source.api_url)
            return await client.create_silence(alert.labels, now, ends, name, comment)
    except (SilenceError, aiohttp.ClientError) as exc:
        raise CommandError(f"Alertmanager did not take the silence: {exc}") from None


async def _unsilence(services: Services, group: AlertGroup, ref: AlertRef) -> None:
    silence_id = group.silences.get(ref.fingerprint, "")
    source = runtime(services).config.sources.get(group.source)
    if not silence_id or source is None or not source.api_url:
        return
    try:
        async with aiohttp.ClientSession() as http:
            await AlertmanagerClient(http, source.api_url).delete_silence(silence_id)
    except (SilenceError, aiohttp.ClientError) as exc:
        raise CommandError(f"Alertmanager did not remove the silence: {exc}") from None


async def _typed(services: Services, pressed: Press, group: AlertGroup, text: str) -> PressResult:
    """The same as typing `text` here (`nodes reboot web-07`, `runbook run NAME`): the gate,
    approvals, the job core; the names come from the signed id (checked when drawn)."""
    request = Request(text, pressed.caller, pressed.where, pressed.correlation_id, {})

    async def late(reply: object) -> None:
        await services.messenger.post(pressed.where.conversation_id, reply)  # type: ignore[arg-type]

    reply = await Dispatcher.of(services).handle(request, late)
    if isinstance(reply, NeedsApproval):
        message = f"'{text}' needs approval ({reply.request.rule_description})."
        shown = with_notice(_drawn(services, group), message)
        return PressResult(shown, False, "approval", message, approval_request=reply.request)
    message_id = await services.messenger.post(pressed.where.conversation_id, reply)
    on_posted = getattr(reply, "on_posted", None)
    if on_posted is not None and message_id:
        await on_posted(message_id)
    said = reply if isinstance(reply, str) else reply.summary
    return _shown(services, group, PressResult(None, False, "ok", said))


def _drawn(services: Services, group: AlertGroup) -> dict[str, Any]:
    parts = runtime(services)
    return draw(services.signer, group, parts.config.sources.get(group.source), parts.runbooks)


def _changed(services: Services, group: AlertGroup, changed: bool, message: str) -> PressResult:
    card = _drawn(services, group)
    if changed:  # the outbox updates the card for everyone; the presser sees it now
        return PressResult(card, False, "ok", message)
    return PressResult(with_notice(card, message), False, "duplicate", message)


def _shown(services: Services, group: AlertGroup, result: PressResult) -> PressResult:
    card = _drawn(services, group)
    color = "good" if result.outcome == "ok" else "attention"
    return PressResult(
        with_notice(card, result.message, color=color), False, result.outcome, result.message
    )


async def _audit(
    services: Services, pressed: Press, ref: AlertRef | None, result: PressResult, started: float
) -> None:
    await services.audit.append(
        audit_record(
            "action",
            pressed.caller,
            pressed.where,
            command=f"alerts {ref.op}" if ref else f"button {pressed.verb}",
            arguments={"group": ref.group_id, "alert": ref.fingerprint, "option": ref.option}
            if ref
            else {"verb": pressed.verb or ""},
            outcome=result.outcome,
            detail=result.message,
            correlation_id=pressed.correlation_id,
            duration_ms=(time.perf_counter() - started) * 1000,
        )
    )
