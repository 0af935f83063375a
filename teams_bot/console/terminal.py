"""The terminal side: lines in (readline when interactive), text out without mangling the prompt.

Lines are read on a daemon thread so the event loop keeps running (and proactive messages keep
arriving) while the person types; a blocked read never holds up the exit.
"""

from __future__ import annotations

import asyncio
import queue
import sys
import threading
from types import ModuleType
from typing import Any, TextIO

_CLEAR_LINE = "\r\x1b[2K"


class Terminal:
    """Prints whole blocks of text; when a prompt is showing, redraws it under the new text."""

    def __init__(self, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
        self.stdin = stdin
        self.stdout = stdout
        self.interactive = stdin.isatty() and stdout.isatty()
        self._lock = threading.Lock()
        self._prompt: str | None = None  # the prompt on screen, while a read is waiting
        self._closed = False
        self._readline = _readline() if self.interactive else None
        self._saved_mode = _tty_mode(stdin) if self.interactive else None

    def emit(self, text: str) -> None:
        with self._lock:
            if self._prompt is None:
                self.stdout.write(text + "\n")
            else:
                typed = self._readline.get_line_buffer() if self._readline else ""
                self.stdout.write(f"{_CLEAR_LINE}{text}\n{self._prompt}{typed}")
            self.stdout.flush()

    def close(self) -> None:
        """Leave the prompt line and give the terminal back as it was (a read may still wait)."""
        with self._lock:
            if self._prompt is not None:
                self.stdout.write("\n")
                self.stdout.flush()
            self._prompt = None
            self._closed = True
        if self._saved_mode is not None:
            _restore_tty_mode(self.stdin, self._saved_mode)

    def read_line(self, prompt: str) -> str | None:
        """One line (without its newline), or None at end of input. Blocks: call on a thread."""
        if self.interactive:
            with self._lock:
                self._prompt = None if self._closed else prompt
            try:
                return input(prompt)
            except EOFError:
                self.emit("")
                return None
            finally:
                with self._lock:
                    self._prompt = None
        line = self.stdin.readline()
        if not line:
            return None
        line = line.rstrip("\r\n")
        self.emit(f"{prompt}{line}")  # echo, so a piped session reads like a transcript
        return line


def _tty_mode(stream: TextIO) -> list[Any] | None:
    try:
        import termios

        return termios.tcgetattr(stream.fileno())
    except (ImportError, OSError, ValueError):
        return None


def _restore_tty_mode(stream: TextIO, mode: list[Any]) -> None:
    """Undo readline's terminal settings, in case a read is still waiting at exit."""
    try:
        import termios

        termios.tcsetattr(stream.fileno(), termios.TCSADRAIN, mode)
    except (ImportError, OSError, ValueError):
        pass


def _readline() -> ModuleType | None:
    try:
        import readline
    except ImportError:  # e.g. Windows without pyreadline
        return None
    return readline


class LineReader:
    """Asks the terminal for lines on a daemon thread, one request at a time."""

    def __init__(self, terminal: Terminal) -> None:
        self.terminal = terminal
        self._requests: queue.Queue[tuple[str, asyncio.Future[str | None]]] = queue.Queue()
        self._thread = threading.Thread(target=self._serve, name="console-input", daemon=True)
        self._thread.start()

    async def read(self, prompt: str) -> str | None:
        future: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self._requests.put((prompt, future))
        return await future

    def _serve(self) -> None:
        while True:
            prompt, future = self._requests.get()
            try:
                line = self.terminal.read_line(prompt)
            except Exception:  # a broken stdin ends the session like Ctrl-D
                line = None
            loop = future.get_loop()
            if not loop.is_closed():
                loop.call_soon_threadsafe(_resolve, future, line)


def _resolve(future: asyncio.Future[str | None], line: str | None) -> None:
    if not future.done():
        future.set_result(line)
