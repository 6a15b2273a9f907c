"""How sensor noise moves the metrics of max-abs fusion against those of the true scene.

Real focus pairs carry independent sensor noise in each shot, also where a shot is out of focus;
the synthetic stacks the networks train on do not. The Laplacian pyramid's max-abs rule keeps,
at every fine coefficient, the larger of the two shots' values, so in flat regions it keeps the
larger of two noise samples. This adds Gaussian noise of each ``--sigma`` (8-bit levels) to both
shots of synthetic focus pairs (never a test-only set) and scores, per noise level:

- ``truth``: the ground truth with one noise sample, i.e. what an all-in-focus shot would be;
- the classical fusions and, with ``--network``, the shipped focus network.

It prints each method's mean EN, SD, SF, AG and PSNR against the clean ground truth, and the
ratio of each method's AG and SF to the truth's: where that ratio grows with the noise, a method
is rewarded for noise rather than for detail of the scene. ``--estimate`` also prints the noise
level of other sets' A/ images (Immerkaer's estimator, 1996: the mean absolute response to a
Laplacian-difference mask that cancels smooth image content; it reads texture as noise, so it
only ranks sets against the clean photos it is shown beside).

    .venv/bin/python benchmarks/noise_max_abs.py runs/data/mff-val --pairs 12 --network \
        --estimate runs/data/mff-val ../shared/data/Lytro ../shared/data/RealMFF_subset/test
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from mtif.io import quantize, read_image
from mtif.methods import get_method
from mtif.metrics import evaluate
from mtif.metrics.extras import psnr
from mtif.metrics.reading import as_reference_grey

COLUMNS = ("EN", "SD", "SF", "AG", "PSNR")
#: Immerkaer's mask: the difference of two Laplacians, zero on linear and quadratic ramps.
_NOISE_MASK = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float64)


def noise_sigma(grey: np.ndarray) -> float:
    """Estimated standard deviation of white Gaussian noise in ``grey`` (0..255 scale)."""
    response = cv2.filter2D(np.asarray(grey, np.float64), -1, _NOISE_MASK)[1:-1, 1:-1]
    return float(np.sqrt(np.pi / 2) * np.abs(response).mean() / 6.0)


def noisy(img: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """``img`` plus Gaussian noise of ``sigma`` 8-bit levels, rounded to 8 bits as a file would
    be; float ``[0, 1]``."""
    shot = quantize(img + rng.normal(0.0, sigma / 255.0, img.shape))
    return shot.astype(np.float32) / 255.0


def score(
    folder: Path, names: list[str], methods: list[str], sigma: float, seed: int
) -> dict[str, dict[str, float]]:
    """Mean of ``COLUMNS`` per method (and ``truth``) over ``names`` at one noise level."""
    rng = np.random.default_rng(seed)
    fusers = {m: get_method(m) for m in methods}
    rows: dict[str, list[dict[str, float]]] = {m: [] for m in ["truth", *methods]}
    for name in tqdm(names, desc=f"sigma {sigma:g}", leave=False):
        gt = read_image(folder / "GT" / name)
        a, b = (noisy(read_image(folder / s / name), sigma, rng) for s in ("A", "B"))
        clean = as_reference_grey(gt)
        outputs = {"truth": noisy(gt, sigma, rng)}
        outputs.update({m: f.fuse([a, b]) for m, f in fusers.items()})
        for m, fused in outputs.items():
            metrics = evaluate(fused, a, b)
            metrics["PSNR"] = psnr(as_reference_grey(fused), clean)
            rows[m].append(metrics)
    return {m: {c: float(np.mean([r[c] for r in rs])) for c in COLUMNS} for m, rs in rows.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="synthetic focus pairs with GT/ (not a test set)")
    parser.add_argument("--pairs", type=int, default=12, help="first N pairs (default 12)")
    parser.add_argument("--sigma", type=float, nargs="*", default=[0.0, 1.0, 2.0, 4.0])
    parser.add_argument("--network", action="store_true", help="also the shipped mtif-mff")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--estimate", type=Path, nargs="*", default=[], help="sets (their A/) or image folders"
    )
    args = parser.parse_args()
    for folder in args.estimate:
        images = folder / "A" if (folder / "A").is_dir() else folder
        files = sorted(images.iterdir())[:20]
        sigmas = [noise_sigma(as_reference_grey(read_image(f))) for f in files]
        print(f"noise of {images} ({len(files)} images): median {np.median(sigmas):.2f} levels")
    names = sorted(p.name for p in (args.data / "GT").iterdir())[: args.pairs]
    methods = ["laplacian", "gff-mff"] + (["mtif-mff"] if args.network else [])
    if not args.sigma:
        return
    print(f"{len(names)} pairs of {args.data}; AG/SF ratios are to the truth's")
    print(f"{'sigma':>5} {'method':<10}" + "".join(f"{c:>8}" for c in COLUMNS) + "  AG/t  SF/t")
    for sigma in args.sigma:
        means = score(args.data, names, methods, sigma, args.seed)
        truth = means["truth"]
        for m, row in means.items():
            cells = "".join(f"{row[c]:8.3f}" for c in COLUMNS)
            ratios = f"{row['AG'] / truth['AG']:6.3f}{row['SF'] / truth['SF']:6.3f}"
            print(f"{sigma:5g} {m:<10}{cells}{ratios}")


if __name__ == "__main__":
    main()
