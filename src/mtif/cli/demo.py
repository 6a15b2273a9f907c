"""``mtif demo``: fuse the built-in demo pairs and print their metrics."""

from __future__ import annotations

import argparse
from pathlib import Path

from mtif.demo import run_demo, run_steering


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="fuse built-in demo pairs (exposure, focus, infrared) and print their metrics",
        description="Synthesise an exposure pair and a focus pair (with their ground truth) and "
        "an infrared + visible night scene from scikit-image's bundled photos, fuse them with "
        "the available methods and print the six metrics of the published tables plus "
        "PSNR/SSIM against the ground truth where there is one; then fuse the exposure and "
        "infrared pairs again with two opposite wishes in words, to show what the text does. "
        "The pairs and fused images are written under --out, laid out as data sets.",
    )
    p.add_argument("--out", type=Path, default=Path("demo_out"), help="output folder")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    rows = run_demo(args.out)
    keys = max((list(r.scores) for r in rows), key=len)
    print(f"{'task':<5} {'method':<12} " + " ".join(f"{k:>8}" for k in keys))
    for row in rows:
        vals = " ".join(f"{row.scores[k]:8.3f}" if k in row.scores else f"{'-':>8}" for k in keys)
        print(f"{row.task:<5} {row.method:<12} {vals}")
    print("\nwords steer the networks (--semantic; wordings never used in training):")
    for s in run_steering(args.out):
        print(f"{s.task:<5} {s.words!r:<36} {s.measure} {s.value:.3f}  ({s.path})")
    print(f"\ninputs, ground truth and fused images are in {args.out}/")
    print(
        f"score a folder yourself: mtif evaluate --method mertens --data {args.out}/mef "
        f"--out {args.out}/runs/mertens"
    )
    return 0
