"""Incident cards: the samples pass the official adaptivecards renderer (tests/js/validate.mjs),
the timeline is cut to the latest entries, and hostile titles stay literal."""

from __future__ import annotations

from typing import Any

import pytest

from cards import incident_samples as samples
from cards.incident import TIMELINE_SHOWN
from tests.test_cards_renderer import run_validator


@pytest.fixture(scope="module")
def report() -> dict[str, dict[str, Any]]:
    _, result = run_validator(samples.build())
    assert result["version"] == "3.0.6"
    return {card["name"]: card for card in result["cards"]}


@pytest.mark.parametrize("name", sorted(samples.SAMPLES))
def test_every_sample_parses_validates_and_renders(
    report: dict[str, dict[str, Any]], name: str
) -> None:
    card = report[name]
    assert card["parseEvents"] == [] and card["validationFailures"] == []
    assert card["unrecognisedTypes"] == []
    assert card["rendered"] and card["markupTags"] == []


def test_card_shows_id_severity_state_commander_and_timeline(
    report: dict[str, dict[str, Any]],
) -> None:
    text = report["incident_resolved"]["text"]
    assert "Incident K7M2QX: Checkout latency above 2 s" in text
    assert "SEV1" in text and "Resolved" in text and "Bob Builder" in text
    assert "note: db-3 replication lag 40 s" in text and "failed over to db-4" in text
    assert "nobody yet" in report["incident_open"]["text"]


def test_long_timeline_shows_the_latest_entries_and_points_to_export(
    report: dict[str, dict[str, Any]],
) -> None:
    text = report["incident_long_timeline"]["text"]
    assert f"{30 - TIMELINE_SHOWN} earlier entries" in text
    assert "note: check 29" in text and "note: check 0\n" not in text + "\n"
    assert "check 17" not in text


def test_hostile_title_and_notes_render_literally(report: dict[str, dict[str, Any]]) -> None:
    card = report["incident_hostile"]
    assert card["markupTags"] == []
    assert "[click](http://evil.example)" in card["text"]
    title = samples.incident_hostile()["body"][0]["text"]
    assert "\\[click\\]" in title and "(http" in title
