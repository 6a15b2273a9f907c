"""Training batches: enriched views of the training pairs, drawn deterministically by step.

A batch depends only on ``(seed, step, rank)``, never on what ran before it, so a resumed run
draws exactly the batches the uninterrupted run would have drawn, with no sampler state to save.
Views are not flipped or rotated: the pair's descriptions speak of left, right, top and bottom,
and a flipped crop would contradict its own text.

``input_blur`` blurs each input of a view by chance. RoadScene's infrared frames carry more fine
detail than their visible frames almost everywhere (sensor grain, foliage), so an infrared
network trained on them learnt to take fine detail from the infrared input whatever it showed
and blurred the visible detail of a smooth thermal image. With either input sometimes smooth,
only looking at both inputs pays. Focus pairs must not use it: blur is their signal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np
import torch

from mtif.data.enrichment import CropBox, random_views, salient_views
from mtif.data.saliency import pair_saliency
from mtif.engine.text_plan import TextPlan, draw_text
from mtif.model.text_batch import TextBatch
from mtif.text import LevelTokens, TextFeatures, to_text_batch


@dataclass(frozen=True)
class TrainPair:
    """One training pair: luma images ``(H, W)`` float32 in ``[0, 1]``, its views and its text."""

    name: str
    a: np.ndarray
    b: np.ndarray
    boxes: tuple[CropBox, ...]  # saliency views; empty unless enrichment is "saliency"
    text: TextFeatures | None
    gt: np.ndarray | None = None  # luma ground truth, for the "ground-truth" loss references
    # Per intent of a TextPlan: the pair's semantic text followed by one of its wordings.
    scene_intents: tuple[LevelTokens, ...] = ()


class Batch(NamedTuple):
    """Luma views ``(B, 1, patch, patch)`` of both inputs, their text, and the ground truth's
    matching views when the pairs carry one."""

    a: torch.Tensor
    b: torch.Tensor
    text: TextBatch | None
    gt: torch.Tensor | None


def prepare_pair(
    name: str,
    a: np.ndarray,
    b: np.ndarray,
    patch: int,
    enrichment: str,
    n_views: int,
    text: TextFeatures | None,
    boxes: tuple[CropBox, ...] | None = None,
    gt: np.ndarray | None = None,
    scene_intents: tuple[LevelTokens, ...] = (),
) -> TrainPair:
    """Pad a pair (and its ground truth) up to the patch size if needed and find its saliency
    views once (unless ``boxes`` brings them from a cache)."""
    h, w = a.shape
    if h < patch or w < patch:
        pad = ((0, max(0, patch - h)), (0, max(0, patch - w)))
        a, b = np.pad(a, pad, mode="reflect"), np.pad(b, pad, mode="reflect")
        gt = np.pad(gt, pad, mode="reflect") if gt is not None else None
    if enrichment != "saliency":
        boxes = ()
    elif boxes is None:
        boxes = tuple(salient_views(pair_saliency(a, b), patch, n_views))
    return TrainPair(name, a, b, boxes, text, gt, scene_intents)


def _view(pair: TrainPair, patch: int, enrichment: str, rng: np.random.Generator):
    """The same view of the pair's images: a, b and, when there is one, the ground truth."""
    images = (pair.a, pair.b) if pair.gt is None else (pair.a, pair.b, pair.gt)
    if enrichment == "saliency":
        box = pair.boxes[int(rng.integers(len(pair.boxes)))]
        return tuple(box.crop(x) for x in images)
    if enrichment == "random":
        box = random_views(pair.a.shape, patch, 1, rng)[0]
        return tuple(box.crop(x) for x in images)
    # "none" (the paper's w/o VE): the whole pair, resized to the patch.
    size = (patch, patch)
    return tuple(cv2.resize(x, size, interpolation=cv2.INTER_AREA) for x in images)


#: Range of the Gaussian sigma (pixels) of ``input_blur``.
INPUT_BLUR_SIGMA = (1.0, 3.0)


def _blur_inputs(view: tuple[np.ndarray, ...], chance: float, rng: np.random.Generator):
    """Each input of the view (not its ground truth) blurred with probability ``chance``."""
    if chance <= 0:
        return view
    inputs = []
    for x in view[:2]:
        if rng.random() < chance:
            x = cv2.GaussianBlur(x, (0, 0), float(rng.uniform(*INPUT_BLUR_SIGMA)))
        inputs.append(x)
    return (*inputs, *view[2:])


def draw_batch(
    pairs: list[TrainPair],
    *,
    step: int,
    seed: int,
    batch_size: int,
    patch: int,
    enrichment: str,
    rank: int = 0,
    input_blur: float = 0.0,
    plan: TextPlan | None = None,
) -> Batch:
    """The batch of ``step``: views of randomly chosen pairs (see ``Batch``), each input blurred
    with probability ``input_blur``; with a ``plan``, each view's text and target drawn by it
    (``mtif.engine.text_plan``)."""
    rng = np.random.default_rng([seed, step, rank])
    chosen = [pairs[int(i)] for i in rng.integers(len(pairs), size=batch_size)]
    views = [_view(pair, patch, enrichment, rng) for pair in chosen]
    views = [_blur_inputs(v, input_blur, rng) for v in views]
    texts = [p.text for p in chosen]
    if plan is not None:
        drawn = [
            draw_text(plan, p.text, p.scene_intents, v, rng)
            for p, v in zip(chosen, views, strict=True)
        ]
        views = [(v[0], v[1], target) for v, (_, target) in zip(views, drawn, strict=True)]
        texts = [t for t, _ in drawn]

    def stack(k: int) -> torch.Tensor:
        return torch.from_numpy(np.stack([v[k] for v in views]))[:, None].float()

    gt = stack(2) if all(len(v) == 3 for v in views) else None
    text = to_text_batch(texts) if chosen[0].text is not None else None
    return Batch(stack(0), stack(1), text, gt)
