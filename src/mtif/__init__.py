"""mtif: multi-grained text-guided image fusion, with reference-exact fusion metrics."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np

__version__ = "0.1.0"


def fuse(images: Sequence[Any], task: str = "auto", **options: Any) -> np.ndarray:
    """Fuse two or more images (paths or arrays) into one float32 ``[0, 1]`` array.

    See ``mtif.fusion.fuse_images`` for the options; imported here lazily so that
    ``import mtif`` stays light (no torch, no OpenCV).
    """
    from mtif.fusion import fuse as _fuse

    return _fuse(images, task, **options)
