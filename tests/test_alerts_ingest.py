"""Parsing (Alertmanager v4 and the generic shape), source config, and authentication."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from teams_bot.alerts import PayloadError, load_alerts, parse_filter
from teams_bot.alerts.auth import SIGNATURE_HEADER, TIMESTAMP_HEADER, authorised, signed_headers
from teams_bot.alerts.parse import parse_alertmanager, parse_generic
from teams_bot.alerts.subscriptions import FilterError
from teams_bot.automation.errors import ConfigError
from tests.alertmanager.payloads import GROUP_KEY, am_alert, am_payload

SECRET = "s3cret-token-0123456789"
ENV = {"AM_TOKEN": SECRET}
PATH = Path("/etc/opsbot/config.toml")


def source(**spec: object):
    table = {"kind": "alertmanager", "auth": "bearer", "secret_env": "AM_TOKEN", **spec}
    return load_alerts(PATH, {"alerts": {"sources": {"prod": table}}}, ENV).sources["prod"]


def test_alertmanager_payload_parses_into_typed_alerts() -> None:
    n = parse_alertmanager("prod", am_payload(am_alert("aks-1"), am_alert("aks-2",
                                                                          status="resolved")))
    assert (n.source, n.group_key, n.status, n.receiver) == ("prod", GROUP_KEY, "firing", "opsbot")
    first, second = n.alerts
    assert first.starts_at == datetime(2026, 11, 30, 1, 52, 26, 739266, tzinfo=UTC)
    assert first.ends_at is None  # Go's zero time
    assert second.ends_at == datetime(2026, 11, 30, 4, 10, tzinfo=UTC)
    assert (first.name, first.severity, first.fingerprint) == ("NodeNotReady", "critical",
                                                               "fp-aks-1")
    assert first.annotations["runbook_url"] == "https://runbooks.example/node-not-ready"
    assert n.severity == "critical" and n.external_url == "http://alertmanager.example:9093"


@pytest.mark.parametrize(("change", "field"), [
    ({"version": "3"}, "version"),
    ({"groupKey": ""}, "groupKey"),
    ({"status": "burning"}, "status"),
    ({"alerts": []}, "alerts"),
    ({"alerts": ["x"]}, "alerts[0]"),
    ({"alerts": [{**am_alert("a"), "labels": {"x": 1}}]}, "alerts[0].labels"),
    ({"alerts": [{**am_alert("a"), "startsAt": "yesterday"}]}, "alerts[0].startsAt"),
    ({"alerts": [{**am_alert("a"), "status": None}]}, "alerts[0].status"),
    ({"commonLabels": []}, "commonLabels"),
    ({"truncatedAlerts": -1}, "truncatedAlerts"),
])
def test_invalid_alertmanager_payloads_name_the_field(change: dict, field: str) -> None:
    with pytest.raises(PayloadError) as error:
        parse_alertmanager("prod", {**am_payload(), **change})
    assert error.value.field == field and str(error.value).startswith(field)


def test_missing_fingerprint_is_derived_from_the_labels() -> None:
    alert = {k: v for k, v in am_alert("a").items() if k != "fingerprint"}
    again = dict(alert)
    one = parse_alertmanager("p", am_payload(alert)).alerts[0].fingerprint
    assert one == parse_alertmanager("p", am_payload(again)).alerts[0].fingerprint and one


def test_generic_shape() -> None:
    n = parse_generic("cron", {"title": "Backup failed", "state": "firing", "dedup_key": "bk-db3",
                               "severity": "error", "labels": {"host": "db-3"},
                               "annotations": {"summary": "pg_dump exited 1"}})
    [alert] = n.alerts
    assert (n.group_key, n.title, n.status, alert.name, alert.severity) == (
        "bk-db3", "Backup failed", "firing", "Backup failed", "error")
    assert alert.labels["host"] == "db-3" and alert.annotations["summary"] == "pg_dump exited 1"
    with pytest.raises(PayloadError, match=r"^dedup_key: is required"):
        parse_generic("cron", {"title": "x", "state": "firing"})
    with pytest.raises(PayloadError, match=r"^state:"):
        parse_generic("cron", {"title": "x", "state": "bad", "dedup_key": "k"})


def test_source_config_defaults_and_values() -> None:
    src = source(api_url="http://127.0.0.1:9093/", tenant="t-1", node_labels=["host"])
    assert (src.kind, src.auth, src.secret, src.api_url, src.tenant_id) == (
        "alertmanager", "bearer", SECRET, "http://127.0.0.1:9093", "t-1")
    assert src.node_labels == ("host",) and src.release_labels == ("release",)
    assert SECRET not in repr(src)


@pytest.mark.parametrize(("spec", "key"), [
    ({"kind": "nagios"}, "alerts.sources.prod.kind"),
    ({"auth": "basic"}, "alerts.sources.prod.auth"),
    ({"secret_env": "MISSING"}, "alerts.sources.prod.secret_env"),
    ({"secret_env": "bad name"}, "alerts.sources.prod.secret_env"),
    ({"api_url": "ftp://x"}, "alerts.sources.prod.api_url"),
    ({"node_labels": "node"}, "alerts.sources.prod.node_labels"),
    ({"secret_envv": "X"}, "alerts.sources.prod.secret_envv"),
])
def test_config_errors_name_the_key(spec: dict, key: str) -> None:
    with pytest.raises(ConfigError) as error:
        source(**spec)
    assert error.value.key == key and str(PATH) in str(error.value)
    assert SECRET not in str(error.value)


def test_config_errors_for_names_and_short_secrets() -> None:
    with pytest.raises(ConfigError, match=r"alerts\.sources\.Prod!"):
        load_alerts(PATH, {"alerts": {"sources": {"Prod!": {}}}}, ENV)
    with pytest.raises(ConfigError, match="at least 16"):
        load_alerts(PATH, {"alerts": {"sources": {"p": {"kind": "generic", "auth": "hmac",
                                                        "secret_env": "S"}}}}, {"S": "short"})
    assert load_alerts(None, {}, ENV).sources == {}


def test_bearer_is_checked() -> None:
    src = source()
    assert authorised(src, {"Authorization": f"Bearer {SECRET}"}, b"{}", time.time())
    for header in (f"Bearer {SECRET}x", "Bearer ", f"Basic {SECRET}", SECRET, "Bearer ünï"):
        assert not authorised(src, {"Authorization": header}, b"{}", time.time())
    assert not authorised(src, {}, b"{}", time.time())


def test_hmac_signature_and_timestamp_are_checked() -> None:
    src = source(auth="hmac")
    now = 1_800_000_000.0
    headers = signed_headers(SECRET, b'{"a":1}', now)
    assert authorised(src, headers, b'{"a":1}', now + 299)
    assert not authorised(src, headers, b'{"a":2}', now)  # body changed
    assert not authorised(src, headers, b'{"a":1}', now + 301)  # too old
    assert not authorised(src, headers, b'{"a":1}', now - 301)  # from the future
    assert not authorised(src, {**headers, TIMESTAMP_HEADER: str(int(now) + 1)}, b'{"a":1}', now)
    assert not authorised(src, {**headers, SIGNATURE_HEADER: "sha256=00"}, b'{"a":1}', now)


def test_subscription_filters() -> None:
    f = parse_filter(["severity>=Warning", "team=payments", "source=prod"], sources=["prod"])
    assert (f.min_severity, f.labels, f.source) == ("warning", {"team": "payments"}, "prod")
    assert f.describe() == "severity>=warning team=payments source=prod"
    for bad in (["severity>=loud"], ["team>=x"], ["nonsense"], ["source=other"], ["a-b=c"]):
        with pytest.raises(FilterError):
            parse_filter(bad, sources=["prod"])
    n = parse_alertmanager("prod", am_payload(am_alert("a", severity="warning", team="payments")))
    assert f.matches(n)
    assert not parse_filter(["severity>=critical"]).matches(n)
    assert not parse_filter(["team=web"]).matches(n)
    assert not parse_filter(["source=dev"]).matches(n)
