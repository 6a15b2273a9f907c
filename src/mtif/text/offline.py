"""The offline describer: three descriptions written from measurements of the inputs.

No network and no hub: exposure and focus maps, edge statistics, layout and saliency (see
``mtif.text.measure``), each shot's noise and the exposure gap (``mtif.text.shots``, from EXIF
when the files have it) and ImageNet labels (``mtif.text.imagenet``) become short sentences
that say what each input contributes and where. Deterministic: the same pixels (and EXIF) give
the same words.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from mtif.io import read_image
from mtif.io.exif import Exposure, read_exposure
from mtif.text.descriptions import Descriptions
from mtif.text.imagenet import class_names, classify
from mtif.text.infrared import (
    InfraredMeasurements,
    VisibleQuality,
    exclusive_detail_sentences,
    infrared_index,
    lighting_sentence,
    measure_infrared,
    measure_visible,
    visible_quality_sentences,
    warm_sentences,
)
from mtif.text.measure import (
    Measurements,
    edge_orientation,
    horizon,
    measure,
    salient_region,
    work_images,
)
from mtif.text.noise import noise_sigma
from mtif.text.regions import cell_name, grid_means, join_words, region_masks, where
from mtif.text.shots import exif_gap_sentence, noise_sentence, pixel_gap_sentence

# v2: infrared + visible pairs get their own sentences (mtif.text.infrared).
# v3: each shot's noise, and the exposure gap in stops (EXIF or brightness), in the detail text;
#     the visible image's haze, crushed shadows and blown highlights for infrared + visible.
PROMPT_VERSION = "offline-v3"
LABEL_THRESHOLD = 0.05  # labels below this probability are noise, not content
# Inputs whose mean brightness spans this much are an exposure series; closer ones a focus one.
EXPOSURE_SPREAD = 0.15
_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")
# Hue ranges (OpenCV degrees 0..360) and their everyday names.
_HUES = ((15, "red"), (45, "orange"), (70, "yellow"), (170, "green"), (200, "cyan"),
         (260, "blue"), (345, "purple"), (360, "red"))  # fmt: skip


def _nth(i: int) -> str:
    return f"the {_ORDINALS[i]} image" if i < len(_ORDINALS) else f"image {i + 1}"


def _pct(x: float) -> str:
    return f"{round(100 * x)}%"


def _capital(s: str) -> str:
    return s[:1].upper() + s[1:]


def _exposure_sentences(m: Measurements) -> list[str]:
    n = len(m.mean)
    out = [
        "Well-exposed pixels: "
        + ", ".join(f"{_pct(w)} in {_nth(i)}" for i, w in enumerate(m.well_exposed))
        + "."
    ]
    keep = ~(np.stack(m.over) | np.stack(m.under))
    masks = dict(region_masks(*keep.shape[1:]))
    for i in range(n):
        for maps, word in ((m.over, "over-exposed"), (m.under, "under-exposed")):
            for region in where(maps[i]):
                # Another input "keeps detail" where at least half of the region is unclipped.
                others = [j for j in range(n) if j != i and keep[j][masks[region]].mean() >= 0.5]
                rescue = join_words([_nth(j) for j in others]) or "no input"
                out.append(
                    f"{_capital(region)} of {_nth(i)} is {word}; {rescue} keeps detail there."
                )
    return out


def _focus_sentences(m: Measurements) -> list[str]:
    parts = []
    for i in range(len(m.mean)):
        # The focus window smears a band at every sharp/blurred boundary: ask for 60%, not 80%.
        regions = where(m.sharpest == i, m.textured, min_fraction=0.6)
        if regions:
            parts.append((join_words(regions), _nth(i)))
    if not parts:
        return []
    (first, nth), rest = parts[0], parts[1:]
    tail = "".join(f" and {r} in {k}" for r, k in rest)
    verb = "are" if first == "the edges" or " and " in first else "is"
    return [f"{_capital(first)} {verb} sharp in {nth}{tail}."]


def _texture_word(density: float) -> str:
    if density < 0.02:
        return "smooth, with little texture"
    return "moderately textured" if density < 0.10 else "busy, with dense fine texture"


def differs_in_exposure(m: Measurements) -> bool:
    """Whether the series is an exposure series (else a focus series, or alike inputs)."""
    return max(m.mean) - min(m.mean) >= EXPOSURE_SPREAD


def _gap_sentences(m: Measurements, exif: Sequence[Exposure | None] | None) -> list[str]:
    """The exposure gap, from EXIF when every shot has it, else by brightness; only for an
    exposure series (a focus series shares its exposure)."""
    if not differs_in_exposure(m):
        return []
    found = exif_gap_sentence(exif) if exif else None
    found = found or pixel_gap_sentence(m.lumas)
    return [found] if found else []


def detail_text(
    m: Measurements,
    noise: Sequence[float | None],
    exif: Sequence[Exposure | None] | None = None,
) -> str:
    """Fine details: exposure per input and region, the exposure gap, focus, edge density and
    texture, and each input's noise (``noise``: sigma per input, ``noise.noise_sigma``)."""
    lines = _exposure_sentences(m) + _gap_sentences(m, exif) + _focus_sentences(m)
    lines.append(
        "Edges cover "
        + ", ".join(f"{_pct(e)} of {_nth(i)}" for i, e in enumerate(m.edge_density))
        + f"; the scene is {_texture_word(max(m.edge_density))}."
    )
    lines.append(noise_sentence([_nth(i) for i in range(len(noise))], noise))
    return " ".join(lines)


