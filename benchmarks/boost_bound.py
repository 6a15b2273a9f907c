"""How much a band boost (``mtif.model.pyramid.boost_bands``) could restore of a fused image.

For each sample of an ``mtif evaluate`` output folder on data with a ground truth (synthetic
focus stacks: ``runs/data/mff-cd-val``), this boosts the fused grey image's detail bands and
prints the mean PSNR against the truth's grey image:
- everywhere by one factor exp(b): what a boost that does not know where to act gives;
- only where the truth's finest band is locally stronger than the fused image's (by 30 % and one
  grey level): an oracle mask, drawn from the truth, that no network has. It bounds what a branch
  that learns where the image is soft could gain, and shows how narrow that gain is.
Analysis of finished runs only: nothing here chooses or tunes anything.

    .venv/bin/python benchmarks/boost_bound.py runs/exp5/cdval-mff-mix-gt --samples 12
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from mtif.data.pairs import find_samples
from mtif.evaluation.figure import load_run
from mtif.io import read_image
from mtif.metrics.reading import as_reference_grey
from mtif.model.pyramid import PYRAMID_LEVELS, boost_bands, laplacian_pyramid

GLOBAL = (-0.1, -0.05, 0.0, 0.05, 0.1)
ORACLE = (0.15, 0.3, 0.5)


def _grey(path: Path) -> torch.Tensor:
    grey = as_reference_grey(read_image(path)) / 255.0
    return torch.from_numpy(grey.astype(np.float32))[None, None]


def _psnr(x: torch.Tensor, truth: torch.Tensor) -> float:
    return float(10 * torch.log10(1.0 / (x.clamp(0, 1) - truth).square().mean()))


def _oracle_mask(fused: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
    """1 where the truth's finest band is locally stronger than the fused image's."""
    energy = [
        torch.nn.functional.avg_pool2d(laplacian_pyramid(x, 2)[0].abs(), 9, 1, 4)
        for x in (fused, truth)
    ]
    return (energy[1] > 1.3 * energy[0] + 1.0 / 255.0).float()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="an `mtif evaluate` output folder")
    parser.add_argument("--samples", type=int, default=12, help="first N samples (default 12)")
    args = parser.parse_args()
    run = load_run(args.run)
    samples = [s for s in find_samples(run.data).samples if s.gt is not None][: args.samples]
    if not samples:
        raise SystemExit(f"{args.run}: its data set has no ground truth")
    rows: dict[str, list[float]] = {}
    masked: list[float] = []
    for sample in tqdm(samples, desc="samples"):
        fused, truth = _grey(run.fused[sample.name]), _grey(sample.gt)
        shape = (1, PYRAMID_LEVELS - 1, *fused.shape[2:])
        for b in GLOBAL:
            boosted = boost_bands(fused, torch.full(shape, b))
            rows.setdefault(f"everywhere, b = {b:+.2f}", []).append(_psnr(boosted, truth))
        mask = _oracle_mask(fused, truth)
        masked.append(float(mask.mean()))
        for b in ORACLE:
            boosted = boost_bands(fused, b * mask.expand(shape))
            rows.setdefault(f"oracle mask, b = {b:.2f}", []).append(_psnr(boosted, truth))
    print(f"{len(samples)} samples of {run.data}; oracle mask {np.mean(masked):.1%} of pixels")
    print("| boost | PSNR_gt (grey) |\n|---|---:|")
    for label, values in rows.items():
        print(f"| {label} | {np.mean(values):.3f} |")


if __name__ == "__main__":
    main()
