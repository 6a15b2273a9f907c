"""``mtif synth``: write synthetic exposure brackets or focus stacks, with ground truth."""

from __future__ import annotations

import argparse
from pathlib import Path

from mtif.data.synthetic import list_photos, synthesise_folder


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "synth",
        help="make synthetic training/validation pairs from photos",
        description="Synthesise one exposure bracket (--task mef) or focus stack (--task mff) "
        "per photo, with the photo as ground truth, written as OUT/{A,B,...,GT}/<name>.png. "
        "Deterministic by --seed; an interrupted run resumes. Never point this at a test set.",
    )
    p.add_argument("photos", type=Path, nargs="+", help="folders of well-exposed, sharp photos")
    p.add_argument("--task", choices=("mef", "mff"), required=True)
    p.add_argument("--out", type=Path, required=True, help="output data-set folder")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--inputs", type=int, default=2, help="images per stack (default 2)")
    p.add_argument(
        "--hdr-stops",
        type=float,
        default=0.0,
        help="exposure only: light each scene unevenly by a smooth field spanning up to this "
        "many stops (a range no 8-bit photo holds); the ground truth stays the photo (default 0)",
    )
    p.add_argument(
        "--dark-noise",
        type=float,
        default=0.0,
        help="exposure only: add to the darkest shot Gaussian noise of a sigma drawn from 0 to "
        "this many 8-bit levels (high-ISO grain the fusion must not copy; default 0)",
    )
    p.add_argument(
        "--continuous-depth",
        action="store_true",
        help="focus only: blur by distance from each shot's focus plane over a smooth depth map, "
        "so depths between the planes are soft in every shot (default: each shot sharp on its "
        "own depth layer and blurred elsewhere)",
    )
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.hdr_stops and args.task != "mef":
        raise ValueError("--hdr-stops applies to exposure brackets (--task mef) only")
    if args.dark_noise and args.task != "mef":
        raise ValueError("--dark-noise applies to exposure brackets (--task mef) only")
    if args.dark_noise < 0:
        raise ValueError(f"--dark-noise must be at least 0, got {args.dark_noise}")
    if args.continuous_depth and args.task != "mff":
        raise ValueError("--continuous-depth applies to focus stacks (--task mff) only")
    photos = list_photos(args.photos)
    made = synthesise_folder(
        photos,
        args.task,
        args.out,
        seed=args.seed,
        n_inputs=args.inputs,
        hdr_stops=args.hdr_stops,
        continuous_depth=args.continuous_depth,
        dark_noise=args.dark_noise,
        progress=not args.no_progress,
    )
    print(f"{made} new stacks, {len(photos)} in all, in {args.out}")
    return 0
