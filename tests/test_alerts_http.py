"""POST /api/alerts/{source} on a real aiohttp server and a real database (both engines):
404 / 413 / 401 / 400 naming the field / 200, committed before the answer, retries deduped."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest

from teams_bot.alerts import AlertStore, alerts_handler, load_alerts, parse_filter
from teams_bot.alerts.auth import signed_headers
from teams_bot.outbox import OutboxStore
from teams_bot.storage.db import Database
from tests.alertmanager.payloads import am_alert, am_payload, body
from tests.alertmanager.webapp import serving
from tests.db_fixtures import OpenDb

TOKEN = "am-token-0123456789abcdef"
HMAC_KEY = "hmac-key-0123456789abcdef"
CONFIG = {"alerts": {"sources": {
    "prod": {"kind": "alertmanager", "auth": "bearer", "secret_env": "AM_TOKEN"},
    "cron": {"kind": "generic", "auth": "hmac", "secret_env": "CRON_KEY"},
}}}
BEARER = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


@pytest.fixture
async def site(db: Database) -> AsyncIterator[tuple[str, aiohttp.ClientSession, AlertStore]]:
    sources = load_alerts(None, CONFIG, {"AM_TOKEN": TOKEN, "CRON_KEY": HMAC_KEY}).sources
    store = AlertStore(db, OutboxStore(db), sources)
    await store.subscribe("t1", "chan-1", parse_filter([]), "oid", "Ada", _now())
    async with serving(alerts_handler(sources, store)) as base, aiohttp.ClientSession() as http:
        yield base, http, store


def _now() -> datetime:
    return datetime.now(UTC)


async def post(http: aiohttp.ClientSession, url: str, data: bytes, headers: dict[str, str]):
    async with http.post(url, data=data, headers=headers) as resp:
        return resp.status, json.loads(await resp.text())


async def test_accepts_commits_and_dedupes_retries(site, open_db: OpenDb) -> None:
    base, http, _ = site
    data = body(am_payload(am_alert("aks-1"), am_alert("aks-2")))
    status, answer = await post(http, f"{base}/api/alerts/prod", data, BEARER)
    assert (status, answer["status"], answer["deliveries"]) == (200, "accepted", 1)
    # committed before the answer: another replica sees the outbox row right away
    other = OutboxStore(await open_db())
    [row] = await other.due(_now(), 10)
    assert row.payload["group_id"] == answer["group"] and row.conversation_id == "chan-1"
    status, again = await post(http, f"{base}/api/alerts/prod", data, BEARER)
    assert (status, again["status"]) == (200, "duplicate")
    assert len(await other.due(_now(), 10)) == 1


async def test_unknown_source_is_404_before_anything_else(site) -> None:
    base, http, _ = site
    status, answer = await post(http, f"{base}/api/alerts/nope", b"{}", {})
    assert (status, answer) == (404, {"error": "unknown alert source"})


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": TOKEN},
])
async def test_missing_or_wrong_credentials_are_401(site, headers, caplog) -> None:
    base, http, _ = site
    status, _ = await post(http, f"{base}/api/alerts/prod", body(am_payload()), headers)
    assert status == 401
    assert TOKEN not in caplog.text and "wrong-token" not in caplog.text


async def test_invalid_payload_is_400_naming_the_field(site) -> None:
    base, http, _ = site
    bad = am_payload(am_alert("a"))
    bad["alerts"][0]["labels"] = "not an object"
    status, answer = await post(http, f"{base}/api/alerts/prod", body(bad), BEARER)
    assert (status, answer["field"]) == (400, "alerts[0].labels")
    assert "alerts[0].labels" in answer["error"]
    status, answer = await post(http, f"{base}/api/alerts/prod", b"{not json", BEARER)
    assert status == 400 and "not valid JSON" in answer["error"]


async def test_over_one_megabyte_is_413(site) -> None:
    base, http, _ = site
    big = am_payload(am_alert("a", note="x" * (1024 * 1024)))
    status, _ = await post(http, f"{base}/api/alerts/prod", body(big), BEARER)
    assert status == 413

    async def chunks():  # no Content-Length: counted while reading
        for _ in range(17):
            yield b"x" * 65536

    async with http.post(f"{base}/api/alerts/prod", data=chunks(), headers=BEARER) as resp:
        assert resp.status == 413


async def test_generic_source_with_hmac(site) -> None:
    base, http, store = site
    data = json.dumps({"title": "Backup failed", "state": "firing", "dedup_key": "bk-db3",
                       "severity": "critical"}).encode()
    headers = signed_headers(HMAC_KEY, data, time.time())
    status, answer = await post(http, f"{base}/api/alerts/cron", data, headers)
    assert (status, answer["status"]) == (200, "accepted")
    group = await store.group(answer["group"])
    assert group is not None and group.notification.title == "Backup failed"
    stale = signed_headers(HMAC_KEY, data, time.time() - 400)
    assert (await post(http, f"{base}/api/alerts/cron", data, stale))[0] == 401
    assert (await post(http, f"{base}/api/alerts/cron", data, BEARER))[0] == 401
