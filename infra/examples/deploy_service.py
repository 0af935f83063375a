#!/usr/bin/env python3
"""Example deploy action for opsbot: pretends to roll out a version of a service.

    python3 infra/examples/deploy_service.py --service web --environment staging --version 1.2.3

Prints progress lines with short pauses (OPSBOT_EXAMPLE_DELAY seconds, default 0.5), as a real
pipeline would report its steps. With OPSBOT_EXAMPLE_STATE=/path/state.json the versions live
in /path/state-services.json (next to the nodes of inventory.py), so service_status.py and
rollback_service.py see them. OPSBOT_EXAMPLE_FAIL=1 makes the health check fail (exit 4).
Every value is only printed (JSON-quoted) and stored, never run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reboot_node import step  # the sibling example script

STATE_ENV = "OPSBOT_EXAMPLE_STATE"
SAMPLE_VERSION = "1.2.2"
ENVIRONMENTS = ("staging", "production")


def services_path() -> Path | None:
    value = os.environ.get(STATE_ENV, "")
    if not value:
        return None
    path = Path(value)
    return path.with_name(f"{path.stem}-services.json")


def load_services() -> dict[str, Any]:
    """{"web": {"staging": {"version", "since"}, ...}}; a sample when there is no state."""
    path = services_path()
    if path is not None and path.exists():
        data = json.loads(path.read_text(encoding="utf-8"))
        return data.get("services", {}) if isinstance(data, dict) else {}
    since = "2026-11-20T08:00:00Z"
    return {"web": {env: {"version": SAMPLE_VERSION, "since": since} for env in ENVIRONMENTS}}


def save_services(services: dict[str, Any]) -> None:
    path = services_path()
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp"
    ) as tmp:
        json.dump({"services": services}, tmp, indent=2)
    os.replace(tmp.name, path)


def record(service: str, environment: str, version: str) -> None:
    services = load_services()
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    services.setdefault(service, {})[environment] = {"version": version, "since": now}
    save_services(services)


def roll_out(service: str, environment: str, version: str, verb: str) -> int:
    where = f"{json.dumps(service)} in {json.dumps(environment)}"
    step(f"{verb} {where} to version {json.dumps(version)}")
    step(f"pulling image {json.dumps(f'{service}:{version}')}...")
    for ready in (1, 2, 3):
        step(f"rolling out: {ready}/3 replicas updated")
    if os.environ.get("OPSBOT_EXAMPLE_FAIL") == "1":
        print("health check failed: /healthz answered 503 on 2/3 replicas", file=sys.stderr)
        return 4
    step("health check passed (3/3 replicas ready)")
    record(service, environment, version)
    print(f"{where} now runs {json.dumps(version)}", flush=True)
    return 0


def arguments(argv: list[str] | None, description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--service", required=True)
    parser.add_argument("--environment", required=True)
    parser.add_argument("--version", required=True)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv, __doc__.splitlines()[0])
    return roll_out(args.service, args.environment, args.version, "deploying")


if __name__ == "__main__":
    sys.exit(main())
