"""The trainer: strict config, deterministic batches, logs and checkpoints, exact resume after a
kill, and two-process training under torchrun (gloo)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import skimage.data
import torch
from safetensors.torch import load_file

from mtif.data.synthetic import make_stack
from mtif.engine.config import load_config
from mtif.engine.patches import draw_batch, prepare_pair
from mtif.engine.trainer import train
from mtif.io import write_image
from mtif.losses import TASK_WEIGHTS, LossWeights
from mtif.model.network import ACTIVITY_GAINS

TINY = "{channels: [8, 8, 8], heads: [1, 1, 1], aux_channels: 4}"


def _make_set(root: Path, n: int, seed: int) -> Path:
    photo = skimage.data.astronaut().astype(np.float32) / 255.0
    rng = np.random.default_rng(seed)
    for k in range(n):
        y, x = rng.integers(0, 400, size=2)
        stack = make_stack(photo[y : y + 72, x : x + 80], "mef", rng)
        for folder, img in zip("ABG", (*stack.inputs, stack.gt), strict=True):
            write_image(root / (folder if folder != "G" else "GT") / f"p{k}.png", img)
    return root


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("train")
    return _make_set(root / "train", 4, 0), _make_set(root / "val", 2, 1)


def _overrides(data, out: Path, **extra) -> list[str]:
    values = {
        "data": data[0],
        "val_data": data[1],
        "out": out,
        "steps": 6,
        "batch_size": 2,
        "patch": 32,
        "checkpoint_every": 2,
        "validate_every": 3,
        "log_every": 1,
        "threads": 1,
        "model_overrides": TINY,
        "enrichment": "random",
    }
    values.update(extra)
    return [f"{k}={v}" for k, v in values.items()]


def test_config_rejects_unknown_and_parses_types(tmp_path):
    cfg = load_config(None, ["data=x", "steps=7", "use_text=false", "lr=1e-4"])
    assert (cfg.steps, cfg.use_text, cfg.lr) == (7, False, 1e-4)
    with pytest.raises(ValueError, match="unknown config key 'stpes'"):
        load_config(None, ["data=x", "stpes=7"])
    (tmp_path / "c.yaml").write_text("data: x\nlearning_rate: 0.1\n")
    with pytest.raises(ValueError, match="learning_rate"):
        load_config(tmp_path / "c.yaml")
    with pytest.raises(ValueError, match="true or false"):
        load_config(None, ["data=x", "use_text=maybe"])
    with pytest.raises(ValueError, match="enrichment"):
        load_config(None, ["data=x", "enrichment=zoom"])
    with pytest.raises(ValueError, match="no training data"):
        load_config(None, [])


def test_config_loss_settings():
    cfg = load_config(None, ["data=x", "task=mff"])
    assert cfg.resolved_loss_weights() == TASK_WEIGHTS["mff"]  # the paper's, untouched
    cfg = load_config(None, ["data=x", "task=mef", "loss_weights={beta1: 20}"])
    assert cfg.resolved_loss_weights() == LossWeights(10.0, 1.0, 20.0, 100.0)
    with pytest.raises(ValueError, match="unknown loss weights \\['gamma'\\]"):
        load_config(None, ["data=x", "loss_weights={gamma: 1}"])
    for key in ("grad_reference", "intensity_reference"):
        with pytest.raises(ValueError, match=key):
            load_config(None, ["data=x", f"{key}=median"])


@pytest.mark.parametrize("mode", ["saliency", "random", "none"])
def test_batches_depend_only_on_seed_and_step(mode):
    rng = np.random.default_rng(0)
    pairs = [
        prepare_pair(
            f"p{k}",
            rng.random((50, 60), np.float32),
            rng.random((50, 60), np.float32),
            32,
            mode,
            5,
            None,
        )
        for k in range(3)
    ]
    kw = dict(seed=1, batch_size=4, patch=32, enrichment=mode)
    a1, b1, t1, g1 = draw_batch(pairs, step=5, **kw)
    a2, b2, _, _ = draw_batch(pairs, step=5, **kw)
    a3, _, _, _ = draw_batch(pairs, step=6, **kw)
    assert a1.shape == b1.shape == (4, 1, 32, 32) and t1 is None and g1 is None
    assert torch.equal(a1, a2) and torch.equal(b1, b2)
    assert not torch.equal(a1, a3)
    if mode == "saliency":
        assert all(len(p.boxes) == 5 for p in pairs)


@pytest.mark.parametrize("mode", ["saliency", "random", "none"])
def test_batches_carry_the_matching_ground_truth_views(mode):
    rng = np.random.default_rng(2)
    pairs = []
    for k in range(3):
        a, b = rng.random((50, 60), np.float32), rng.random((50, 60), np.float32)
        pairs.append(prepare_pair(f"p{k}", a, b, 32, mode, 5, None, gt=(a + b) / 2))
    batch = draw_batch(pairs, step=3, seed=1, batch_size=4, patch=32, enrichment=mode)
    assert batch.gt is not None and batch.gt.shape == batch.a.shape
    torch.testing.assert_close(batch.gt, (batch.a + batch.b) / 2)  # the same crop of all three


def test_input_blur_smooths_inputs_by_chance_and_keeps_the_ground_truth():
    rng = np.random.default_rng(4)
    a, b = rng.random((64, 64), np.float32), rng.random((64, 64), np.float32)
    pairs = [prepare_pair("p", a, b, 32, "random", 5, None, gt=a.copy())]
    kw = dict(seed=1, batch_size=16, patch=32, enrichment="random")
    plain = draw_batch(pairs, step=0, **kw)
    always = draw_batch(pairs, step=0, input_blur=1.0, **kw)
    # Blurring white noise lowers its variance a lot; the ground truth is never blurred.
    assert (always.a.std(dim=(1, 2, 3)) < 0.5 * plain.a.std(dim=(1, 2, 3))).all()
    assert (always.b.std(dim=(1, 2, 3)) < 0.5 * plain.b.std(dim=(1, 2, 3))).all()
    torch.testing.assert_close(always.gt, plain.gt)
    some = draw_batch(pairs, step=0, input_blur=0.5, **kw)
    blurred = some.a.std(dim=(1, 2, 3)) < 0.5 * plain.a.std(dim=(1, 2, 3))
    assert 0 < int(blurred.sum()) < 16
    torch.testing.assert_close(some.a, draw_batch(pairs, step=0, input_blur=0.5, **kw).a)
    with pytest.raises(ValueError, match="input_blur"):
        load_config(None, ["data=x", "input_blur=1.5"])


def test_ground_truth_loss_trains_and_needs_a_gt_folder(data, tmp_path):
    refs = {"grad_reference": "ground-truth", "intensity_reference": "ground-truth"}
    out = tmp_path / "gt"
    train(load_config(None, _overrides(data, out, steps=2, **refs)), progress=False)
    assert (out / "checkpoints" / "step_0000002.safetensors").is_file()
    no_gt = tmp_path / "no_gt"
    for folder in ("A", "B"):
        (no_gt / folder).mkdir(parents=True)
        for f in (data[0] / folder).iterdir():
            (no_gt / folder / f.name).write_bytes(f.read_bytes())
    with pytest.raises(ValueError, match="has no ground truth"):
        train(load_config(None, _overrides((no_gt, data[1]), tmp_path / "x", **refs)))


def test_run_writes_logs_checkpoints_validation(data, tmp_path):
    out = tmp_path / "run"
    train(load_config(None, _overrides(data, out, enrichment="saliency")), progress=False)
    log = (out / "log.csv").read_text().splitlines()
    header = log[0].split(",")
    for term in ("total", "base_pixel", "base_grad", "feat_grad", "feat_ssim", "lr"):
        assert term in header
    assert [int(r.split(",")[0]) for r in log[1:]] == [1, 2, 3, 4, 5, 6]
    val = (out / "validation.csv").read_text().splitlines()
    assert val[0].startswith("step,EN,SD,SF,AG,VIF,Qabf") and "PSNR_gt" in val[0]
    assert [r.split(",")[0] for r in val[1:]] == ["3", "6"]
    assert (out / "checkpoints" / "latest").read_text().strip() == "step_0000006"
    assert (out / "config.yaml").is_file()
    lrs = [float(r.split(",")[header.index("lr")]) for r in log[1:]]
    assert lrs == sorted(lrs, reverse=True) and lrs[0] < 8e-5  # decaying schedule


def _final_weights(out: Path) -> dict[str, torch.Tensor]:
    return load_file(out / "checkpoints" / "step_0000006.safetensors")


def test_killed_run_resumes_exactly(data, tmp_path):
    reference = tmp_path / "whole"
    train(load_config(None, _overrides(data, reference)), progress=False)

    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "mtif", "train", *_overrides(data, out), "--no-progress"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    latest = out / "checkpoints" / "latest"
    deadline = time.monotonic() + 120
    while not (latest.exists() and latest.read_text().strip() >= "step_0000002"):
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "no checkpoint within 120 s"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert latest.read_text().strip() != "step_0000006"  # really stopped mid-way

    train(load_config(None, _overrides(data, out)), progress=False)
    whole, resumed = _final_weights(reference), _final_weights(out)
    assert whole.keys() == resumed.keys()
    for key in whole:
        assert torch.equal(whole[key], resumed[key]), key
    steps = [r.split(",")[0] for r in (out / "log.csv").read_text().splitlines()[1:]]
    assert steps == ["1", "2", "3", "4", "5", "6"]


def test_finished_run_continues_with_more_steps(data, tmp_path):
    # How the shipped focus network got from 3000 to 6000 steps: the same out= with more steps
    # resumes at the last checkpoint, and the cosine schedule is recomputed for the new length.
    out = tmp_path / "run"
    train(load_config(None, _overrides(data, out)), progress=False)
    first = _final_weights(out)
    train(load_config(None, _overrides(data, out, steps=10)), progress=False)
    rows = (out / "log.csv").read_text().splitlines()
    header = rows[0].split(",")
    steps = [int(r.split(",")[0]) for r in rows[1:]]
    assert steps == list(range(1, 11))
    lrs = [float(r.split(",")[header.index("lr")]) for r in rows[1:]]
    assert lrs[6] > lrs[5]  # a warm restart: step 7 of 10 has a larger rate than step 6 of 6
    assert (out / "checkpoints" / "latest").read_text().strip() == "step_0000010"
    later = load_file(out / "checkpoints" / "step_0000010.safetensors")
    assert any(not torch.equal(first[k], later[k]) for k in first)


def test_init_starts_a_new_run_from_a_checkpoint(data, tmp_path):
    # Fine-tuning with a fresh schedule: the new run starts from the checkpoint's weights (at a
    # zero rate they stay exactly those) and counts its own steps; a different network refuses.
    source = tmp_path / "source"
    train(load_config(None, _overrides(data, source)), progress=False)
    stem = source / "checkpoints" / "step_0000006"
    tuned = tmp_path / "tuned"
    train(load_config(None, _overrides(data, tuned, init=stem, steps=4, lr=0.0)), progress=False)
    assert (tuned / "checkpoints" / "latest").read_text().strip() == "step_0000004"
    start = _final_weights(source)
    end = load_file(tuned / "checkpoints" / "step_0000004.safetensors")
    assert all(torch.equal(start[k], end[k]) for k in start)
    wider = _overrides(data, tmp_path / "wider", init=stem, steps=2)
    wider[wider.index(f"model_overrides={TINY}")] = "model_overrides={channels: [8, 8, 16]}"
    with pytest.raises(ValueError, match="differs from this run"):
        train(load_config(None, wider), progress=False)
    # A single-map network may seed a map-per-band one (every band starts from its one map).
    bands = _overrides(data, tmp_path / "bands", init=stem, steps=2, lr=0.0)
    bands[bands.index(f"model_overrides={TINY}")] = f"model_overrides={TINY[:-1]}, blend: bands}}"
    train(load_config(None, bands), progress=False)
    seeded = load_file(tmp_path / "bands" / "checkpoints" / "step_0000002.safetensors")
    band_logit = start["head.bias"][0] - start["head.bias"][1]
    torch.testing.assert_close(seeded["head.bias"][0], band_logit)
    # ... and a map-per-band one with gain maps, which start at zero.
    act = _overrides(data, tmp_path / "act", init=stem, steps=2, lr=0.0)
    act[act.index(f"model_overrides={TINY}")] = f"model_overrides={TINY[:-1]}, blend: activity}}"
    train(load_config(None, act), progress=False)
    seeded = load_file(tmp_path / "act" / "checkpoints" / "step_0000002.safetensors")
    torch.testing.assert_close(seeded["head.bias"][0], band_logit)
    assert not seeded["head.bias"][ACTIVITY_GAINS].any()
    # ... and one with a restoration branch, trained alone: the rest stays exactly the seed.
    restore = _overrides(data, tmp_path / "restore", init=stem, steps=3, train_only="restore")
    restore[restore.index(f"model_overrides={TINY}")] = (
        f"model_overrides={TINY[:-1]}, restore_blocks: 1}}"
    )
    train(load_config(None, restore), progress=False)
    seeded = load_file(tmp_path / "restore" / "checkpoints" / "step_0000003.safetensors")
    assert all(torch.equal(start[k], seeded[k]) for k in start)
    assert seeded["restore.2.weight"].abs().sum() > 0  # its output layer left zero
    nowhere = _overrides(data, tmp_path / "nowhere", init=stem, steps=2, train_only="restor")
    with pytest.raises(ValueError, match="train_only=restor"):
        train(load_config(None, nowhere), progress=False)
    # A wrong path fails before any data is read (here there is none to read).
    missing = _overrides(data, tmp_path / "missing", init=tmp_path / "nowhere", steps=2)
    missing[0] = f"data={tmp_path / 'no-data'}"
    with pytest.raises(FileNotFoundError, match="nowhere"):
        train(load_config(None, missing), progress=False)


def test_ablation_switches(data, tmp_path):
    out = tmp_path / "ablation"
    cfg = load_config(
        None,
        _overrides(
            data, out, use_text="false", loss="base-only", enrichment="none", steps=2, val_data=""
        ),
    )
    train(cfg, progress=False)
    header = (out / "log.csv").read_text().splitlines()[0].split(",")
    assert "feat_grad" not in header and "base_grad" in header
    from mtif.model import load_model

    assert load_model(out / "checkpoints" / "step_0000002").tgvm is None


@pytest.mark.skipif(sys.platform != "linux", reason="torchrun test written for Linux")
def test_torchrun_two_processes_gloo(data, tmp_path):
    out = tmp_path / "ddp"
    torchrun = Path(sys.executable).with_name("torchrun")
    cmd = [
        str(torchrun),
        "--nproc_per_node=2",
        "--standalone",
        "-m",
        "mtif",
        "train",
        *_overrides(data, out, steps=2, use_text="false", val_data=""),
        "--no-progress",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    # A session of its own, so a hung rendezvous can be killed with every worker it started.
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    try:
        _, stderr = proc.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    assert proc.returncode == 0, stderr[-2000:]
    assert (out / "checkpoints" / "latest").read_text().strip() == "step_0000002"
    steps = [r.split(",")[0] for r in (out / "log.csv").read_text().splitlines()[1:]]
    assert steps == ["1", "2"]  # one writer: rank 0


def test_saliency_views_are_cached_and_reused(data, tmp_path, monkeypatch):
    from mtif.engine import patches
    from mtif.engine.training_data import load_training_pairs

    cfg = load_config(
        None,
        _overrides(
            data,
            tmp_path / "r",
            enrichment="saliency",
            use_text="false",
            text_cache=tmp_path / "cache",
        ),
    )
    first = load_training_pairs(cfg, progress=False)
    assert len(list((tmp_path / "cache" / "views").glob("*.json"))) == 4

    def no_saliency(*args, **kwargs):
        raise AssertionError("saliency recomputed despite the cache")

    monkeypatch.setattr(patches, "pair_saliency", no_saliency)
    again = load_training_pairs(cfg, progress=False)
    assert [p.boxes for p in again] == [p.boxes for p in first]
    assert all(len(p.boxes) == 5 for p in again)


def test_split_restricts_training_pairs_only(tmp_path):
    from mtif.data import load_split
    from mtif.engine.training_data import load_training_pairs, load_validation_pairs

    # A folder named like RoadScene (tiny flat images: only the names matter here).
    split = load_split("roadscene")
    for name in split["train"] + split["test"]:
        for folder in ("A", "B", "GT"):
            write_image(tmp_path / folder / f"{name}.png", np.full((8, 8), 0.5, np.float32))
    values = dict(data=tmp_path, val_data=tmp_path, split="roadscene:train", patch=8)
    extra = dict(use_text="false", enrichment="none", val_max_pairs=300)
    cfg = load_config(None, [f"{k}={v}" for k, v in {**values, **extra}.items()])
    assert [p.name for p in load_training_pairs(cfg, progress=False)] == split["train"]
    assert len(load_validation_pairs(cfg)) == 221  # validation is not restricted
    with pytest.raises(ValueError, match="NAME:PART"):
        load_config(None, ["data=x", "split=roadscene:val"])
