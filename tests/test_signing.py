"""Action-id signatures: hostile tokens are refused quietly, never raising (issue 9, #7)."""

from __future__ import annotations

import pytest

from teams_bot.actions.signing import ActionSigner

SIGNER = ActionSigner(b"0123456789abcdef-secret")


def test_genuine_tokens_verify() -> None:
    for action_id in (SIGNER.new_id(), "card-" + SIGNER.new_id(), "ap-A7K3F2"):
        assert SIGNER.verify(SIGNER.token(action_id)) == action_id


@pytest.mark.parametrize(
    "action_id",
    ["réboot", "ノード", "\ud800", "abc\x00", "a b", "emoji-🚀", "\uff21\uff22"],
)
def test_non_ascii_or_odd_ids_are_refused_without_raising(action_id: str) -> None:
    mac = SIGNER.token("abc").split(".")[1]
    assert SIGNER.verify(f"{action_id}.{mac}") is None
    assert SIGNER.verify(f"{action_id}.{mac[:-1]}é") is None


def test_empty_or_shortened_mac_is_refused() -> None:
    token = SIGNER.token("abc")
    action_id, mac = token.split(".")
    assert SIGNER.verify(f"{action_id}.") is None
    for cut in range(1, len(mac)):
        assert SIGNER.verify(f"{action_id}.{mac[:cut]}") is None
    assert SIGNER.verify(f"{action_id}.{mac}A") is None
    assert SIGNER.verify(f".{mac}") is None


@pytest.mark.parametrize("junk", [None, 7, ["a.b"], {"a": 1}, "", ".", "a.b.c", "x" * 500])
def test_non_tokens_are_refused(junk: object) -> None:
    assert SIGNER.verify(junk) is None
