"""A stand-in automation job for tests: records its argv as one JSON line, prints progress."""

import json
import os
import sys
import time

with open(os.environ["OPSBOT_TEST_RECORD"], "a", encoding="utf-8") as log:
    log.write(json.dumps(sys.argv[1:]) + "\n")
print(f"draining {sys.argv[-1]}", flush=True)
time.sleep(float(os.environ.get("OPSBOT_TEST_DELAY", "0.2")))
print("healthy", flush=True)
sys.exit(1 if sys.argv[-1] == "fail-me" else 0)
