"""Where a fused image's average gradient (AG) comes from: the inputs, or neither of them.

AG is the mean of a per-pixel gradient magnitude g (``mtif.metrics.fusion_metrics.gradient_map``).
With m the per-pixel larger of the inputs' g, it splits exactly into

    AG = mean(min(g_F, m))      the part some input holds at that pixel
       + mean(max(g_F - m, 0))  gradient that neither input has (overshoot, halos, seams)

and ``mean(max(m - g_F, 0))`` is what the fusion lost of the sharper input. Reads the output
folders of ``mtif evaluate`` (their summary names the data set; ``fused/`` holds one image
per sample). Analysis of finished runs only: nothing here chooses or tunes anything.
``--figure OUT --sample NAME`` also draws, for one sample, each run's fused image in grey with
its gradient in neither input in red (one scale for all runs), side by side.

    .venv/bin/python benchmarks/gradient_beyond_inputs.py runs/baselines/realmff-laplacian \\
        runs/baselines/realmff-gff-mff runs/eval/realmff-mtif
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from mtif.data.pairs import Sample, find_samples
from mtif.evaluation.figure import load_run
from mtif.io import read_image, write_image
from mtif.metrics.fusion_metrics import gradient_map
from mtif.metrics.reading import as_reference_grey


def _grad(path: Path) -> np.ndarray:
    return gradient_map(as_reference_grey(read_image(path)))


def _samples_and_fused(run: Path) -> tuple[list[Sample], dict[str, Path]]:
    """The run's data-set samples (the folder its summary names) and its fused images."""
    loaded = load_run(run)
    if loaded.data is None:
        raise SystemExit(f"{run}: its summary names no data folder")
    return find_samples(loaded.data).samples, loaded.fused


def _inputs_max(inputs: tuple[Path, ...]) -> np.ndarray:
    """The per-pixel larger of the inputs' gradient maps (m)."""
    return np.max([_grad(p) for p in inputs], axis=0)


def beyond_figure(runs: list[Path], sample: str, out: Path) -> None:
    """One panel per run: the fused grey image, its gradient in neither input in red."""
    panels, maps = [], []
    for run in runs:
        samples, fused = _samples_and_fused(run)
        inputs = next((s.inputs for s in samples if s.name == sample), None)
        if inputs is None or sample not in fused:
            raise SystemExit(f"{run}: no sample {sample!r}")
        grey = as_reference_grey(read_image(fused[sample]))
        maps.append(np.maximum(gradient_map(grey) - _inputs_max(inputs), 0.0))
        panels.append(grey / 255.0)
    scale = max(float(np.percentile(b, 99.9)) for b in maps) or 1.0
    tiles = []
    for run, grey, beyond in zip(runs, panels, maps, strict=True):
        red = np.clip(beyond / scale, 0.0, 1.0)
        tile = np.stack(
            [np.maximum(grey * 0.6, red), grey * 0.6 * (1 - red), grey * 0.6 * (1 - red)], -1
        )
        tile = np.ascontiguousarray(np.round(tile * 255).astype(np.uint8))
        cv2.putText(tile, run.name, (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255), 2)
        tiles.append(tile)
    write_image(out, np.hstack(tiles).astype(np.float32) / 255.0, overwrite=True)


def split_gradient(run: Path) -> dict[str, float]:
    """Means over the run's samples of AG, its held and beyond-inputs parts and the lost part."""
    samples, fused = _samples_and_fused(run)
    parts: dict[str, list[float]] = {"AG": [], "held": [], "beyond": [], "lost": []}
    for sample in tqdm(samples, desc=run.name, leave=False):
        if sample.name not in fused:
            continue
        g, m = _grad(fused[sample.name]), _inputs_max(sample.inputs)
        parts["AG"].append(float(g.mean()))
        parts["held"].append(float(np.minimum(g, m).mean()))
        parts["beyond"].append(float(np.maximum(g - m, 0.0).mean()))
        parts["lost"].append(float(np.maximum(m - g, 0.0).mean()))
    return {k: float(np.mean(v)) for k, v in parts.items()} | {"n": len(parts["AG"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path, nargs="+", help="output folders of mtif evaluate")
    parser.add_argument("--figure", type=Path, help="write a figure of one sample here")
    parser.add_argument("--sample", help="the sample the figure shows")
    args = parser.parse_args()
    if args.figure:
        if not args.sample:
            parser.error("--figure needs --sample")
        beyond_figure(args.runs, args.sample, args.figure)
        return
    print(f"{'run':<40}{'n':>4}{'AG':>8}{'held':>8}{'beyond':>8}{'lost':>8}")
    for run in args.runs:
        r = split_gradient(run)
        print(
            f"{str(run):<40}{r['n']:4d}{r['AG']:8.3f}{r['held']:8.3f}{r['beyond']:8.3f}"
            f"{r['lost']:8.3f}"
        )


if __name__ == "__main__":
    main()
