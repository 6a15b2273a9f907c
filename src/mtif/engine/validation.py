"""Validation on synthetic pairs with a ground truth: PSNR/SSIM against it and the six metrics."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from mtif.metrics import evaluate
from mtif.model import TextBatch
from mtif.text import TextFeatures, to_text_batch


@dataclass(frozen=True)
class ValPair:
    """A whole validation pair: luma ``(H, W)`` float32 in ``[0, 1]`` and its ground truth."""

    name: str
    a: np.ndarray
    b: np.ndarray
    gt: np.ndarray
    text: TextFeatures | None


@torch.inference_mode()
def fuse_luma(
    model: torch.nn.Module, a: np.ndarray, b: np.ndarray, text: TextBatch | None, device
) -> np.ndarray:
    """Fuse one luma pair ``(H, W)`` with ``model``; returns ``(H, W)`` float32 in ``[0, 1]``."""
    ta = torch.from_numpy(a)[None, None].to(device)
    tb = torch.from_numpy(b)[None, None].to(device)
    out = model(ta, tb, text.to(device) if text is not None else None)
    return out[0, 0].float().cpu().numpy()


def validate(model: torch.nn.Module, pairs: list[ValPair], *, device) -> dict[str, float]:
    """Mean scores over ``pairs`` (rounded to 6 digits); the model's train/eval mode is kept."""
    was_training = model.training
    model.eval()
    scores = []
    for pair in pairs:
        text = to_text_batch([pair.text]) if pair.text is not None else None
        fused = fuse_luma(model, pair.a, pair.b, text, device)
        scores.append(evaluate(fused, pair.a, pair.b, gt=pair.gt))
    model.train(was_training)
    return {k: round(float(np.mean([s[k] for s in scores])), 6) for k in scores[0]}
