"""``mtif.fuse``: paths or arrays in, one fused image out, with the network or a classical method.

Method choice: an explicit ``method`` (a classical name from ``mtif.methods`` or "network")
wins; a ``checkpoint`` means the network; otherwise the checkpoint shipped for the task
(``mtif/weights/mtif-<task>.safetensors``) if there is one, else the best classical method
for the task (``CLASSICAL_DEFAULTS``). The result says which was used.

Colour: the network, and every method on infrared + visible pairs, fuses luma; colour comes
from the colour inputs (``fusion.colour``: a focus network's pixels from the input it kept,
otherwise blended chroma), the fused luma kept exactly. Classical methods for exposure and
focus series are colour methods and get the RGB images.

Text: a text-guided network is guided at every node of its tree of pairs by three
descriptions (detail, structure, semantic) that ``describer`` writes (offline by default);
``descriptions`` replaces any of them with the caller's words, and a blank one, or with
``describer="none"`` every level not given, is no text for that level (``mtif.fusion.text``).

Size: the network fuses images larger than one tile (``tile_size`` squared pixels) by
overlapping tiles (constant memory per tile). Classical methods are global (their pyramids
reach the whole image and their results change if cut into tiles), so they always run on the
whole image, within ``max_megapixels``.
"""

from __future__ import annotations

