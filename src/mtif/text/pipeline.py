"""Descriptions and features for many series, through the cache: what ``mtif describe`` and
``mtif encode`` run, and the one call (``text_features``) fusion and training need.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from tqdm import tqdm

from mtif.data.pairs import Sample
from mtif.text.cache import TextCache, descriptions_key, features_key
from mtif.text.descriptions import Describer, Descriptions
from mtif.text.encoders import TextEncoder
from mtif.text.features import TextFeatures

T = TypeVar("T")


@dataclass
class RunCounts:
    """How many results a run took from the cache and how many it computed."""

    reused: int = 0
    new: int = 0


def describe_cached(
    paths: Sequence[Path], describer: Describer, cache: TextCache | None
) -> tuple[Descriptions, bool]:
    """Descriptions of one series and whether they came from the cache."""
    if cache is None or not describer.cacheable:
        return describer.describe(paths), False
    key = descriptions_key(paths, describer.identity)
    found = cache.get_descriptions(key)
    if found is not None:
        return found, True
    desc = describer.describe(paths)
    cache.put_descriptions(key, desc, paths, describer.identity)
    return desc, False


def encode_cached(
    descriptions: Descriptions, encoder: TextEncoder, cache: TextCache | None
) -> tuple[TextFeatures, bool]:
    """Features of one series' descriptions and whether they came from the cache."""
    if cache is None:
        return encoder.encode(descriptions), False
    key = features_key(descriptions, encoder.identity)
    found = cache.get_features(key)
    if found is not None:
        return found, True
    feats = encoder.encode(descriptions)
    cache.put_features(key, feats)
    return feats, False


def text_features(
    paths: Sequence[Path], describer: Describer, encoder: TextEncoder, cache: TextCache | None
) -> TextFeatures:
    """Describe (or reuse) and encode (or reuse) one aligned series of image files."""
    return encode_cached(describe_cached(paths, describer, cache)[0], encoder, cache)[0]


def _named(job: Callable[[Sample], T], sample: Sample) -> T:
    """``job(sample)``, with the sample's name put in front of any error message."""
    try:
        return job(sample)
    except Exception as exc:
        if exc.args and isinstance(exc.args[0], str):
            exc.args = (f"{sample.name}: {exc.args[0]}", *exc.args[1:])
        raise


def _results(
    samples: Sequence[Sample], job: Callable[[Sample], T], workers: int
) -> Iterator[tuple[Sample, T]]:
    """``(sample, job(sample))`` as each finishes: in order on this thread, or from a pool."""
    if workers <= 1:
        # On the main thread, ^C and the first error stop the run at once.
        for s in samples:
            yield s, _named(job, s)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(_named, job, s): s for s in samples}
        try:
            for fut in as_completed(futures):
                yield futures[fut], fut.result()
        finally:
            # Without this, leaving the pool would still run every queued sample.
            for other in futures:
                other.cancel()


def _run(
    samples: Sequence[Sample],
    job: Callable[[Sample], tuple[T, bool]],
    workers: int,
    label: str,
    progress: bool,
) -> tuple[dict[str, T], RunCounts]:
    """Run ``job`` on every sample, ``workers`` at a time, with a progress bar."""
    results: dict[str, T] = {}
    counts = RunCounts()
    with tqdm(total=len(samples), desc=label, unit="pair", disable=not progress) as bar:
        for sample, (value, reused) in _results(samples, job, workers):
            results[sample.name] = value
            counts.reused += reused
            counts.new += not reused
            bar.update(1)
    # Completion order depends on timing; report in the samples' own order.
    return {s.name: results[s.name] for s in samples}, counts


def describe_samples(
    samples: Sequence[Sample],
    describer: Describer,
    cache: TextCache | None,
    progress: bool = True,
) -> tuple[dict[str, Descriptions], RunCounts]:
    """Descriptions of every sample, by name. Each is cached as soon as it is written, so an
    interrupted run resumes where it stopped. Remote describers run ``concurrency`` at once."""
    workers = int(getattr(describer, "concurrency", 1))
    return _run(
        samples,
        lambda s: describe_cached(s.inputs, describer, cache),
        workers,
        "describe",
        progress,
    )


def encode_samples(
    descriptions: dict[str, Descriptions],
    samples: Sequence[Sample],
    encoder: TextEncoder,
    cache: TextCache | None,
    progress: bool = True,
) -> tuple[dict[str, TextFeatures], RunCounts]:
    """Features of every sample's descriptions, by name, cached one by one like descriptions."""
    # One worker: the model already uses every core, and torch modules are not re-entrant.
    return _run(
        samples,
        lambda s: encode_cached(descriptions[s.name], encoder, cache),
        1,
        "encode",
        progress,
    )
