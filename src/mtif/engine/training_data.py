"""Loading a run's training and validation pairs: luma images, saliency views, text features."""

from __future__ import annotations

import json
from dataclasses import asdict
from hashlib import sha256
from pathlib import Path

import numpy as np
from tqdm import tqdm

from mtif.data.enrichment import CropBox
from mtif.data.intents import neutral_intent, task_intents
from mtif.data.pairs import Sample, find_samples, select_samples
from mtif.data.saliency import u2netp_path
from mtif.data.splits import split_names
from mtif.engine.config import TrainConfig
from mtif.engine.patches import TrainPair, prepare_pair
from mtif.engine.text_plan import TextPlan
from mtif.engine.validation import ValPair
from mtif.io import atomic_write_bytes, read_image
from mtif.text import (
    Describer,
    Descriptions,
    LevelTokens,
    TextCache,
    TextFeatures,
    default_cache_dir,
    get_describer,
    get_encoder,
)
from mtif.text.cache import file_digest
from mtif.text.pipeline import describe_cached, encode_cached


def _samples(data: str, what: str, split: str = "") -> list[Sample]:
    """The samples of ``data``; with ``split`` ("roadscene:train"), only that part of it."""
    found = find_samples(Path(data))
    if split:
        found = select_samples(found, split_names(split))
    if not found.samples:
        raise ValueError(f"{data}: no {what} pairs found")
    return found.samples


def training_describer(config: TrainConfig) -> Describer:
    """The run's describer; the files describer reads ``text_dir`` (a data set's own texts, or
    a VLM's written once with ``mtif describe``)."""
    if config.describer == "files":
        return get_describer("files", text_dir=config.text_dir)
    return get_describer(config.describer)


def _texts(
    samples: list[Sample], config: TrainConfig, data: str, progress: bool
) -> tuple[list[TextFeatures | None], list[Descriptions | None]]:
    """Each pair's encoded descriptions and the descriptions themselves (from the cache when
    present), or Nones without text."""
    if not config.use_text:
        return [None] * len(samples), [None] * len(samples)
    describer = training_describer(config)
    encoder = get_encoder(config.encoder)
    cache = TextCache(Path(config.text_cache) if config.text_cache else default_cache_dir(data))
    bar = tqdm(samples, desc="text features", unit="pair", disable=not progress)
    feats, texts = [], []
    for s in bar:
        desc = describe_cached(s.inputs, describer, cache)[0]
        texts.append(desc)
        feats.append(encode_cached(desc, encoder, cache)[0])
    return feats, texts


def text_plan(config: TrainConfig, encoder_identity: str, dim: int) -> TextPlan | None:
    """The run's ``TextPlan`` (its intents' training wordings encoded), or None."""
    if not config.teaches_words:
        return None
    intents = (
        task_intents(config.task) if config.intent_rate > 0 else (neutral_intent(config.task),)
    )
    encoder = get_encoder(config.encoder)
    # The focus task's neutral intent has no wordings: a plan of null text only.
    wordings = tuple(
        tuple(encoder.encode_texts(i.train_wordings)) if i.train_wordings else () for i in intents
    )
    rates = (config.intent_rate, config.null_text_rate)
    return TextPlan(intents, wordings, *rates, dim, encoder_identity, config.intent_scene_rate)


def _scene_intents(
    texts: list[Descriptions | None], config: TrainConfig, progress: bool
) -> list[tuple[LevelTokens, ...]]:
    """Per pair and intent: the pair's semantic description followed by one of the intent's
    training wordings (drawn by the run's seed and the pair's place), encoded in batches.
    Empty without intents or without text."""
    if config.intent_rate <= 0 or config.intent_scene_rate <= 0 or not config.use_text:
        return [()] * len(texts)
    intents = task_intents(config.task)
    encoder = get_encoder(config.encoder)
    joined = []
    for k, desc in enumerate(texts):
        rng = np.random.default_rng([config.seed, k])
        for intent in intents:
            wording = intent.train_wordings[int(rng.integers(len(intent.train_wordings)))]
            joined.append(f"{desc.semantic} {wording}")
    chunks = range(0, len(joined), 64)
    tokens: list[LevelTokens] = []
    for start in tqdm(chunks, desc="intent texts", unit="batch", disable=not progress):
        tokens.extend(encoder.encode_texts(joined[start : start + 64]))
    n = len(intents)
    return [tuple(tokens[k * n : (k + 1) * n]) for k in range(len(texts))]


def _luma_pair(sample: Sample):
    # A series trains as its two extremes (darkest/brightest, nearest/farthest).
    return read_image(sample.inputs[0], grey=True), read_image(sample.inputs[-1], grey=True)


def _views_path(sample: Sample, config: TrainConfig) -> Path:
    """Where a pair's saliency views are cached: keyed by its files, the crop geometry and
    the saliency model, beside the text cache (U^2-Net-P costs ~0.4 s a pair on a CPU)."""
    backend = "u2netp" if u2netp_path() is not None else "spectral"
    ends = (sample.inputs[0], sample.inputs[-1])
    payload = json.dumps([[file_digest(p) for p in ends], config.patch, config.n_views, backend])
    root = Path(config.text_cache) if config.text_cache else default_cache_dir(config.data)
    return root / "views" / f"{sha256(payload.encode()).hexdigest()}.json"


def _cached_boxes(path: Path) -> tuple[CropBox, ...] | None:
    if not path.is_file():
        return None
    return tuple(CropBox(**box) for box in json.loads(path.read_text()))


def _ground_truth(sample: Sample, config: TrainConfig) -> np.ndarray | None:
    if not config.needs_data_truth:
        return None
    if sample.gt is None:
        raise ValueError(
            f"{config.data}: sample {sample.name!r} has no ground truth (GT/), which the "
            "'ground-truth' loss reference needs"
        )
    return read_image(sample.gt, grey=True)


def load_training_pairs(config: TrainConfig, *, progress: bool = True) -> list[TrainPair]:
    samples = _samples(config.data, "training", config.split)
    texts, descriptions = _texts(samples, config, config.data, progress)
    scenes = _scene_intents(descriptions, config, progress)
    pairs = []
    for sample, text, scene in tqdm(
        list(zip(samples, texts, scenes, strict=True)),
        desc="views",
        unit="pair",
        disable=not progress,
    ):
        a, b = _luma_pair(sample)
        cache = _views_path(sample, config) if config.enrichment == "saliency" else None
        boxes = _cached_boxes(cache) if cache is not None else None
        pair = prepare_pair(
            sample.name,
            a,
            b,
            config.patch,
            config.enrichment,
            config.n_views,
            text,
            boxes,
            _ground_truth(sample, config),
            scene,
        )
        if cache is not None and boxes is None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(cache, json.dumps([asdict(box) for box in pair.boxes]).encode())
        pairs.append(pair)
    return pairs


def load_validation_pairs(config: TrainConfig) -> list[ValPair]:
    if not config.val_data:
        return []
    samples = [s for s in _samples(config.val_data, "validation") if s.gt is not None]
    if not samples:
        raise ValueError(f"{config.val_data}: validation pairs need a GT/ folder")
    samples = samples[: config.val_max_pairs]
    texts = _texts(samples, config, config.val_data, progress=False)[0]
    return [
        ValPair(s.name, *_luma_pair(s), read_image(s.gt, grey=True), text)
        for s, text in zip(samples, texts, strict=True)
    ]
