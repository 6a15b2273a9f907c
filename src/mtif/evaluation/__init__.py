"""Evaluation: run a method over a data set, tabulate mean scores, compare with the paper."""

from mtif.evaluation.published import (
    PUBLISHED_DATASETS,
    published_rows,
    published_table,
)
from mtif.evaluation.report import Row, compare_runs, markdown_table, read_summary
from mtif.evaluation.runner import Failure, RunResult, run_evaluation

__all__ = [
    "PUBLISHED_DATASETS",
    "Failure",
    "Row",
    "RunResult",
    "compare_runs",
    "markdown_table",
    "published_rows",
    "published_table",
    "read_summary",
    "run_evaluation",
]
