"""Signed ids of an alert card's buttons: which group, which alert, which option.

Alert groups are not card records, so a button's id carries what it acts on, base64url-coded
inside the signed token; the group's state is read again at press time and nothing else of the
card is trusted.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from teams_bot.actions.signing import ActionSigner

_PREFIX = "al-"


@dataclass(frozen=True)
class AlertRef:
    op: str  # ack | silence | unsilence | reboot
    group_id: str
    fingerprint: str = ""
    option: str = ""  # silence: 1h | 4h | resolved; reboot: the node


def token(signer: ActionSigner, ref: AlertRef) -> str:
    raw = "\x1f".join((ref.op, ref.group_id, ref.fingerprint, ref.option)).encode("utf-8")
    return signer.token(_PREFIX + base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii"))


def ref_of(signer: ActionSigner, signed: object) -> AlertRef | None:
    inner = signer.verify(signed)
    if inner is None or not inner.startswith(_PREFIX):
        return None
    body = inner.removeprefix(_PREFIX)
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    parts = raw.split("\x1f")
    return AlertRef(*parts) if len(parts) == 4 else None
