"""Teaching words: intents' targets and wordings, and the text plan that draws them per view."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mtif.data.intents import (
    EMPHASIS_WEIGHT,
    INTENTS,
    intent_named,
    needs_truth,
    neutral_intent,
    task_intents,
)
from mtif.engine.config import load_config
from mtif.engine.patches import draw_batch, prepare_pair
from mtif.engine.text_plan import TextPlan
from mtif.text import LevelTokens, TextFeatures

DIM = 6


def _tokens(value: float, n: int = 3) -> LevelTokens:
    return LevelTokens(torch.full((n, DIM), value), torch.ones(n, dtype=torch.bool))


def _features(value: float) -> TextFeatures:
    return TextFeatures(levels=(_tokens(value), _tokens(value), _tokens(value)), encoder="t")


def test_wordings_are_distinct_and_held_out_ones_never_train():
    for task, intents in INTENTS.items():
        train = [w.lower() for i in intents for w in i.train_wordings]
        held = [w.lower() for i in intents for w in i.heldout_wordings]
        assert len(set(train)) == len(train), task
        assert not set(train) & set(held), task
        assert all(i.task == task and i.heldout_wordings for i in intents)
    # The issue's own phrasings are for checking, not for training.
    assert "night, keep it dark" in intent_named("mef", "low-key").heldout_wordings
    assert "make the warm targets stand out" in intent_named("ivf", "warm").heldout_wordings


def test_key_targets_darken_and_brighten_the_truth_and_keep_black_and_white():
    gt = np.linspace(0, 1, 101, dtype=np.float32)[None]
    low = intent_named("mef", "low-key").target(gt, gt, gt)
    high = intent_named("mef", "high-key").target(gt, gt, gt)
    assert np.all(low[0, 1:-1] < gt[0, 1:-1]) and np.all(high[0, 1:-1] > gt[0, 1:-1])
    np.testing.assert_allclose([low[0, 0], low[0, -1], high[0, -1]], [0, 1, 1], atol=1e-6)
    np.testing.assert_array_equal(neutral_intent("mef").target(gt, gt, gt), gt)
    with pytest.raises(ValueError, match="ground truth"):
        intent_named("mef", "low-key").target(gt, gt, None)


def test_infrared_targets_weigh_the_named_modality():
    ir = np.array([[0.9, 0.1]], np.float32)
    vis = np.array([[0.2, 0.6]], np.float32)
    both = neutral_intent("ivf").target(ir, vis, None)
    warm = intent_named("ivf", "warm").target(ir, vis, None)
    texture = intent_named("ivf", "texture").target(ir, vis, None)
    np.testing.assert_allclose(both, np.maximum(ir, vis))
    w = EMPHASIS_WEIGHT
    np.testing.assert_allclose(warm, w * ir + (1 - w) * both, rtol=1e-6)
    np.testing.assert_allclose(texture, w * vis + (1 - w) * both, rtol=1e-6)
    assert not needs_truth("ivf") and needs_truth("mef") and needs_truth("mff")
    with pytest.raises(ValueError, match="no intents for task 'mff'"):
        task_intents("mff")


def _plan(intent_rate: float, null_rate: float) -> TextPlan:
    intents = task_intents("mef")
    wordings = tuple((_tokens(10.0 + k),) for k in range(len(intents)))
    return TextPlan(intents, wordings, intent_rate, null_rate, DIM, "t")


def test_plan_draws_text_and_target_together():
    rng = np.random.default_rng(0)
    a, b = rng.random((2, 40, 40), np.float32)
    gt = rng.random((40, 40), np.float32) * 0.8 + 0.1
    scenes = tuple(_tokens(20.0 + k, 5) for k in range(3))
    pairs = [prepare_pair("p", a, b, 32, "random", 5, _features(1.0), gt=gt, scene_intents=scenes)]
    plan = _plan(0.6, 0.2)
    kinds = set()
    for step in range(60):
        batch = draw_batch(
            pairs, step=step, seed=0, batch_size=4, patch=32, enrichment="random", plan=plan
        )
        sem, mask = batch.text.tokens[2], batch.text.masks[2]
        for i in range(4):
            value = float(sem[i, 0, 0]) if mask[i].any() else None
            target = batch.gt[i, 0].numpy()
            if value is None:  # null text: nothing at any level, neutral target
                assert not any(m[i].any() for m in batch.text.masks)
                kinds.add("null")
                assert target.min() >= 0.1 and target.max() <= 0.9
                continue
            k = {1.0: None, 10.0: 0, 20.0: 0, 11.0: 1, 21.0: 1, 12.0: 2, 22.0: 2}[value]
            kinds.add(k)
            # The text names the rule that made the target: low key darkens, high key brightens.
            if k == 1:
                assert target.max() < 0.9**1.6 + 1e-5
            if k == 2:
                assert target.min() > 0.1 ** (1 / 1.6) - 1e-5
            if k in (None, 0):
                assert target.min() >= 0.1 and target.max() <= 0.9
            # Detail and structure stay the pair's own whatever the semantic level says.
            assert float(batch.text.tokens[0][i, 0, 0]) == 1.0
    assert kinds == {"null", None, 0, 1, 2}


def test_plan_rates_are_checked():
    with pytest.raises(ValueError, match="add up to at most 1"):
        _plan(0.8, 0.5)
    with pytest.raises(ValueError, match="add up to at most 1"):
        load_config(None, ["data=x", "intent_rate=0.9", "null_text_rate=0.2"])
    with pytest.raises(ValueError, match="intensity_reference=ground-truth"):
        load_config(None, ["data=x", "intent_rate=0.3"])
    with pytest.raises(ValueError, match="no intents for task 'mff'"):
        load_config(
            None, ["data=x", "task=mff", "intent_rate=0.3", "intensity_reference=ground-truth"]
        )
    with pytest.raises(ValueError, match="text_dir"):
        load_config(None, ["data=x", "describer=files"])
    ivf = load_config(
        None, ["data=x", "task=ivf", "intent_rate=0.3", "intensity_reference=ground-truth"]
    )
    assert not ivf.needs_data_truth  # infrared intents make their targets from the inputs
    mef = load_config(None, ["data=x", "null_text_rate=0.2", "intensity_reference=ground-truth"])
    assert mef.needs_data_truth


def _tiny_set(root, task: str, n: int = 3):
    import skimage.data

    from mtif.data.synthetic import make_stack
    from mtif.io import write_image

    photo = skimage.data.astronaut().astype(np.float32) / 255.0
    rng = np.random.default_rng(0)
    for k in range(n):
        y, x = rng.integers(0, 400, size=2)
        crop = photo[y : y + 64, x : x + 72]
        stack = make_stack(crop, "mef", rng)
        images = {"A": stack.inputs[0], "B": stack.inputs[1], "GT": stack.gt}
        if task == "ivf":  # a stand-in thermal image (grey) and the visible crop, no truth
            images = {"A": 1.0 - crop.mean(axis=2), "B": crop}
        for folder, img in images.items():
            write_image(root / folder / f"p{k}.png", img)
    return root


def _train_tiny(tmp_path, data, **values):
    """Train a tiny network on ``data`` for ``steps`` (default 1) and return the run folder."""
    from mtif.engine.trainer import train

    settings = {
        "data": data,
        "out": tmp_path / "run",
        "steps": 1,
        "batch_size": 2,
        "patch": 32,
        "threads": 1,
        "enrichment": "random",
        "model_overrides": "{channels: [8, 8, 8], heads: [1, 1, 1], aux_channels: 4}",
        "text_cache": tmp_path / "cache",
        **values,
    }
    config = load_config(None, [f"{k}={v}" for k, v in settings.items()])
    return train(config, progress=False)


@pytest.mark.parametrize("task", ["mef", "ivf"])
def test_a_run_learning_words_trains_with_and_without_a_truth(tmp_path, task):
    data = _tiny_set(tmp_path / "data", task)
    run = _train_tiny(
        tmp_path,
        data,
        task=task,
        steps=2,
        batch_size=4,
        intent_rate=0.5,
        null_text_rate=0.25,
        intensity_reference="ground-truth",
        grad_reference="max-gradient",
    )
    assert (run / "checkpoints" / "step_0000002.safetensors").is_file()


def test_focus_runs_learn_null_text_and_runs_without_text_learn_intents_blind(tmp_path):
    data = _tiny_set(tmp_path / "data", "mef")
    for name, extra in {
        "focus-null": {"task": "mff", "null_text_rate": 0.5},
        "wo-tg": {"task": "mef", "intent_rate": 0.5, "use_text": "false"},
    }.items():
        run = _train_tiny(
            tmp_path, data, out=tmp_path / name, intensity_reference="ground-truth", **extra
        )
        assert (run / "checkpoints" / "step_0000001.safetensors").is_file()
    with pytest.raises(ValueError, match="use_text=false has none"):
        load_config(None, ["data=x", "null_text_rate=0.2", "use_text=false"])


def test_training_reads_a_data_sets_own_descriptions(tmp_path):
    import json

    data = _tiny_set(tmp_path / "data", "mef", n=2)
    texts = tmp_path / "texts"
    texts.mkdir()
    for k in range(2):
        words = {"detail": f"pair {k} detail", "structure": "layout", "semantic": "a street"}
        (texts / f"p{k}.json").write_text(json.dumps(words))
    run = _train_tiny(tmp_path, data, describer="files", text_dir=texts)
    assert (run / "checkpoints" / "step_0000001.safetensors").is_file()
    (texts / "p1.json").unlink()
    with pytest.raises(FileNotFoundError, match="no descriptions for 'p1'"):
        _train_tiny(tmp_path, data, describer="files", text_dir=texts, out=tmp_path / "run2")
