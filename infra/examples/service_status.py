#!/usr/bin/env python3
"""Example status source for opsbot: prints a service's environments as JSON on stdout.

    python3 infra/examples/service_status.py --service web

Versions come from the state deploy_service.py keeps (OPSBOT_EXAMPLE_STATE), else a sample.
Replace this script with one that asks your platform (Kubernetes, your load balancer, ...).
"""

from __future__ import annotations

import argparse
import json
import sys

from deploy_service import load_services  # the sibling example script


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--service", required=True)
    service = parser.parse_args(argv).service
    environments = load_services().get(service, {})
    report = [
        {
            "environment": name,
            "version": entry.get("version", ""),
            "healthy": True,
            "detail": f"3/3 replicas ready since {entry.get('since', '?')}",
        }
        for name, entry in sorted(environments.items())
    ]
    json.dump({"environments": report}, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
