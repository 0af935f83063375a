"""Process output for chat: ANSI-free text, a bounded tail, and rate-limited progress.

The bot's own secret values, once registered with `register_secrets` at start, are masked in
every line that passes `clean_line` (tails, progress, error snippets), before the text reaches
a card, the database or the log.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import deque
from collections.abc import Iterable

from teams_bot.automation.models import ProgressCallback

log = logging.getLogger(__name__)

# CSI sequences (colours, cursor moves), OSC sequences (titles, links), other 2-byte escapes.
_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[@-Z\\-_]"
    r"|\x9b[0-?]*[ -/]*[@-~]"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
PROGRESS_LINE_CHARS = 300
MASK = "********"
_MIN_SECRET_CHARS = 8  # shorter values would mask ordinary words
_known_secrets: tuple[str, ...] = ()


def register_secrets(values: Iterable[str | None]) -> None:
    """Values no job output may show (the bot's credentials); replaces earlier ones."""
    global _known_secrets
    usable = {v for v in values if v and len(v) >= _MIN_SECRET_CHARS}
    _known_secrets = tuple(sorted(usable, key=len, reverse=True))  # longest first


def mask_secrets(text: str) -> str:
    """`text` with every registered secret value replaced by MASK."""
    for secret in _known_secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def holds_secret(text: str) -> bool:
    return any(secret in text for secret in _known_secrets)


def clean_line(raw: str) -> str:
    """Strip escapes and control characters and mask secrets; keep what a carriage return
    left visible."""
    text = _ANSI.sub("", mask_secrets(raw))  # masked again below: escapes may split one
    if "\r" in text.rstrip("\r"):
        text = text.rstrip("\r").rsplit("\r", 1)[-1]  # a progress bar redrawn in place
    return mask_secrets(_CONTROL.sub("", text)).rstrip()


def clean_text(raw: str, limit: int) -> str:
    """Cleaned, whitespace-trimmed text cut to `limit` characters (for error messages)."""
    lines = (clean_line(line) for line in raw.splitlines())
    text = " ".join(line for line in lines if line).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


class OutputTail:
    """Splits a byte stream into lines and keeps the last `max_lines` / `max_chars` of them."""

    def __init__(self, max_lines: int = 40, max_chars: int = 4096) -> None:
        self.max_lines = max_lines
        self.max_chars = max_chars
        self._lines: deque[str] = deque(maxlen=max_lines)
        self._partial = b""

    def feed(self, chunk: bytes) -> list[str]:
        """Add output; return the complete, cleaned lines it finished."""
        data = self._partial + chunk
        *complete, partial = data.split(b"\n")
        # A line without a newline can be arbitrarily long: keep only its end.
        self._partial = partial[-self.max_chars * 4 :]
        return [self._add(line) for line in complete]

    def close(self) -> list[str]:
        """End of stream: the unterminated last line counts too."""
        rest, self._partial = self._partial, b""
        return [self._add(rest)] if rest else []

    def text(self) -> str:
        lines = list(self._lines)
        if self._partial:
            lines.append(clean_line(self._partial.decode("utf-8", errors="replace")))
        text = "\n".join(lines[-self.max_lines :])
        return text[-self.max_chars :] if len(text) > self.max_chars else text

    def _add(self, raw: bytes) -> str:
        line = clean_line(raw[-self.max_chars * 4 :].decode("utf-8", errors="replace"))
        self._lines.append(line)
        return line


class ProgressPump:
    """Forwards the latest output line to a callback at most once per `interval` seconds.

    The first line goes out at once; lines arriving while waiting replace each other, so a
    chatty job costs one chat update per interval. Callback failures are logged, not raised.
    """

    def __init__(self, callback: ProgressCallback, interval: float = 1.0) -> None:
        self._callback = callback
        self._interval = interval
        self._latest: str | None = None
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def offer(self, line: str) -> None:
        if line.strip():
            self._latest = line[:PROGRESS_LINE_CHARS]
            self._ready.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._pump())

    async def stop(self) -> None:
        """Stop without sending what is pending: the final result supersedes it."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _pump(self) -> None:
        while True:
            await self._ready.wait()
            self._ready.clear()
            line, self._latest = self._latest, None
            if line is not None:
                await self._send(line)
            await asyncio.sleep(self._interval)

    async def _send(self, line: str) -> None:
        try:
            await self._callback(line)
        except Exception:
            log.warning("progress callback failed", exc_info=True)
