"""Data sets: finding aligned input series on disk and synthesising training pairs."""

from mtif.data.pairs import (
    Sample,
    SampleSet,
    find_samples,
    infer_task,
    natural_key,
    select_samples,
)
from mtif.data.splits import load_split, make_split, split_names

__all__ = [
    "Sample",
    "SampleSet",
    "find_samples",
    "infer_task",
    "load_split",
    "make_split",
    "natural_key",
    "select_samples",
    "split_names",
]
