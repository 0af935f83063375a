"""pytest fixtures: ``simulator`` (same event loop) and ``simulator_thread`` (own thread).

Use ``simulator_thread`` whenever botbuilder or MSAL run on the test's loop (they do
blocking HTTP); ``simulator`` suits pure-aiohttp clients and ``asyncio.to_thread`` callers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from .simulator import ChannelSimulator
from .thread import SimulatorThread


@pytest_asyncio.fixture
async def simulator() -> AsyncIterator[ChannelSimulator]:
    sim = ChannelSimulator()
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


@pytest.fixture
def simulator_thread() -> Iterator[ChannelSimulator]:
    with SimulatorThread() as sim:
        yield sim
