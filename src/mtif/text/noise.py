"""How noisy one shot is: the standard deviation of additive Gaussian noise, from its pixels.

Immerkaer's estimator ("Fast noise variance estimation", CVIU 1996): the 3x3 mask

    1 -2  1
   -2  4 -2
    1 -2  1

is the difference of two Laplacians, so it cancels any locally planar (and most smooth)
signal and leaves the noise, which it scales by the mask's norm, 6. Immerkaer averages
``|response|`` (``E|response| = 6 sigma sqrt(2 / pi)`` for Gaussian noise); here the median is
used instead (``median|response| = 6 sigma * 0.6745``), because texture that survives the mask
lands in the tail, which moves the mean a lot and the median little: on clean photos the mean
reads 2 to 4/255 and the median about 1/255, while both recover added noise equally well. An
8-bit image's responses are whole levels, so the median is interpolated within its level.

Edges and texture survive the mask too, so only flat pixels are used. A first guess leaves
out the strongest tenth of the (pre-smoothed) gradient, as Tai and Yang (2008) do; then, as in
Liu, Tanaka and Okutomi's weak-texture selection (2012), a few rounds keep only the pixels whose
gradient noise of the current estimate explains, which drops the texture a decile leaves in a
busy photo (camera, brightened 1.4 times, read 3/255 without this, 1.4/255 with it). Clipped
pixels hide their noise, so pixels whose neighbourhood lies within two sigmas of black or white
are left out too.

Measured on the luma at the resolution given: downscaling averages noise away, so a large image
is read through a few full-resolution crops instead. Real camera noise is partly correlated
between neighbours (demosaicing, denoising, JPEG), which the mask sees less of: the estimate is
then a lower bound.
"""

from __future__ import annotations

import cv2
import numpy as np

from mtif.io import to_grey

# Luma at or beyond these is clipped: its noise is cut off with the signal.
DARK_CLIP, BRIGHT_CLIP = 0.02, 0.98
EDGE_QUANTILE = 0.9  # pixels above this quantile of the gradient are structure, not noise
CLIP_MARGIN = 2.0  # a local mean within this many sigmas of clipping loses part of its noise
MIN_PIXELS = 500  # fewer usable pixels than this give no trustworthy estimate
# Refining: a pixel is flat while its smoothed gradient stays below what noise of the current
# estimate alone reaches in 99% of pixels (the Rayleigh quantile sqrt(-2 ln 0.01) = 3.03 of
# the gradient's scale); a few rounds settle to within a percent.
WEAK_QUANTILE = 3.03
ROUNDS = 3
QUANT_SIGMA = 0.3 / 255  # rounding to 8 bits adds noise of 1/sqrt(12) levels; never go below
# A large image is read through nine CROP x CROP full-resolution crops on a 3x3 grid: about
# 150k pixels pin the median down to a few percent, and the describer stays fast.
CROP = 128
MAX_PIXELS = 9 * CROP * CROP  # images up to this size are read whole
_MAD_GAUSS = 0.6745  # median of |x| for x ~ N(0, 1)
_MASK = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)
_SMOOTH = 1.5  # Gaussian sigma (pixels) before the gradient


def _gradient(luma: np.ndarray) -> np.ndarray:
    """Gradient magnitude after smoothing. Smoothing makes it see structure rather than the
    noise itself, so that leaving out strong gradients leaves out few large noise samples."""
    smooth = cv2.GaussianBlur(luma, (0, 0), _SMOOTH, borderType=cv2.BORDER_REFLECT)
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3, borderType=cv2.BORDER_REFLECT)
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3, borderType=cv2.BORDER_REFLECT)
    return np.hypot(gx, gy)


def _gradient_scale() -> float:
    """Standard deviation of each gradient component under unit white noise: the filter's
    norm, read off its response to a single impulse."""
    impulse = np.zeros((33, 33), np.float32)
    impulse[16, 16] = 1.0
    smooth = cv2.GaussianBlur(impulse, (0, 0), _SMOOTH)
    return float(np.linalg.norm(cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3)))


