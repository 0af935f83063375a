"""Cards and markdown as terminal text (teams_bot.console.render): pure, no bot needed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cards import samples
from teams_bot.console.render import display_width, markdown_text, render_card


def _buttons(card: dict[str, Any]) -> list[tuple[int, str, str]]:
    return [(b.number, b.title, b.verb) for b in render_card(card).buttons]


# -- markdown ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("markdown", "plain"),
    [
        ("**bold** and `code`", "bold and code"),
        (r"\*\*not bold\*\* a\_b \<at\>x\</at\>", "**not bold** a_b <at>x</at>"),
        ("see [the docs](https://example.com/d)", "see the docs <https://example.com/d>"),
        (r"\[click\](http://evil.example)", "[click](http://evil.example)"),
        ("[https://x.example](https://x.example)", "https://x.example"),
        ("# Title\n## Sub", "Title\nSub"),
        (r"\# not a heading", "# not a heading"),
        ("`**kept** \\*`", "**kept** \\*"),  # code spans are literal
        ("a\u00a0b\tc", "a b    c"),
        ("red\x1b[31m alert\x07 \u202eevil", "red[31m alert evil"),  # no escape sequences
    ],
)
def test_markdown_becomes_plain_text(markdown: str, plain: str) -> None:
    assert markdown_text(markdown) == plain


def test_display_width_counts_wide_characters_twice() -> None:
    assert display_width("abc") == 3
    assert display_width("✅ ok") == 5
    assert display_width("⚠️ x") == 3  # the variation selector takes no column


# -- the bot's real cards ------------------------------------------------------------------
def test_failed_nodes_card_reads_like_a_list_with_numbered_buttons() -> None:
    rendered = render_card(samples.failed_nodes())
    lines = rendered.lines
    assert lines[0] == "⚠️ 3 failed nodes in prod-eu"
    assert set(lines[1]) == {"─"}
    assert "aks-pool1-00000  [1] Reboot" in lines
    assert "aks-pool1-00002  [3] Reboot" in lines
    assert lines[-1] == "[4] Reboot all failed (3)  [5] Rollback payments-api 2024.11.3"
    assert _buttons(samples.failed_nodes()) == [
        (1, "Reboot", "nodes.reboot"),
        (2, "Reboot", "nodes.reboot"),
        (3, "Reboot", "nodes.reboot"),
        (4, "Reboot all failed (3)", "nodes.rebootAll"),
        (5, "Rollback payments-api 2024.11.3", "release.rollback"),
    ]
    assert rendered.button(1) is not None
    assert dict(rendered.buttons[0].data) == {"actionId": "act_0000.sig"}
    assert rendered.button(6) is None


def test_progress_card_renumbers_the_buttons_that_remain() -> None:
    rendered = render_card(samples.failed_nodes_progress())
    text = rendered.text
    assert "Rebooted by Ada Lovelace at 14:03 UTC ✔" in text
    assert "aks-pool1-00000\n" in text + "\n"  # no Reboot button left on a rebooted node
    assert "aks-pool1-00002  [1] Reboot" in rendered.lines
    assert "! ✖ Reboot failed:" in text  # a bold attention block is a notice
    assert [b.title for b in rendered.buttons][1:] == [
        "Reboot all failed (1)",
        "Rollback payments-api 2024.11.3",
    ]


def test_result_card_shows_facts_output_indented_and_a_link() -> None:
    rendered = render_card(samples.command_succeeded())
    lines = rendered.lines
    assert lines[:2] == ("✅ Succeeded", "─" * 12)
    assert "$ deploy payments-api --env prod --version 2024.11.4" in lines
    assert "  Requested by: Ada Lovelace" in lines
    assert "  Exit code: 0" in lines
    assert "    Smoke tests: 12 passed, 0 failed" in lines  # monospace block, indented
    assert "      deployment.apps/payments-api configured" in lines  # its own indent kept
    assert lines[-1] == "[1] Details (https://ci.example.com/runs/7f3a)"
    button = rendered.buttons[0]
    assert (button.kind, button.url) == ("open_url", "https://ci.example.com/runs/7f3a")


def test_hostile_text_is_shown_literally_and_button_titles_are_not_markdown() -> None:
    rendered = render_card(samples.failed_nodes_hostile())
    text = rendered.text
    assert "[click](http://evil.example)  [1] Reboot" in rendered.lines
    assert "**bold** _it_ ~~gone~~ <at>Ada</at> &lt;b&gt;" in text
    assert "{{DATE(2017-02-14T06:08:39Z, SHORT)}}" in text
    assert "\x1b" not in text and "\x00" not in text
    assert rendered.buttons[-1].title == "Rollback node-$(rm -rf /)-`whoami`"


@pytest.mark.parametrize("name", sorted(samples.build()))
def test_no_sample_card_leaks_json(name: str) -> None:
    card = samples.build()[name]
    rendered = render_card(card)
    assert rendered.lines, "every card renders to some text"
    for marker in ('"type"', '"AdaptiveCard"', "{'", '{"', "Action.Execute", "TextBlock"):
        assert marker not in rendered.text
    wanted = json.dumps(card).count('"Action.Execute"') + json.dumps(card).count('"Action.OpenUrl"')
    refresh = 1 if "refresh" in card else 0  # the refresh action is not a button
    assert len(rendered.buttons) == wanted - refresh
    assert [b.number for b in rendered.buttons] == list(range(1, len(rendered.buttons) + 1))


# -- elements and actions, one at a time ------------------------------------------------------
def _card(
    body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    card: dict[str, Any] = {"type": "AdaptiveCard", "version": "1.5", "body": body}
    if actions is not None:
        card["actions"] = actions
    return card


def _execute(title: str, verb: str, action_id: str) -> dict[str, Any]:
    return {"type": "Action.Execute", "title": title, "verb": verb, "data": {"actionId": action_id}}


def test_show_card_button_asks_for_its_input_and_merges_into_its_data() -> None:
    deny = {
        "type": "Action.ShowCard",
        "title": "Deny…",
        "card": {
            "type": "AdaptiveCard",
            "body": [{"type": "Input.Text", "id": "reason", "label": "Reason for denying"}],
            "actions": [_execute("Deny", "approval.deny", "a2")],
        },
    }
    rendered = render_card(_card([], [_execute("Approve", "approval.approve", "a1"), deny]))
    assert rendered.lines == ("[1] Approve  [2] Deny…",)
    approve, deny_button = rendered.buttons
    assert approve.inputs == ()
    assert (deny_button.verb, dict(deny_button.data)) == ("approval.deny", {"actionId": "a2"})
    assert [(i.id, i.label, i.required) for i in deny_button.inputs] == [
        ("reason", "Reason for denying", False)
    ]


def test_show_card_with_several_buttons_names_each() -> None:
    form = {
        "type": "Action.ShowCard",
        "title": "More",
        "card": {
            "type": "AdaptiveCard",
            "actions": [_execute("A", "v.a", "1"), _execute("B", "v.b", "2")],
        },
    }
    assert [b.title for b in render_card(_card([], [form])).buttons] == ["More > A", "More > B"]


def test_body_inputs_belong_to_every_button_and_are_listed() -> None:
    body = [
        {
            "type": "Input.ChoiceSet",
            "id": "env",
            "label": "Environment",
            "isRequired": True,
            "choices": [{"title": "Dev", "value": "dev"}, {"title": "Prod", "value": "prod"}],
        },
    ]
    rendered = render_card(_card(body, [_execute("Go", "go", "g1")]))
    assert rendered.lines[0] == "(Environment: fill in when you press a button)"
    (field,) = rendered.buttons[0].inputs
    assert (field.id, field.required, field.choices) == ("env", True, ("dev", "prod"))


def test_columns_sit_side_by_side_on_their_first_line() -> None:
    columns = {
        "type": "ColumnSet",
        "columns": [
            {
                "type": "Column",
                "items": [
                    {"type": "TextBlock", "text": "left"},
                    {"type": "TextBlock", "text": "left 2"},
                ],
            },
            {"type": "Column", "items": [{"type": "TextBlock", "text": "right"}]},
            {"type": "Column", "items": []},
        ],
    }
    assert render_card(_card([columns])).lines == ("left  right", "left 2")


def test_other_elements() -> None:
    body = [
        {"type": "TextBlock", "text": "hidden", "isVisible": False},
        {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": "rich "}, "text"]},
        {"type": "Image", "url": "https://x.example/i.png", "altText": "a graph"},
        {
            "type": "Table",
            "rows": [
                {
                    "type": "TableRow",
                    "cells": [
                        {"type": "TableCell", "items": [{"type": "TextBlock", "text": "a"}]},
                        {"type": "TableCell", "items": [{"type": "TextBlock", "text": "b"}]},
                    ],
                }
            ],
        },
        {"type": "Media", "fallback": {"type": "TextBlock", "text": "no video here"}},
        {"type": "Mystery"},
        {
            "type": "Container",
            "style": "warning",
            "items": [{"type": "TextBlock", "text": "careful"}],
        },
        {"type": "TextBlock", "text": "after a gap", "separator": True},
    ]
    assert render_card(_card(body)).lines == (
        "rich text",
        "[image: a graph]",
        "a | b",
        "no video here",
        "! careful",
        "",
        "after a gap",
    )


def test_submit_buttons_and_an_empty_card() -> None:
    submit = {"type": "Action.Submit", "title": "Send", "data": {"verb": "x", "actionId": "s1"}}
    (button,) = render_card(_card([], [submit])).buttons
    assert (button.kind, dict(button.data)) == ("submit", {"verb": "x", "actionId": "s1"})
    empty = {"type": "AdaptiveCard", "body": [], "fallbackText": "Nothing \\*here\\*"}
    assert render_card(empty).lines == ("Nothing *here*",)


def test_numbering_can_start_later() -> None:
    card = _card([], [_execute("A", "a", "1"), _execute("B", "b", "2")])
    assert [b.number for b in render_card(card, first_number=7).buttons] == [7, 8]
