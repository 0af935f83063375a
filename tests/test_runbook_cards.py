"""Runbook cards: the Markdown parser and pages, hostile Markdown shown literally, the run card's
buttons, the `[runbooks]` config, and every sample validated by the official renderer (also as
older clients see it: each Action.Execute replaced by its Action.Submit fallback)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cards import runbook_samples as samples
from cards.runbook import (
    CODE_LINES,
    PAGE_CHARS,
    Block,
    StepView,
    pages,
    parse_markdown,
    runbook_run_card,
)
from cards.size import MAX_CARD_BYTES, card_size
from teams_bot.automation.config import load_automation
from teams_bot.automation.errors import ConfigError
from teams_bot.features.runbooks.config import load_runbooks_config
from tests.test_alerts_card import as_older_client
from tests.test_cards_renderer import run_validator

ROOT = Path(__file__).resolve().parents[1]
AT = samples.AT


def test_markdown_blocks_headings_lists_code() -> None:
    blocks = parse_markdown(samples.DOC)
    assert [b.kind for b in blocks] == [
        "heading",
        "para",
        "heading",
        "item",
        "item",
        "code",
        "heading",
        "item",
        "item",
    ]
    assert blocks[0] == Block("heading", "Node NotReady", level=1)
    assert (blocks[3].marker, blocks[3].text) == ("1.", "Look at the failed nodes: `nodes failed`")
    assert blocks[5].lines == (
        "kubectl describe node web-07 | sed -n '/Conditions:/,/Addresses:/p'",
    )
    assert (blocks[8].marker, blocks[8].level) == ("•", 1)  # nested


def test_unclosed_fence_and_continuation_lines() -> None:
    blocks = parse_markdown("- one\n  more\n\n```\nrm -rf /\n# not a heading")
    assert blocks == [
        Block("item", "one more", marker="•"),
        Block("code", lines=("rm -rf /", "# not a heading")),
    ]


def test_pages_stay_within_budget_and_long_code_is_split() -> None:
    code = "```\n" + "\n".join(f"line {i}" for i in range(CODE_LINES * 3 + 1)) + "\n```"
    text = "\n\n".join(["# T", *("word " * 300 for _ in range(40)), code])
    split = pages(parse_markdown(text))
    assert len(split) > 3
    assert all(sum(len(b.text) + len(b.lines) * 8 for b in page) <= PAGE_CHARS for page in split)
    codes = [b for page in split for b in page if b.kind == "code"]
    assert [len(c.lines) for c in codes] == [CODE_LINES, CODE_LINES, CODE_LINES, 1]
    assert pages([]) == [[]]


def test_every_sample_card_is_small_enough() -> None:
    for name, card in samples.build().items():
        assert card_size(card) < MAX_CARD_BYTES, name


def _texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["text"]] if node.get("type") == "TextBlock" else []
        return own + [t for v in node.values() for t in _texts(v)]
    if isinstance(node, list):
        return [t for v in node for t in _texts(v)]
    return []


def test_hostile_markdown_is_escaped_in_the_card_json() -> None:
    texts = "\n".join(_texts(samples.runbook_doc_hostile()))
    assert "\\[click\\](http://evil.example)" in texts
    assert "<script>" not in texts and "\\<script\\>" in texts
    assert "\\{\\{DATE" in texts and "![img]" not in texts
    assert "\x00" not in texts and "\x1b" not in texts


def _buttons(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute":
                found[node["title"]] = node
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


@pytest.mark.parametrize(
    ("state", "titles"),
    [
        ("paused", {"Continue", "Stop"}),
        ("running", {"Stop"}),
        ("done", set()),
        ("failed", set()),
        ("stopped", set()),
    ],
)
def test_run_card_buttons_follow_the_state(state: str, titles: set[str]) -> None:
    steps = [StepView("a", "reboot", False, "succeeded"), StepView("b", "reboot", True, "waiting")]
    card = runbook_run_card(
        "R", steps, state=state, requested_by="Ada", at=AT, continue_id="c.sig", stop_id="s.sig"
    )
    buttons = _buttons(card)
    assert set(buttons) == titles
    for button in buttons.values():
        assert button["data"] == {"actionId": button["data"]["actionId"]}
        assert button["fallback"]["data"]["verb"] == button["verb"]


def test_run_card_shows_tail_duration_and_failure() -> None:
    text = "\n".join(_texts(samples.runbook_run_failed()))
    assert "1\\. Reboot the first node (reboot): ✔ succeeded in 3s" in text
    assert "node web-11 unknown" in text and "- not run" in text


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
    assert set(card["unrecognisedTypes"]) <= {"Action.Submit"}
    assert older["unrecognisedTypes"] == [] and older["ok"], json.dumps(older)[:2000]


@pytest.mark.parametrize(
    "shown",
    [
        "[click](http://evil.example) <at>Ada</at>",
        "**bold** _it_ ~~gone~~ <at>Ada</at> &lt;b&gt;",
        "node-$(rm -rf /)-`whoami`",
        "{{DATE(2017-02-14T06:08:39Z, SHORT)}} **bold** ![img](http://evil.example/x.png)",
        "<script>alert(1)</script>",
        "- list item",
    ],
)
def test_hostile_markdown_renders_literally(report: dict[str, dict[str, Any]], shown: str) -> None:
    assert shown in report["runbook_doc_hostile"]["text"]


def test_the_example_config_loads_with_its_runbooks() -> None:
    path = ROOT / "infra" / "config.example.toml"
    load_automation(path)
    found = load_runbooks_config(path)
    assert "node-not-ready" in found.documents()
    restart = found.run("restart-web")
    assert restart is not None and [s.pause for s in restart.steps] == [False, True]
    assert restart.steps[1].arguments(restart.values({})) == {
        "first": "web-07",
        "second": "web-11",
        "node": "web-11",
    }


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[runbooks]\nfolders = "x"', "runbooks.folders"),
        ("[runbooks]\nfolder = 3", "runbooks.folder"),
        (
            '[runbooks.run.x]\nsteps = [{ name = "a", action = "nope" }]',
            "runbooks.run.x.steps[0].action",
        ),
        (
            '[runbooks.run.x]\nsteps = [{ name = "a", action = "reboot", pause = "yes" }]',
            "runbooks.run.x.steps[0].pause",
        ),
        (
            '[runbooks.run.x]\nsteps = [{ name = "a", action = "reboot", wait = 1 }]',
            "runbooks.run.x.steps[0].wait",
        ),
        ("[runbooks.run.x]\nsteps = []", "runbooks.run.x.steps"),
        ('[runbooks.run."X Y"]\nsteps = [{ name = "a", action = "reboot" }]', "runbooks.run.X Y"),
        (
            '[runbooks.run.x]\ndefaults = { a = 1 }\nsteps = [{ name = "a", action = "reboot" }]',
            "runbooks.run.x.defaults",
        ),
    ],
)
def test_config_mistakes_name_the_key(tmp_path: Path, toml: str, key: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[actions.reboot]\nargv = ["true"]\n\n' + toml + "\n")
    with pytest.raises(ConfigError) as caught:
        load_runbooks_config(path)
    assert caught.value.key == key


def test_documents_are_the_folders_own_markdown_files(tmp_path: Path) -> None:
    folder = tmp_path / "books"
    folder.mkdir()
    (folder / "disk-full.md").write_text("# Disk full\n")
    (folder / "Bad Name.md").write_text("# not offered\n")
    (folder / "notes.txt").write_text("not Markdown\n")
    secret = tmp_path / "secret.md"
    secret.write_text("# outside\n")
    (folder / "leak.md").symlink_to(secret)
    path = tmp_path / "config.toml"
    path.write_text('[runbooks]\nfolder = "books"\n')
    assert list(load_runbooks_config(path).documents()) == ["disk-full"]
    assert load_runbooks_config(tmp_path / "missing.toml").documents() == {}
