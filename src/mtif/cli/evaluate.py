"""``mtif evaluate``: fuse every sample of a data set folder with one method and score it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mtif.data.splits import split_names
from mtif.evaluation import run_evaluation
from mtif.evaluation.runner import GROUND_TRUTH
from mtif.methods import FusionMethod, available_methods


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
        help=f"fusion method; available here: {', '.join(available_methods())}; or "
        f"{GROUND_TRUTH}: score each sample's GT/ image itself (how the metrics rate the true "
        "scene); with --checkpoint, the name the run is shown under",
    )
    p.add_argument(
        "--checkpoint",
        type=Path,
        help="evaluate a network checkpoint (e.g. runs/train-mef/checkpoints/step_0004000)",
    )
    p.add_argument(
        "--task",
        choices=("mef", "mff", "ivf"),
        help="with --checkpoint: the task (default: the one it was trained for)",
    )
    p.add_argument("--data", type=Path, required=True, help="data set folder")
    p.add_argument(
        "--split",
        metavar="NAME:PART",
        help="score only one part of a split shipped with mtif, e.g. roadscene:test (the "
        "RoadScene pairs not used for training); default: every sample of --data",
    )
    p.add_argument("--out", type=Path, required=True, help="output folder for this run")
    p.add_argument(
        "--overwrite", action="store_true", help="replace the results of an earlier run in --out"
    )
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=run)


def _method(args: argparse.Namespace) -> str | FusionMethod:
    if args.checkpoint is None:
        if not args.method:
            raise ValueError("choose a method with --method NAME (or give --checkpoint PATH)")
        return args.method
    from mtif.fusion.method import NetworkMethod
    from mtif.model import read_checkpoint_meta

    task = args.task or read_checkpoint_meta(args.checkpoint)["extra"].get("task")
    if task is None:
        raise ValueError(f"{args.checkpoint}: no task recorded in it; pass --task mef|mff|ivf")
    return NetworkMethod(args.method or args.checkpoint.name, task, args.checkpoint)


def run(args: argparse.Namespace) -> int:
    result = run_evaluation(
        _method(args),
        args.data,
        args.out,
        overwrite=args.overwrite,
        progress=not args.no_progress,
        names=split_names(args.split) if args.split else None,
    )
    print((result.out_dir / "summary.md").read_text(), end="")
    print(f"\nresults in {result.out_dir}/")
    if result.failures:
        print(f"mtif: {len(result.failures)} sample(s) failed (listed above)", file=sys.stderr)
        return 1
    return 0
