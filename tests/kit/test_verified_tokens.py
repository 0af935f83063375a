"""A token's signature is verified once and remembered until it expires or its key is gone."""

from __future__ import annotations

import time

import jwt
import pytest

from teams_bot.bf.verified import VerifiedTokens
from tests.botrunner import BotUnderTest


def token(kid: str = "k1") -> str:
    return jwt.encode(
        {"exp": int(time.time()) + 600},
        "secret-key-for-the-tests-0123456789abcdef",
        headers={"kid": kid},
    )


def test_a_remembered_token_is_returned_until_it_expires() -> None:
    cache = VerifiedTokens(lambda kid: True)
    fresh, old = token(), token()
    cache.put(("a",), fresh, "result", time.time() + 600)
    cache.put(("b",), old, "result", time.time() - 1)  # already expired: not kept
    assert cache.get(("a",)) == "result" and cache.get(("b",)) is None
    cache.put(("c",), fresh, "soon", time.time() + 0.05)
    time.sleep(0.1)
    assert cache.get(("c",)) is None, "an expired entry is never used"


def test_an_entry_is_dropped_when_its_key_leaves_the_key_set() -> None:
    published = {"k1"}
    cache = VerifiedTokens(lambda kid: kid in published)
    cache.put(("a",), token("k1"), "result", time.time() + 600)
    assert cache.get(("a",)) == "result"
    published.clear()  # the next metadata refresh no longer lists k1
    assert cache.get(("a",)) is None and len(cache) == 0


def test_the_cache_is_bounded_and_keys_are_exact() -> None:
    cache = VerifiedTokens(lambda kid: True, max_entries=3)
    for i in range(5):
        cache.put((f"t{i}",), token(), i, time.time() + 600)
    assert len(cache) == 3 and cache.get(("t0",)) is None and cache.get(("t4",)) == 4
    assert cache.get(("t4 ",)) is None, "a different header is a different token"
    cache.put(("bad",), "not a jwt", "x", time.time() + 600)
    assert cache.get(("bad",)) is None


async def test_the_bot_validates_a_token_in_full_once_per_channel_and_service_url(
    bot: BotUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    from teams_bot.app import ENDPOINT

    auth = bot.app[ENDPOINT].auth
    full = []
    validated = auth._validated

    async def counting(activity, header):  # type: ignore[no-untyped-def]
        full.append(header)
        return await validated(activity, header)

    monkeypatch.setattr(auth, "_validated", counting)
    header = bot.sim.authorization("valid", service_url=bot.teams.service_url)
    for _ in range(3):
        message = bot.teams.personal_message("version")
        result = await bot.post_with(message, header)
        assert result.status in (200, 201)
    assert len(full) == 1, "verified once, remembered for the same channel and service URL"
    other = bot.teams.personal_message("version")
    other["serviceUrl"] = other["serviceUrl"].rstrip("/") + "/other/"
    assert (await bot.post_with(other, header)).status == 401, "its serviceUrl claim differs"
    assert len(full) == 2
