"""Every sample card parsed, validated and rendered by the official adaptivecards JS library.

tests/js/validate.mjs runs the library under node (jsdom for the DOM, markdown-it for markdown,
as Teams does) and reports parse events, validation failures, types it did not recognise and
the rendered text. Needs `npm ci --prefix tests/js` first.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cards import samples

JS_DIR = Path(__file__).parent / "js"
INSTALL_HINT = "run `npm ci --prefix tests/js` (pinned adaptivecards, jsdom, markdown-it)"


def run_validator(cards: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"node is not on PATH; install Node 20+, then {INSTALL_HINT}")
    if not (JS_DIR / "node_modules" / "adaptivecards" / "package.json").is_file():
        pytest.fail(f"tests/js/node_modules is missing: {INSTALL_HINT}")
    proc = subprocess.run(
        [node, str(JS_DIR / "validate.mjs")], input=json.dumps(cards), capture_output=True,
        text=True, timeout=120, check=False,
    )
    if not proc.stdout.strip():
        pytest.fail(f"validate.mjs printed no report (exit {proc.returncode}):\n{proc.stderr}")
    return proc.returncode, json.loads(proc.stdout)


@pytest.fixture(scope="module")
def report() -> dict[str, dict[str, Any]]:
    code, result = run_validator(samples.build())
    by_name = {card["name"]: card for card in result["cards"]}
    failing = {name: card for name, card in by_name.items() if not card["ok"]}
    assert code == 0 and result["ok"], json.dumps(failing, indent=1)[:5000]
    assert result["version"] == "3.0.6"
    return by_name


def test_every_sample_was_checked(report: dict[str, dict[str, Any]]) -> None:
    assert set(report) == set(samples.SAMPLES)


@pytest.mark.parametrize("name", sorted(samples.SAMPLES))
def test_no_parse_events_no_validation_failures_no_unknown_types(
    report: dict[str, dict[str, Any]], name: str
) -> None:
    card = report[name]
    assert card["parseEvents"] == []
    assert card["validationFailures"] == []
    assert card["unrecognisedTypes"] == []
    assert card["rendered"] and card["markupTags"] == []


def test_library_recognised_every_element_and_action_type(
    report: dict[str, dict[str, Any]],
) -> None:
    assert {"Action.Execute", "ActionSet", "Column", "ColumnSet", "Container", "TextBlock"} <= set(
        report["failed_nodes"]["parsedTypes"])
    assert {"Action.OpenUrl", "FactSet", "Container", "TextBlock"} <= set(
        report["command_succeeded"]["parsedTypes"])


def test_execute_actions_parsed_with_verb_and_opaque_id(
    report: dict[str, dict[str, Any]],
) -> None:
    actions = report["failed_nodes"]["executeActions"]
    assert [a["verb"] for a in actions].count("nodes.reboot") == 3
    assert {"title": "Reboot all failed (3)", "verb": "nodes.rebootAll",
            "data": {"actionId": "act_all.sig"}} in actions
    assert all(set(a["data"]) == {"actionId"} for a in actions)


def test_refresh_is_recognised(report: dict[str, dict[str, Any]]) -> None:
    assert report["failed_nodes_progress"]["refresh"] == {
        "actionType": "Action.Execute", "verb": "nodes.view", "userIds": ["aad-ada", "aad-grace"]}
    assert report["failed_nodes"]["refresh"] is None


def test_rendered_cards_show_names_and_buttons(report: dict[str, dict[str, Any]]) -> None:
    nodes = report["failed_nodes"]
    for name in ("aks-pool1-00000", "aks-pool1-00001", "aks-pool1-00002"):
        assert name in nodes["text"]
    assert nodes["buttons"] == ["Reboot"] * 3 + [
        "Reboot all failed (3)", "Rollback payments-api 2024.11.3"]
    assert "… and 975 more failed nodes" in report["failed_nodes_many"]["text"]
    assert "Rebooted by Ada Lovelace at 14:03 UTC ✔" in report["failed_nodes_progress"]["text"]


@pytest.mark.parametrize("shown", [
    "[click](http://evil.example)",
    "**bold** _it_ ~~gone~~ <at>Ada</at> &lt;b&gt;",
    "node-\"quoted\"-'single'",
    "node-$(rm -rf /)-`whoami`",
    "node↵with↵newlines[31m",
    "- list item↵1. numbered↵# heading",
    "{{DATE(2017-02-14T06:08:39Z, SHORT)}}",
    "n" * 119 + "…",
])
def test_hostile_text_renders_literally(report: dict[str, dict[str, Any]], shown: str) -> None:
    assert shown in report["failed_nodes_hostile"]["text"]


def test_markdown_in_command_output_renders_literally(
    report: dict[str, dict[str, Any]],
) -> None:
    text = report["command_failed"]["text"]
    assert "at **payments-api-7c9d** [pod](http://evil.example) <at>oncall</at>" in text


def test_validator_rejects_bad_cards() -> None:
    """The check can fail: unknown types, bad values, duplicate ids and live markdown."""
    bad = {
        "unknown": {"type": "AdaptiveCard", "version": "1.5",
                    "body": [{"type": "TextBlok", "text": "x"}],
                    "actions": [{"type": "Action.Exec", "title": "t"}]},
        "bad_value": {"type": "AdaptiveCard", "version": "1.5",
                      "body": [{"type": "TextBlock", "text": "x", "size": "huge"}]},
        "duplicate_ids": {"type": "AdaptiveCard", "version": "1.5",
                          "body": [{"type": "Input.Text", "id": "a"},
                                   {"type": "Input.Text", "id": "a"}]},
        "markdown": {"type": "AdaptiveCard", "version": "1.5",
                     "body": [{"type": "TextBlock", "text": "[x](http://evil) **b**"}]},
    }
    code, result = run_validator(bad)
    assert code == 1 and not result["ok"]
    cards = {card["name"]: card for card in result["cards"]}
    assert not any(card["ok"] for card in cards.values())
    assert cards["unknown"]["unrecognisedTypes"] == ["TextBlok", "Action.Exec"]
    assert cards["bad_value"]["parseEvents"][0]["event"] == "InvalidPropertyValue"
    assert cards["duplicate_ids"]["validationFailures"][0]["event"] == "DuplicateId"
    assert len(cards["markdown"]["markupTags"]) == 2


def test_approval_card_buttons_and_reason_input(report: dict[str, dict[str, Any]]) -> None:
    pending = report["approval_pending"]
    assert {"Action.Execute", "Action.ShowCard", "Input.Text", "FactSet"} <= set(
        pending["parsedTypes"])
    assert pending["buttons"] == ["Approve", "Deny…"]
    assert {"title": "Approve", "verb": "approval.approve",
            "data": {"actionId": "act_approve.sig"}} in pending["executeActions"]
    assert {"title": "Deny", "verb": "approval.deny",
            "data": {"actionId": "act_deny.sig"}} in pending["executeActions"]
    assert report["approval_pending_requester"]["buttons"] == ["Cancel request"]
    for name in ("approval_approved", "approval_denied", "approval_expired"):
        assert report[name]["buttons"] == [] and report[name]["executeActions"] == []


@pytest.mark.parametrize(("name", "shown"), [
    ("approval_pending", "Approvals: 1 of 2 · Bob Builder 14:04 UTC"),
    ("approval_denied", "Denied by Grace Hopper at 14:05 UTC — nothing ran."),
    ("approval_expired", "Expired at 14:31 UTC — nothing ran."),
    ("approval_hostile", "**bold** _it_ ~~gone~~ <at>Ada</at> &lt;b&gt; asked to run:"),
    ("approval_hostile", "$ node-$(rm -rf /)-`whoami`"),
    ("approval_hostile", "3 approvals from [click](http://evil.example) or **bold**"),
])
def test_approval_text_renders_literally(
    report: dict[str, dict[str, Any]], name: str, shown: str
) -> None:
    assert shown in report[name]["text"]


@pytest.mark.parametrize("name", ["failed_nodes", "approval_pending"])
def test_older_clients_get_a_working_submit_for_every_button(
    report: dict[str, dict[str, Any]], name: str
) -> None:
    """Parsed as a client without Action.Execute: each button falls back to an Action.Submit
    that carries the same signed id and the verb."""
    card = report[name]
    titled = [a for a in card["executeActions"] if a["title"]]
    assert titled, "the sample has buttons"
    expected = [
        {"title": a["title"], "data": {**a["data"], "verb": a["verb"]}} for a in titled
    ]
    assert card["submitActions"] == expected
