"""Training configuration: a dataclass read from YAML, with ``key=value`` overrides.

Unknown keys are rejected (a misspelt key silently ignored costs a training run), and values
from the command line are parsed by the field's declared type, never evaluated.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

import yaml

from mtif.data.intents import needs_truth, task_intents
from mtif.data.splits import split_names
from mtif.losses import TASK_WEIGHTS, LossWeights
from mtif.losses.functional import check_loss_options

ENRICHMENT_MODES = ("saliency", "random", "none")
LOSS_MODES = ("multi-grained", "base-only")
# Describers whose text a network can be trained on ("none" is null_text_rate's business).
TRAIN_DESCRIBERS = ("offline", "vlm", "files")


@dataclass
class TrainConfig:
    """Everything a run needs; written resolved into the run folder as ``config.yaml``."""

    task: str = "mef"  # "mef", "mff" or "ivf": picks the loss weights
    data: str = ""  # training data set folder ({A,B} pairs; GT optional)
    split: str = ""  # train on one part of a shipped split of `data` only, e.g. roadscene:train
    val_data: str = ""  # validation data set with GT; empty: no validation
    out: str = "runs/train"
    model: str = "mtif-small"
    model_overrides: dict[str, Any] = field(default_factory=dict)
    # A checkpoint (stem) whose weights start a new run, which then has its own step count and
    # learning-rate schedule (fine-tuning); ignored once the run folder has a checkpoint. The
    # network must match, except that it may seed a richer blend: single map -> `bands` (every
    # band's map starts as its one map) -> `activity` (gain maps start at zero), and that it may
    # seed one with a restoration branch (`restore_blocks`; the branch starts at zero).
    init: str = ""
    # Train only the parameters under this module name (e.g. `restore`: a restoration branch on
    # top of a seeded network that stays exactly as it was); empty: all of them.
    train_only: str = ""
    steps: int = 2000
    batch_size: int = 8
    patch: int = 128
    lr: float = 8e-5
    lr_min_ratio: float = 0.1  # cosine decay from lr to lr * lr_min_ratio
    seed: int = 0
    # The paper's ablations: w/o TG, w/o ML, w/o VE, VE -> random crop.
    use_text: bool = True
    loss: str = "multi-grained"
    # The gradient terms' and the pixel term's targets (mtif.losses.GRADIENT_REFERENCES,
    # INTENSITY_REFERENCES); "ground-truth" needs data with a GT/ folder (synthetic pairs).
    grad_reference: str = "max-image"
    intensity_reference: str = "max"
    loss_weights: dict[str, Any] = field(default_factory=dict)  # e.g. {beta1: 20}; else paper's
    enrichment: str = "saliency"
    n_views: int = 5
    # Chance that each input of a view is blurred (Gaussian, sigma 1-3 px) before the loss:
    # teaches a network to pick each input's detail where it has some, not always from the
    # input that had more in the training set (infrared; see mtif.engine.patches).
    input_blur: float = 0.0
    # Teaching a network to follow words (mtif.engine.text_plan): the share of views whose
    # semantic text is an intent's wording, with the target that intent makes (mef, ivf), and
    # the share with no text at all (the neutral target).
    intent_rate: float = 0.0
    null_text_rate: float = 0.0
    # Of the intent views, the share whose semantic text is the pair's own followed by the
    # wording (a VLM's paragraph that ends with a wish) rather than the wording alone.
    intent_scene_rate: float = 0.5
    describer: str = "offline"  # "offline", "vlm" (described once, cached) or "files"
    # The files describer's folder of descriptions (see mtif.text.files), e.g. a VLM's output.
    text_dir: str = ""
    encoder: str = "minilm"
    text_cache: str = ""  # empty: <data>/.mtif-cache
    log_every: int = 10
    checkpoint_every: int = 200
    validate_every: int = 500
    val_max_pairs: int = 8
    threads: int = 0  # torch threads per process; 0 keeps torch's default

    @property
    def uses_gt(self) -> bool:
        """Whether the loss compares with the pairs' ground truth."""
        return "ground-truth" in (self.grad_reference, self.intensity_reference)

    @property
    def teaches_words(self) -> bool:
        """Whether views draw intents or null text (``mtif.engine.text_plan``)."""
        return self.intent_rate > 0 or self.null_text_rate > 0

    @property
    def needs_data_truth(self) -> bool:
        """Whether the data set must carry a GT/ folder: the loss uses a ground truth that no
        intent target stands in for (infrared intents make theirs from the inputs)."""
        if self.teaches_words and not needs_truth(self.task):
            return self.grad_reference == "ground-truth"
        return self.uses_gt

    def validate(self) -> None:
        if self.task not in ("mef", "mff", "ivf"):
            raise ValueError(f"task must be mef, mff or ivf, got {self.task!r}")
        if self.loss not in LOSS_MODES:
            raise ValueError(f"loss must be one of {LOSS_MODES}, got {self.loss!r}")
        check_loss_options(self.grad_reference, self.intensity_reference)
        self.resolved_loss_weights()  # a misspelt weight fails here, not after loading
        if self.enrichment not in ENRICHMENT_MODES:
            raise ValueError(
                f"enrichment must be one of {ENRICHMENT_MODES}, got {self.enrichment!r}"
            )
        if not self.data:
            raise ValueError("no training data: set data=DIR (see `mtif synth`)")
        if self.split:
            split_names(self.split)  # a misspelt split fails here, not after loading
        for name in ("steps", "batch_size", "patch", "n_views", "checkpoint_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not 0.0 <= self.input_blur <= 1.0:
            raise ValueError(f"input_blur must be within [0, 1], got {self.input_blur}")
        self._validate_words()
        if self.patch % 4:
            raise ValueError(f"patch must be a multiple of 4, got {self.patch}")

    def _validate_words(self) -> None:
        if self.describer not in TRAIN_DESCRIBERS:
            raise ValueError(f"describer must be one of {TRAIN_DESCRIBERS}, got {self.describer!r}")
        if self.describer == "files" and not self.text_dir:
            raise ValueError("describer: files needs text_dir: the folder of descriptions")
        rates = (self.intent_rate, self.null_text_rate)
        if min(rates) < 0 or sum(rates) > 1:
            raise ValueError(
                f"intent_rate and null_text_rate must be at least 0 and add up to at most 1, got "
                f"{self.intent_rate} and {self.null_text_rate}"
            )
        if not 0 <= self.intent_scene_rate <= 1:
            raise ValueError(
                f"intent_scene_rate must be within [0, 1], got {self.intent_scene_rate}"
            )
        if not self.teaches_words:
            return
        if not self.use_text and self.null_text_rate > 0:
            raise ValueError("null_text_rate leaves text out; use_text=false has none to leave")
        if self.intent_rate > 0:
            task_intents(self.task)  # focus networks have no intents: a clear error
        if self.intensity_reference != "ground-truth":
            raise ValueError(
                "intent_rate/null_text_rate give each view its target through the pixel term: "
                "set intensity_reference=ground-truth"
            )

    def resolved_loss_weights(self) -> LossWeights:
        """The task's weights from the paper (``TASK_WEIGHTS``) with ``loss_weights`` applied."""
        base = dataclasses.asdict(TASK_WEIGHTS[self.task])
        unknown = sorted(set(self.loss_weights) - set(base))
        if unknown:
            raise ValueError(f"unknown loss weights {unknown}; valid names are {sorted(base)}")
        return LossWeights(**{k: float(v) for k, v in {**base, **self.loss_weights}.items()})


def _parse_value(text: str, kind: Any) -> Any:
    if kind is bool:
        lowered = text.strip().lower()
        if lowered not in ("true", "false", "1", "0", "yes", "no"):
            raise ValueError(f"expected true or false, got {text!r}")
        return lowered in ("true", "1", "yes")
    if kind in (int, float, str):
        return kind(text)
    parsed = yaml.safe_load(text)  # dicts such as model_overrides={channels: 8}
    if not isinstance(parsed, dict):
        raise ValueError(f"expected a mapping like {{key: value}}, got {text!r}")
    return parsed


def load_config(path: str | Path | None, overrides: list[str] = ()) -> TrainConfig:
    """Read ``path`` (YAML; may be None) and apply ``key=value`` overrides, rejecting unknowns."""
    values: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such config file")
        loaded = yaml.safe_load(path.read_text()) or {}
        if not isinstance(loaded, dict):
            raise ValueError(f"{path}: expected a mapping of config keys")
        values.update(loaded)
    hints = get_type_hints(TrainConfig)
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep:
            raise ValueError(f"override {item!r}: expected key=value")
        if key not in known:
            raise ValueError(f"unknown config key {key!r}; known keys: {', '.join(sorted(known))}")
        kind = hints[key]
        try:
            values[key] = _parse_value(text, kind if kind in (bool, int, float, str) else dict)
        except ValueError as exc:
            raise ValueError(f"override {item!r}: {exc}") from None
    unknown = set(values) - known
    if unknown:
        raise ValueError(
            f"unknown config key(s) {sorted(unknown)}; known keys: {', '.join(sorted(known))}"
        )
    config = TrainConfig(**values)
    config.validate()
    return config


def dump_config(config: TrainConfig) -> str:
    return yaml.safe_dump(dataclasses.asdict(config), sort_keys=False)