def structure_text(m: Measurements) -> str:
    """Structure: edge orientation, horizon, bright and dark regions, the salient region."""
    lines = []
    orient = edge_orientation(m.scene)
    lines.append(
        f"Edges are mostly {orient[0]} ({_pct(orient[1])} of the edge strength)."
        if orient
        else "Edges run in all directions, with no dominant orientation."
    )
    hz = horizon(m.scene)
    if hz:
        lines.append(
            f"A horizon-like boundary crosses the frame at about {_pct(hz[0])} of its height, "
            f"brighter {hz[1]}."
        )
    grid = grid_means(m.scene)
    hi, lo = (
        np.unravel_index(np.argmax(grid), grid.shape),
        np.unravel_index(np.argmin(grid), grid.shape),
    )
    if grid.max() - grid.min() >= 0.1:
        lines.append(
            f"The brightest region is the {cell_name(*hi)} and the darkest the {cell_name(*lo)}."
        )
    else:
        lines.append("Brightness is even across the frame.")
    sal = salient_region(m.scene)
    if sal:
        lines.append(f"The most salient region lies in the {cell_name(*sal)}.")
    return " ".join(lines)


def _colour_sentence(rgb: np.ndarray | None) -> str:
    if rgb is None:
        return "The images are greyscale."
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    vivid = (hsv[..., 1] > 0.25) & (hsv[..., 2] > 0.15)
    if vivid.mean() < 0.1:
        return "Colours are muted, close to grey."
    hue = hsv[..., 0][vivid]
    edges = np.array([0] + [h for h, _ in _HUES])
    counts = np.histogram(hue, bins=edges)[0].astype(float)
    names: dict[str, float] = {}
    for (_, name), c in zip(_HUES, counts, strict=True):
        names[name] = names.get(name, 0.0) + c / vivid.size
    top = [k for k, v in sorted(names.items(), key=lambda kv: -kv[1]) if v >= 0.05][:2]
    return f"The dominant colours are {join_words(top)}." if top else "Colours are varied."


def _label_sentence(images: Sequence[np.ndarray]) -> str | None:
    names = class_names()
    if names is None:
        return None
    found = [(names[i], p) for i, p in classify(images) if p >= LABEL_THRESHOLD]
    if not found:
        return "No object class is recognised with confidence."
    words = [f"{name} ({_pct(p)})" for name, p in found]
    return f"Recognised content, with the classifier's confidence: {join_words(words)}."


def semantic_text(m: Measurements, images: Sequence[np.ndarray]) -> str:
    """Semantics: ImageNet labels, colours, overall brightness and what differs between inputs."""
    lines = [s for s in (_label_sentence(images),) if s]
    lines.append(_colour_sentence(m.rgb))
    if differs_in_exposure(m):
        lines.append(
            "The inputs differ in exposure (mean brightness "
            + ", ".join(f"{v:.2f}" for v in m.mean)
            + "): the fused image should take highlights from the darker input and shadows "
            "from the brighter one."
        )
    elif np.any(m.sharpest >= 0):
        lines.append(
            "The inputs share their exposure and differ in focus: the fused image should keep "
            "each region from the input where it is sharp."
        )
    return " ".join(lines)


