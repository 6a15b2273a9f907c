"""Laplacian-pyramid blending (Burt and Adelson, 1983) of two images under a weight map, in torch.

A per-pixel blend ``w * a + (1 - w) * b`` of two images whose edges do not coincide (infrared
and visible) mixes their details where ``w`` changes and leaves seams; blending each band of the
Laplacian pyramids with the matching level of the weight map's Gaussian pyramid keeps fine
detail sharp and changes coarse content smoothly (the scheme of Mertens et al.'s exposure
fusion). Differentiable, any image size; ``levels`` is fixed so that a tile and a training
patch are blended at the same scales.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

#: Levels of the pyramids, the finest included: the coarsest band holds detail of
#: about 2**(levels - 1) pixels, well inside the 96-pixel overlap of tiled fusion.
PYRAMID_LEVELS = 4
_BINOMIAL = (1.0, 4.0, 6.0, 4.0, 1.0)


def _smooth(x: torch.Tensor) -> torch.Tensor:
    """Separable 5-tap binomial low-pass, reflect-padded, per channel."""
    k = torch.tensor(_BINOMIAL, dtype=x.dtype, device=x.device) / 16.0
    c = x.shape[1]
    pad_mode = "reflect" if min(x.shape[2:]) > 2 else "replicate"
    x = F.conv2d(
        F.pad(x, (2, 2, 0, 0), mode=pad_mode), k.view(1, 1, 1, 5).expand(c, 1, 1, 5), groups=c
    )
    return F.conv2d(
        F.pad(x, (0, 0, 2, 2), mode=pad_mode), k.view(1, 1, 5, 1).expand(c, 1, 5, 1), groups=c
    )


def _down(x: torch.Tensor) -> torch.Tensor:
    return _smooth(x)[..., ::2, ::2]


def _up(x: torch.Tensor, size: torch.Size) -> torch.Tensor:
    return F.interpolate(x, size=tuple(size), mode="bilinear", align_corners=False)


def gaussian_pyramid(x: torch.Tensor, levels: int) -> list[torch.Tensor]:
    """``levels`` images, the input first, each next one half the size (rounded up)."""
    out = [x]
    for _ in range(levels - 1):
        if min(out[-1].shape[2:]) < 2:
            break
        out.append(_down(out[-1]))
    return out


def laplacian_pyramid(x: torch.Tensor, levels: int) -> list[torch.Tensor]:
    """Band-pass images, finest first, and the coarsest Gaussian level last; ``collapse``
    inverts it exactly."""
    gauss = gaussian_pyramid(x, levels)
    bands = [g - _up(g_next, g.shape[2:]) for g, g_next in zip(gauss, gauss[1:], strict=False)]
    return [*bands, gauss[-1]]


def collapse(pyramid: list[torch.Tensor]) -> torch.Tensor:
    """The image of a Laplacian pyramid."""
    img = pyramid[-1]
    for band in reversed(pyramid[:-1]):
        img = band + _up(img, band.shape[2:])
    return img


#: Activity (local band energy) under which two inputs count as equally detailed: one 8-bit
#: grey level, the quantisation step of the images the networks see.
ACTIVITY_FLOOR = 1.0 / 255.0


def activity_contrast(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Which of two bands ``(B, C, h, w)`` holds more detail at each pixel, in ``[-1, 1]``:
    ``(|x| - |y|) / (|x| + |y| + floor)`` of their locally smoothed magnitudes (channel mean).
    The max-abs rule of Laplacian-pyramid fusion keeps the source where this is positive."""
    ax = _smooth(x.abs().mean(dim=1, keepdim=True))
    ay = _smooth(y.abs().mean(dim=1, keepdim=True))
    return (ax - ay) / (ax + ay + ACTIVITY_FLOOR)


def pyramid_blend(
    weight: torch.Tensor,
    a: torch.Tensor,
    b: torch.Tensor,
    levels: int = PYRAMID_LEVELS,
    gain: torch.Tensor | None = None,
) -> torch.Tensor:
    """``a`` where ``weight`` is 1, ``b`` where it is 0, blended band by band.

    ``weight`` is ``(B, 1, H, W)`` in ``[0, 1]``, one map for every band, or ``(B, levels, H, W)``,
    a map per band (finest first; the last also weighs the coarse residual): a source can then
    give one band and the other source another at the same place (infrared detail over visible
    brightness). ``a, b`` are ``(B, C, H, W)``. A constant weight gives exactly the per-pixel
    blend; the result stays within the inputs' range up to the ringing of a sharp weight edge
    (a few percent).

    ``gain`` ``(B, levels - 1, H, W)``, optional, moves each detail band's weight towards the
    input with more detail there: its logit gains ``gain * activity_contrast(a_band, b_band)``.
    A large gain is the max-abs rule; zero leaves the blend as it is. The coarse residual
    (brightness, not detail) takes no such term.
    """
    if weight.shape[1] not in (1, levels):
        raise ValueError(f"weight must have 1 or {levels} channels, got {weight.shape[1]}")
    if gain is not None and gain.shape[1] != levels - 1:
        raise ValueError(f"gain must have {levels - 1} channels, got {gain.shape[1]}")
    wp = gaussian_pyramid(weight, levels)
    gp = gaussian_pyramid(gain, levels) if gain is not None else None
    pa, pb = laplacian_pyramid(a, levels), laplacian_pyramid(b, levels)
    coarsest = weight.shape[1] - 1
    # Small images have fewer levels: their residual still takes the coarsest map.
    channels = [min(level, coarsest) for level in range(len(pa) - 1)] + [coarsest]
    mixed = []
    for level, (c, x, y) in enumerate(zip(channels, pa, pb, strict=True)):
        w = wp[level][:, c : c + 1]
        if gp is not None and level < len(pa) - 1:
            # A map of exactly 0 or 1 has no finite logit; 1e-6 off it changes nothing visible.
            logit = torch.logit(w.clamp(1e-6, 1 - 1e-6))
            w = torch.sigmoid(logit + gp[level][:, level : level + 1] * activity_contrast(x, y))
        mixed.append(w * x + (1 - w) * y)
    return collapse(mixed)


#: Largest log-factor ``boost_bands`` applies (e^3 = 20x): a band scaled further is noise.
MAX_BOOST = 3.0


def boost_bands(x: torch.Tensor, boost: torch.Tensor, levels: int = PYRAMID_LEVELS) -> torch.Tensor:
    """``x`` with each detail band scaled per pixel by ``exp(boost)`` (``(B, levels - 1, H, W)``,
    finest first; each map smoothed to its band's size as ``pyramid_blend``'s weights are).

    Zero boost returns ``x`` (up to float rounding); a positive one restores contrast a blur took
    from a band (mild defocus mostly damps detail bands), a negative one softens. Scaling a band
    by a factor rather than adding to the image acts only where the band has detail, and the
    gradient of a soft region's boost keeps one sign across it; a branch that added a map to the
    image instead did not learn at all (docs/RESULTS.md, "Session 9").
    """
    if boost.shape[1] != levels - 1:
        raise ValueError(f"boost must have {levels - 1} channels, got {boost.shape[1]}")
    pyramid = laplacian_pyramid(x, levels)
    factors = gaussian_pyramid(boost.clamp(max=MAX_BOOST), levels)
    scaled = [
        band * factors[level][:, level : level + 1].exp() for level, band in enumerate(pyramid[:-1])
    ]
    return collapse([*scaled, pyramid[-1]])
