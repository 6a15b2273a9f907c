"""The multi-grained loss: hand-computed values, SSIM against scikit-image, gradchecks."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from skimage.metrics import structural_similarity

from mtif.losses import (
    TASK_WEIGHTS,
    GradientLoss,
    LossWeights,
    MultiGrainedLoss,
    SSIMLoss,
    base_loss,
    feature_loss,
    gradient_loss,
    gradient_term,
    intensity_loss,
    intensity_target,
    sobel_magnitude,
    ssim,
    total_loss,
)
from mtif.losses.functional import SOBEL_EPS

pytestmark = pytest.mark.usefixtures("one_thread")


def _rand(*shape: int, seed: int = 0, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _ramp(k: float, h: int = 4, w: int = 4) -> torch.Tensor:
    """Image whose value is ``k * column``: Sobel gx = 8k inside, 0 on the reflected border."""
    return (k * torch.arange(w, dtype=torch.float64)).expand(1, 1, h, w).clone()


def test_sobel_magnitude_of_ramp_and_constant() -> None:
    k = 0.05
    mag = sobel_magnitude(_ramp(k, 5, 6))
    expected = torch.full((5, 6), SOBEL_EPS**0.5, dtype=torch.float64)
    expected[:, 1:-1] = (64 * k * k + SOBEL_EPS) ** 0.5
    torch.testing.assert_close(mag[0, 0], expected)
    flat = sobel_magnitude(torch.full((2, 3, 4, 4), 0.3))
    torch.testing.assert_close(flat, torch.full_like(flat, SOBEL_EPS**0.5))


def test_sobel_is_rotation_consistent() -> None:
    img = _rand(1, 1, 9, 9, dtype=torch.float64)
    torch.testing.assert_close(
        sobel_magnitude(img.transpose(2, 3)), sobel_magnitude(img).transpose(2, 3)
    )


def test_gradient_loss_hand_value() -> None:
    k = 0.1
    # Half of the 4 columns are interior (|grad| = 8k), the border columns are flat.
    expected = 0.5 * ((64 * k * k + SOBEL_EPS) ** 0.5 - SOBEL_EPS**0.5)
    got = gradient_loss(_ramp(k), torch.zeros(1, 1, 4, 4, dtype=torch.float64))
    assert got.item() == pytest.approx(expected, rel=1e-12)
    assert gradient_loss(_ramp(k), _ramp(k)).item() == 0.0


@pytest.mark.parametrize("shape", [(1, 1, 32, 40), (2, 3, 17, 23)])
def test_ssim_matches_skimage(shape: tuple[int, ...]) -> None:
    a = _rand(*shape, seed=1, dtype=torch.float64)
    # A correlated second image, so SSIM is far from 0 and from 1.
    b = (0.7 * a + 0.3 * _rand(*shape, seed=2, dtype=torch.float64)).clamp(0, 1)
    ref = np.mean(
        [
            structural_similarity(
                a[i, c].numpy(),
                b[i, c].numpy(),
                gaussian_weights=True,
                sigma=1.5,
                use_sample_covariance=False,
                data_range=1.0,
            )
            for i in range(shape[0])
            for c in range(shape[1])
        ]
    )
    assert ssim(a, b).item() == pytest.approx(ref, abs=1e-6)
    assert ssim(a.float(), b.float()).item() == pytest.approx(ref, abs=1e-3)
    assert ssim(a, a).item() == pytest.approx(1.0, abs=1e-12)


def test_intensity_loss_hand_value() -> None:
    out = torch.zeros(1, 1, 2, 2)
    i1 = torch.tensor([[[[0.2, 0.8], [0.0, 1.0]]]])
    i2 = torch.tensor([[[[0.6, 0.1], [0.4, 0.5]]]])
    assert intensity_loss(out, i1, i2).item() == pytest.approx((0.6 + 0.8 + 0.4 + 1.0) / 4)


def test_identical_images_give_zero_loss() -> None:
    img = _rand(2, 1, 16, 16)
    weights = TASK_WEIGHTS["mef"]
    total, terms = total_loss(img, img, img, img, img, weights)
    assert total.item() == pytest.approx(0.0, abs=1e-6)
    for name in ("feat_grad", "feat_ssim", "base_pixel", "base_grad"):
        assert terms[name].item() == pytest.approx(0.0, abs=1e-6), name


def test_total_is_weighted_sum_of_terms() -> None:
    i1, i2, out, f1, f2 = (_rand(1, 1, 16, 16, seed=s) for s in range(5))
    w = LossWeights(alpha1=2.0, alpha2=3.0, beta1=5.0, beta2=7.0)
    total, t = total_loss(out, f1, f2, i1, i2, w)
    assert t["feat_ssim"].item() == pytest.approx(2 - ssim(f2, i1).item() - ssim(f2, i2).item())
    mx = torch.maximum(i1, i2)
    assert t["feat_grad"].item() == pytest.approx(gradient_loss(f1, mx).item())
    assert t["base_grad"].item() == pytest.approx(gradient_loss(out, mx).item())
    expected = 2 * t["feat_grad"] + 3 * t["feat_ssim"] + 5 * t["base_pixel"] + 7 * t["base_grad"]
    assert total.item() == pytest.approx(expected.item(), rel=1e-6)
    assert t["total"].item() == pytest.approx(t["feat"].item() + t["base"].item(), rel=1e-6)
    base_total, base_terms = total_loss(out, None, None, i1, i2, w, base_only=True)
    assert base_total.item() == pytest.approx(t["base"].item())
    assert "feat" not in base_terms


def test_paper_weights() -> None:
    assert TASK_WEIGHTS["mef"] == LossWeights(10, 1, 1, 100)
    assert TASK_WEIGHTS["mff"] == LossWeights(10, 1, 1, 300)
    assert MultiGrainedLoss("mff").weights.beta2 == 300


def test_modules_equal_functions() -> None:
    i1, i2, out, f1, f2 = (_rand(2, 1, 16, 16, seed=s) for s in range(5))
    assert GradientLoss()(out, i1).item() == gradient_loss(out, i1).item()
    assert SSIMLoss()(out, i1).item() == pytest.approx(1 - ssim(out, i1).item())
    for task in ("mef", "mff"):
        for base_only in (False, True):
            got, got_terms = MultiGrainedLoss(task, base_only=base_only)(out, f1, f2, i1, i2)
            ref, ref_terms = total_loss(
                out, f1, f2, i1, i2, TASK_WEIGHTS[task], base_only=base_only
            )
            assert got.item() == ref.item()
            assert got_terms.keys() == ref_terms.keys()
    custom = LossWeights(1, 2, 3, 4)
    got, _ = MultiGrainedLoss(weights=custom)(out, f1, f2, i1, i2)
    assert got.item() == total_loss(out, f1, f2, i1, i2, custom)[0].item()


def _gradcheck(fn, *shapes: tuple[int, ...]) -> None:
    inputs = [_rand(*s, seed=i, dtype=torch.float64).requires_grad_() for i, s in enumerate(shapes)]
    assert torch.autograd.gradcheck(fn, inputs, eps=1e-6, atol=1e-5)


S = (1, 1, 12, 13)  # smallest size SSIM's 11x11 window allows, with a 2x3 valid region


def test_gradchecks() -> None:
    w = LossWeights(10, 1, 1, 100)
    _gradcheck(sobel_magnitude, (1, 2, 5, 6))
    _gradcheck(gradient_loss, (1, 1, 5, 6), (1, 1, 5, 6))
    _gradcheck(ssim, S, S)
    _gradcheck(intensity_loss, S, S, S)
    _gradcheck(lambda f1, f2, a, b: feature_loss(f1, f2, a, b, 10, 1)[0], S, S, S, S)
    _gradcheck(lambda o, a, b: base_loss(o, a, b, 1, 100)[0], S, S, S)
    _gradcheck(lambda o, f1, f2, a, b: total_loss(o, f1, f2, a, b, w)[0], S, S, S, S, S)


def test_errors_name_what_was_expected() -> None:
    a = torch.rand(1, 1, 16, 16)
    with pytest.raises(ValueError, match="equal size"):
        gradient_loss(a, torch.rand(1, 1, 16, 15))
    with pytest.raises(ValueError, match="at least 11x11"):
        ssim(torch.rand(1, 1, 10, 16), torch.rand(1, 1, 10, 16))
    with pytest.raises(TypeError, match=r"float tensors \(B, C, H, W\)"):
        ssim(a[0], a[0])
    with pytest.raises(ValueError, match="needs f1 and f2"):
        total_loss(a, None, None, a, a, TASK_WEIGHTS["mef"])
    with pytest.raises(ValueError, match="no default loss weights for task 'sr'"):
        MultiGrainedLoss("sr")
    assert MultiGrainedLoss("ivf").weights == TASK_WEIGHTS["mef"]  # Sec. A3: MEF settings


def test_max_gradient_reference_prefers_the_sharp_input() -> None:
    # A focus pair: i1 sharp, i2 a blurred copy. Against the per-pixel larger magnitude,
    # returning the sharp input costs almost nothing, the blurred one much more. The literal
    # reading (the gradient of max(i1, i2)) charges the sharp input more than the blurred one.
    torch.manual_seed(0)
    sharp = torch.rand(1, 1, 32, 32)
    blurred = F.avg_pool2d(F.pad(sharp, (2, 2, 2, 2), mode="reflect"), 5, stride=1)
    inputs = (sharp, blurred)
    by_gradient = [gradient_term(x, sharp, blurred, "max-gradient").item() for x in inputs]
    assert by_gradient[0] < 0.05 * by_gradient[1]
    by_image = [gradient_term(x, sharp, blurred, "max-image").item() for x in inputs]
    assert by_image[0] > by_image[1]
    torch.testing.assert_close(
        gradient_term(blurred, sharp, blurred, "max-image"),
        gradient_loss(blurred, torch.maximum(sharp, blurred)),
    )
    with pytest.raises(ValueError, match="gradient reference"):
        gradient_term(sharp, sharp, blurred, "mean")
    with pytest.raises(ValueError, match="grad_reference"):
        MultiGrainedLoss("mff", grad_reference="mean")


def test_well_exposed_intensity_target_keeps_mid_tones() -> None:
    dark = torch.tensor([[[[0.05, 0.5]]]])
    bright = torch.tensor([[[[0.5, 1.0]]]])
    torch.testing.assert_close(intensity_target(dark, bright, "max"), bright)
    target = intensity_target(dark, bright, "well-exposed")
    w_far = math.exp(-(0.45**2) / (2 * 0.2**2))  # weight of 0.05, 0.45 from mid-grey
    w_clip = math.exp(-(0.5**2) / (2 * 0.2**2))  # weight of 1.0, 0.5 from mid-grey
    expected = [(w_far * 0.05 + 0.5) / (w_far + 1), (0.5 + w_clip * 1.0) / (1 + w_clip)]
    torch.testing.assert_close(target.flatten(), torch.tensor(expected))
    assert (target - 0.5).abs().max() < 0.05  # the mid-tone input wins on both pixels
    same = torch.full((1, 1, 2, 2), 0.3)
    torch.testing.assert_close(intensity_target(same, same, "well-exposed"), same)
    with pytest.raises(ValueError, match="intensity reference"):
        intensity_target(dark, bright, "mean")
    with pytest.raises(ValueError, match="intensity_reference"):
        MultiGrainedLoss("mef", intensity_reference="mean")


def test_ground_truth_references_compare_with_the_truth() -> None:
    # A synthetic pair's truth: the loss is zero for it and positive for either input, and the
    # module passes gt through to every term that needs it.
    torch.manual_seed(1)
    truth = torch.rand(2, 1, 24, 24)
    under, over = truth * 0.4, (truth * 2.0).clamp(max=1.0)
    torch.testing.assert_close(intensity_target(under, over, "ground-truth", truth), truth)
    torch.testing.assert_close(
        gradient_term(over, under, over, "ground-truth", truth), gradient_loss(over, truth)
    )
    loss = MultiGrainedLoss(
        "mef", grad_reference="ground-truth", intensity_reference="ground-truth"
    )
    zero, terms = loss(truth, truth, truth, under, over, truth)
    assert terms["base_pixel"] == 0 and terms["feat_grad"] < 1e-3 and terms["base_grad"] < 1e-3
    for wrong in (under, over):
        total, _ = loss(wrong, wrong, wrong, under, over, truth)
        assert total > zero + 1.0
    with pytest.raises(ValueError, match="needs the ground truth"):
        loss(truth, truth, truth, under, over)
    with pytest.raises(ValueError, match="needs the ground truth"):
        intensity_target(under, over, "ground-truth")
