"""The multi-grained loss of the paper (Sec. 4.4, Eqs. 6-13) as plain functions.

Images are ``(B, C, H, W)`` tensors in ``[0, 1]`` (the network's luma: ``C = 1``); every loss
returns a scalar mean. ``I1, I2`` are the (enriched) inputs, ``max(I1, I2)`` the pixel-wise
maximum the paper uses as the reference for intensity and gradients.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

#: Added under the square root of the Sobel magnitude: keeps its gradient finite on flat
#: regions (where gx = gy = 0) so float64 gradcheck and training stay stable. Its effect on
#: the loss is a bias of at most sqrt(eps) = 1e-3 per pixel, equal on both sides of Eq. 8.
SOBEL_EPS = 1e-6
SSIM_WINDOW = 11
SSIM_SIGMA = 1.5
_SSIM_C1 = 0.01**2  # (K1 * data_range)^2 with K1 = 0.01, data range 1
_SSIM_C2 = 0.03**2  # (K2 * data_range)^2 with K2 = 0.03


@dataclass(frozen=True)
class LossWeights:
    """``alpha1, alpha2`` weight L_feat's gradient and SSIM terms (Eq. 10), ``beta1, beta2``
    L_base's pixel and gradient terms (Eq. 13)."""

    alpha1: float
    alpha2: float
    beta1: float
    beta2: float


#: The paper's settings (Sec. 5.1, "Implementation details").
TASK_WEIGHTS: dict[str, LossWeights] = {
    "mef": LossWeights(10.0, 1.0, 1.0, 100.0),
    "mff": LossWeights(10.0, 1.0, 1.0, 300.0),
    # Sec. A3: infrared + visible fusion is trained "with the same settings as MEF".
    "ivf": LossWeights(10.0, 1.0, 1.0, 100.0),
}


def check_loss_options(grad_reference: str, intensity_reference: str) -> None:
    """Refuse an unknown gradient or intensity reference, naming the setting and its choices."""
    for name, value, choices in (
        ("grad_reference", grad_reference, GRADIENT_REFERENCES),
        ("intensity_reference", intensity_reference, INTENSITY_REFERENCES),
    ):
        if value not in choices:
            raise ValueError(f"{name} must be one of {choices}, got {value!r}")


def _check_pair(a: torch.Tensor, b: torch.Tensor, what: str, min_size: int = 2) -> None:
    for x in (a, b):
        if not isinstance(x, torch.Tensor) or not x.is_floating_point() or x.ndim != 4:
            desc = (
                f"{x.dtype} {tuple(x.shape)}" if isinstance(x, torch.Tensor) else type(x).__name__
            )
            raise TypeError(f"{what}: expected float tensors (B, C, H, W), got {desc}")
    if a.shape != b.shape:
        raise ValueError(f"{what}: expected two images of equal size, got {a.shape} and {b.shape}")
    if min(a.shape[2:]) < min_size:
        raise ValueError(f"{what}: images must be at least {min_size}x{min_size}, got {a.shape}")


def sobel_magnitude(img: torch.Tensor) -> torch.Tensor:
    """``sqrt(gx^2 + gy^2 + eps)`` of the 3x3 Sobel derivatives, per channel; shape kept.

    The Euclidean magnitude is the paper's ``||nabla A||`` (a norm of the gradient vector) and
    is rotation invariant, unlike ``|gx| + |gy|``; ``eps`` is ``SOBEL_EPS``. Borders are
    reflect-padded so the frame edge is not mistaken for an image edge. Unnormalised kernel
    (``[-1, 0, 1]`` x ``[1, 2, 1]``), as in the fusion losses the paper's weights come from.
    """
    _check_pair(img, img, "sobel_magnitude")
    kx = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    kernel = torch.stack([kx, kx.T]).unsqueeze(1).to(img)  # (2, 1, 3, 3): d/dx, d/dy
    b, c, h, w = img.shape
    padded = F.pad(img.reshape(b * c, 1, h, w), (1, 1, 1, 1), mode="reflect")
    g = F.conv2d(padded, kernel)
    return (g.square().sum(dim=1) + SOBEL_EPS).sqrt().reshape(b, c, h, w)


