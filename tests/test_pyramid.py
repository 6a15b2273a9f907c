"""Laplacian-pyramid blending: exact inversion, constant weights, seams without cancellation."""

from __future__ import annotations

import pytest
import torch

from mtif.losses.functional import sobel_magnitude
from mtif.model.pyramid import boost_bands, collapse, laplacian_pyramid, pyramid_blend


@pytest.mark.parametrize("size", [(64, 64), (37, 53), (5, 9)])
def test_collapse_inverts_the_pyramid(size: tuple[int, int]) -> None:
    x = torch.rand(2, 1, *size, dtype=torch.float64)
    pyramid = laplacian_pyramid(x, 4)
    assert pyramid[0].shape == x.shape
    torch.testing.assert_close(collapse(pyramid), x, atol=1e-12, rtol=0)


def test_constant_weight_is_the_per_pixel_blend() -> None:
    a, b = torch.rand(1, 1, 40, 30), torch.rand(1, 1, 40, 30)
    for c in (0.0, 0.3, 1.0):
        weight = torch.full((1, 1, 40, 30), c)
        torch.testing.assert_close(pyramid_blend(weight, a, b), c * a + (1 - c) * b)


def test_step_weight_keeps_each_side_and_smooths_the_seam() -> None:
    # a: dark with fine vertical stripes; b: bright with horizontal ones; keep a on the left.
    x = torch.arange(64.0)
    a = (0.2 + 0.1 * (x % 2)).expand(64, 64).clone()[None, None]
    b = (0.7 + 0.1 * (x % 2)).view(64, 1).expand(64, 64).clone()[None, None]
    weight = torch.zeros(1, 1, 64, 64)
    weight[..., :32] = 1.0
    out = pyramid_blend(weight, a, b)
    torch.testing.assert_close(out[..., 4:-4, :16], a[..., 4:-4, :16], atol=0.02, rtol=0)
    torch.testing.assert_close(out[..., 4:-4, 48:], b[..., 4:-4, 48:], atol=0.02, rtol=0)
    # The 0.5 step in brightness is spread over several columns instead of one jump.
    column_means = out[0, 0, 8:-8].mean(dim=0)
    assert column_means.diff()[24:40].abs().max() < 0.25
    pixel = weight * a + (1 - weight) * b
    assert pixel[0, 0, 8:-8].mean(dim=0).diff().abs().max() > 0.4
    # Fine detail stays sharp up to the seam: gradients of a near the seam are kept.
    assert sobel_magnitude(out)[..., 8:-8, 26:30].mean() > 0.5 * sobel_magnitude(a).mean()


def test_gradients_reach_the_weight_and_both_images() -> None:
    a, b = (
        torch.rand(1, 1, 24, 24, requires_grad=True),
        torch.rand(1, 1, 24, 24, requires_grad=True),
    )
    weight = torch.rand(1, 1, 24, 24, requires_grad=True)
    (pyramid_blend(weight, a, b) * torch.randn(1, 1, 24, 24)).sum().backward()
    for t in (a, b, weight):
        assert t.grad is not None and t.grad.abs().sum() > 0


def test_a_map_per_band_takes_each_band_from_its_source() -> None:
    # Fine band from a, everything coarser from b: a's detail over b's brightness.
    a, b = (
        torch.rand(2, 1, 48, 40, dtype=torch.float64),
        torch.rand(2, 1, 48, 40, dtype=torch.float64),
    )
    weight = torch.zeros(2, 4, 48, 40, dtype=torch.float64)
    weight[:, 0] = 1.0
    fine_a, fine_b = laplacian_pyramid(a, 4)[0], laplacian_pyramid(b, 4)[0]
    torch.testing.assert_close(pyramid_blend(weight, a, b), fine_a + b - fine_b)
    # The same map in every channel is the single-map blend.
    single = torch.rand(2, 1, 48, 40, dtype=torch.float64)
    torch.testing.assert_close(
        pyramid_blend(single.expand(2, 4, 48, 40), a, b), pyramid_blend(single, a, b)
    )


def test_a_wrong_number_of_maps_is_refused() -> None:
    a = torch.rand(1, 1, 16, 16)
    with pytest.raises(ValueError, match="1 or 4 channels"):
        pyramid_blend(torch.rand(1, 3, 16, 16), a, a)


def test_band_boost_steepens_a_soft_edge_where_it_is_positive_only() -> None:
    # A blurred step on both halves of the image; boosting the detail bands of the right half
    # steepens its edge towards the sharp step, and leaves the left half and flat rows alone.
    step = (torch.arange(64.0) >= 32).float().expand(64, 64).T.contiguous()[None, None]
    finest, *rest = laplacian_pyramid(step, 4)
    soft = collapse([torch.zeros_like(finest), *rest])  # the finest band removed: a blur
    boost = torch.zeros(1, 3, 64, 64)
    torch.testing.assert_close(boost_bands(soft, boost), soft, atol=1e-6, rtol=0)
    boost[..., 32:] = 0.7
    out = boost_bands(soft, boost)
    steepness = sobel_magnitude(out).amax(dim=2)[0, 0]
    before = sobel_magnitude(soft).amax(dim=2)[0, 0]
    assert steepness[40:56].min() > 1.2 * before[40:56].max()
    torch.testing.assert_close(steepness[8:24], before[8:24], atol=1e-3, rtol=0)
    flat = (..., [*range(8), *range(56, 64)], slice(None))
    torch.testing.assert_close(out[flat], soft[flat], atol=1e-4, rtol=0)
    with pytest.raises(ValueError, match="3 channels"):
        boost_bands(soft, torch.zeros(1, 4, 64, 64))
