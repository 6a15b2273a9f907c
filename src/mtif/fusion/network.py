"""Fusing luma with the network: any size (padding, tiling), N inputs (a balanced tree), text.

N inputs: the network is pairwise by design, so a series is fused as a balanced binary tree over
the inputs in their given order (dark -> bright, near -> far): neighbours first, then the
results of neighbouring pairs, and so on. Compared with folding the series one image at a time
(``((a + b) + c) + d``), every input goes through the network about ``log2 N`` times instead of
up to ``N - 1`` times, so no input is washed out by repeated re-fusion and the result does not
favour the last input; and each fusion sees two inputs that are close in exposure or focus,
the kind of pair the network is trained on. Odd counts carry the last item up a level.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np
import torch

from mtif.fusion.colour import luma, recolour
from mtif.fusion.tiling import tiled_apply
from mtif.model import MTIFNet, TextBatch, load_model
from mtif.model.network import SIZE_MULTIPLE

#: Describes a pair and encodes the description for the network: ``(a, b) -> TextBatch``, with
#: ``a``, ``b`` float32 ``[0, 1]`` grey or RGB previews (long side at most ``PREVIEW_SIDE``).
#: A source with a method ``describe_node(a, b, left, right)`` is called through it instead,
#: ``left``/``right`` being the indices of the series inputs each side covers (a leaf pair:
#: one each), so it can describe a pair of input files from the files themselves.
TextSource = Callable[[np.ndarray, np.ndarray], TextBatch]
PREVIEW_SIDE = 1024
T = TypeVar("T")

# 1024-pixel windows keep the network's memory under 1 GB and the overlap's extra work at
# 15-30%; 96 pixels of overlap (24 dropped, 48 cross-faded) make tiled and whole results agree
# to 1e-5 for convolutions and 1e-3 with mtif-small's MDTA (tests/test_fuse_tiling.py).
DEFAULT_TILE = 1024
DEFAULT_OVERLAP = 96


def tree_reduce(items: Sequence[T], pair: Callable[[T, T], T]) -> T:
    """Reduce ``items`` with ``pair`` as a balanced binary tree, keeping their order."""
    level = list(items)
    while len(level) > 1:
        nxt = [pair(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


class NetworkFuser:
    """Fuses luma planes ``(H, W)`` float32 ``[0, 1]`` with an ``MTIFNet``.

    ``text``: for a model built with text, either one ``TextBatch`` (batch 1) used for every
    pair, or a ``TextSource`` called per pair (per tree node: an intermediate result has its
    own description). Ignored by models without text, and required by models with it.
    ``tile``: window side for tiled inference (0: never tile); images with more pixels than
    one window are tiled, smaller ones fused whole.
    """

    def __init__(
        self,
        model: MTIFNet,
        *,
        text: TextBatch | TextSource | None = None,
        tile: int = DEFAULT_TILE,
        overlap: int = DEFAULT_OVERLAP,
        device: str | torch.device = "cpu",
    ) -> None:
        if model.config.use_text and text is None:
            raise ValueError(
                "this checkpoint was trained with text guidance and needs the pair's "
                "descriptions; pass text= (a TextBatch or a function (a, b) -> TextBatch)"
            )
        self.model = model.to(device).eval()
        self.text = text if model.config.use_text else None
        self.tile = tile
        self.overlap = overlap
        self.device = torch.device(device)
        self.windows = 0  # network passes made, for reporting

    @classmethod
    def from_checkpoint(cls, path: str | Path, **kwargs) -> NetworkFuser:
        return cls(load_model(path), **kwargs)

    def tiled(self, pixels: int) -> bool:
        """Whether an image of ``pixels`` pixels is fused by tiles."""
        return self.tile > 0 and pixels > self.tile * self.tile

    @torch.inference_mode()
    def _run(self, a: np.ndarray, b: np.ndarray, text: TextBatch | None) -> np.ndarray:
        ta = torch.from_numpy(np.ascontiguousarray(a))[None, None].to(self.device)
        tb = torch.from_numpy(np.ascontiguousarray(b))[None, None].to(self.device)
        out = self.model(ta, tb, text.to(self.device) if text is not None else None)
        self.windows += 1
        return out[0, 0].float().cpu().numpy()

    def fuse_pair(self, a: np.ndarray, b: np.ndarray, text: TextBatch | None = None) -> np.ndarray:
        """Fuse two luma planes ``(H, W)`` (H, W >= 4) into one, tiling large images.

        ``text`` is the pair's encoded description (models with text only); the same text
        guides every window: it describes the whole pair.
        """
        if self.text is not None and text is None:
            if not isinstance(self.text, TextBatch):
                raise ValueError("fuse_pair needs the pair's text; use fuse() to describe it")
            text = self.text
        if not self.tiled(a.size):
            return self._run(a, b, text)
        return tiled_apply(
            lambda planes: self._run(planes[0], planes[1], text),
            [a, b],
            tile=self.tile,
            overlap=self.overlap,
            multiple=SIZE_MULTIPLE,
        )

    def fuse(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """Fused luma ``(H, W)`` of two or more aligned images (grey or RGB float32
        ``[0, 1]``), as a balanced tree for more than two (see the module docstring)."""
        describe = callable(self.text) and not isinstance(self.text, TextBatch)
        # A node is (luma, preview, inputs covered): the preview (small colour copy) is what
        # gets described.
        leaves = [
            (luma(im), _preview(im) if describe else None, (i,)) for i, im in enumerate(images)
        ]

        def node(x: tuple, y: tuple) -> tuple:
            text = self._node_text(x, y) if describe else None
            fused = self.fuse_pair(x[0], y[0], text)
            if not describe:
                return fused, None, x[2] + y[2]
            small = cv2.resize(fused, x[1].shape[1::-1], interpolation=cv2.INTER_AREA)
            return fused, recolour(small, [x[1], y[1]]), x[2] + y[2]

        return tree_reduce(leaves, node)[0]

    def _node_text(self, x: tuple, y: tuple) -> TextBatch:
        by_node = getattr(self.text, "describe_node", None)
        if by_node is not None:
            return by_node(x[1], y[1], x[2], y[2])
        return self.text(x[1], y[1])  # type: ignore[operator,misc]


def _preview(img: np.ndarray) -> np.ndarray:
    """``img`` reduced to at most ``PREVIEW_SIDE`` pixels on its long side (area averaging)."""
    scale = PREVIEW_SIDE / max(img.shape[:2])
    if scale >= 1.0:
        return img
    size = (max(8, round(img.shape[1] * scale)), max(8, round(img.shape[0] * scale)))
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA)