_GRADIENT_SCALE = _gradient_scale()


def _crops(img: np.ndarray) -> list[np.ndarray]:
    """The whole image, or a 3x3 grid of ``CROP``-sized full-resolution crops of a large one."""
    h, w = img.shape[:2]
    if h * w <= MAX_PIXELS or min(h, w) < CROP:
        return [img]
    # Nine crops spread over the frame: flat regions (sky, walls) are found wherever they are.
    ys = np.linspace(0, h - CROP, 3).astype(int)
    xs = np.linspace(0, w - CROP, 3).astype(int)
    return [img[y : y + CROP, x : x + CROP] for y in ys for x in xs]


def _responses(luma: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per interior pixel: |mask response|, smoothed gradient magnitude, 5x5 local mean."""
    resp = np.abs(cv2.filter2D(luma, cv2.CV_32F, _MASK, borderType=cv2.BORDER_REFLECT))
    local = cv2.blur(luma, (5, 5), borderType=cv2.BORDER_REFLECT)
    inner = (slice(1, -1), slice(1, -1))  # the mask reads past the border there
    return resp[inner].ravel(), _gradient(luma)[inner].ravel(), local[inner].ravel()


def _binned_median(resp: np.ndarray) -> float:
    """Median of ``resp`` (>= 0) interpolated within bins of one 8-bit level.

    An 8-bit image's responses are whole levels (the mask's weights are integers), so a plain
    median jumps in steps of a level: at low noise, where the median is one or two levels,
    that is the whole answer. Interpolating inside the median's bin, as for grouped data,
    gives the level between.
    """
    bins = np.floor(resp * 255.0 + 0.5).astype(np.int64)
    counts = np.bincount(bins)
    cum = np.cumsum(counts)
    half = 0.5 * bins.size
    k = int(np.searchsorted(cum, half))
    below = cum[k] - counts[k]
    lower, width = (0.0, 0.5) if k == 0 else (k - 0.5, 1.0)  # |response| starts at 0
    return (lower + width * (half - below) / counts[k]) / 255.0


def _sigma(resp: np.ndarray, keep: np.ndarray) -> float | None:
    if int(keep.sum()) < MIN_PIXELS:
        return None
    return _binned_median(resp[keep]) / (6.0 * _MAD_GAUSS)


def _unclipped(local: np.ndarray, sigma: float) -> np.ndarray:
    # Where the local mean lies within a couple of sigmas of black or white, part of the noise
    # is clipped away and reads low.
    margin = CLIP_MARGIN * sigma
    return (local > DARK_CLIP + margin) & (local < BRIGHT_CLIP - margin)


def noise_sigma(img: np.ndarray) -> float | None:
    """Noise standard deviation of a float ``[0, 1]`` image's luma, in ``[0, 1]`` units.

    ``img`` is ``(H, W)`` or ``(H, W, 3)``. None when too few flat, unclipped pixels remain
    (an image that is almost all clipped, or all edges).
    """
    parts = [_responses(np.ascontiguousarray(to_grey(c), dtype=np.float32)) for c in _crops(img)]
    resp, grad, local = (np.concatenate(p) for p in zip(*parts, strict=True))
    usable = _unclipped(local, 0.0)
    if int(usable.sum()) < MIN_PIXELS:
        return None
    # First guess: leave out the strongest tenth of the gradient (edges).
    sigma = _sigma(resp, usable & (grad <= np.quantile(grad[usable], EDGE_QUANTILE)))
    # Then keep only pixels whose gradient noise of that level explains: texture is what a
    # decile leaves behind in a busy photo, and it would count as noise.
    for _ in range(ROUNDS):
        if sigma is None:
            return None
        limit = WEAK_QUANTILE * _GRADIENT_SCALE * max(sigma, QUANT_SIGMA)
        found = _sigma(resp, (grad <= limit) & _unclipped(local, sigma))
        if found is None:
            break  # no pixel flat enough: the first guess is the best there is
        sigma = found
    return sigma
