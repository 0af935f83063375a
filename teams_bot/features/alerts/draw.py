"""An alert group's card as a viewer gets it: the newest state, with signed buttons."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cards.alerts import AlertButtons
from teams_bot.alerts import AlertGroup, card_for, targets
from teams_bot.features.alerts.tokens import AlertRef, token

if TYPE_CHECKING:
    from teams_bot.actions.signing import ActionSigner
    from teams_bot.alerts import AlertSource

MAX_INNER = 160
SILENCES = ("1h", "4h", "resolved")
_NODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,62}")  # a name the reboot command takes as is


def _signed(signer: ActionSigner, ref: AlertRef) -> str | None:
    made = token(signer, ref)
    return made if len(made.split(".")[0]) <= MAX_INNER else None


def draw(
    signer: ActionSigner,
    group: AlertGroup,
    source: AlertSource | None,
    runbooks: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    now = datetime.now(UTC)
    ack = None if group.acked_by else _signed(signer, AlertRef("ack", group.id))
    buttons = {
        alert.fingerprint: _buttons(signer, group, alert.fingerprint, source, runbooks)
        for alert in group.notification.alerts
        if alert.status == "firing"
    }
    return card_for(group, now, acknowledge_id=ack, buttons=buttons)


def _buttons(
    signer: ActionSigner,
    group: AlertGroup,
    fingerprint: str,
    source: AlertSource | None,
    runbooks: frozenset[str],
) -> AlertButtons:
    alert = group.alert(fingerprint)
    silenced = fingerprint in group.silences
    can_silence = bool(source and source.api_url) and not silenced

    def ref(op: str, option: str = "") -> str | None:
        return _signed(signer, AlertRef(op, group.id, fingerprint, option))

    node = targets(alert, source).node if alert else ""
    node_ok = bool(node) and _NODE.fullmatch(node) is not None
    runbook = (alert.annotations.get("runbook", "") if alert else "").strip()
    runbook_ok = runbook in runbooks
    return AlertButtons(
        silence_1h=ref("silence", "1h") if can_silence else None,
        silence_4h=ref("silence", "4h") if can_silence else None,
        silence_until_resolved=ref("silence", "resolved") if can_silence else None,
        unsilence=ref("unsilence") if silenced and source and source.api_url else None,
        reboot=ref("reboot", node) if node_ok else None,
        reboot_target=node if node_ok else "",
        runbook=ref("runbook", runbook) if runbook_ok else None,
        runbook_name=runbook if runbook_ok else "",
    )