def _modality(im: InfraredMeasurements, i: int) -> str:
    return "the infrared image" if i == im.infrared else "the visible image"


def ivf_detail_text(
    m: Measurements,
    im: InfraredMeasurements,
    noise: Sequence[float | None],
    quality: VisibleQuality,
) -> str:
    """Fine details of an infrared + visible pair: what each modality alone shows, the visible
    image's degradations, edges, and each modality's noise (sigma per input)."""
    lines = exclusive_detail_sentences(im) + visible_quality_sentences(quality)
    lines.append(
        "Edges cover "
        + " and ".join(f"{_pct(e)} of {_modality(im, i)}" for i, e in enumerate(m.edge_density))
        + f"; the scene is {_texture_word(max(m.edge_density))}."
    )
    lines.append(noise_sentence([_modality(im, i) for i in range(len(noise))], noise))
    return " ".join(lines)


def ivf_structure_text(m: Measurements, im: InfraredMeasurements) -> str:
    """Structure of an infrared + visible pair: warm objects and where they are, then layout."""
    return " ".join([*warm_sentences(im), structure_text(m)])


def ivf_semantic_text(
    im: InfraredMeasurements, visible: np.ndarray, visible_small: np.ndarray
) -> str:
    """Semantics of an infrared + visible pair: the modalities, labels and colours of the
    visible image, the lighting, and what the fused image should keep from each."""
    lines = [
        f"An infrared and a visible image of one scene; {_nth(im.infrared)} is the infrared one."
    ]
    lines += [s for s in (_label_sentence([visible]),) if s]
    lines.append(_colour_sentence(visible_small if visible_small.ndim == 3 else None))
    lines.append(lighting_sentence(im))
    lines.append(
        "The fused image should keep the warm objects from the infrared image and the texture "
        "and colour of the visible image."
    )
    return " ".join(lines)


class OfflineDescriber:
    """Analytic describer (the default): no network, deterministic, about 0.1 s per pair.

    See the module docstring. ``task``: None describes an infrared + visible pair (one grey and
    one colour input) as such and anything else as an exposure/focus series; "ivf" describes
    every pair as infrared + visible (the first input is the infrared one unless exactly one
    is grey); "mef"/"mff" never do. ``identity`` is "offline:offline-v3", plus ":<task>" when
    a task is given (bump ``PROMPT_VERSION`` whenever the wording or the measurements change,
    so caches are rebuilt).
    """

    cacheable = True

    def __init__(self, task: str | None = None) -> None:
        if task not in (None, "mef", "mff", "ivf"):
            raise ValueError(f"task must be mef, mff, ivf or None (decide per pair), got {task!r}")
        self.task = task
        self.identity = f"offline:{PROMPT_VERSION}" + (f":{task}" if task else "")

    def describe(self, paths: Sequence[Path]) -> Descriptions:
        """Describe an aligned series of image files (two or more), with their EXIF."""
        images = [read_image(p) for p in paths]
        return self.describe_images(images, exif=[read_exposure(p) for p in paths])

    def describe_images(
        self, images: Sequence[np.ndarray], exif: Sequence[Exposure | None] | None = None
    ) -> Descriptions:
        """Describe images in memory: float32 ``[0, 1]``, ``(H, W)`` or ``(H, W, 3)``, aligned.

        ``exif``: each image's exposure settings (``mtif.io.exif.read_exposure``), or None
        where unknown; exposure gaps come from them when every image has a shutter time.
        """
        if exif is not None and len(exif) != len(images):
            raise ValueError(f"expected one EXIF entry per image ({len(images)}), got {len(exif)}")
        m = measure(images)
        ir = infrared_index(images, self.task)
        noise = [noise_sigma(np.asarray(im, dtype=np.float32)) for im in images]
        if ir is None:
            return Descriptions(
                detail=detail_text(m, noise, exif),
                structure=structure_text(m),
                semantic=semantic_text(m, images),
            )
        small, lumas = work_images(images)
        im = measure_infrared(lumas, ir)
        quality = measure_visible(small[1 - ir], lumas[1 - ir])
        return Descriptions(
            detail=ivf_detail_text(m, im, noise, quality),
            structure=ivf_structure_text(m, im),
            semantic=ivf_semantic_text(im, images[1 - ir], small[1 - ir]),
        )
