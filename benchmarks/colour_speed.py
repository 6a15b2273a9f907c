"""Cost of putting colour back on a fused luma: chroma blending against colour from the inputs
followed (the focus path), in one process, at camera sizes.

A colour focus pair (scikit-image's astronaut resized, one half blurred in each input) and a
fused luma that keeps the sharp half of each; prints the best of ``--repeat`` times, the ratio
and the peak memory each path adds (tracemalloc), and checks that both keep the fused luma.

    .venv/bin/python benchmarks/colour_speed.py [--megapixels 12] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from collections.abc import Callable

import cv2
import numpy as np
import skimage.data

from mtif.fusion.colour import recolour, recolour_from_sources
from mtif.io import to_grey


def focus_pair(megapixels: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two inputs, each sharp on one half, and the luma that keeps both sharp halves."""
    side = int(np.sqrt(megapixels * 1e6 / 1.5))
    photo = cv2.resize(skimage.data.astronaut(), (int(side * 1.5), side))
    photo = photo.astype(np.float32) / 255.0
    blurred = cv2.GaussianBlur(photo, (0, 0), 3)
    half = photo.shape[1] // 2
    a, b = photo.copy(), photo.copy()
    a[:, half:], b[:, :half] = blurred[:, half:], blurred[:, :half]
    return a, b, to_grey(photo)


def measure(fn: Callable[[], np.ndarray], repeat: int) -> tuple[float, float, np.ndarray]:
    """Best time (s), peak extra memory (MB) and the result of ``fn``."""
    tracemalloc.start()
    out = fn()
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    best = np.inf
    for _ in range(repeat):
        tic = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - tic)
    return best, peak, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megapixels", type=float, default=12.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    a, b, y = focus_pair(args.megapixels)
    print(f"{y.shape[1]}x{y.shape[0]} ({y.size / 1e6:.1f} MP), best of {args.repeat}")
    base_t, base_m, base = measure(lambda: recolour(y, [a, b]), args.repeat)
    ours_t, ours_m, ours = measure(lambda: recolour_from_sources(y, [a, b]), args.repeat)
    for name, t, m, out in (
        ("chroma blend", base_t, base_m, base),
        ("from inputs", ours_t, ours_m, ours),
    ):
        err = float(np.abs(to_grey(out) - y).max())
        print(f"{name:13s} {t:7.2f} s  peak {m:7.0f} MB  max luma error {err:.1e}")
    ratios = f"time {ours_t / base_t:.2f}x, memory {ours_m / base_m:.2f}x"
    print(f"ratio (from inputs / chroma blend): {ratios}")


if __name__ == "__main__":
    main()
