"""``mtif evaluate``: fuse every sample of a data set folder with one method and score it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mtif.evaluation import run_evaluation
from mtif.methods import available_methods


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "evaluate",
        help="fuse and score a whole data set folder with one method",
        description="Fuse every sample of a data set folder (sub-folders A/ B/ [C/ ...] [GT/], "
        "or UNDER/ OVER/, NEAR/ FAR/, IR/ VI/, with matching file names) and score each fused "
        "8-bit PNG with EN, SD, SF, AG, VIF and Qabf (plus PSNR_gt and SSIM_gt where GT/ "
        "exists). Series of more than two inputs are scored against the first and last. "
        "Writes fused/, per_image.csv, summary.md, summary.json and run.json under --out and "
        "prints the mean table. A sample that fails is reported and skipped; the exit code is "
        "then 1.",
    )
    p.add_argument(
        "--method",
        required=True,
        help=f"fusion method; available here: {', '.join(available_methods())}",
    )
    p.add_argument("--data", type=Path, required=True, help="data set folder")
    p.add_argument("--out", type=Path, required=True, help="output folder for this run")
    p.add_argument(
        "--overwrite", action="store_true", help="replace the results of an earlier run in --out"
    )
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    result = run_evaluation(
        args.method, args.data, args.out, overwrite=args.overwrite, progress=not args.no_progress
    )
    print((result.out_dir / "summary.md").read_text(), end="")
    print(f"\nresults in {result.out_dir}/")
    if result.failures:
        print(f"mtif: {len(result.failures)} sample(s) failed (listed above)", file=sys.stderr)
        return 1
    return 0
