#!/usr/bin/env python3
"""Example inventory source for opsbot: prints failed nodes as JSON on stdout.

    python3 infra/examples/inventory.py [--cluster NAME]

With OPSBOT_EXAMPLE_STATE=/path/state.json the nodes live in that file (created from the
built-in sample on first use), so reboot_node.py and rollback_release.py can heal them.
Replace this script with one that asks your real inventory (Kubernetes, a CMDB, ...).
Standard library only; node names are data, never interpreted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

STATE_ENV = "OPSBOT_EXAMPLE_STATE"
BAD_RELEASE = "web-2026.11.20-3"

SAMPLE: list[dict[str, Any]] = [
    {
        "name": "web-07",
        "cluster": "prod-weu",
        "state": "NotReady",
        "since": "2026-11-20T08:15:00Z",
        "last_error": "kubelet stopped posting node status (readiness probe: connection refused)",
        "release": BAD_RELEASE,
    },
    {
        "name": "web-11",
        "cluster": "prod-weu",
        "state": "CrashLoopBackOff",
        "since": "2026-11-20T08:17:42Z",
        "last_error": "container web failed liveness probe: HTTP 503 from /healthz",
        "release": BAD_RELEASE,
    },
    {
        "name": "db-02",
        "cluster": "prod-neu",
        "state": "DiskPressure",
        "since": "2026-11-19T22:03:10Z",
        "last_error": "/var/lib/postgresql is 97% full; evicting pods",
        "release": "",
    },
    {
        "name": "web-21",
        "cluster": "prod-neu",
        "state": "NotReady",
        "since": "2026-11-20T08:21:05Z",
        "last_error": "PLEG is not healthy: pleg was last seen active 3m12s ago",
        "release": BAD_RELEASE,
    },
    {"name": "web-08", "cluster": "prod-weu", "state": "healthy", "since": None},
    {"name": "db-01", "cluster": "prod-neu", "state": "healthy", "since": None},
]


def state_path() -> Path | None:
    value = os.environ.get(STATE_ENV, "")
    return Path(value) if value else None


def load_nodes() -> list[dict[str, Any]]:
    """All nodes (healthy too): from the state file if set (seeded from SAMPLE), else SAMPLE."""
    path = state_path()
    if path is None:
        return [dict(node) for node in SAMPLE]
    if not path.exists():
        save_nodes(SAMPLE)
    data = json.loads(path.read_text(encoding="utf-8"))
    nodes = data.get("nodes") if isinstance(data, dict) else data
    if not isinstance(nodes, list):
        raise SystemExit(f'{path}: expected {{"nodes": [...]}}')
    return nodes


def save_nodes(nodes: list[dict[str, Any]]) -> None:
    """Write the state file atomically (no-op without OPSBOT_EXAMPLE_STATE)."""
    path = state_path()
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp"
    ) as tmp:
        json.dump({"nodes": nodes}, tmp, indent=2)
    os.replace(tmp.name, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cluster", default="", help="only this cluster (empty: all)")
    args = parser.parse_args(argv)
    failed = [
        node
        for node in load_nodes()
        if node.get("state") != "healthy" and args.cluster in ("", node.get("cluster"))
    ]
    json.dump({"nodes": failed}, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
