"""Unauthenticated flood for tests/e2e/test_inbound.py, run in its own process (own CPU).

    python -m tests.e2e.flood URL CLIENTS SECONDS [FORGED_AUTHORIZATION]

CLIENTS concurrent clients POST 0.5-1 MiB activity bodies to URL (127.0.0.1 only) for at most
SECONDS, or until stdin closes; half send no Authorization header, half FORGED_AUTHORIZATION
(a token with the right key id and a wrong signature, so the bot has to check the signature).
The bodies are valid activities made of many small objects: costly to parse and deserialize.
Prints one JSON line: requests sent and answers by status.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
from collections import Counter
from urllib.parse import urlsplit

import aiohttp


def bodies(service_url: str) -> list[bytes]:
    made = []
    for size in (512 * 1024, 768 * 1024, 1000 * 1024):
        entities = [{"type": "mention", "text": f"<at>n{i}</at>"} for i in range(size // 40)]
        activity = {
            "type": "message",
            "text": "help",
            "serviceUrl": service_url,
            "conversation": {"id": "a:flood"},
            "from": {"id": "29:flood"},
            "entities": entities,
        }
        made.append(json.dumps(activity).encode()[:size].rsplit(b"}", 1)[0] + b"}]}")
    return made


async def client(
    url: str, payloads: list[bytes], auth: str | None, until: float, counts: Counter[str]
) -> None:
    headers = {"Content-Type": "application/json"}
    if auth:
        headers["Authorization"] = auth
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < until:
            try:
                async with session.post(url, data=random.choice(payloads), headers=headers) as r:
                    await r.read()
                    counts[str(r.status)] += 1
            except aiohttp.ClientError as exc:
                counts[type(exc).__name__] += 1
                await asyncio.sleep(0.05)


async def stdin_closed() -> None:
    await asyncio.to_thread(sys.stdin.read)


async def main(url: str, clients: int, seconds: float, forged: str | None) -> None:
    if urlsplit(url).hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit("loopback only")
    payloads = [json.loads(b) and b for b in bodies(url)]  # each one valid JSON
    counts: Counter[str] = Counter()
    until = time.monotonic() + seconds
    tasks = [
        asyncio.create_task(client(url, payloads, forged if i % 2 else None, until, counts))
        for i in range(clients)
    ]
    print(json.dumps({"ready": True}), flush=True)
    stopper = asyncio.create_task(stdin_closed())
    flooding = asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.wait([stopper, flooding], return_when=asyncio.FIRST_COMPLETED)
    flooding.cancel()
    await asyncio.gather(flooding, return_exceptions=True)
    print(json.dumps({"requests": sum(counts.values()), "answers": counts}), flush=True)
    os._exit(0)  # the stdin reader thread may still be blocked


if __name__ == "__main__":
    forged_auth = sys.argv[4] if len(sys.argv) > 4 else None
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), forged_auth))
