"""Synthetic exposure brackets and focus stacks with a ground truth, made from ordinary photos.

SICE and the full Real-MFF are not available, so training and the demo use pairs synthesised
from well-exposed, all-in-focus photos. The photo itself is the ground truth.

* Exposure: the photo is linearised through an inverse camera response, scaled by the
  bracket's exposure values, given shot and read noise, clipped by the sensor, passed back
  through a (randomly perturbed) response curve and quantised to 8 bits. Shadows of the short
  exposure drown in noise and quantisation; highlights of the long one clip.
  With ``hdr_stops`` the scene is also lit unevenly: a smooth random illumination field spans up
  to that many stops, a dynamic range that no 8-bit photo holds (real brackets are taken of such
  scenes), while the ground truth stays the evenly lit photo. A network trained on these learns to
  compress the range region by region, as exposure fusion does, not to copy one exposure's tones.
* Focus: a smooth random depth map is split into as many layers as inputs; each input keeps its
  layer sharp and the rest blurred with a disk (lens-like) point spread function whose radius
  grows with the distance in depth, with soft transitions at layer boundaries.
  With ``continuous_depth`` the blur follows depth itself, as through a lens: input k is focused
  on one depth, every other depth is blurred by a radius growing with its distance from it, so
  depths between the focus planes are soft in every input (a real focus pair's middle ground).
  The ground truth stays the sharp photo, which no input holds there: a network trained on these
  is asked to restore what neither input keeps, not only to choose (the shipped one has not learnt
  to; docs/RESULTS.md).

* Infrared + visible (``night_scene``, for the demo and tests; no ground truth): a warm object
  in a corner too dark to see in visible light.

Everything is deterministic given a ``numpy.random.Generator``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from mtif.io import IMAGE_EXTENSIONS, read_image, to_grey, write_image


@dataclass(frozen=True)
class SyntheticStack:
    """Inputs (float32 ``[0, 1]``, ordered dark -> bright or near -> far) and their ground truth."""

    inputs: tuple[np.ndarray, ...]
    gt: np.ndarray
    task: str


def _response(x: np.ndarray, gamma: float, toe: float) -> np.ndarray:
    # A gamma curve with a mild S-shaped toe, a rough stand-in for camera tone curves.
    y = np.power(np.clip(x, 0.0, 1.0), 1.0 / gamma)
    return (1.0 - toe) * y + toe * (3 * y**2 - 2 * y**3)


def _inverse_response(y: np.ndarray, gamma: float) -> np.ndarray:
    return np.power(np.clip(y, 0.0, 1.0), gamma)


def _quantise8(x: np.ndarray) -> np.ndarray:
    return (np.round(np.clip(x, 0.0, 1.0) * 255.0) / 255.0).astype(np.float32)


def exposure_bracket(
    photo: np.ndarray,
    rng: np.random.Generator,
    n_inputs: int = 2,
    hdr_stops: float = 0.0,
    dark_noise: float = 0.0,
) -> SyntheticStack:
    """An ``n_inputs``-shot exposure bracket of ``photo`` (float ``[0, 1]``, grey or RGB).

    The darkest shot is 2-4 stops under, the brightest 1.5-3 stops over, the rest evenly
    between them in EV. ``hdr_stops > 0`` lights the scene by a smooth field spanning a random
    0..``hdr_stops`` stops, centred on the photo's exposure; the ground truth is the photo.
    ``dark_noise > 0`` adds to the darkest shot Gaussian noise of a sigma drawn from
    0..``dark_noise`` (8-bit units) after the tone curve: the grain of a short exposure taken at
    a high ISO, which the fusion must brighten and so must not copy.
    """
    if n_inputs < 2:
        raise ValueError(f"a bracket needs at least 2 exposures, got {n_inputs}")
    if hdr_stops < 0:
        raise ValueError(f"hdr_stops must be at least 0, got {hdr_stops}")
    photo = np.asarray(photo, dtype=np.float32)
    gamma = rng.uniform(1.8, 2.6)
    toe = rng.uniform(0.0, 0.3)
    radiance = _inverse_response(photo, gamma)
    evs = np.linspace(-rng.uniform(2.0, 4.0), rng.uniform(1.5, 3.0), n_inputs)
    shot, read = rng.uniform(1e-4, 1e-3), rng.uniform(1e-4, 2e-3)
    if hdr_stops > 0:  # drawn only here, so brackets without it stay as they always were
        span = rng.uniform(0.0, hdr_stops)
        lighting = span * (_smooth_field(photo.shape[:2], rng) - 0.5)
        radiance = radiance * np.exp2(lighting if photo.ndim == 2 else lighting[..., None])
    shots = []
    for ev in evs:
        signal = radiance * np.float32(2.0**ev)
        noise = rng.standard_normal(signal.shape).astype(np.float32)
        sensed = signal + noise * np.sqrt(shot * np.clip(signal, 0.0, None) + read**2)
        shots.append(_response(sensed, gamma, toe))
    if dark_noise > 0:  # drawn only here, so brackets without it stay as they always were
        sigma = np.float32(rng.uniform(0.0, dark_noise) / 255.0)
        shots[0] = shots[0] + sigma * rng.standard_normal(shots[0].shape).astype(np.float32)
    return SyntheticStack(tuple(_quantise8(s) for s in shots), photo, "mef")


def _disk_blur(img: np.ndarray, radius: float) -> np.ndarray:
    if radius < 0.5:
        return img
    r = int(np.ceil(radius))
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1]
    # Anti-aliased disk: the fraction of each tap inside the circle, roughly.
    kernel = np.clip(radius + 0.5 - np.sqrt(xx**2 + yy**2), 0.0, 1.0).astype(np.float32)
    kernel /= kernel.sum()
    return cv2.filter2D(img, -1, kernel, borderType=cv2.BORDER_REFLECT)


def _smooth_field(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    # Low-frequency noise at a random coarse grid, upsampled: blob-like "depth" regions.
    h, w = shape
    cells = int(rng.integers(2, 6))
    coarse = rng.standard_normal((cells, max(2, round(cells * w / h)))).astype(np.float32)
    field = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
    field -= field.min()
    return field / max(float(field.max()), 1e-6)


def focus_stack(photo: np.ndarray, rng: np.random.Generator, n_inputs: int = 2) -> SyntheticStack:
    """An ``n_inputs``-shot focus stack of ``photo``: input k is sharp on depth layer k."""
    if n_inputs < 2:
        raise ValueError(f"a focus stack needs at least 2 images, got {n_inputs}")
    photo = np.asarray(photo, dtype=np.float32)
    h, w = photo.shape[:2]
    depth = _smooth_field((h, w), rng)
    # Equal-area layers, so every input has something in focus.
    edges = np.quantile(depth, np.linspace(0, 1, n_inputs + 1))
    layer = np.clip(np.searchsorted(edges[1:-1], depth), 0, n_inputs - 1)
    softness = rng.uniform(1.0, 4.0)
    max_radius = rng.uniform(2.0, 7.0)
    per_step = max_radius / max(1, n_inputs - 1)
    blurred = {d: _disk_blur(photo, max(1.5, d * per_step)) for d in range(1, n_inputs)}
    shots = []
    for k in range(n_inputs):
        out = np.zeros_like(photo)
        weight_sum = np.zeros((h, w), np.float32)
        for j in range(n_inputs):
            # Soft membership of layer j, so region boundaries are not razor cuts.
            member = cv2.GaussianBlur((layer == j).astype(np.float32), (0, 0), softness)
            source = photo if j == k else blurred[abs(j - k)]
            wgt = member if photo.ndim == 2 else member[..., None]
            out += wgt * source
            weight_sum += member
        denom = weight_sum if photo.ndim == 2 else weight_sum[..., None]
        shots.append(_quantise8(out / np.maximum(denom, 1e-6)))
    return SyntheticStack(tuple(shots), photo, "mff")


#: Radius step of the blur levels a depth-varying blur interpolates between (pixels).
_RADIUS_STEP = 0.5


def _varying_blur(photo: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """``photo`` blurred by a disk whose radius varies per pixel: each pixel mixes the two
    nearest of a ladder of uniform blurs linearly (hat weights), each blur computed once."""
    pos = (radius / _RADIUS_STEP).astype(np.float32)
    out = np.zeros_like(photo)
    for level in range(int(np.ceil(pos.max())) + 1):
        wgt = np.clip(1.0 - np.abs(pos - level), 0.0, 1.0)
        if wgt.any():
            out += (wgt if photo.ndim == 2 else wgt[..., None]) * _disk_blur(
                photo, level * _RADIUS_STEP
            )
    return out


def lens_focus_stack(
    photo: np.ndarray, rng: np.random.Generator, n_inputs: int = 2
) -> SyntheticStack:
    """An ``n_inputs``-shot focus stack of ``photo`` over a smooth depth map: input k is focused
    on the depth at quantile ``(k + 0.5) / n_inputs``. Depths within a random depth of field of
    that plane stay sharp; beyond it the blur radius grows linearly, reaching the largest radius
    between neighbours (drawn as in ``focus_stack``) at the next plane, and at most 1.5 times it."""
    if n_inputs < 2:
        raise ValueError(f"a focus stack needs at least 2 images, got {n_inputs}")
    photo = np.asarray(photo, dtype=np.float32)
    depth = _smooth_field(photo.shape[:2], rng)
    planes = np.quantile(depth, (np.arange(n_inputs) + 0.5) / n_inputs)
    spacing = max(float(planes[-1] - planes[0]) / (n_inputs - 1), 1e-3)
    in_focus = rng.uniform(0.15, 0.35) * spacing
    radius_at_next = rng.uniform(2.0, 7.0) / max(1, n_inputs - 1)
    shots = []
    for plane in planes:
        ramp = np.clip(np.abs(depth - plane) - in_focus, 0.0, None) / (spacing - in_focus)
        shots.append(_quantise8(_varying_blur(photo, radius_at_next * np.minimum(ramp, 1.5))))
    return SyntheticStack(tuple(shots), photo, "mff")


def make_stack(
    photo: np.ndarray,
    task: str,
    rng: np.random.Generator,
    n_inputs: int = 2,
    hdr_stops: float = 0.0,
    continuous_depth: bool = False,
    dark_noise: float = 0.0,
) -> SyntheticStack:
    """A synthetic stack for ``task`` (``"mef"`` or ``"mff"``); ``hdr_stops`` and
    ``dark_noise`` are for ``"mef"``, ``continuous_depth`` for ``"mff"``."""
    if task == "mef":
        if continuous_depth:
            raise ValueError("continuous_depth places focus planes; it has no exposure meaning")
        return exposure_bracket(photo, rng, n_inputs, hdr_stops, dark_noise)
    if hdr_stops or dark_noise:
        raise ValueError("hdr_stops and dark_noise make exposure brackets; no focus meaning")
    if task == "mff":
        if continuous_depth:
            return lens_focus_stack(photo, rng, n_inputs)
        return focus_stack(photo, rng, n_inputs)
    raise ValueError(f"task must be 'mef' or 'mff', got {task!r}")


@dataclass(frozen=True)
class NightScene:
    """A stand-in infrared + visible pair whose answer is known (see ``night_scene``)."""

    infrared: np.ndarray  # grey (H, W)
    visible: np.ndarray  # RGB (H, W, 3)
    warm: np.ndarray  # bool mask of the warm object, seen only in the infrared image
    dark: np.ndarray  # bool mask of the corner that is dark in visible light


def night_scene(photo: np.ndarray) -> NightScene:
    """The photo with its lower-left quarter darkened to 8 %, and an infrared image: the photo's
    inverted, softened luma (edges where the visible edges are, as a thermal camera's) plus a
    hot ellipse in that corner."""
    h, w = photo.shape[:2]
    visible = photo.astype(np.float32).copy()
    infrared = 0.25 + 0.35 * cv2.GaussianBlur(1 - to_grey(visible), (0, 0), 1.5)
    dark = np.zeros((h, w), bool)
    dark[h // 2 :, : w // 2] = True
    visible[dark] *= 0.08
    warm = np.zeros((h, w), np.uint8)
    cv2.ellipse(warm, (w // 4, 3 * h // 4), (w // 16, h // 8), 0, 0, 360, 1, -1)
    infrared[warm > 0] = 0.9
    return NightScene(infrared.astype(np.float32), visible, warm > 0, dark)


def list_photos(folders: list[Path]) -> list[Path]:
    """Image files directly inside ``folders``, sorted by name within each folder."""
    photos: list[Path] = []
    for folder in folders:
        if not folder.is_dir():
            raise FileNotFoundError(f"{folder}: no such folder of photos")
        found = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)
        if not found:
            raise ValueError(f"{folder}: no photos ({', '.join(IMAGE_EXTENSIONS)}) inside")
        photos.extend(found)
    return photos


def photo_seed(seed: int, photo: Path) -> np.random.Generator:
    """A generator for one photo that depends on its name, not its position in the list, so
    adding photos never changes the pairs made from the others."""
    return np.random.default_rng([seed, zlib.crc32(f"{photo.parent.name}/{photo.name}".encode())])


def synthesise_folder(
    photos: list[Path],
    task: str,
    out_dir: Path,
    *,
    seed: int = 0,
    n_inputs: int = 2,
    hdr_stops: float = 0.0,
    continuous_depth: bool = False,
    dark_noise: float = 0.0,
    progress: bool = True,
) -> int:
    """Write one synthetic stack per photo as a data set ``out_dir/{A,B,...,GT}/<name>.png``.

    Stacks already written are kept, so an interrupted run resumes. Returns how many were made.
    """
    folders = [chr(ord("A") + k) for k in range(n_inputs)] + ["GT"]
    made = 0
    for photo in tqdm(photos, desc=f"synthesising {task}", disable=not progress, unit="pair"):
        name = f"{photo.parent.name}_{photo.stem}.png"
        targets = [out_dir / folder / name for folder in folders]
        if all(t.exists() for t in targets):
            continue
        rng = photo_seed(seed, photo)
        stack = make_stack(
            read_image(photo), task, rng, n_inputs, hdr_stops, continuous_depth, dark_noise
        )
        # GT last: its presence marks a complete stack.
        for target, img in zip(targets, (*stack.inputs, stack.gt), strict=True):
            write_image(target, img, overwrite=True)
        made += 1
    return made