def gradient_loss(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Eq. 8: ``mean | |Sobel a| - |Sobel b| |`` over all pixels and channels."""
    _check_pair(a, b, "gradient_loss")
    return (sobel_magnitude(a) - sobel_magnitude(b)).abs().mean()


#: What the gradient terms (Eqs. 7, 12) compare the output's Sobel magnitude with. The paper
#: writes ``L_grad(out, max(I1, I2))``: the magnitude of the brighter input's gradient
#: ("max-image", the literal reading). Many fusion losses instead take the larger of the two
#: inputs' magnitudes per pixel ("max-gradient"). For a focus pair the literal target is the
#: gradient of a mix of sharp and blurred pixels, which does not tell the sharp input apart;
#: the per-pixel maximum of magnitudes does.
#: "ground-truth" compares with the gradients of a known ground truth (synthetic pairs carry
#: one): every target above rewards absolute gradient magnitude, which a brightened exposure
#: has more of than the true scene (benchmarks/loss_landscape.py).
GRADIENT_REFERENCES = ("max-image", "max-gradient", "ground-truth")


def _need_gt(gt: torch.Tensor | None, what: str) -> torch.Tensor:
    if gt is None:
        raise ValueError(f"{what}='ground-truth' needs the ground truth (gt=...)")
    return gt


def gradient_term(
    out: torch.Tensor,
    i1: torch.Tensor,
    i2: torch.Tensor,
    reference: str = "max-image",
    gt: torch.Tensor | None = None,
) -> torch.Tensor:
    """Eq. 8 between ``out`` and the inputs' joint gradient reference (``GRADIENT_REFERENCES``)."""
    if reference == "ground-truth":
        return gradient_loss(out, _need_gt(gt, "grad_reference"))
    if reference == "max-image":
        return gradient_loss(out, torch.maximum(i1, i2))
    if reference == "max-gradient":
        _check_pair(out, i1, "gradient_term")
        _check_pair(i1, i2, "gradient_term")
        target = torch.maximum(sobel_magnitude(i1), sobel_magnitude(i2))
        return (sobel_magnitude(out) - target).abs().mean()
    raise ValueError(f"gradient reference must be one of {GRADIENT_REFERENCES}, got {reference!r}")


def _gaussian_window(dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    r = torch.arange(SSIM_WINDOW, dtype=dtype, device=device) - (SSIM_WINDOW - 1) / 2
    g = torch.exp(-(r**2) / (2 * SSIM_SIGMA**2))
    return g / g.sum()


def ssim(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mean SSIM (Wang et al., 2004) of images in ``[0, 1]``: Gaussian 11x11 window, sigma 1.5,
    ``K1 = 0.01``, ``K2 = 0.03``, population (co)variances, averaged over the pixels whose window
    lies inside the image (no padding) and over channels and batch.

    Matches ``skimage.metrics.structural_similarity(gaussian_weights=True, sigma=1.5,
    use_sample_covariance=False, data_range=1)``, which also discards the 5-pixel border.
    Needs ``H, W >= 11``.
    """
    _check_pair(a, b, "ssim", min_size=SSIM_WINDOW)
    g = _gaussian_window(a.dtype, a.device)
    c = a.shape[1]
    # Separable filter, applied to the five maps at once (grouped per channel).
    stack = torch.cat([a, b, a * a, b * b, a * b], dim=1)
    stack = F.conv2d(stack, g.view(1, 1, 1, -1).expand(5 * c, 1, 1, -1), groups=5 * c)
    stack = F.conv2d(stack, g.view(1, 1, -1, 1).expand(5 * c, 1, -1, 1), groups=5 * c)
    mu_a, mu_b, e_aa, e_bb, e_ab = stack.split(c, dim=1)
    var_a, var_b = e_aa - mu_a.square(), e_bb - mu_b.square()
    cov = e_ab - mu_a * mu_b
    num = (2 * mu_a * mu_b + _SSIM_C1) * (2 * cov + _SSIM_C2)
    den = (mu_a.square() + mu_b.square() + _SSIM_C1) * (var_a + var_b + _SSIM_C2)
    return (num / den).mean()


#: What the pixel term (Eq. 11) pulls the output towards. The paper uses ``max(I1, I2)``
#: ("max"). For an exposure bracket that target is the over-exposed shot wherever it is
#: brighter, so the output drifts towards it (synthetic validation: PSNR against the ground
#: truth 10 dB, where averaging gets 22). "well-exposed" weights each input per pixel by
#: Mertens et al.'s well-exposedness, ``exp(-(I - 0.5)^2 / (2 * 0.2^2))``, and takes the
#: weighted mean: mid-tones are kept from whichever shot has them.
#: "ground-truth" is a known ground truth.
INTENSITY_REFERENCES = ("max", "well-exposed", "ground-truth")
WELL_EXPOSED_SIGMA = 0.2


def intensity_target(
    i1: torch.Tensor, i2: torch.Tensor, reference: str = "max", gt: torch.Tensor | None = None
) -> torch.Tensor:
    """The pixel term's target (see ``INTENSITY_REFERENCES``)."""
    if reference == "ground-truth":
        return _need_gt(gt, "intensity_reference")
    if reference == "max":
        return torch.maximum(i1, i2)
    if reference == "well-exposed":
        w1, w2 = (torch.exp(-(x - 0.5).square() / (2 * WELL_EXPOSED_SIGMA**2)) for x in (i1, i2))
        return (w1 * i1 + w2 * i2) / (w1 + w2)  # each weight is at least exp(-3.125)
    raise ValueError(
        f"intensity reference must be one of {INTENSITY_REFERENCES}, got {reference!r}"
    )


def intensity_loss(
    out: torch.Tensor,
    i1: torch.Tensor,
    i2: torch.Tensor,
    reference: str = "max",
    gt: torch.Tensor | None = None,
) -> torch.Tensor:
    """Eq. 11: ``mean |out - max(i1, i2)|`` (or another ``intensity_target``)."""
    _check_pair(out, i1, "intensity_loss", min_size=1)
    _check_pair(out, i2, "intensity_loss", min_size=1)
    return (out - intensity_target(i1, i2, reference, gt)).abs().mean()


def feature_loss(
    f1: torch.Tensor,
    f2: torch.Tensor,
    i1: torch.Tensor,
    i2: torch.Tensor,
    alpha1: float,
    alpha2: float,
    grad_reference: str = "max-image",
    gt: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Eqs. 7, 9, 10 on the auxiliary reconstructions ``f1`` (detail) and ``f2`` (structure).

    Returns ``(L_feat, L_feat_grad, L_feat_SSIM)`` with
    ``L_feat = alpha1 * L_grad(f1, max(i1, i2)) + alpha2 * (2 - SSIM(f2, i1) - SSIM(f2, i2))``;
    ``grad_reference`` picks the gradient target (see ``GRADIENT_REFERENCES``).
    """
    _check_pair(i1, i2, "feature_loss")
    _check_pair(f1, i1, "feature_loss")
    _check_pair(f2, i1, "feature_loss")
    grad = gradient_term(f1, i1, i2, grad_reference, gt)
    structure = 2.0 - ssim(f2, i1) - ssim(f2, i2)
    return alpha1 * grad + alpha2 * structure, grad, structure


def base_loss(
    out: torch.Tensor,
    i1: torch.Tensor,
    i2: torch.Tensor,
    beta1: float,
    beta2: float,
    grad_reference: str = "max-image",
    intensity_reference: str = "max",
    gt: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Eqs. 11-13 on the fused image: returns ``(L_base, L_base_pixel, L_base_grad)`` with
    ``L_base = beta1 * mean|out - max(i1, i2)| + beta2 * L_grad(out, max(i1, i2))``."""
    pixel = intensity_loss(out, i1, i2, intensity_reference, gt)
    grad = gradient_term(out, i1, i2, grad_reference, gt)
    return beta1 * pixel + beta2 * grad, pixel, grad


def total_loss(
    out: torch.Tensor,
    f1: torch.Tensor | None,
    f2: torch.Tensor | None,
    i1: torch.Tensor,
    i2: torch.Tensor,
    weights: LossWeights,
    *,
    base_only: bool = False,
    grad_reference: str = "max-image",
    intensity_reference: str = "max",
    gt: torch.Tensor | None = None,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Eq. 6: ``L_total = L_feat + L_base`` and every term, detached, for logging.

    ``base_only`` drops ``L_feat`` (the paper's "w/o ML" ablation); ``f1, f2`` may then be None.
    ``gt`` is the ground truth, needed by the "ground-truth" references only.
    Term keys: ``base_pixel, base_grad, base`` and, unless ``base_only``,
    ``feat_grad, feat_ssim, feat``; plus ``total``.
    """
    base, pixel, bgrad = base_loss(
        out, i1, i2, weights.beta1, weights.beta2, grad_reference, intensity_reference, gt
    )
    terms = {"base_pixel": pixel, "base_grad": bgrad, "base": base}
    total = base
    if not base_only:
        if f1 is None or f2 is None:
            raise ValueError("the multi-grained loss needs f1 and f2 (or base_only=True)")
        feat, fgrad, fssim = feature_loss(
            f1, f2, i1, i2, weights.alpha1, weights.alpha2, grad_reference, gt
        )
        terms.update(feat_grad=fgrad, feat_ssim=fssim, feat=feat)
        total = feat + base
    terms["total"] = total
    return total, {k: v.detach() for k, v in terms.items()}
