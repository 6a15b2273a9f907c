"""The built-in demo: synthesise an exposure pair, a focus pair and an infrared + visible pair,
fuse them, score them.

The pairs are made from scikit-image's bundled photos (no download, nothing from outside the
project) and laid out as data sets (``A/``, ``B/`` and, for exposure and focus, ``GT/``), so that
``mtif evaluate`` can be pointed at them afterwards. The infrared pair has no ground truth: a warm
object stands in a corner too dark to see in visible light (``night_scene``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import skimage.data

from mtif.data.synthetic import make_stack, night_scene
from mtif.fusion import fuse_images
from mtif.fusion.colour import luma
from mtif.io import read_image, write_image
from mtif.methods import available_methods
from mtif.metrics import evaluate

# task -> (bundled photo, seed, methods shown); the trained network joins them when it ships.
DEMO_PAIRS = {
    "mef": ("coffee", 0, ("mean", "mertens", "gff-mef", "mtif-mef")),
    "mff": ("astronaut", 1, ("mean", "laplacian", "gff-mff", "mtif-mff")),
    "ivf": ("astronaut", 0, ("max", "laplacian", "gff-mff", "mtif-ivf")),
}


# task -> two wordings of opposite wishes (held out of training, mtif.data.intents) and what
# shows their effect, for each shipped network that has learnt to follow words (docs/RESULTS.md,
# "Text that steers"; the exposure network has not yet: no candidate passed the shipping rule).
STEERING = {
    "ivf": (
        ("make the warm targets stand out", "the visible texture matters"),
        "correlation with the infrared image",
    ),
}


@dataclass(frozen=True)
class SteerRow:
    task: str
    words: str
    measure: str
    value: float
    path: Path


@dataclass(frozen=True)
class DemoRow:
    task: str
    method: str
    scores: dict[str, float]


def make_demo_pair(task: str, out_dir: Path) -> tuple[Path, Path, Path | None]:
    """Write the demo pair for ``task`` as ``out_dir/task/{A,B,GT}/demo.png``; return the paths
    (no ground truth for the infrared pair)."""
    photo_name, seed, _ = DEMO_PAIRS[task]
    photo = getattr(skimage.data, photo_name)().astype(np.float32) / 255.0
    if task == "ivf":
        scene = night_scene(photo)
        images: tuple[np.ndarray, ...] = (scene.infrared, scene.visible)
    else:
        stack = make_stack(photo, task, np.random.default_rng(seed))
        images = (*stack.inputs, stack.gt)
    paths = [
        write_image(out_dir / task / folder / "demo.png", img, overwrite=True)
        for folder, img in zip(("A", "B", "GT"), images, strict=False)
    ]
    return paths[0], paths[1], paths[2] if len(paths) > 2 else None


def _steer_measure(task: str, fused: np.ndarray, infrared: np.ndarray) -> float:
    y = luma(fused)
    if task == "mef":
        return float(y.mean())
    return float(np.corrcoef(y.ravel(), luma(infrared).ravel())[0, 1])


def run_steering(out_dir: Path) -> list[SteerRow]:
    """Fuse the exposure and infrared demo pairs (written by ``run_demo``) once per wording of
    ``STEERING``, with the shipped network and the user's semantic text; fused images go to
    ``out_dir/task/fused/words-<k>.png``."""
    rows = []
    for task, (wordings, measure) in STEERING.items():
        a, b = (out_dir / task / folder / "demo.png" for folder in ("A", "B"))
        images = [read_image(a), read_image(b)]
        for k, words in enumerate(wordings):
            fused = fuse_images(images, task=task, descriptions={"semantic": words}).image
            path = write_image(out_dir / task / "fused" / f"words-{k}.png", fused, overwrite=True)
            rows.append(
                SteerRow(task, words, measure, _steer_measure(task, fused, images[0]), path)
            )
    return rows


def run_demo(out_dir: Path) -> list[DemoRow]:
    """Fuse every demo pair with each shown method; fused images go to ``out_dir/task/fused``."""
    rows = []
    for task, (_, _, methods) in DEMO_PAIRS.items():
        a, b, gt = make_demo_pair(task, out_dir)
        images = [read_image(a), read_image(b)]
        shown = [m for m in methods if m in available_methods()]
        for name in shown:
            # As `mtif fuse` does it: an infrared + visible pair is fused on luma, colour kept.
            fused = fuse_images(images, task=task, method=name).image
            path = write_image(out_dir / task / "fused" / f"{name}.png", fused, overwrite=True)
            rows.append(DemoRow(task, name, evaluate(path, a, b, gt=gt)))
    return rows
