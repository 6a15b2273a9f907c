"""Data sets: finding aligned input series on disk and synthesising training pairs."""

from mtif.data.pairs import Sample, SampleSet, find_samples, infer_task, natural_key

__all__ = ["Sample", "SampleSet", "find_samples", "infer_task", "natural_key"]
