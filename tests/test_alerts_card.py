"""The alert card: content, colours, buttons with fallbacks, the size guard, hostile text,
and every sample validated by the official Adaptive Cards renderer (as older clients see it
too: each Action.Execute replaced by its Action.Submit fallback)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from cards import alert_samples as samples
from cards.alerts import MAX_ALERT_CARD_BYTES, AlertItem, alert_card, severity_rank
from cards.size import card_size
from tests.test_cards_renderer import run_validator


def walk(node: Any, kind: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") == kind:
            found.append(node)
        for value in node.values():
            found += walk(value, kind)
    elif isinstance(node, list):
        for item in node:
            found += walk(item, kind)
    return found


def texts(card: dict[str, Any]) -> str:
    return "\n".join(b["text"] for b in walk(card, "TextBlock"))


def as_older_client(node: Any) -> Any:
    """The card with every Action.Execute replaced by its fallback."""
    if isinstance(node, list):
        return [as_older_client(item) for item in node]
    if isinstance(node, dict):
        if node.get("type") == "Action.Execute" and "fallback" in node:
            return as_older_client(node["fallback"])
        return {key: as_older_client(value) for key, value in node.items()}
    return node


def test_firing_card_shows_each_alert_with_timing_labels_and_links() -> None:
    card = samples.alert_firing()
    text = texts(card)
    assert card["body"][0]["text"].startswith("🔥 FIRING: NodeNotReady")
    assert card["body"][0]["color"] == "attention"  # the most severe firing alert is critical
    assert "3 firing, 0 resolved" in text and "(35m ago)" in text
    assert "Firing since 2024-11-23 13:26 UTC (35m)" in text
    assert "Node aks-pool1-00000 is not ready" in text and "kubelet on aks-pool1-00000" in text
    assert "🔕 Silenced (7f3a9c2e-1d4b)" in text
    urls = [a["url"] for a in walk(card, "Action.OpenUrl")]
    assert "https://runbooks.example/node-not-ready" in urls and samples.AM in urls
    facts = {f["title"]: f["value"] for f in walk(card, "FactSet")[0]["facts"]}
    assert facts["node"] == "aks-pool1-00000" and "alertname" not in facts


def test_critical_alerts_come_first_and_colours_follow_severity() -> None:
    card = samples.alert_firing()
    headers = [b for b in walk(card, "TextBlock") if b["text"].startswith("● ")]
    assert [h["text"].split(" · ")[0] for h in headers] == ["● CRITICAL", "● CRITICAL",
                                                            "● WARNING"]
    assert [h["color"] for h in headers] == ["attention", "attention", "warning"]
    assert severity_rank("Critical") > severity_rank("warning") > severity_rank("info") > 0


def test_buttons_carry_only_the_opaque_id_with_a_submit_fallback() -> None:
    card = samples.alert_firing()
    execute = walk(card, "Action.Execute")
    assert {a["verb"] for a in execute} == {"alerts.acknowledge", "alerts.silence",
                                            "alerts.unsilence", "alerts.reboot",
                                            "alerts.rollback"}
    for action in execute:
        assert set(action["data"]) == {"actionId"}
        assert action["fallback"] == {"type": "Action.Submit", "title": action["title"],
                                      "data": action["data"]}
    titles = [a["title"] for a in execute]
    assert titles.count("Silence 1h") == 2  # the silenced alert offers Unsilence instead
    assert titles.count("Unsilence") == 1 and "Acknowledge" in titles
    assert "Reboot aks-pool1-00000" in titles and "Rollback payments-api-2024.11.3" in titles


def test_acknowledged_card_says_who_and_drops_the_button() -> None:
    card = samples.alert_acknowledged()
    assert "👀 Acknowledged by Ada Lovelace at 13:59 UTC" in texts(card)
    assert "Acknowledge" not in [a["title"] for a in walk(card, "Action.Execute")]


def test_resolved_card_says_how_long_it_lasted_and_has_no_action_buttons() -> None:
    card = samples.alert_resolved()
    assert card["body"][0]["text"] == "✅ RESOLVED: NodeNotReady · prod-eu (lasted 52m)"
    assert card["body"][0]["color"] == "good"
    assert "Resolved at 14:18 UTC after 52m" in texts(card)
    assert walk(card, "Action.Execute") == []


def test_a_huge_group_fits_with_the_most_severe_shown_and_the_rest_counted() -> None:
    card = samples.alert_many()
    assert card_size(card) <= MAX_ALERT_CARD_BYTES
    shown = [b["text"] for b in walk(card, "TextBlock") if b["text"].startswith("● ")]
    assert shown and all(t.startswith("● CRITICAL") for t in shown)
    assert f"… and {600 - len(shown) + 40} more alerts" in texts(card)


def test_untrusted_links_are_dropped() -> None:
    card = samples.alert_hostile()
    assert walk(card, "Action.OpenUrl") == []  # javascript:, relative, with spaces


def test_one_alert_without_times_or_buttons() -> None:
    view = replace(samples._view([AlertItem("x", "Disk", "resolved")]), status="resolved",
                   resolved_at=samples.AT + timedelta(hours=2))
    card = alert_card(view)
    assert "lasted 2h 35m" in card["body"][0]["text"]
    assert "resolved" in texts(card)


@pytest.fixture(scope="module")
def report() -> dict[str, dict[str, Any]]:
    cards = samples.build()
    older = {f"{name}__submit": as_older_client(card) for name, card in cards.items()}
    _, result = run_validator({**cards, **older})
    return {card["name"]: card for card in result["cards"]}


@pytest.mark.parametrize("name", sorted(samples.SAMPLES))
def test_renderer_accepts_every_sample(report: dict[str, dict[str, Any]], name: str) -> None:
    card, older = report[name], report[f"{name}__submit"]
    for checked in (card, older):
        assert checked["parseEvents"] == [] and checked["validationFailures"] == []
        assert checked["rendered"] and checked["markupTags"] == []
    # The library knows Action.Execute, so it never parses the fallbacks: those are checked
    # in the older-client variant, where every type must be recognised.
    assert set(card["unrecognisedTypes"]) <= {"Action.Submit"}
    assert older["unrecognisedTypes"] == [] and older["ok"], json.dumps(older)[:2000]
    assert card["buttons"] == older["buttons"]


@pytest.mark.parametrize("shown", [
    "[click](http://evil.example)",
    "**bold** _it_ ~~gone~~ <at>Ada</at> &lt;b&gt;",
    "node-$(rm -rf /)-`whoami`",
    "{{DATE(2017-02-14T06:08:39Z, SHORT)}}",
])
def test_hostile_text_renders_literally(report: dict[str, dict[str, Any]], shown: str) -> None:
    assert shown in report["alert_hostile"]["text"]
