"""enfuse (Enblend/Enfuse project, Debian package ``enblend-enfuse``) as an external baseline.

It is what photographers use for exposure fusion and focus stacking, so it belongs in the
comparison tables when installed. The images go through 16-bit TIFF files in a temporary folder.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mtif.io.images import read_image, write_image
from mtif.methods.base import check_inputs

# enfuse's documented focus-stacking recipe: contrast only, and each pixel from one source.
FOCUS_STACK_ARGS = (
    "--exposure-weight=0",
    "--saturation-weight=0",
    "--contrast-weight=1",
    "--hard-mask",
    "--contrast-window-size=9",
)
INSTALL_HINT = "install it with `apt-get install enblend-enfuse`"


def enfuse_available() -> bool:
    """Whether an ``enfuse`` program is on ``PATH``."""
    return shutil.which("enfuse") is not None


class EnfuseFusion:
    """Runs ``enfuse``: default (exposure) weights for ``task="mef"``, focus-stack mode for
    ``task="mff"``. Inputs float32 ``[0, 1]``, all ``(H, W)`` or all ``(H, W, 3)`` RGB; output
    float32 ``[0, 1]`` with the same layout (16-bit precision).

    Raises ``ValueError`` on construction when ``enfuse`` is not installed.
    """

    def __init__(self, task: str = "mef", timeout_s: float = 600.0) -> None:
        if task not in ("mef", "mff"):
            raise ValueError(f"expected task 'mef' or 'mff' for enfuse, got {task!r}")
        program = shutil.which("enfuse")
        if program is None:
            raise ValueError(
                f"enfuse-{task} needs the enfuse program, not found on PATH; " + INSTALL_HINT
            )
        self.program = program
        self.task = task
        self.name = f"enfuse-{task}"
        self.timeout_s = timeout_s

    def fuse(self, images: Sequence[np.ndarray]) -> np.ndarray:
        imgs = check_inputs(images)
        with tempfile.TemporaryDirectory(prefix="mtif-enfuse-") as tmp:
            folder = Path(tmp)
            inputs = [
                write_image(folder / f"in{i:03d}.tif", im, bit_depth=16)
                for i, im in enumerate(imgs)
            ]
            output = folder / "fused.tif"
            mode = FOCUS_STACK_ARGS if self.task == "mff" else ()
            cmd = [self.program, "--depth=16", *mode, f"--output={output}", *map(str, inputs)]
            try:
                subprocess.run(
                    cmd, capture_output=True, text=True, check=True, timeout=self.timeout_s
                )
            except subprocess.CalledProcessError as exc:
                tail = (exc.stderr or "").strip()[-2000:]
                raise RuntimeError(
                    f"enfuse failed with exit code {exc.returncode}: {tail}"
                ) from exc
            with warnings.catch_warnings():
                # enfuse writes an alpha channel (its blend mask); read_image drops it, as wanted.
                warnings.simplefilter("ignore")
                fused = read_image(output, grey=imgs[0].ndim == 2)
        return np.clip(fused, 0.0, 1.0).astype(np.float32)
