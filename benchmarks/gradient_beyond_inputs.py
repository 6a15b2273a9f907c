"""Where a fused image's average gradient (AG) comes from: the inputs, or neither of them.

AG is the mean of a per-pixel gradient magnitude g (``mtif.metrics.fusion_metrics.gradient_map``).
With m the per-pixel larger of the inputs' g, it splits exactly into

    AG = mean(min(g_F, m))      the part some input holds at that pixel
       + mean(max(g_F - m, 0))  gradient that neither input has (overshoot, halos, seams)

and ``mean(max(m - g_F, 0))`` is what the fusion lost of the sharper input. Reads the output
folders of ``mtif evaluate`` (their ``run.json`` names the data set; ``fused/`` holds one image
per sample). Analysis of finished runs only: nothing here chooses or tunes anything.

    .venv/bin/python benchmarks/gradient_beyond_inputs.py runs/baselines/realmff-laplacian \\
        runs/baselines/realmff-gff-mff runs/eval/realmff-mtif
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from mtif.data.pairs import find_samples
from mtif.io import read_image
from mtif.metrics.fusion_metrics import gradient_map
from mtif.metrics.reading import as_reference_grey


def _grad(path: Path) -> np.ndarray:
    return gradient_map(as_reference_grey(read_image(path)))


def split_gradient(run: Path) -> dict[str, float]:
    """Means over the run's samples of AG, its held and beyond-inputs parts and the lost part."""
    data = Path(json.loads((run / "run.json").read_text())["data"])
    fused = {p.stem: p for p in (run / "fused").iterdir()}
    parts: dict[str, list[float]] = {"AG": [], "held": [], "beyond": [], "lost": []}
    for sample in tqdm(find_samples(data).samples, desc=run.name, leave=False):
        if sample.name not in fused:
            continue
        g = _grad(fused[sample.name])
        m = np.max([_grad(p) for p in sample.inputs], axis=0)
        parts["AG"].append(float(g.mean()))
        parts["held"].append(float(np.minimum(g, m).mean()))
        parts["beyond"].append(float(np.maximum(g - m, 0.0).mean()))
        parts["lost"].append(float(np.maximum(m - g, 0.0).mean()))
    return {k: float(np.mean(v)) for k, v in parts.items()} | {"n": len(parts["AG"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path, nargs="+", help="output folders of mtif evaluate")
    args = parser.parse_args()
    print(f"{'run':<40}{'n':>4}{'AG':>8}{'held':>8}{'beyond':>8}{'lost':>8}")
    for run in args.runs:
        r = split_gradient(run)
        print(
            f"{str(run):<40}{r['n']:4d}{r['AG']:8.3f}{r['held']:8.3f}{r['beyond']:8.3f}"
            f"{r['lost']:8.3f}"
        )


if __name__ == "__main__":
    main()
