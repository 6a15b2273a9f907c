"""mtif.fuse / fuse_images: method choice, colour, N inputs, task detection, network path."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import mtif
from fuse_data import ir_visible, photo, stack
from model_helpers import awake_model
from mtif.fusion import api, detect_task, fuse_images
from mtif.fusion.colour import (
    chroma,
    recolour,
    recolour_from_sources,
    with_luma,
    ycbcr_to_rgb,
)
from mtif.fusion.network import NetworkFuser, tree_reduce
from mtif.io import read_image, to_grey
from mtif.methods import get_method
from mtif.model import TextBatch


def _net(use_text: bool = False, seed: int = 0):
    torch.manual_seed(seed)
    return awake_model("mtif-small", use_text=use_text)


def test_top_level_fuse_uses_the_classical_default_and_says_so(monkeypatch):
    monkeypatch.setattr(api, "shipped_checkpoint", lambda task: None)  # as if none shipped
    s = stack("mef")
    result = fuse_images(list(s.inputs), task="mef")
    assert (result.method, result.task, result.detected) == ("mertens", "mef", False)
    np.testing.assert_array_equal(result.image, get_method("mertens").fuse(s.inputs))
    np.testing.assert_array_equal(mtif.fuse(list(s.inputs), task="mef"), result.image)


@pytest.mark.parametrize(
    ("kind", "expected"), [("mef", "mef"), ("mff", "mff"), ("ivf", "ivf"), ("ivf-grey", "ivf")]
)
def test_auto_task_detection_on_synthetic_pairs(kind, expected):
    if kind == "ivf":
        images = list(ir_visible())
    elif kind == "ivf-grey":  # both grey: only the structure rule can tell
        images = [ir_visible()[0], to_grey(photo())]
    else:
        images = list(stack(kind, seed=5).inputs)
    assert detect_task(images) == expected
    result = fuse_images(images)
    assert result.detected and result.task == expected


def test_chroma_blend_matches_hand_computed_weights():
    # Two flat colours: chroma weights are |C - 0.5| (+1e-4), per channel.
    a = np.full((16, 16, 3), (0.8, 0.3, 0.2), np.float32)
    b = np.full((16, 16, 3), (0.4, 0.45, 0.5), np.float32)
    y = np.full((16, 16), 0.5, np.float32)
    out = recolour(y, [a, b])
    (cba, cra), (cbb, crb) = chroma(a), chroma(b)
    wa, wb = abs(cba[0, 0] - 0.5) + 1e-4, abs(cbb[0, 0] - 0.5) + 1e-4
    cb = (wa * cba[0, 0] + wb * cbb[0, 0]) / (wa + wb)
    wa, wb = abs(cra[0, 0] - 0.5) + 1e-4, abs(crb[0, 0] - 0.5) + 1e-4
    cr = (wa * cra[0, 0] + wb * crb[0, 0]) / (wa + wb)
    r, bl = 0.5 + 1.402 * (cr - 0.5), 0.5 + 1.772 * (cb - 0.5)
    g = (0.5 - 0.299 * r - 0.114 * bl) / 0.587
    np.testing.assert_allclose(out[0, 0], [r, g, bl], atol=1e-5)
    np.testing.assert_allclose(to_grey(out), y, atol=1e-5)  # luma is the fused luma


def test_out_of_gamut_colour_is_desaturated_not_clipped():
    # A saturated red made brighter than any red of that saturation can be: clipping R would
    # lose luma; desaturating towards grey keeps it and keeps red the strongest channel.
    red = np.full((4, 4, 3), (0.9, 0.1, 0.1), np.float32)
    cb, cr = chroma(red)
    y = np.full((4, 4), 0.8, np.float32)
    out = ycbcr_to_rgb(y, cb, cr)
    assert out.min() >= 0.0 and out.max() <= 1.0
    np.testing.assert_allclose(to_grey(out), y, atol=1e-6)
    assert out[0, 0, 0] == pytest.approx(1.0) and out[0, 0, 1] > out[0, 0, 2] - 1e-6
    inside = ycbcr_to_rgb(to_grey(red), cb, cr)  # a colour that fits is returned as it was
    np.testing.assert_allclose(inside, red, atol=1e-5)
    # A channel already on its grey constrains nothing: the colour stays as saturated as it was.
    offset = np.array([[[0.1, 0.0, -0.1 * 0.299 / 0.114]]], np.float32)
    np.testing.assert_allclose(with_luma(np.full((1, 1), 0.5, np.float32), offset), 0.5 + offset)


def test_focus_colour_comes_from_the_input_kept():
    rng = np.random.default_rng(0)
    a = rng.uniform(0.1, 0.9, (32, 40, 3)).astype(np.float32)
    b = rng.uniform(0.1, 0.9, (32, 40, 3)).astype(np.float32)
    fused_luma = np.concatenate([to_grey(a)[:, :20], to_grey(b)[:, 20:]], axis=1)
    out = recolour_from_sources(fused_luma, [a, b])
    np.testing.assert_allclose(out[:, :18], a[:, :18], atol=1e-6)  # 2 px from the seam
    np.testing.assert_allclose(out[:, 22:], b[:, 22:], atol=1e-6)
    np.testing.assert_allclose(to_grey(out), fused_luma, atol=1e-5)  # everywhere, seam included
    grey = to_grey(b)  # a grey input has no colour to give: chroma blending, as elsewhere
    np.testing.assert_array_equal(
        recolour_from_sources(fused_luma, [a, grey]), recolour(fused_luma, [a, grey])
    )


def test_ir_visible_keeps_the_visible_chroma():
    ir, vis = ir_visible()
    fused = fuse_images([ir, vis], task="ivf").image
    assert fused.shape == vis.shape
    ok = (fused > 0.01).all(axis=2) & (fused < 0.99).all(axis=2)  # away from clipping
    for got, want in zip(chroma(fused), chroma(vis), strict=True):
        np.testing.assert_allclose(got[ok], want[ok], atol=2e-3)


@pytest.mark.parametrize("task", ["mef", "mff"])
def test_network_path_colour_output_luma_is_the_network_output(task):
    s = stack(task)
    model = _net()
    result = fuse_images(list(s.inputs), task=task, method="network", checkpoint=model)
    assert result.image.shape == s.inputs[0].shape and result.method.startswith("network")
    luma = NetworkFuser(model).fuse_pair(to_grey(s.inputs[0]), to_grey(s.inputs[1]))
    np.testing.assert_allclose(to_grey(result.image), luma, atol=1e-4)


def test_missing_checkpoint_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(api, "shipped_checkpoint", lambda task: None)
    s = stack("mff")
    with pytest.raises(ValueError, match="no network checkpoint.*--checkpoint"):
        fuse_images(list(s.inputs), task="mff", method="network")


def test_tree_reduce_pairs_neighbours_in_order():
    assert tree_reduce(list("abcde"), lambda x, y: f"({x}{y})") == "(((ab)(cd))e)"


def test_five_exposure_bracket_classical_and_network():
    s = stack("mef", n_inputs=5, seed=2)
    classical = fuse_images(list(s.inputs), task="mef", method="mertens")

    # All five exposures contribute: more of the fused image is well exposed than of any input.
    def well_exposed(img):
        y = to_grey(img)
        return float(((y > 0.05) & (y < 0.95)).mean())

    assert well_exposed(classical.image) > max(well_exposed(im) for im in s.inputs) + 0.03
    net = fuse_images(list(s.inputs), method="network", checkpoint=_net())
    assert net.image.shape == s.gt.shape and net.windows == 4  # 5 inputs -> 4 pair fusions


def test_text_model_gets_one_description_per_tree_node():
    s = stack("mff", size=96, n_inputs=3)
    model = _net(use_text=True)
    calls = []

    def source(a, b):
        calls.append((a.shape, b.shape))
        tokens = tuple(torch.randn(1, 5, model.config.text_dim) for _ in range(3))
        return TextBatch(tokens, tuple(torch.ones(1, 5, dtype=torch.bool) for _ in range(3)))

    out = fuse_images(list(s.inputs), task="mff", method="network", checkpoint=model, text=source)
    assert len(calls) == 2 and all(c == ((96, 96, 3), (96, 96, 3)) for c in calls)
    assert out.image.shape == (96, 96, 3)


def test_lytro_triple(shared_data):
    root = shared_data / "Lytro" / "triple"
    if not root.is_dir():
        pytest.skip(f"{root} not found")
    name = sorted(p.name for p in (root / "A").iterdir())[0]
    paths = [root / k / name for k in "ABC"]
    result = fuse_images(paths)  # the shipped focus network, through a tree of pairs
    assert result.task == "mff" and result.method == "network (mtif-mff.safetensors)"

    # Focus stacking keeps the sharpest content: more gradient energy than any input.
    def energy(img):
        g = np.gradient(to_grey(img))
        return float(np.mean(g[0] ** 2 + g[1] ** 2))

    assert energy(result.image) > max(energy(read_image(p)) for p in paths)
    net = fuse_images(paths, method="network", checkpoint=_net())
    assert net.image.shape == read_image(paths[0]).shape and net.windows == 2


def test_text_model_without_text_is_described_offline():
    # The default wiring: offline describer + MiniLM, the same path training uses.
    s = stack("mef", size=96)
    model = _net(use_text=True)
    with torch.no_grad():  # TGVM starts as the identity; give its output layer some weight
        for block in model.tgvm:
            block.mlp[-1].weight.normal_(0.0, 0.1)
    described = fuse_images(list(s.inputs), task="mef", method="network", checkpoint=model)
    again = fuse_images(list(s.inputs), task="mef", method="network", checkpoint=model)
    np.testing.assert_array_equal(described.image, again.image)  # deterministic text
    zeros = TextBatch(
        tuple(torch.zeros(1, 4, model.config.text_dim) for _ in range(3)),
        tuple(torch.ones(1, 4, dtype=torch.bool) for _ in range(3)),
    )
    other = fuse_images(list(s.inputs), method="network", checkpoint=model, text=zeros)
    assert float(np.abs(other.image - described.image).max()) > 1e-4  # the text is used


def test_float_pixels_a_rounding_hair_outside_the_range_are_clipped_not_refused():
    from mtif.fusion.inputs import as_float_image

    img = np.full((8, 8), 0.5, np.float32)
    img[0, 0], img[0, 1] = 1.0 + 1e-6, -1e-6  # what an OpenCV resize's rounding leaves
    out = as_float_image(img, "image 1")
    assert out.min() == 0.0 and out.max() == 1.0
    img[0, 0] = 255.0
    with pytest.raises(ValueError, match=r"got \[-1e-06, 255\]; scale the image"):
        as_float_image(img, "image 1")
