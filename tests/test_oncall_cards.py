"""On-call cards: the samples pass the official adaptivecards renderer (tests/js/validate.mjs),
the page card carries its Teams mention entity, and untrusted text stays literal."""

from __future__ import annotations

from typing import Any

import pytest

from cards import oncall_samples as samples
from cards.oncall import VERB_ONCALL_ACKNOWLEDGE, mention
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
    # the one type the library does not parse is the Teams mention entity in `msteams`: host
    # data that Teams reads, not a card element
    expected = ["mention"] if name.startswith("page_") else []
    assert card["unrecognisedTypes"] == expected
    assert card["rendered"] and card["markupTags"] == []


def test_oncall_card_shows_local_and_utc_times(report: dict[str, dict[str, Any]]) -> None:
    text = report["oncall_now"]["text"]
    assert "Alice Admin" in text and "Bob Builder" in text
    assert "Sat 28 Mar 09:00 CET (08:00 UTC)" in text  # before the change
    assert "Sun 29 Mar 09:00 CEST (07:00 UTC)" in text  # after it: still 09:00 local
    assert "Lena Lead (override)" in report["oncall_override"]["text"]
    assert "nobody" in report["oncall_not_started"]["text"]


def test_page_card_mentions_in_a_textblock_and_in_msteams_entities() -> None:
    card = samples.page_open()
    assert card["msteams"]["entities"] == [
        {
            "type": "mention",
            "text": "<at>Bob Builder</at>",
            "mentioned": {"id": "29:1bob", "name": "Bob Builder"},
        }
    ]
    assert "<at>Bob Builder</at>" in card["body"][0]["text"]
    (button,) = card["actions"]
    assert (
        button["verb"] == VERB_ONCALL_ACKNOWLEDGE and button["fallback"]["type"] == "Action.Submit"
    )
    assert "actions" not in samples.page_acknowledged()


def test_acknowledged_page_says_who_and_when(report: dict[str, dict[str, Any]]) -> None:
    card = report["page_acknowledged"]
    assert "Acknowledged by Bob Builder" in card["text"] and card["buttons"] == []
    assert report["page_open"]["buttons"] == ["Acknowledge"]


def test_hostile_names_cannot_break_the_mention_tag_or_inject_markdown(
    report: dict[str, dict[str, Any]],
) -> None:
    tag, entity = mention("Eve</at><at>Mallory", "29:1eve")
    assert tag.count("<at>") == 1 and tag.count("</at>") == 1 and entity["text"] == tag
    card = report["page_hostile"]
    assert card["markupTags"] == []
    assert "[click](http://evil.example)" in card["text"]  # the message, shown literally
