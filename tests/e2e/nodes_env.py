"""A bot with an inventory, reboot/rollback actions and a policy, for the card-action tests."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent

NODES = [
    {
        "name": "web-07",
        "cluster": "prod",
        "state": "NotReady",
        "since": "2026-11-20T08:15:00Z",
        "last_error": "kubelet stopped posting status",
        "release": "web-2026.11.20-3",
    },
    {
        "name": "web-11",
        "cluster": "prod",
        "state": "CrashLoop",
        "since": "2026-11-20T08:17:00Z",
        "last_error": "liveness probe failed",
        "release": "web-2026.11.20-3",
    },
    {
        "name": 'odd "$(touch /tmp/pwned)" `id`; rm -rf /',
        "cluster": "prod",
        "state": "NotReady",
        "since": None,
        "last_error": "x",
        "release": "web-2026.11.20-3",
    },
    {
        "name": "db-02",
        "cluster": "prod",
        "state": "Unknown",
        "since": None,
        "last_error": "disk full",
        "release": "",
    },
]

POLICY = """
default_roles = ["viewer"]

[roles.viewer]
permissions = ["help", "whoami", "version", "nodes.read"]

[roles.operator]
permissions = ["nodes.*", "release.*"]

[roles.ops-lead]
permissions = ["nodes.*", "release.*"]

[bindings.users]
"{operator}" = ["operator"]
"{lead}" = ["ops-lead"]

[[approval_rules]]
commands = ["release.rollback"]
approvers = ["ops-lead"]
require_reason = true
expires = "30m"
description = "rollbacks"

[[argument_rules]]
commands = ["nodes.reboot"]
argument = "nodes"
count_over = 3
require_role = "ops-lead"
description = "rebooting more than 3 nodes"
"""


def write_files(
    tmp: Path, operator: str, lead: str, nodes: list[dict[str, Any]] = NODES
) -> dict[str, Any]:
    """Config + policy files; returns settings overrides for start_bot."""
    state = tmp / "nodes.json"
    state.write_text(json.dumps({"nodes": nodes}))
    record = tmp / "ran.jsonl"
    config = tmp / "automation.toml"
    config.write_text(f"""
[automation]
env = ["OPSBOT_TEST_RECORD", "OPSBOT_TEST_DELAY"]

[inventory]
kind = "exec"
argv = ["{sys.executable}", "-c", "import sys; print(open(sys.argv[1]).read())", "{state}"]

[actions.reboot]
argv = ["{sys.executable}", "{HERE / "record_argv.py"}", "reboot", "--", "{{node}}"]
timeout = "30s"

[actions.rollback]
argv = ["{sys.executable}", "{HERE / "record_argv.py"}", "rollback", "--", "{{release}}"]
timeout = "30s"
""")
    policy = tmp / "nodes-policy.toml"
    policy.write_text(POLICY.replace("{operator}", operator).replace("{lead}", lead))
    return {"config_file": config, "policy_file": policy, "record": record}


def ran(record: Path) -> list[list[str]]:
    if not record.exists():
        return []
    return [json.loads(line) for line in record.read_text().splitlines()]
