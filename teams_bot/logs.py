"""Structured logging: a correlation id on every line of a turn, JSON on request, no secrets."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

correlation_id: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="-")

_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
# C0 and C1 controls, DEL, Unicode line/paragraph separators (anything that can end or rewrite
# a log line in a terminal or a line-based collector) and lone surrogates (unencodable).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_controls(text: str) -> str:
    """`text` on one line: CR, LF, tab and other control characters shown as escapes."""
    return _CONTROL.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match[0]
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def new_correlation_id() -> str:
    return uuid.uuid4().hex[:16]


def _install_record_factory() -> None:
    """Stamp every log record with the current turn's correlation id, whatever handles it."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "_teams_bot", False):
        return

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.correlation_id = correlation_id.get()
        return record

    factory._teams_bot = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


_install_record_factory()


class _Scrubber(logging.Filter):
    """Masks known secret values, bearer tokens and JWTs in every record, and escapes control
    characters in the message so that a value from outside cannot forge a log line."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s and len(s) >= 4]

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return _JWT.sub("***jwt***", _BEARER.sub(r"\1***", text))

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = escape_controls(self.scrub(message))
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            formatter = logging.Formatter()
            record.exc_text = self.scrub(formatter.formatException(record.exc_info))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "correlation_id": getattr(record, "correlation_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s [%(correlation_id)s] %(name)s: %(message)s"


class TextFormatter(logging.Formatter):
    """The text format; traceback lines are indented, so only a new record starts a line at
    column 0 (an exception message from outside cannot pass for a record either)."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\n", "\n    ")


def configure_logging(level: str, fmt: str, secrets: Iterable[str] = ()) -> None:
    """Route all logging to stderr with the scrubber installed on the handler."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_Scrubber(secrets))
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiohttp's access log is one line per request; keep it, but at INFO only when asked.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # alembic announces its plugins on import: noise for every command that touches storage
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
