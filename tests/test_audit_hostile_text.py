"""Hostile text is still audited (issue 9, #10), and redaction reaches into tuples and sets."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

from teams_bot.storage.audit import AuditLog, AuditRecord, storable
from teams_bot.storage.db import Database
from teams_bot.storage.redact import REDACTED, redact

SURROGATE = "\ud83d"  # half of an emoji: what a JSON body "\\ud83d" decodes to
RECORD = AuditRecord(
    at=datetime(2026, 11, 30, 3, 0, tzinfo=UTC),
    correlation_id="corr-1",
    kind="command",
    tenant_id="tenant-1",
    aad_object_id="aad-alice",
    display_name="Alice",
    team_id="",
    channel_id="",
    conversation_id="a:1",
    command="nodes",
    arguments={},
    outcome="usage",
    detail="",
    duration_ms=1.0,
)


async def test_lone_surrogates_and_nul_are_audited_not_lost(db: Database) -> None:
    audit = AuditLog(db)
    hostile = f"reboot {SURROGATE}node\x00-1 🚀"
    await audit.append(
        replace(
            RECORD,
            display_name=f"Mallory{SURROGATE}",
            command=hostile,
            detail=hostile,
            arguments={f"key{SURROGATE}": [hostile, (SURROGATE, 1)], "n": {SURROGATE}},
        )
    )
    (stored,) = await audit.query(last=5)
    assert stored.command == "reboot \ufffdnode\ufffd-1 🚀" == stored.detail
    assert stored.display_name == "Mallory\ufffd"
    assert stored.arguments == {
        "key\ufffd": ["reboot \ufffdnode\ufffd-1 🚀", ["\ufffd", 1]],
        "n": ["\ufffd"],
    }
    json.dumps(stored.arguments).encode("utf-8")  # readable back as clean UTF-8


def test_storable_leaves_valid_text_alone() -> None:
    text = "Ada Lovelace ÅÄÖ ノード 🚀 \ufffd \t\n"
    assert storable(text) == text


def test_redaction_inside_tuples_and_sets() -> None:
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0"
    redacted = redact(
        {
            "tuple": ("plain", token),
            "set": frozenset({token, "plain"}),
            "pairs": [("password", "hunter2"), ("env", "prod")],
            "pair_set": {("api-token", "abc"), ("node", "n1")},
            "nested": ({"secret": "x"}, [("pwd", "y")]),
        }
    )
    assert redacted["tuple"] == ["plain", REDACTED]
    assert sorted(redacted["set"]) == sorted([REDACTED, "plain"])  # type: ignore[arg-type]
    assert redacted["pairs"] == [["password", REDACTED], ["env", "prod"]]
    assert sorted(redacted["pair_set"]) == [["api-token", REDACTED], ["node", "n1"]]  # type: ignore[arg-type]
    assert redacted["nested"] == [{"secret": REDACTED}, [["pwd", REDACTED]]]
    assert "hunter2" not in repr(redacted) and token not in repr(redacted)
