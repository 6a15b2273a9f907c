"""``mtif figure``: inputs and the fused images of several runs side by side, in one PNG."""

from __future__ import annotations

import argparse
from pathlib import Path

from mtif.evaluation.figure import DEFAULT_COUNT, DEFAULT_WIDTH, comparison_figure
from mtif.io import atomic_write_bytes


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "figure",
        help="draw inputs and the fused images of several runs side by side (PNG)",
        description="Read run folders written by `mtif evaluate` over one data set and draw "
        "one row per sample: its inputs (A, B, ...), then each run's fused image, titled "
        "with the run's method. Images are resized to one thumbnail width, aspect kept. "
        "The inputs are read from the data folder the runs recorded, or from --data.",
    )
    p.add_argument("runs", type=Path, nargs="+", metavar="RUN", help="run folder(s)")
    p.add_argument(
        "-o", "--out", type=Path, required=True, metavar="FIG.png", help="the PNG to write"
    )
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--samples",
        metavar="NAME,NAME,...",
        help="the samples to show, by name (file name without extension), in this order",
    )
    which.add_argument(
        "--count",
        type=int,
        default=DEFAULT_COUNT,
        metavar="N",
        help=f"show the first N samples fused by every run, in natural order "
        f"(default {DEFAULT_COUNT})",
    )
    p.add_argument(
        "--data", type=Path, metavar="DIR", help="data set folder with the inputs (default: "
        "the one recorded in the runs' summary.json)"
    )  # fmt: skip
    p.add_argument(
        "--width",
        type=int,
        default=DEFAULT_WIDTH,
        metavar="PX",
        help=f"thumbnail width in pixels (default {DEFAULT_WIDTH})",
    )
    p.add_argument(
        "--metric-labels",
        action="store_true",
        help="write each fused image's Qabf and VIF (from the run's per_image.csv) under it",
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing FIG.png")
    p.set_defaults(func=run)


def _sample_names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise ValueError(f"--samples: expected NAME,NAME,..., got {text!r}")
    return names


def run(args: argparse.Namespace) -> int:
    out: Path = args.out
    if out.suffix.lower() != ".png":
        raise ValueError(f"-o: the figure is written as PNG; expected a .png file, got {out}")
    if out.exists() and not args.overwrite:
        raise FileExistsError(f"{out} already exists; pass --overwrite to replace it")
    png = comparison_figure(
        args.runs,
        samples=_sample_names(args.samples),
        count=args.count,
        data=args.data,
        width=args.width,
        metric_labels=args.metric_labels,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out, png)
    print(f"figure written to {out}")
    return 0
