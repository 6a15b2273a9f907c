"""Fixed train/test splits of data sets that ship without one, as lists of sample names.

A split is a JSON file ``mtif/data/splits/<name>.json`` holding ``{"train": [...], "test":
[...]}`` (sample stems, in natural order), written once by ``make_split`` and committed, so a
split never changes with the files on disk or the library versions.

``roadscene.json`` (221 infrared + visible pairs; the paper trains IVF on an MSRS subset we do
not have) was made by::

    names = [s.name for s in find_samples("../shared/data/RoadScene").samples]
    make_split(names, n_train=150, seed=2026)

A split is named on the command line and in configs as ``"<name>:<part>"``, e.g.
``"roadscene:test"`` (``split_names``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources

import numpy as np

from mtif.data.pairs import natural_key

PARTS = ("train", "test")


def make_split(names: Sequence[str], n_train: int, seed: int) -> dict[str, list[str]]:
    """Split ``names`` at random but reproducibly: ``n_train`` for training, the rest for test.

    The names are sorted naturally first (so their order on disk does not matter), permuted
    with ``numpy.random.default_rng(seed)``, and the first ``n_train`` of the permutation are
    the training part. Both parts come back in natural order. Raises ValueError for repeated
    names or an ``n_train`` outside ``0..len(names)``.
    """
    ordered = sorted(names, key=natural_key)
    if len(set(ordered)) != len(ordered):
        repeated = sorted({n for n in ordered if ordered.count(n) > 1}, key=natural_key)
        raise ValueError(f"sample names must be unique; repeated: {', '.join(repeated[:5])}")
    if not 0 <= n_train <= len(ordered):
        raise ValueError(f"n_train must be between 0 and {len(ordered)}, got {n_train}")
    order = np.random.default_rng(seed).permutation(len(ordered))
    train = sorted((ordered[i] for i in order[:n_train]), key=natural_key)
    test = sorted((ordered[i] for i in order[n_train:]), key=natural_key)
    return {"train": train, "test": test}


def available_splits() -> list[str]:
    """Names of the splits shipped with mtif (``roadscene``, ...)."""
    folder = resources.files("mtif.data") / "splits"
    return sorted(p.name[: -len(".json")] for p in folder.iterdir() if p.name.endswith(".json"))


def load_split(name: str) -> dict[str, list[str]]:
    """The shipped split ``name``: ``{"train": [...], "test": [...]}``. Unknown -> ValueError."""
    known = available_splits()
    if name not in known:
        raise ValueError(f"unknown split {name!r}; shipped splits: {', '.join(known)}")
    text = (resources.files("mtif.data") / "splits" / f"{name}.json").read_text()
    data = json.loads(text)
    return {part: list(data[part]) for part in PARTS}


def split_names(spec: str) -> list[str]:
    """Sample names of a split part given as ``"<name>:<part>"``, e.g. ``"roadscene:test"``."""
    name, sep, part = spec.partition(":")
    if not sep or part not in PARTS:
        raise ValueError(
            f"expected a split as NAME:PART with PART one of {', '.join(PARTS)} "
            f"(e.g. roadscene:test), got {spec!r}"
        )
    return load_split(name)[part]
