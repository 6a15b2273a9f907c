"""The built-in demo: synthesise an exposure pair and a focus pair, fuse them, score them.

The pairs are made from scikit-image's bundled photos (no download, nothing from outside the
project) and laid out as data sets (``A/``, ``B/``, ``GT/``), so that ``mtif evaluate`` can be
pointed at them afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import skimage.data

from mtif.data.synthetic import make_stack
from mtif.io import read_image, write_image
from mtif.methods import available_methods, get_method
from mtif.metrics import evaluate

# task -> (bundled photo, seed, methods shown); the trained network joins them when it ships.
DEMO_PAIRS = {
    "mef": ("coffee", 0, ("mean", "mertens", "gff-mef", "mtif-mef")),
    "mff": ("astronaut", 1, ("mean", "laplacian", "gff-mff", "mtif-mff")),
}


@dataclass(frozen=True)
class DemoRow:
    task: str
    method: str
    scores: dict[str, float]


def make_demo_pair(task: str, out_dir: Path) -> tuple[Path, Path, Path]:
    """Write the demo pair for ``task`` as ``out_dir/task/{A,B,GT}/demo.png``; return the paths."""
    photo_name, seed, _ = DEMO_PAIRS[task]
    photo = getattr(skimage.data, photo_name)().astype(np.float32) / 255.0
    stack = make_stack(photo, task, np.random.default_rng(seed))
    paths = []
    for folder, img in zip(("A", "B", "GT"), (*stack.inputs, stack.gt), strict=True):
        paths.append(write_image(out_dir / task / folder / "demo.png", img, overwrite=True))
    return paths[0], paths[1], paths[2]


def run_demo(out_dir: Path) -> list[DemoRow]:
    """Fuse both demo pairs with each shown method; fused images go to ``out_dir/task/fused``."""
    rows = []
    for task, (_, _, methods) in DEMO_PAIRS.items():
        a, b, gt = make_demo_pair(task, out_dir)
        images = [read_image(a), read_image(b)]
        shown = [m for m in methods if m in available_methods()]
        for name in shown:
            fused = get_method(name).fuse(images)
            path = write_image(out_dir / task / "fused" / f"{name}.png", fused, overwrite=True)
            rows.append(DemoRow(task, name, evaluate(path, a, b, gt=gt)))
    return rows
