"""What one learnt part of a fusion network adds to its fused images, by zeroing it at inference.

Parts: ``gain``, the per-band pull of a ``blend: activity`` network towards the input with more
detail (``mtif.model.network.compose``); ``restore``, the full-resolution restoration branch of a
network with ``restore_blocks`` (``mtif.model.network.MTIFNet``). For the first ``--pairs`` pairs
of a data folder (A/, B/, and GT/ where there is one) this fuses each pair twice with the same
checkpoint: as trained, and with the part's output zeroed. It prints the part's output per
channel (gain: one per detail band, finest first; restore: its one logit-space map) as mean and
10/50/90th percentiles over all pixels, then the mean six metrics (and PSNR_gt/SSIM_gt with GT)
both ways: the difference is what the part adds.

    .venv/bin/python benchmarks/part_zeroed.py gain runs/exp8/mef-act/checkpoints/step_0003000 \
        runs/data/mef-val --task mef --pairs 24
    .venv/bin/python benchmarks/part_zeroed.py restore \
        runs/exp9/mff-rest2/checkpoints/step_0003000 runs/data/mff-cd-val --task mff --pairs 24
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
from mtif.model import MTIFNet, load_model
from mtif.model.network import ACTIVITY_GAINS


def _part(model: MTIFNet, part: str) -> tuple[torch.nn.Module, slice] | None:
    """The module whose output holds ``part`` and the channels of it, or None if absent."""
    if part == "gain":
        return (model.head, ACTIVITY_GAINS) if model.config.blend == "activity" else None
    return (model.restore, slice(None)) if model.restore is not None else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=("gain", "restore"), help="which part to zero")
    parser.add_argument("checkpoint", help="a checkpoint (stem) of a network with that part")
    parser.add_argument("data", type=Path, help="a folder with A/, B/ (and GT/)")
    parser.add_argument("--task", choices=("mef", "mff", "ivf"), required=True)
    parser.add_argument("--pairs", type=int, default=8, help="first N pairs (default 8)")
    args = parser.parse_args()

    model = load_model(args.checkpoint).eval()
    found = _part(model, args.part)
    if found is None:
        parser.error(f"{args.checkpoint} has no {args.part!r} part")
    module, channels = found
    names = sorted(p.name for p in (args.data / "A").iterdir())[: args.pairs]
    outputs: list[torch.Tensor] = []
    zeroed = False

    def hook(_module: torch.nn.Module, _inputs: tuple, out: torch.Tensor) -> torch.Tensor:
        if zeroed:
            out = out.clone()
            out[:, channels] = 0.0
        else:
            kept = out[:, channels].detach()
            outputs.append(kept.transpose(0, 1).reshape(kept.shape[1], -1))
        return out

    module.register_forward_hook(hook)
    rows: dict[str, list[dict[str, float]]] = {"as trained": [], f"{args.part} zeroed": []}
    for name in tqdm(names, desc="pairs"):
        a, b = (read_image(args.data / side / name) for side in ("A", "B"))
        gt_path = args.data / "GT" / name
        gt = read_image(gt_path) if gt_path.exists() else None
        for label in rows:
            zeroed = label != "as trained"
            fused = fuse_images([a, b], task=args.task, checkpoint=model).image
            rows[label].append(evaluate(fused, a, b, gt=gt))

    every = torch.cat(outputs, dim=1)
    print(f"{len(names)} pairs of {args.data}; {args.part} output per channel")
    print("| channel | mean | p10 | p50 | p90 |\n|---:|---:|---:|---:|---:|")
    for channel, g in enumerate(every):
        p10, p50, p90 = np.percentile(g.numpy(), [10, 50, 90])
        print(f"| {channel} | {g.mean():.2f} | {p10:.2f} | {p50:.2f} | {p90:.2f} |")
    columns = list(rows["as trained"][0])
    print(f"\n| network | {' | '.join(columns)} |\n|---|{'---:|' * len(columns)}")
    for label, scores in rows.items():
        means = [np.mean([s[c] for s in scores]) for c in columns]
        print(f"| {label} | {' | '.join(f'{m:.4f}' for m in means)} |")


if __name__ == "__main__":
    main()
