"""Run a ChannelSimulator on its own event loop in a daemon thread.

Needed whenever the code under test does blocking HTTP from async code on the test's
loop: botbuilder fetches OpenID metadata with ``requests`` and MSAL acquires tokens
synchronously inside the connector client, so a same-loop server would deadlock.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from .simulator import ChannelSimulator

T = TypeVar("T")


class SimulatorThread:
    """Context manager (sync or async): ``with SimulatorThread() as sim: ...``."""

    def __init__(self, simulator: ChannelSimulator | None = None, **kwargs: Any) -> None:
        self.simulator = simulator or ChannelSimulator(**kwargs)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="channel-simulator", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        """Run a coroutine on the simulator's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def start(self) -> ChannelSimulator:
        self._thread.start()
        self.call(self.simulator.start())
        return self.simulator

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        try:
            self.call(self.simulator.stop())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()

    def __enter__(self) -> ChannelSimulator:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> ChannelSimulator:
        return await asyncio.to_thread(self.start)

    async def __aexit__(self, *_exc: object) -> None:
        await asyncio.to_thread(self.stop)
