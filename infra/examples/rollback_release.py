#!/usr/bin/env python3
"""Example action for opsbot: pretends to roll back a release and reports progress.

    python3 infra/examples/rollback_release.py --release RELEASE

Prints progress lines with short pauses (OPSBOT_EXAMPLE_DELAY seconds, default 0.5). With
OPSBOT_EXAMPLE_STATE set, every node broken by RELEASE is marked healthy in that file (see
inventory.py). Any string is accepted as RELEASE; it is only printed (JSON-quoted) and compared.
"""

from __future__ import annotations

import argparse
import json
import sys

from inventory import load_nodes, save_nodes, state_path  # the sibling example script
from reboot_node import step


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", required=True, help="the release to roll back")
    release = parser.parse_args(argv).release
    quoted = json.dumps(release)
    step(f"rollback requested for release {quoted}")
    step("finding the previous good release...")
    step(f"redeploying the release before {quoted}...")
    healed = 0
    if state_path():
        nodes = load_nodes()
        for node in nodes:
            if node.get("release") == release and node.get("state") != "healthy":
                node.update(state="healthy", since=None, last_error="")
                healed += 1
        save_nodes(nodes)
    step(f"waiting for nodes to report Ready... ({healed} recovered)")
    print(f"rollback of {quoted} done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
