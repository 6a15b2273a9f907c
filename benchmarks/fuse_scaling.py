"""How fusion time and peak memory grow with image size: 0.27, 2, 12 and 24 megapixels.

Usage: ``python benchmarks/fuse_scaling.py [--sizes 0.27 2 12 24] [--paths network mertens]``

Each (size, path) runs in a fresh subprocess, so its peak resident memory
(``getrusage(RUSAGE_SELF).ru_maxrss`` read by the child itself at exit) is that run's alone:
the colour exposure pair in memory, the fusion and everything it allocates, torch included.
The time covers ``mtif.fusion.fuse_images`` only (not making the inputs). Paths:

- ``network``: an untrained ``mtif-small`` without text (no weights ship yet; weights do not
  change the cost), tiled above 1 MP with the default tiles, luma through the network and
  chroma blended.
- ``mertens``: OpenCV's exposure fusion on the whole image (classical methods are not tiled).

The last column, seconds per megapixel, should stay roughly flat if cost is linear in pixels.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np

SIZES = (0.27, 2.0, 12.0, 24.0)
PATHS = ("network", "mertens")
ASPECT = 1.5  # width / height, a camera's 3:2


def _pair(megapixels: float) -> list[np.ndarray]:
    """A colour exposure pair of about ``megapixels``: a bundled photo scaled up, then darkened
    and brightened through a gamma curve with clipping (cheap to make at 24 MP)."""
    import cv2
    from skimage import data

    h = int(round(np.sqrt(megapixels * 1e6 / ASPECT)))
    w = int(round(h * ASPECT))
    photo = cv2.resize(data.astronaut(), (w, h), interpolation=cv2.INTER_CUBIC)
    photo = photo.astype(np.float32) / 255.0
    under = np.power(photo, 2.2) * 0.35
    over = np.minimum(photo * 1.8, 1.0)
    del photo
    return [under.astype(np.float32), over.astype(np.float32)]


def child(megapixels: float, path: str) -> None:
    """Fuse one pair and print a JSON line with the timing and this process's peak RSS."""
    import torch

    from mtif.fusion import fuse_images
    from mtif.model import create_model

    images = _pair(megapixels)
    options: dict = {"task": "mef"}
    if path == "network":
        torch.manual_seed(0)
        options.update(method="network", checkpoint=create_model("mtif-small", use_text=False))
    else:
        options.update(method=path)
    start = time.perf_counter()
    result = fuse_images(images, **options)
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    h, w = result.image.shape[:2]
    print(
        json.dumps(
            {
                "path": path,
                "megapixels": h * w / 1e6,
                "size": f"{w}x{h}",
                "seconds": seconds,
                "peak_gib": peak_kib / 2**20,
                "windows": result.windows,
            }
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=list(SIZES))
    parser.add_argument("--paths", nargs="+", default=list(PATHS), choices=PATHS)
    parser.add_argument("--child", nargs=2, metavar=("MP", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(float(args.child[0]), args.child[1])
        return 0
    print(f"{'path':8} {'size':>11} {'MP':>6} {'time s':>8} {'peak GiB':>9} {'s/MP':>6}")
    for path in args.paths:
        for mp in args.sizes:
            cmd = [sys.executable, __file__, "--child", str(mp), path]
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode:
                print(f"{path:8} {mp:>11} failed: {done.stderr.strip().splitlines()[-1:]}")
                continue
            r = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"{r['path']:8} {r['size']:>11} {r['megapixels']:6.2f} {r['seconds']:8.2f} "
                f"{r['peak_gib']:9.2f} {r['seconds'] / r['megapixels']:6.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
