"""Keep the bot's secrets out of its process environment once settings are loaded.

Jobs run as the bot's user, so they could read `/proc/<bot pid>/environ` (issue 9, #17).
`scrub_environment(names, values)`:

1. removes those variables from `os.environ` and the C environment, so no child inherits them;
2. overwrites their values in the process's original environment block, which is what
   `/proc/<pid>/environ` shows (unsetenv alone leaves the bytes there);
3. marks the process not dumpable (`prctl(PR_SET_DUMPABLE, 0)`): its /proc files become
   root-owned and same-user processes can no longer ptrace it or read its memory.

Linux only for 2 and 3; elsewhere step 1 alone. Call it after settings are read and after any
worker processes that re-read the environment have started.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
from collections.abc import Iterable, MutableMapping

log = logging.getLogger(__name__)

_PR_SET_DUMPABLE = 4
_MIN_SECRET_CHARS = 12  # a shorter value could match ordinary variables (PATH, hosts)


def scrub_environment(
    names: Iterable[str],
    values: Iterable[str | None],
    environ: MutableMapping[str, str] | None = None,
) -> list[str]:
    """Remove variables named `names` (any case) or holding one of `values`; returns the names."""
    env = os.environ if environ is None else environ
    wanted = {name.upper() for name in names}
    secrets = [v for v in values if v and len(v) >= _MIN_SECRET_CHARS]
    doomed = [
        name
        for name, value in env.items()
        if name.upper() in wanted or any(secret in value for secret in secrets)
    ]
    for name in doomed:
        env.pop(name, None)
    if environ is None and sys.platform == "linux":
        _wipe_initial_block(set(doomed))
        _not_dumpable()
    return doomed


def _env_block() -> tuple[int, int]:
    """Start and end address of the initial environment (fields 50 and 51 of /proc/self/stat)."""
    with open("/proc/self/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[47]), int(fields[48])


def _wipe_initial_block(names: set[str]) -> None:
    """Overwrite `NAME=value` entries of the initial environment with `NAME=***...`."""
    if not names:
        return
    try:
        start, _end = _env_block()
        with open("/proc/self/environ", "rb") as block:
            raw = block.read()
        with open("/proc/self/mem", "r+b", buffering=0) as mem:
            offset = 0
            for entry in raw.split(b"\0"):
                name, sep, value = entry.partition(b"=")
                if sep and name.decode("utf-8", "replace") in names:
                    mem.seek(start + offset + len(name) + 1)
                    mem.write(b"*" * len(value))
                offset += len(entry) + 1
    except (OSError, ValueError, IndexError) as exc:
        log.warning("could not wipe secrets from the initial process environment: %s", exc)


def _not_dumpable() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE) failed")
    except (OSError, AttributeError) as exc:
        log.warning("could not mark the process not dumpable: %s", exc)
