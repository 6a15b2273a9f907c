"""Tiled inference: window placement, feather weights, and tiled == untiled."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fuse_data import stack
from model_helpers import awake_model
from mtif.fusion import fuse_images
from mtif.fusion.network import NetworkFuser
from mtif.fusion.tiling import _ramp, tile_starts, tiled_apply
from mtif.io import to_grey
from mtif.methods import get_method

# These tests are about the classical default path and its messages.
pytestmark = pytest.mark.usefixtures("no_shipped_networks")


def test_tile_starts_cover_evenly_on_the_grid():
    side, starts = tile_starts(1000, 256, 64, 4)
    assert len(starts) == 5  # ceil((1000 - 64) / (256 - 64))
    # Shrunk to the smallest multiple of 4 covering 1000 px with 5 windows and 64 px overlap.
    assert side == 252 and 5 * side - 4 * 64 >= 1000 > 5 * (side - 4) - 4 * 64
    assert starts[0] == 0 and starts[-1] == 1000 - side
    assert all(s % 4 == 0 for s in starts)
    overlaps = [side - (b - a) for a, b in zip(starts, starts[1:], strict=False)]
    assert min(overlaps) >= 60  # origins rounded to 4 may take up to 4 pixels off
    assert tile_starts(200, 256, 64, 4) == (200, [0])


def test_ramps_of_neighbours_sum_to_one():
    tile, overlap = 64, 32
    left = _ramp(tile, False, True, overlap)
    right = _ramp(tile, True, False, overlap)
    # Neighbours exactly ``overlap`` apart: the shared pixels' weights add up to 1.
    np.testing.assert_allclose(left[-overlap:] + right[:overlap], 1.0, atol=1e-6)
    assert left[-overlap // 4 :].max() == 0.0  # the dropped margin
    assert left[0] == 1.0 and right[-1] == 1.0


def test_tiled_apply_of_a_pointwise_function_is_exact():
    rng = np.random.default_rng(0)
    a, b = rng.random((2, 301, 223), dtype=np.float32)
    out = tiled_apply(lambda p: np.maximum(p[0], p[1]), [a, b], tile=64, overlap=16)
    np.testing.assert_allclose(out, np.maximum(a, b), atol=1e-6)


@pytest.mark.parametrize(("restormer", "tol"), [((0, 0, 0), 1e-5), ((0, 0, 1), 1e-3)])
def test_network_tiled_equals_untiled(restormer, tol):
    # Convolutions only: exact (up to float rounding) once the margin covers the receptive
    # field. With MDTA (global channel attention) windows see other statistics: still close.
    s = stack("mef", size=240)
    a, b = (to_grey(im) for im in s.inputs)
    torch.manual_seed(0)
    model = awake_model("mtif-small", use_text=False, restormer_blocks=restormer)
    whole = NetworkFuser(model, tile=0).fuse_pair(a, b)
    tiler = NetworkFuser(model, tile=128, overlap=64)
    tiled = tiler.fuse_pair(a, b)
    assert tiler.windows == 9  # 3 x 3: ceil((240 - 64) / (128 - 64)) per axis
    assert float(np.abs(tiled - whole).max()) < tol


def test_fuse_images_tiles_the_network_but_not_classical_methods():
    s = stack("mff", size=240)
    torch.manual_seed(0)
    model = awake_model("mtif-small", use_text=False)
    tiled = fuse_images(
        list(s.inputs), method="network", checkpoint=model, tile_size=128, overlap=64
    )
    whole = fuse_images(list(s.inputs), method="network", checkpoint=model, tile_size=0)
    assert tiled.windows == 9 and whole.windows == 1
    assert float(np.abs(tiled.image - whole.image).max()) < 2e-3
    # Laplacian pyramids are global: they run whole whatever the tile size.
    lap = fuse_images(list(s.inputs), task="mff", tile_size=128, overlap=64)
    np.testing.assert_array_equal(lap.image, get_method("laplacian").fuse(s.inputs))


def test_bad_tiling_parameters_are_rejected():
    s = stack("mff", size=240)
    with pytest.raises(ValueError, match="tile size must be a multiple of 4"):
        NetworkFuser(awake_model("mtif-small", use_text=False), tile=130).fuse_pair(
            to_grey(s.inputs[0]), to_grey(s.inputs[1])
        )
