"""Standalone simulator: ``python -m tests.simulator [--env-file PATH]``.

Prints one JSON line with bot_env() plus SIM_SERVICE_URL / SIM_CONTROL_URL, optionally
writes the same as KEY=VALUE lines to --env-file, then serves until SIGINT/SIGTERM.
Other processes drive it through the /_sim control API (see control.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path

from .simulator import DEFAULT_APP_ID, DEFAULT_TENANT_ID, ChannelSimulator


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.simulator", description=__doc__)
    parser.add_argument("--env-file", type=Path, help="write KEY=VALUE lines here")
    parser.add_argument("--app-id", default=DEFAULT_APP_ID)
    parser.add_argument("--app-password", default=None)
    parser.add_argument("--tenant-id", default=DEFAULT_TENANT_ID)
    return parser.parse_args(argv)


def runner_env(sim: ChannelSimulator) -> dict[str, str]:
    return {
        **sim.bot_env(),
        "SIM_SERVICE_URL": sim.service_url,
        "SIM_CONTROL_URL": sim.control_url,
    }


def write_env_file(path: Path, env: dict[str, str]) -> None:
    path.write_text("".join(f"{key}={value}\n" for key, value in env.items()))


async def serve(args: argparse.Namespace) -> None:
    sim = ChannelSimulator(args.app_id, args.app_password, args.tenant_id)
    await sim.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        env = runner_env(sim)
        if args.env_file:
            write_env_file(args.env_file, env)
        print(json.dumps(env), flush=True)
        await stop.wait()
    finally:
        await sim.stop()


def main(argv: list[str] | None = None) -> int:
    asyncio.run(serve(_parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
