"""The network as a fusion method: the registry entries and ``mtif evaluate --checkpoint``."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from model_helpers import awake_model
from mtif.cli.main import main
from mtif.data.synthetic import make_stack
from mtif.fusion import api
from mtif.io import write_image
from mtif.methods import available_methods, get_method
from mtif.model import save_checkpoint

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture()
def checkpoint(tmp_path):
    torch.manual_seed(0)
    model = awake_model("mtif-small", use_text=False)
    save_checkpoint(tmp_path / "ckpt" / "net", model, model.config, {"task": "mff", "step": 1})
    return tmp_path / "ckpt" / "net"


@pytest.fixture()
def focus_set(tmp_path):
    rng = np.random.default_rng(0)
    for k in range(2):
        photo = rng.random((48, 56, 3)).astype(np.float32)
        stack = make_stack(photo, "mff", rng)
        for folder, img in zip(("A", "B", "GT"), (*stack.inputs, stack.gt), strict=True):
            write_image(tmp_path / "set" / folder / f"s{k}.png", img)
    return tmp_path / "set"


@pytest.mark.filterwarnings("ignore:.*inputs are identical")
def test_registry_lists_network_only_when_weights_ship(monkeypatch):
    from mtif import methods

    monkeypatch.setattr(methods, "shipped_checkpoint", lambda task: None)
    assert not [m for m in available_methods() if m.startswith("mtif-")]
    monkeypatch.setattr(api, "shipped_checkpoint", lambda task: None)
    with pytest.raises(ValueError, match="no network checkpoint for task 'mef'"):
        get_method("mtif-mef").fuse([np.zeros((8, 8), np.float32)] * 2)


def test_evaluate_a_checkpoint(checkpoint, focus_set, tmp_path, capsys):
    out = tmp_path / "run"
    code = main(
        [
            "evaluate",
            "--checkpoint",
            str(checkpoint),
            "--data",
            str(focus_set),
            "--out",
            str(out),
            "--no-progress",
        ]
    )
    assert code == 0, capsys.readouterr().err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["method"] == "net" and summary["task"] == "mff" and summary["n_ok"] == 2
    assert "PSNR_gt" in summary["means"]


def test_evaluate_needs_a_method_or_checkpoint(focus_set, tmp_path, capsys):
    assert main(["evaluate", "--data", str(focus_set), "--out", str(tmp_path / "r")]) == 2
    assert "--method" in capsys.readouterr().err
