"""Which fused image the multi-grained loss prefers: L_base of hand-made candidate outputs.

A network can only learn what its loss rewards. This scores simple candidates (each input, their
mean, classical fusions, the ground truth where there is one) with the paper's base loss
(Eqs. 11-13, beta2 = 100, max-gradient reference) on training data, never on a test-only set:

- ``--task mef``: full synthetic brackets from ``runs/data/mef-train`` (every 16th pair, 20);
- ``--task ivf``: 12 batches of training views of the RoadScene train split
  (``configs/ivf.yaml``), including blends whose weights come from comparing the inputs'
  smoothed gradients, per pixel and band by band (``mtif.model.pyramid``), and a fusion that
  takes each detail band from the input with the larger coefficient and the coarse residual
  from the brighter input (what a weight map per band, ``blend: bands``, can express).

    .venv/bin/python benchmarks/loss_landscape.py --task mef
    .venv/bin/python benchmarks/loss_landscape.py --task ivf
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import torch

from mtif.engine.config import load_config
from mtif.engine.patches import draw_batch
from mtif.engine.training_data import load_training_pairs
from mtif.io import read_image, to_grey
from mtif.losses.functional import base_loss, intensity_target, sobel_magnitude
from mtif.methods import get_method
from mtif.model.pyramid import collapse, laplacian_pyramid, pyramid_blend

#: Per task, the (intensity reference, beta1) pairs scored for every candidate.
SETTINGS = {
    "mef": (("max", 1.0), ("well-exposed", 20.0)),
    "ivf": (("max", 1.0), ("max", 30.0)),
}


def _tensor(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(x, np.float32))[None, None]


def mef_candidates(data: Path, every: int, count: int) -> Iterator[tuple[torch.Tensor, ...]]:
    """(under, over, candidates) for synthetic brackets with a ground truth."""
    mertens = get_method("mertens")
    for name in sorted(p.name for p in (data / "A").iterdir())[::every][:count]:
        a, b, gt = (_tensor(read_image(data / d / name, grey=True)) for d in ("A", "B", "GT"))
        colour = mertens.fuse([read_image(data / d / name) for d in ("A", "B")])
        grey = to_grey(np.clip(colour, 0, 1).astype(np.float32))
        yield (
            a,
            b,
            {
                "under-exposed shot": a,
                "over-exposed shot": b,
                "mean of the shots": (a + b) / 2,
                "well-exposedness blend": intensity_target(a, b, "well-exposed"),
                "Mertens": _tensor(grey),
                "ground truth": gt,
            },
        )


def _gradient_weights(a: torch.Tensor, b: torch.Tensor, sigma: float = 4.0) -> torch.Tensor:
    """Where ``a``'s smoothed Sobel magnitude exceeds ``b``'s, a soft 1 (else 0)."""
    diff = (sobel_magnitude(a) - sobel_magnitude(b)).numpy()
    smooth = np.stack([cv2.GaussianBlur(d[0], (0, 0), sigma) for d in diff])[:, None]
    return torch.sigmoid(torch.from_numpy(100.0 * smooth))


def detail_over_brightness(a: torch.Tensor, b: torch.Tensor, levels: int = 4) -> torch.Tensor:
    """Each detail band from the input whose coefficient is larger, the residual from the
    brighter one."""
    pa, pb = laplacian_pyramid(a, levels), laplacian_pyramid(b, levels)
    bands = [torch.where(x.abs() >= y.abs(), x, y) for x, y in zip(pa[:-1], pb[:-1], strict=True)]
    return collapse([*bands, torch.maximum(pa[-1], pb[-1])]).clamp(0, 1)


def ivf_candidates(batches: int) -> Iterator[tuple[torch.Tensor, ...]]:
    """(infrared, visible, candidates) for training views of the RoadScene train split."""
    config = load_config("configs/ivf.yaml")
    pairs = load_training_pairs(config, progress=False)
    for step in range(batches):
        a, b, _, _ = draw_batch(
            pairs, step=step, seed=0, batch_size=8, patch=config.patch, enrichment="saliency"
        )
        w = _gradient_weights(a, b)
        yield (
            a,
            b,
            {
                "copy of the infrared input": a,
                "copy of the visible input": b,
                "mean of the inputs": (a + b) / 2,
                "max of the inputs": torch.maximum(a, b),
                "gradient weights, per-pixel blend": w * a + (1 - w) * b,
                "gradient weights, pyramid blend": pyramid_blend(w, a, b).clamp(0, 1),
                "larger detail per band, brighter residual": detail_over_brightness(a, b),
            },
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", choices=("mef", "ivf"), required=True)
    parser.add_argument("--data", type=Path, default=Path("runs/data/mef-train"))
    args = parser.parse_args()
    torch.set_num_threads(2)
    source = mef_candidates(args.data, 16, 20) if args.task == "mef" else ivf_candidates(12)
    scores: dict[str, list[list[float]]] = {}
    for a, b, candidates in source:
        for name, out in candidates.items():
            row = []
            for reference, beta1 in SETTINGS[args.task]:
                total, pixel, grad = base_loss(out, a, b, beta1, 100.0, "max-gradient", reference)
                row += [total.item(), pixel.item()]
            scores.setdefault(name, []).append([*row, grad.item()])
    header = " | ".join(f"L_base ({r}, beta1 {b:g}) | pixel" for r, b in SETTINGS[args.task])
    print(f"| output | {header} | gradient term |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, rows in scores.items():
        mean = np.mean(rows, axis=0)
        print(f"| {name} | " + " | ".join(f"{v:.4f}" for v in mean) + " |")


if __name__ == "__main__":
    main()
