"""Serving with several worker processes on one port (SO_REUSEPORT), to use every core.

Each worker is a full bot (own event loop, database pool, caches); the kernel spreads incoming
connections across them. Everything shared lives in the database, exactly as with several
replicas: card claims, approvals and the maintenance scans are already safe for that.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import socket
import sys
from collections.abc import Sequence
from types import FrameType

from aiohttp import web

from teams_bot.logs import configure_logging
from teams_bot.settings import Settings, protect_secrets

log = logging.getLogger(__name__)


def event_loop() -> asyncio.AbstractEventLoop:
    """uvloop when installed (a libuv event loop, much faster for HTTP), else asyncio's own."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def bind(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    """Listen on host:port now, before anything else starts; OSError if that is impossible."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family = infos[0][0] if infos else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=1024, reuse_port=reuse_port)


def bind_error(host: str, port: int, exc: OSError) -> str:
    """The one line a user sees when the bot cannot listen (no traceback)."""
    reason = os.strerror(exc.errno) if exc.errno else str(exc)
    return f"teams-bot: cannot listen on {host}:{port}: {reason}"


def run_one(settings: Settings, sock: socket.socket) -> None:
    """Serve on an already listening socket (the database is migrated at start-up, after it)."""
    from teams_bot.app import create_app

    web.run_app(
        create_app(settings),
        sock=sock,
        print=None,
        access_log=None,
        loop=event_loop(),
    )


def _worker(settings: Settings, host: str, port: int, secrets: Sequence[str]) -> None:
    configure_logging(settings.log_level, settings.log_format, secrets)
    protect_secrets(settings)  # out of the environment its jobs could read
    try:
        sock = bind(host, port, reuse_port=True)
    except OSError as exc:
        print(bind_error(host, port, exc), file=sys.stderr)
        raise SystemExit(2) from None
    run_one(settings, sock)


def run_many(settings: Settings, host: str, port: int, workers: int, secrets: Sequence[str]) -> int:
    """Start `workers` processes on host:port; stop them all on SIGTERM/SIGINT.

    The caller has checked that the port can be bound (`bind(..., reuse_port=True)`)."""
    spawn = multiprocessing.get_context("spawn")
    processes = [
        spawn.Process(target=_worker, args=(settings, host, port, list(secrets)), name=f"w{i}")
        for i in range(workers)
    ]
    for process in processes:
        process.start()

    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for process in processes:
            if process.is_alive():
                process.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for process in processes:
        process.join()
    codes = [_exit_code(process.exitcode, stopping) for process in processes]
    return max(codes, key=abs)


def _exit_code(code: int | None, stopping: bool) -> int:
    """A worker that our own stop request ended (even before it could catch SIGTERM) is fine."""
    if stopping and code == -signal.SIGTERM:
        return 0
    return code or 0
