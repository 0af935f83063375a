"""Sample runbook cards: for the tests, the renderer check and the README pictures.

`python -m cards.runbook_samples [--readme]` prints {name: card} as JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from cards import sample_cli
from cards.common import Card
from cards.runbook import (
    Listed,
    StepView,
    pages,
    parse_markdown,
    runbook_doc_card,
    runbook_list_card,
    runbook_run_card,
)
from cards.samples import HOSTILE_NAMES

AT = datetime(2024, 11, 23, 14, 1, tzinfo=UTC)
DOC = """# Node NotReady

A node reports `NotReady` or its pods crash-loop.

## Check

1. Look at the failed nodes: `nodes failed`
2. Check the node's conditions:

```
kubectl describe node web-07 | sed -n '/Conditions:/,/Addresses:/p'
```

## Fix

- Reboot one node: `nodes reboot web-07`
  - or run `runbook run restart-web`
"""
HOSTILE_DOC = "\n\n".join(
    [
        "# [click](http://evil.example) <at>Ada</at>",
        *(f"- {name}" for name in HOSTILE_NAMES),
        "```\n" + "\n".join(HOSTILE_NAMES) + "\n```",
        "{{DATE(2017-02-14T06:08:39Z, SHORT)}} **bold** ![img](http://evil.example/x.png)",
        "<script>alert(1)</script>",
    ]
)


def runbook_doc() -> Card:
    (page,) = pages(parse_markdown(DOC))
    return runbook_doc_card(
        "node-not-ready", "Node NotReady", page, page=0, page_count=1, runnable=False
    )


def runbook_doc_paged() -> Card:
    text = "\n\n".join(f"## Part {i}\n\n" + "words " * 150 for i in range(30))
    split = pages(parse_markdown(text))
    return runbook_doc_card(
        "long",
        "A long one",
        split[1],
        page=1,
        page_count=len(split),
        previous="act_prev.sig",
        next_page="act_next.sig",
    )


def runbook_doc_hostile() -> Card:
    split = pages(parse_markdown(HOSTILE_DOC))
    return runbook_doc_card(
        HOSTILE_NAMES[0], HOSTILE_NAMES[1], split[0], page=0, page_count=len(split), runnable=True
    )


def runbook_list() -> Card:
    return runbook_list_card(
        [
            Listed("node-not-ready", "Node NotReady"),
            Listed("restart-web", "Restart two web nodes", steps=2, document=False),
            Listed("disk-full", "Disk full", steps=3),
        ]
    )


def _steps(second: str, **extra: str) -> list[StepView]:
    return [
        StepView(
            "Reboot the first node",
            "reboot",
            False,
            "succeeded",
            tail='draining "web-07"\nrebooting "web-07"\n"web-07" healthy',
            duration="3",
        ),
        StepView("Reboot the second node", "reboot", True, second, **extra),
        StepView("Check the service", "status-web", False, "waiting"),
    ]


def runbook_run_paused() -> Card:
    return runbook_run_card(
        "Restart two web nodes",
        _steps("paused"),
        state="paused",
        requested_by="Ada Lovelace",
        at=AT,
        continue_id="act_c.sig",
        stop_id="act_s.sig",
    )


def runbook_run_running() -> Card:
    steps = _steps("running", tail='draining "web-11"')
    return runbook_run_card(
        "Restart two web nodes",
        steps,
        state="running",
        requested_by="Ada Lovelace",
        at=AT,
        stop_id="act_s.sig",
    )


def runbook_run_failed() -> Card:
    steps = _steps("failed", tail="node web-11 unknown", duration="1", detail="failed")
    steps[2] = StepView("Check the service", "status-web", False, "skipped")
    return runbook_run_card(
        "Restart two web nodes",
        steps,
        state="failed",
        requested_by="Ada Lovelace",
        at=AT,
        stop_id="act_s.sig",
    )


def runbook_run_hostile() -> Card:
    steps = [
        StepView(name, name, i % 2 == 0, "failed", tail=name, duration="1", detail=name)
        for i, name in enumerate(HOSTILE_NAMES)
    ]
    return runbook_run_card(
        HOSTILE_NAMES[0],
        steps,
        state="stopped",
        requested_by=HOSTILE_NAMES[1],
        at=AT,
        note="Stopped by x.",
    )


SAMPLES: dict[str, Callable[[], Card]] = {
    "runbook_doc": runbook_doc,
    "runbook_doc_paged": runbook_doc_paged,
    "runbook_doc_hostile": runbook_doc_hostile,
    "runbook_list": runbook_list,
    "runbook_run_paused": runbook_run_paused,
    "runbook_run_running": runbook_run_running,
    "runbook_run_failed": runbook_run_failed,
    "runbook_run_hostile": runbook_run_hostile,
}
README_SAMPLES = ("runbook_doc", "runbook_run_paused")


def build(names: tuple[str, ...] | None = None) -> dict[str, Card]:
    return sample_cli.build(SAMPLES, names)


def main(argv: list[str] | None = None) -> None:
    sample_cli.main(SAMPLES, README_SAMPLES, __doc__, argv)


if __name__ == "__main__":
    main()
