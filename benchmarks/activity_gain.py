"""What the learnt gain of a ``blend: activity`` network does to its fused images.

An ``activity`` network pulls each detail band's weight towards the input with more detail there
by a gain map it predicts (``mtif.model.network.compose``). For the first ``--pairs`` pairs of a
data folder (A/, B/, and GT/ where there is one) this fuses each pair twice with the same
checkpoint: as trained, and with the gain maps zeroed at inference (its map-per-band blend
alone). It prints, per detail band (finest first), the gain's mean and 10/50/90th percentiles
over all pixels, and the mean six metrics (and PSNR_gt/SSIM_gt with GT) both ways: the difference
is what the pull towards the more detailed input adds.

    .venv/bin/python benchmarks/activity_gain.py runs/exp8/mef-act/checkpoints/step_0003000 \
        runs/data/mef-val --task mef --pairs 24
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from mtif.fusion import fuse_images
from mtif.io import read_image
from mtif.metrics import evaluate
from mtif.model import load_model
from mtif.model.network import ACTIVITY_GAINS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", help="an activity network's checkpoint (stem)")
    parser.add_argument("data", type=Path, help="a folder with A/, B/ (and GT/)")
    parser.add_argument("--task", choices=("mef", "mff", "ivf"), required=True)
    parser.add_argument("--pairs", type=int, default=8, help="first N pairs (default 8)")
    args = parser.parse_args()

    model = load_model(args.checkpoint).eval()
    if model.config.blend != "activity":
        parser.error(f"{args.checkpoint} is a {model.config.blend!r} network, not an activity one")
    names = sorted(p.name for p in (args.data / "A").iterdir())[: args.pairs]
    gains: list[torch.Tensor] = []
    zero_gain = False

    def hook(_module: torch.nn.Module, _inputs: tuple, out: torch.Tensor) -> torch.Tensor:
        if zero_gain:
            out = out.clone()
            out[:, ACTIVITY_GAINS] = 0.0
        else:
            gain = out[:, ACTIVITY_GAINS].detach()
            gains.append(gain.transpose(0, 1).reshape(gain.shape[1], -1))
        return out

    model.head.register_forward_hook(hook)
    rows: dict[str, list[dict[str, float]]] = {"as trained": [], "gain zeroed": []}
    for name in tqdm(names, desc="pairs"):
        a, b = (read_image(args.data / side / name) for side in ("A", "B"))
        gt_path = args.data / "GT" / name
        gt = read_image(gt_path) if gt_path.exists() else None
        for label in rows:
            zero_gain = label == "gain zeroed"
            fused = fuse_images([a, b], task=args.task, checkpoint=model).image
            rows[label].append(evaluate(fused, a, b, gt=gt))

    every = torch.cat(gains, dim=1)
    print(f"{len(names)} pairs of {args.data}; gain per detail band, finest first")
    print("| band | mean | p10 | p50 | p90 |\n|---:|---:|---:|---:|---:|")
    for band, g in enumerate(every):
        p10, p50, p90 = np.percentile(g.numpy(), [10, 50, 90])
        print(f"| {band} | {g.mean():.2f} | {p10:.2f} | {p50:.2f} | {p90:.2f} |")
    columns = list(rows["as trained"][0])
    print(f"\n| blend | {' | '.join(columns)} |\n|---|{'---:|' * len(columns)}")
    for label, scores in rows.items():
        means = [np.mean([s[c] for s in scores]) for c in columns]
        print(f"| {label} | {' | '.join(f'{m:.4f}' for m in means)} |")


if __name__ == "__main__":
    main()
