"""Validation on synthetic pairs with a ground truth: PSNR/SSIM against it and the six metrics."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from mtif.fusion.network import NetworkFuser
from mtif.metrics import evaluate
from mtif.text import TextFeatures, to_text_batch


@dataclass(frozen=True)
class ValPair:
    """A whole validation pair: luma ``(H, W)`` float32 in ``[0, 1]`` and its ground truth."""

    name: str
    a: np.ndarray
    b: np.ndarray
    gt: np.ndarray
    text: TextFeatures | None


def validate(model: torch.nn.Module, pairs: list[ValPair], *, device) -> dict[str, float]:
    """Mean scores over ``pairs`` (rounded to 6 digits); the model's train/eval mode is kept."""
    was_training = model.training
    model.eval()
    scores = []
    for pair in pairs:
        text = to_text_batch([pair.text]) if pair.text is not None else None
        # Whole images, untiled: validation scores the network itself, not the tiling.
        fuser = NetworkFuser(model, text=text, tile=0, device=device)
        fused = fuser.fuse_pair(pair.a, pair.b)
        scores.append(evaluate(fused, pair.a, pair.b, gt=pair.gt))
    model.train(was_training)
    return {k: round(float(np.mean([s[k] for s in scores])), 6) for k in scores[0]}
