"""Tiled inference with overlap and feathered blending, for images of any size.

The image is covered by windows of at most ``tile x tile`` pixels that overlap their
neighbours by at least ``overlap`` pixels. Each window is fused on its own and written into
the output with a weight that, across each interior edge, is 0 on the outer ``overlap // 4``
pixels (the part of the window whose result depends on the zero padding at the window's
border: it is context, not output), then ramps linearly to 1 over the next ``overlap // 2``
pixels. Windows touching the image border keep weight 1 there. Where two ramps meet they sum
to 1, so a convolutional network whose receptive field fits the dropped margin gives exactly
the untiled result, and networks with global statistics (MDTA's channel attention, TGVM's
pooled grid) blend without visible seams.

Window corners sit on multiples of ``multiple`` (the network's down-sampling factor) inside a
reflect-padded copy of the image, so every window sees the same pixel grid as the whole image.
Only one window's inputs and output exist at a time besides the full-size output and weight
accumulators: memory is ``O(pixels)`` with a small constant and ``O(tile^2)`` for the network.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def tile_starts(length: int, tile: int, overlap: int, multiple: int) -> tuple[int, list[int]]:
    """Window side and origins along one axis of ``length`` (a multiple of ``multiple``).

    The fewest windows of at most ``tile`` pixels whose neighbours overlap by at least
    ``overlap``; the windows are then shrunk to the smallest multiple of ``multiple`` that
    still covers ``length`` with that overlap and spread evenly from 0 to the end. No window
    is spent on a sliver at the end: the extra work over an untiled pass is what the overlap
    costs, and no more.
    """
    if length <= tile:
        return length, [0]
    count = -(-(length - overlap) // (tile - overlap))  # ceil
    need = -(-(length + (count - 1) * overlap) // count)
    side = min(tile, -(-need // multiple) * multiple)
    last = length - side
    starts = {round(last * i / (count - 1) / multiple) * multiple for i in range(count)}
    return side, sorted(starts)


def _ramp(length: int, start_interior: bool, end_interior: bool, overlap: int) -> np.ndarray:
    """1-D weight of a window of ``length``: 0 on the dropped margin, linear ramp, then 1."""
    margin, ramp = overlap // 4, max(1, overlap - 2 * (overlap // 4))
    x = np.arange(length, dtype=np.float32)
    w = np.ones(length, np.float32)
    # Ramp samples at pixel centres, so the two ramps of neighbouring windows sum to exactly 1.
    if start_interior:
        w = np.minimum(w, np.clip((x - margin + 0.5) / ramp, 0.0, 1.0))
    if end_interior:
        w = np.minimum(w, np.clip((length - 1 - x - margin + 0.5) / ramp, 0.0, 1.0))
    return w


def check_tiling(tile: int, overlap: int, multiple: int) -> None:
    """Raise ValueError unless ``tile`` and ``overlap`` make a usable tiling."""
    if tile % multiple or tile < 4 * multiple:
        raise ValueError(
            f"tile size must be a multiple of {multiple} and at least {4 * multiple}, got {tile}"
        )
    if overlap < 4 or overlap % multiple or overlap > tile // 2:
        raise ValueError(
            f"tile overlap must be a multiple of {multiple} between 4 and half the tile size "
            f"({tile // 2}), got {overlap}"
        )


def tiled_apply(
    fn: Callable[[list[np.ndarray]], np.ndarray],
    planes: Sequence[np.ndarray],
    *,
    tile: int,
    overlap: int,
    multiple: int = 4,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Apply ``fn`` (equal-size ``(h, w)`` planes -> one ``(h, w)`` plane) window by window.

    ``planes`` are ``(H, W)`` float32 images of one size. Returns ``(H, W)`` float32. When the
    image fits in one window, ``fn`` sees the whole (unpadded) image. ``progress(done, total)``
    is called after each window.
    """
    check_tiling(tile, overlap, multiple)
    h, w = planes[0].shape
    if h <= tile and w <= tile:
        return fn(list(planes))
    ph, pw = -h % multiple, -w % multiple
    # Reflect-padding the inputs (bottom/right) mirrors what the network does to a whole image.
    padded = [np.pad(p, ((0, ph), (0, pw)), mode="reflect") if ph or pw else p for p in planes]
    hp, wp = h + ph, w + pw
    th, ys = tile_starts(hp, tile, overlap, multiple)
    tw, xs = tile_starts(wp, tile, overlap, multiple)
    out = np.zeros((hp, wp), np.float32)
    weight = np.zeros((hp, wp), np.float32)
    total, done = len(ys) * len(xs), 0
    for y0 in ys:
        wy = _ramp(th, y0 > 0, y0 + th < hp, overlap)
        for x0 in xs:
            wx = _ramp(tw, x0 > 0, x0 + tw < wp, overlap)
            window = [p[y0 : y0 + th, x0 : x0 + tw] for p in padded]
            result = fn(window)
            wgt = wy[:, None] * wx[None, :]
            out[y0 : y0 + th, x0 : x0 + tw] += wgt * result
            weight[y0 : y0 + th, x0 : x0 + tw] += wgt
            done += 1
            if progress is not None:
                progress(done, total)
    out /= weight  # > 0 everywhere: neighbouring windows overlap by more than both margins
    return out[:h, :w]
