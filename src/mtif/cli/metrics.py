"""``mtif metrics FUSED A B``: score one fused image with the metrics of the published tables."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from mtif.metrics import evaluate


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "metrics",
        help="score a fused image: EN, SD, SF, AG, VIF, Qabf",
        description="Score a fused image against its two sources with EN, SD, SF, AG, VIF and "
        "Qabf, computed exactly as the evaluator behind the published tables (8-bit luma of "
        "each file). Higher is better for every metric. Images must be at least 41x41.",
    )
    p.add_argument("fused", type=Path, help="fused image file")
    p.add_argument("a", type=Path, metavar="A", help="first source image file")
    p.add_argument("b", type=Path, metavar="B", help="second source image file")
    p.add_argument("--gt", type=Path, help="ground-truth image: adds PSNR_gt and SSIM_gt")
    p.add_argument(
        "--extras", action="store_true", help="also SSIM and MI (nats) against the sources, summed"
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object (non-finite values, e.g. PSNR of identical images, as null)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    scores = evaluate(args.fused, args.a, args.b, gt=args.gt, extras=args.extras)
    if args.json:
        # Standard JSON has no Infinity/NaN; null keeps the output parseable everywhere.
        clean = {k: (v if math.isfinite(v) else None) for k, v in scores.items()}
        print(json.dumps(clean))
    else:
        width = max(len(k) for k in scores)
        for name, value in scores.items():
            print(f"{name:<{width}}  {value:10.4f}")
    return 0
