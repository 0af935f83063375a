#!/usr/bin/env python3
"""Example rollback action for opsbot: pretends to put a service back on an earlier version.

    python3 infra/examples/rollback_service.py --service web --environment production \
        --version 1.2.2

The bot chooses the version (the previous successful deploy, or `to=`); this script rolls it
out like deploy_service.py does, with the same state file and OPSBOT_EXAMPLE_FAIL switch.
"""

from __future__ import annotations

import sys

from deploy_service import arguments, roll_out  # the sibling example script


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv, __doc__.splitlines()[0])
    return roll_out(args.service, args.environment, args.version, "rolling back")


if __name__ == "__main__":
    sys.exit(main())
