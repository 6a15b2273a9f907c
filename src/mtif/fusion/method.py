"""The MTIF network behind the ``FusionMethod`` interface, for ``mtif evaluate`` and the demo."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mtif.fusion.api import fuse_images


@dataclass(frozen=True)
class NetworkMethod:
    """Fuses with a network checkpoint (``None``: the one shipped for ``task``), colour and
    size handled as ``mtif fuse`` does: luma by the network, colour from the inputs (see
    ``mtif.fusion.colour``), tiles when large."""

    name: str
    task: str
    checkpoint: Path | None = None

    def fuse(self, images: Sequence[np.ndarray]) -> np.ndarray:
        return fuse_images(
            list(images), task=self.task, method="network", checkpoint=self.checkpoint
        ).image
