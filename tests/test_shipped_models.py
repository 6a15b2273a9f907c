"""The checkpoints shipped in the package: present, small, loaded by default, and doing their job
on synthetic pairs with a known answer (made here from scikit-image's photo, never seen in
training)."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from fuse_data import ir_visible, night_pair, stack
from mtif.fusion import fuse_images
from mtif.fusion.colour import luma
from mtif.methods import available_methods, get_method
from mtif.metrics import evaluate
from mtif.model import load_model
from mtif.weights import shipped_checkpoint

TASKS = ("mef", "mff", "ivf")
MAX_BYTES = 20 * 1024 * 1024


@pytest.mark.parametrize("task", TASKS)
def test_checkpoint_ships_and_is_the_default(task: str) -> None:
    path = shipped_checkpoint(task)
    assert path is not None, f"no checkpoint shipped for {task}"
    assert path.stat().st_size <= MAX_BYTES
    meta = json.loads(path.with_suffix(".json").read_text())
    assert meta["extra"]["task"] == task
    model = load_model(path)
    assert model.config.use_text and model.config.text_dim == 384  # offline + MiniLM
    assert f"mtif-{task}" in available_methods()
    inputs = list(ir_visible()) if task == "ivf" else list(stack(task).inputs)
    result = fuse_images(inputs, task=task)
    assert result.method.startswith("network"), result.method


def _scores(fused: np.ndarray, inputs, gt=None) -> dict[str, float]:
    return evaluate(fused, inputs[0], inputs[1], gt=gt)


def test_focus_model_selects_the_sharp_input() -> None:
    s = stack("mff", size=256, seed=1)
    net = _scores(fuse_images(list(s.inputs), task="mff").image, s.inputs, s.gt)
    others = [_scores(x, s.inputs, s.gt) for x in (*s.inputs, np.mean(s.inputs, axis=0))]
    assert net["PSNR_gt"] > max(o["PSNR_gt"] for o in others) + 5.0  # measured: +14 dB
    assert net["SSIM_gt"] > 0.98 and net["SF"] > 1.3 * others[-1]["SF"]


def test_exposure_model_reconstructs_the_scene_with_more_detail_than_mertens() -> None:
    s = stack("mef", size=256, seed=5)
    net = _scores(fuse_images(list(s.inputs), task="mef").image, s.inputs, s.gt)
    mertens = _scores(get_method("mertens").fuse(list(s.inputs)), s.inputs, s.gt)
    # measured: PSNR_gt 20.84 vs 17.50 dB; SF 37.5 vs 29.1, VIF 1.28 vs 1.08, Qabf 0.739 vs 0.629
    assert net["PSNR_gt"] > mertens["PSNR_gt"] + 2.0
    for key in ("SF", "VIF", "Qabf"):
        assert net[key] > mertens[key], key


def _detail(y: np.ndarray) -> np.ndarray:
    return y - cv2.GaussianBlur(y, (0, 0), 3)


def test_infrared_model_shows_a_warm_object_in_the_dark_and_keeps_visible_detail() -> None:
    pair = night_pair(256)
    fused = luma(fuse_images([pair.infrared, pair.visible], task="ivf").image)
    vis = luma(pair.visible)
    background = pair.dark & ~pair.warm

    def contrast(y: np.ndarray) -> float:  # the warm object against the rest of the dark corner
        return float(y[pair.warm].mean() - y[background].mean())

    # measured: 0.50 (the infrared image's own 0.46, Laplacian pyramid 0.37; visible: 0.00)
    assert contrast(fused) > 0.8 * contrast(pair.infrared)
    lit = ~pair.dark
    detail = float(np.corrcoef(_detail(fused)[lit], _detail(vis)[lit])[0, 1])
    assert detail > 0.95  # measured: 0.995
