"""``mtif compare``: the mean scores of several evaluation runs in one Markdown table."""

from __future__ import annotations

import argparse
from pathlib import Path

from mtif.evaluation import PUBLISHED_DATASETS, compare_runs
from mtif.io import atomic_write_bytes


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compare",
        help="tabulate several `mtif evaluate` runs (and the paper's rows) in Markdown",
        description="Read the summary.json of each run folder written by `mtif evaluate` and "
        "print one Markdown table, a method per row, the best value of each column in bold "
        "(higher is better for every metric). --published adds the paper's rows for a data "
        "set, marked '(paper)'.",
    )
    p.add_argument("runs", type=Path, nargs="+", metavar="RUN", help="run folder(s)")
    p.add_argument(
        "--published",
        choices=sorted(PUBLISHED_DATASETS),
        help="add the paper's published rows for this data set",
    )
    p.add_argument("--out", type=Path, metavar="FILE.md", help="also write the table here")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    table = compare_runs(args.runs, published=args.published)
    print(table, end="")
    if args.out is not None:
        atomic_write_bytes(args.out, table.encode())
    return 0
