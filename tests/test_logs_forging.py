"""Log forging: values from outside cannot start a new log line (issue 9, #11)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from teams_bot.logs import configure_logging, escape_controls

FORGED = "message\n2026-11-30 03:00:00,000 INFO [-] teams_bot.app: admin approved A7K3F2"


@pytest.fixture
def root_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    yield
    root.handlers[:] = saved
    root.setLevel(level)


def _log(fmt: str, capsys: pytest.CaptureFixture[str], *args: object) -> str:
    configure_logging("INFO", fmt, secrets=["s3cret-value"])
    logging.getLogger("teams_bot.test").warning(*args)  # type: ignore[arg-type]
    return capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_newlines_in_a_logged_value_stay_on_one_line(
    fmt: str, capsys: pytest.CaptureFixture[str], root_logging: None
) -> None:
    err = _log(fmt, capsys, "401 for %s from %s", FORGED, "127.0.0.1\r\nfake")
    lines = err.splitlines()
    assert len(lines) == 1, lines
    text = json.loads(lines[0])["message"] if fmt == "json" else lines[0]
    assert "message\\n2026-11-30" in text and "127.0.0.1\\r\\nfake" in text


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_other_controls_separators_and_surrogates_are_escaped(
    fmt: str, capsys: pytest.CaptureFixture[str], root_logging: None
) -> None:
    value = "a\x1b[2Jb\x00c\x85d\u2028e\u2029f\ud800g\x7fh"
    err = _log(fmt, capsys, "type %s with s3cret-value", value)
    assert "Logging error" not in err and len(err.splitlines()) == 1
    for raw in ("\x1b", "\x00", "\x85", "\u2028", "\u2029", "\x7f"):
        assert raw not in err
    text = json.loads(err)["message"] if fmt == "json" else err
    assert "a\\x1b[2Jb\\x00c\\x85d\\u2028e\\u2029f\\ud800g\\x7fh" in text
    assert "s3cret-value" not in text


def test_tracebacks_keep_their_lines_but_cannot_start_a_record(
    capsys: pytest.CaptureFixture[str], root_logging: None
) -> None:
    configure_logging("INFO", "text")
    try:
        raise ValueError(FORGED)
    except ValueError:
        logging.getLogger("teams_bot.test").exception("failed")
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) > 3 and "failed" in lines[0]
    assert all(line.startswith("    ") for line in lines[1:]), lines


def test_escape_controls_leaves_ordinary_text_alone() -> None:
    text = 'Reboot aks-pool1-00001 (Ada Lovelace, ÅÄÖ, ノード, 🚀) "quoted" \\ back'
    assert escape_controls(text) == text
