"""Run one executable safely: argv only, own process group, minimal environment, timeout.

On timeout the whole process group gets SIGTERM, then SIGKILL after a grace period. When the
main process exits, stragglers left in its group (background children) are killed as well,
so a job never leaves processes behind. The child is always reaped.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from teams_bot.automation.output import holds_secret

Sink = Callable[[bytes], object]
BASE_ENV = ("PATH", "LANG")
_CHUNK = 65536
_POLL = 0.05


@dataclass(frozen=True)
class ProcessExit:
    returncode: int
    timed_out: bool


def minimal_env(allow: Iterable[str], source: Mapping[str, str] | None = None) -> dict[str, str]:
    """PATH and LANG plus the allow-listed names that are set; nothing else from the bot, and
    never a value holding one of the bot's registered secrets, even if allow-listed."""
    environ = os.environ if source is None else source
    env = {"PATH": environ.get("PATH", os.defpath), "LANG": environ.get("LANG", "C.UTF-8")}
    env.update({name: environ[name] for name in allow if name in environ})
    return {name: value for name, value in env.items() if not holds_secret(value)}


async def run_process(
    argv: list[str],
    *,
    cwd: Path | None,
    env: Mapping[str, str],
    time_limit: float,
    stdout: Sink,
    stderr: Sink | None = None,
    grace: float = 2.0,
) -> ProcessExit:
    """Run `argv` for at most `time_limit` seconds; output goes to the sinks.

    `stderr` None merges stderr into stdout (one pipe, so the order is kept).

    Raises OSError when the executable cannot be started.
    """
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT if stderr is None else asyncio.subprocess.PIPE,
        cwd=cwd,
        env=dict(env),
        start_new_session=True,  # its own process group, so we can signal all of it
    )
    readers = [asyncio.create_task(_pump(proc.stdout, stdout))]
    if stderr is not None:
        readers.append(asyncio.create_task(_pump(proc.stderr, stderr)))
    try:
        timed_out = not await _wait(proc, time_limit)
        if timed_out:
            await _terminate(proc, grace)
        await _drain(readers, grace)
    finally:
        _signal_group(proc.pid, signal.SIGKILL)  # stragglers, or we are being cancelled
        await asyncio.shield(_reap(proc, readers))
    code = proc.returncode
    return ProcessExit(-signal.SIGKILL if code is None else code, timed_out)


async def _pump(stream: asyncio.StreamReader | None, sink: Sink) -> None:
    assert stream is not None
    while chunk := await stream.read(_CHUNK):
        sink(chunk)


async def _wait(proc: asyncio.subprocess.Process, seconds: float) -> bool:
    """True when the process exited within `seconds`.

    Polls `returncode` (set as soon as the child is reaped) rather than awaiting `wait()`,
    which on some Python versions also waits for every holder of the pipes to close them.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while proc.returncode is None:
        remaining = deadline - loop.time()
        if remaining <= 0:
            return False
        await asyncio.sleep(min(_POLL, remaining))
    return True


async def _terminate(proc: asyncio.subprocess.Process, grace: float) -> None:
    """SIGTERM to the group; once the main process is gone (or after `grace`), SIGKILL."""
    _signal_group(proc.pid, signal.SIGTERM)
    await _wait(proc, grace)
    _signal_group(proc.pid, signal.SIGKILL)


async def _drain(readers: list[asyncio.Task[None]], grace: float) -> None:
    """Let the readers reach end of output; a straggler holding the pipe gets `grace` seconds."""
    await asyncio.wait(readers, timeout=grace)


async def _reap(proc: asyncio.subprocess.Process, readers: list[asyncio.Task[None]]) -> None:
    await _wait(proc, 5.0)  # reaped by asyncio's child watcher right after SIGKILL
    # After SIGKILL the pipes close at once, unless a process escaped the group (setsid).
    _, pending = await asyncio.wait(readers, timeout=0.5)
    for reader in pending:
        reader.cancel()
    await asyncio.gather(*readers, return_exceptions=True)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    # The group id is the child's pid (start_new_session). Gone already is fine.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
