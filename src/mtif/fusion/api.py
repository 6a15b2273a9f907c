"""``mtif.fuse``: paths or arrays in, one fused image out, with the network or a classical method.

Method choice: an explicit ``method`` (a classical name from ``mtif.methods`` or "network")
wins; a ``checkpoint`` means the network; otherwise the checkpoint shipped for the task
(``mtif/weights/mtif-<task>.safetensors``) if there is one, else the best classical method
for the task (``CLASSICAL_DEFAULTS``). The result says which was used.

Colour: the network, and every method on infrared + visible pairs, fuses luma; colour comes
from the colour inputs (``fusion.colour``: a focus network's pixels from the input it kept,
otherwise blended chroma), the fused luma kept exactly. Classical methods for exposure and
focus series are colour methods and get the RGB images.

Size: the network fuses images larger than one tile (``tile_size`` squared pixels) by
overlapping tiles (constant memory per tile). Classical methods are global (their pyramids
reach the whole image and their results change if cut into tiles), so they always run on the
whole image, within ``max_megapixels``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mtif.fusion.align import RigidTransform, align_images
from mtif.fusion.colour import luma, recolour, recolour_from_sources
from mtif.fusion.detect import detect_task
from mtif.fusion.inputs import (
    DEFAULT_MAX_MEGAPIXELS,
    ImageLike,
    check_memory,
    check_sizes,
    load,
    warn_if_identical,
)
from mtif.fusion.network import DEFAULT_OVERLAP, DEFAULT_TILE, NetworkFuser, TextSource
from mtif.model import MTIFNet, TextBatch, load_model
from mtif.weights import shipped_checkpoint

_log = logging.getLogger(__name__)
FUSION_TASKS = ("mef", "mff", "ivf", "auto")
#: Best classical method per task on the benchmark sets (docs/RESULTS.md).
CLASSICAL_DEFAULTS = {"mef": "mertens", "mff": "laplacian", "ivf": "laplacian"}


@dataclass(frozen=True)
class FuseResult:
    """A fused image and how it was made.

    ``image``: float32 ``[0, 1]``, ``(H, W, 3)`` if any input had colour, else ``(H, W)``.
    ``method``: "network (<checkpoint>)" or the classical method's name. ``task``: the task
    used ("mef", "mff", "ivf"); ``detected`` is True when it came from ``task="auto"``.
    ``transforms``: per input, the alignment found (empty without ``align``).
    ``windows``: network passes made (more than the number of pairs when tiled).
    """

    image: np.ndarray
    method: str
    task: str
    detected: bool
    transforms: tuple[RigidTransform, ...] = ()
    windows: int = 0
    identical: bool = False


@functools.lru_cache(maxsize=2)
def _load_cached(path: Path, mtime_ns: int) -> MTIFNet:
    # Keyed by modification time too: a checkpoint rewritten during a session is reloaded.
    return load_model(path)


def _network_model(checkpoint: str | Path | MTIFNet | None, task: str) -> tuple[MTIFNet, str]:
    """The model and its label; a folder of series loads a checkpoint file only once."""
    if isinstance(checkpoint, MTIFNet):
        return checkpoint, "network (in-memory model)"
    path = Path(checkpoint) if checkpoint is not None else shipped_checkpoint(task)
    if path is None:
        raise ValueError(
            f"no network checkpoint for task {task!r}: none ships with this version; pass "
            "--checkpoint PATH, or choose a classical method with --method"
        )
    if path.suffix not in (".safetensors", ".json"):  # a stem, as training runs name them
        path = path.with_name(path.name + ".safetensors")
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such checkpoint (expected <stem>.safetensors)")
    return _load_cached(path.resolve(), path.stat().st_mtime_ns), f"network ({path.name})"


@functools.lru_cache(maxsize=2)
def _offline_text(text_dim: int) -> TextSource:
    from mtif.fusion.text import offline_text_source

    return offline_text_source(text_dim=text_dim)


def _text_source(model: MTIFNet, text: TextBatch | TextSource | None):
    """The text to guide ``model``: the caller's, else offline descriptions (encoder loaded
    once per session)."""
    if not model.config.use_text or text is not None:
        return text
    return _offline_text(model.config.text_dim)


def fuse_images(
    images: Sequence[ImageLike],
    task: str = "auto",
    method: str | None = None,
    checkpoint: str | Path | MTIFNet | None = None,
    *,
    text: TextBatch | TextSource | None = None,
    align: bool = False,
    resize: bool = False,
    tile_size: int = DEFAULT_TILE,
    overlap: int = DEFAULT_OVERLAP,
    max_megapixels: float = DEFAULT_MAX_MEGAPIXELS,
) -> FuseResult:
    """Fuse two or more images (arrays or file paths) into one; see the module docstring.

    Args:
        images: paths, or arrays (uint8, uint16, or float in ``[0, 1]``; grey or RGB), in
            series order (dark -> bright, near -> far, infrared then visible).
        task: "mef", "mff", "ivf", or "auto" (``detect_task``).
        method: a name from ``mtif.methods.available_methods()`` or "network"; None chooses.
        checkpoint: a network checkpoint path (or an ``MTIFNet``); implies the network.
        text: for text-guided checkpoints, a ``TextBatch`` or a ``(a, b) -> TextBatch``
            function; None describes every pair offline.
        align: register every input onto the first (rotation + translation) first.
        resize: scale inputs of other sizes to the first one's instead of refusing them.
        tile_size, overlap: network tiling (``tile_size=0`` fuses whole images only).
        max_megapixels: refuse untiled fusion above this size (0: no limit).
    """
    if task not in FUSION_TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {', '.join(FUSION_TASKS)}")
    imgs, names = load(images)
    imgs = check_sizes(imgs, names, resize)
    identical = warn_if_identical(imgs, names)
    detected = task == "auto"
    if detected:
        task = detect_task(imgs)
        _log.info("detected task: %s", task)
    use_network = method == "network" or (
        method is None and (checkpoint is not None or shipped_checkpoint(task) is not None)
    )
    if method not in (None, "network") and checkpoint is not None:
        raise ValueError(f"--checkpoint is for the network; it cannot be used with {method!r}")
    h, w = imgs[0].shape[:2]
    check_memory(h * w, len(imgs), max_megapixels, tiled=use_network and tile_size > 0)
    transforms: tuple[RigidTransform, ...] = ()
    if align:
        imgs, found = align_images(imgs, task)
        transforms = tuple(found)
    if use_network:
        model, label = _network_model(checkpoint, task)
        fuser = NetworkFuser(model, text=_text_source(model, text), tile=tile_size, overlap=overlap)
        # A focus network keeps, pixel by pixel, one input: its colours come back as they were.
        colour = recolour_from_sources if task == "mff" else recolour
        fused = colour(fuser.fuse(imgs), imgs)
        windows = fuser.windows
    else:
        from mtif.methods import get_method

        label = method or CLASSICAL_DEFAULTS[task]
        fm = get_method(label)
        if task == "ivf":
            fused = recolour(fm.fuse([luma(im) for im in imgs]), imgs)
        else:
            fused = fm.fuse(imgs)
        windows = 0
    _log.info("fused %d images (%s) with %s", len(imgs), task, label)
    return FuseResult(fused, label, task, detected, transforms, windows, identical)


def fuse(images: Sequence[ImageLike], task: str = "auto", **options) -> np.ndarray:
    """The fused image of ``fuse_images(images, task, **options)`` (float32 ``[0, 1]``).

    Use ``fuse_images`` to learn which method and task were used.
    """
    return fuse_images(images, task, **options).image
