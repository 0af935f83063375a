#!/usr/bin/env python3
"""Example action for opsbot: pretends to reboot one node and reports progress.

    python3 infra/examples/reboot_node.py [--] NODE

Prints "draining", "rebooting", "healthy" lines with short pauses (OPSBOT_EXAMPLE_DELAY
seconds, default 0.5). With OPSBOT_EXAMPLE_STATE set, marks the node healthy in that file
(see inventory.py) and fails with exit code 3 for a node it does not know.
Any string is accepted as NODE; it is only printed (JSON-quoted) and compared, never run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from inventory import load_nodes, save_nodes, state_path  # the sibling example script


def step(message: str) -> None:
    print(message, flush=True)  # flush: the bot shows progress as lines arrive
    time.sleep(delay())


def delay() -> float:
    try:
        return max(0.0, float(os.environ.get("OPSBOT_EXAMPLE_DELAY", "0.5")))
    except ValueError:
        return 0.5


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("node", help="node name (put -- before it if it may start with -)")
    node = parser.parse_args(argv).node
    quoted = json.dumps(node)
    nodes = load_nodes() if state_path() else None
    known = [n for n in nodes or [] if n.get("name") == node]
    if nodes is not None and not known:
        print(f"unknown node {quoted}", file=sys.stderr, flush=True)
        return 3
    step(f"reboot requested for node {quoted}")
    step(f"draining {quoted}...")
    step(f"rebooting {quoted}...")
    step(f"waiting for {quoted} to report Ready...")
    if nodes is not None:
        for entry in known:
            entry.update(state="healthy", since=None, last_error="")
        save_nodes(nodes)
    print(f"{quoted} healthy", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
