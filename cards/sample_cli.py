"""The command line every samples module shares: print its sample cards as JSON, for the
renderer checks and the README pictures (`python -m cards.samples --readme | node
tests/js/render_pngs.mjs`)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping, Sequence

from cards.common import Card

Samples = Mapping[str, Callable[[], Card]]


def build(samples: Samples, names: Sequence[str] | None = None) -> dict[str, Card]:
    return {name: samples[name]() for name in (names or tuple(samples))}


def main(samples: Samples, readme: Sequence[str], doc: str | None, argv: list[str] | None) -> None:
    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument("--readme", action="store_true", help="only the cards shown in docs")
    args = parser.parse_args(argv)
    json.dump(build(samples, readme if args.readme else None), sys.stdout, ensure_ascii=False)