import functools
import logging
import os
import warnings
from collections.abc import Mapping, Sequence
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
from mtif.fusion.text import (
    DescribedText,
    check_describer_name,
    describer_name,
    get_text_encoder,
    make_describer,
    user_levels,
)
from mtif.model import MTIFNet, TextBatch, load_model
from mtif.text.descriptions import Describer, Descriptions
from mtif.text.encoders import TextEncoder
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
    ``descriptions``: the text that guided the network's top node, ``{level: text}`` ("" for
    a level with no text); None when no text was used (a classical method, a network without
    text, or the caller's own ``text=``). ``describer``: the describer's name ("offline",
    "vlm", "files", "none", ...), None likewise. ``from_user``: the levels the caller gave.
    """

    image: np.ndarray
    method: str
    task: str
    detected: bool
    transforms: tuple[RigidTransform, ...] = ()
    windows: int = 0
    identical: bool = False
    descriptions: dict[str, str] | None = None
    describer: str | None = None
    from_user: tuple[str, ...] = ()


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
def _encoder(text_dim: int) -> TextEncoder:
    # Loaded once per session: a folder of series, or a notebook, fuses many times.
    return get_text_encoder(text_dim=text_dim)


@dataclass(frozen=True)
class _TextRequest:
    """What the caller asked for: their own ``text``, or describer + words."""

    text: TextBatch | TextSource | None
    words: dict[str, str]
    describer: str | Describer | None
    options: Mapping[str, object] | None

    @property
    def asks_for_words(self) -> bool:
        return bool(self.words) or self.describer is not None


def _text_request(
    text: TextBatch | TextSource | None,
    descriptions: Mapping[str, str] | Descriptions | None,
    describer: str | Describer | None,
    options: Mapping[str, object] | None,
) -> _TextRequest:
    """The text arguments, checked before any work."""
    if text is not None and (descriptions is not None or describer is not None or options):
        raise ValueError(
            "give either text= (encoded text or a text source) or descriptions=/describer= "
            "(words for the describer and encoder), not both"
        )
    words = user_levels(descriptions)
    if isinstance(describer, str):
        check_describer_name(describer)
    return _TextRequest(text, words, describer, options)


def _file_paths(images: Sequence[ImageLike]) -> list[Path] | None:
    """The inputs as paths when every one is a file path, else None."""
    if all(isinstance(im, (str, os.PathLike)) for im in images):
        return [Path(im) for im in images]
    return None


def _text_source(
    model: MTIFNet, request: _TextRequest, paths: list[Path] | None, files_match: bool
) -> tuple[TextBatch | TextSource | None, DescribedText | None]:
    """The text to guide ``model`` (None without text) and, when it is described here, the
    source that records the descriptions used."""
    if not model.config.use_text or request.text is not None:
        return request.text, None
    describer = make_describer(request.describer, request.options)
    source = DescribedText(
        describer, _encoder(model.config.text_dim), request.words, paths, files_match
    )
    return source, source


def fuse_images(
    images: Sequence[ImageLike],
    task: str = "auto",
    method: str | None = None,
    checkpoint: str | Path | MTIFNet | None = None,
    *,
    descriptions: Mapping[str, str] | Descriptions | None = None,
    describer: str | Describer | None = None,
    describer_options: Mapping[str, object] | None = None,
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
        descriptions: the caller's words for any of the levels detail, structure, semantic
            (a mapping or a ``Descriptions``): each replaces that level at every node of the
            fusion tree; "" (or blank) gives that level no text. Text-guided networks only.
        describer: writes the levels not given: "offline" (None, the default), "vlm",
            "files", "none" (no text for them), or a ``Describer``.
        describer_options: constructor options of a describer given by name, e.g.
            ``{"base_url": ..., "model": ...}`` for "vlm", ``{"text_dir": ...}`` for "files".
        text: instead of the above, a ``TextBatch`` (every node) or a ``(a, b) -> TextBatch``
            function (see ``mtif.fusion.network.TextSource``).
        align: register every input onto the first (rotation + translation) first.
        resize: scale inputs of other sizes to the first one's instead of refusing them.
        tile_size, overlap: network tiling (``tile_size=0`` fuses whole images only).
        max_megapixels: refuse untiled fusion above this size (0: no limit).
    """
    if task not in FUSION_TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {', '.join(FUSION_TASKS)}")
    request = _text_request(text, descriptions, describer, describer_options)
    imgs, names = load(images)
    sizes = [im.shape[:2] for im in imgs]
    imgs = check_sizes(imgs, names, resize)
    files_match = not align and all(im.shape[:2] == hw for im, hw in zip(imgs, sizes, strict=True))
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
    described: DescribedText | None = None
    if use_network:
        model, label = _network_model(checkpoint, task)
        source, described = _text_source(model, request, _file_paths(images), files_match)
        fuser = NetworkFuser(model, text=source, tile=tile_size, overlap=overlap)
        # A focus network keeps, pixel by pixel, one input: its colours come back as they were.
        colour = recolour_from_sources if task == "mff" else recolour
        fused = colour(fuser.fuse(imgs), imgs)
        windows = fuser.windows
        if not model.config.use_text:
            _warn_unused(request, f"{label} was trained without text")
    else:
        from mtif.methods import get_method

        label = method or CLASSICAL_DEFAULTS[task]
        fm = get_method(label)
        if task == "ivf":
            fused = recolour(fm.fuse([luma(im) for im in imgs]), imgs)
        else:
            fused = fm.fuse(imgs)
        windows = 0
        _warn_unused(request, f"the classical method {label} uses no text")
    _log.info("fused %d images (%s) with %s", len(imgs), task, label)
    return FuseResult(
        fused, label, task, detected, transforms, windows, identical, **_text_report(described)
    )


def _text_report(described: DescribedText | None) -> dict:
    """``FuseResult``'s text fields: what the source described, or nothing."""
    if described is None:
        return {}
    return {
        "descriptions": described.used,
        "describer": describer_name(described.describer),
        "from_user": tuple(described.user),
    }


def _warn_unused(request: _TextRequest, why: str) -> None:
    if request.asks_for_words:
        warnings.warn(f"descriptions and describer are ignored: {why}", stacklevel=3)


def fuse(images: Sequence[ImageLike], task: str = "auto", **options) -> np.ndarray:
    """The fused image of ``fuse_images(images, task, **options)`` (float32 ``[0, 1]``).

    Use ``fuse_images`` to learn which method and task were used.
    """
    return fuse_images(images, task, **options).image
