"""Markdown tables of mean scores: one run's summary, and several runs side by side."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from mtif.evaluation.published import published_table
from mtif.metrics import HIGHER_IS_BETTER, METRIC_NAMES

# Columns living in [0, 1] that saturate near the top get one more decimal than the paper's two,
# so that differences between good methods stay visible.
DECIMALS: dict[str, int] = {"Qabf": 3, "SSIM_gt": 4}
MISSING = "–"


class Row(NamedTuple):
    """One table row: a label, its scores, and a fixed number of decimals if the values were
    published at that precision (None: the per-metric default of ``DECIMALS``)."""

    label: str
    scores: Mapping[str, float | None]
    decimals: int | None = None


def format_value(metric: str, value: float | None, decimals: int | None = None) -> str:
    """A score as printed in tables: two decimals (three for Qabf, four for SSIM_gt) unless
    ``decimals`` is given."""
    if value is None or math.isnan(value):
        return MISSING
    return f"{value:.{DECIMALS.get(metric, 2) if decimals is None else decimals}f}"


def metric_columns(score_dicts: Iterable[Mapping[str, Any]]) -> list[str]:
    """The paper's six columns first (EN SD SF AG VIF Qabf), then any others in first-seen order."""
    columns = list(METRIC_NAMES)
    for scores in score_dicts:
        columns += [k for k in scores if k not in columns]
    return columns


def markdown_table(
    rows: Sequence[Row | tuple[str, Mapping[str, float | None]]],
    columns: Sequence[str],
    *,
    bold_best: bool = True,
) -> str:
    """A Markdown table, one row per (label, scores[, decimals]).

    With ``bold_best`` the best value of each column is in **bold**, judged on the values as
    printed, so that ties at the printed precision are all bold (a value published as 0.75
    ties with a measured 0.750).
    """
    rows = [Row(*r) for r in rows]
    cells = [[format_value(m, r.scores.get(m), r.decimals) for m in columns] for r in rows]
    lines = ["| Method | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
    for j, metric in enumerate(columns):
        shown = [float(c[j]) for c in cells if c[j] != MISSING]
        if not bold_best or not shown:
            continue
        best = max(shown) if HIGHER_IS_BETTER.get(metric, True) else min(shown)
        for c in cells:
            if c[j] != MISSING and float(c[j]) == best:
                c[j] = f"**{c[j]}**"
    lines += [f"| {r.label} | " + " | ".join(c) + " |" for r, c in zip(rows, cells, strict=True)]
    return "\n".join(lines) + "\n"


def read_summary(run_dir: str | Path) -> dict[str, Any]:
    """The ``summary.json`` that ``run_evaluation`` wrote into ``run_dir``."""
    path = Path(run_dir) / "summary.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: not found; expected a run folder written by `mtif evaluate`"
        )
    try:
        summary = json.loads(path.read_text())
        summary["means"]  # noqa: B018 - a summary without means is not ours
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a summary written by `mtif evaluate` ({exc})") from None
    return summary


def compare_runs(run_dirs: Sequence[str | Path], *, published: str | None = None) -> str:
    """One Markdown table of the mean scores of several runs, method per row.

    ``published`` names a data set (e.g. "lytro", see ``published_rows``) whose rows from the
    paper are appended, labelled "(paper)". The best value of each column, among all rows and
    compared as printed, is in bold (higher is better for all six of the paper's metrics).
    A method appearing in several runs is labelled with its run folder's name.
    """
    if not run_dirs and published is None:
        raise ValueError("nothing to compare: give at least one run folder or a published table")
    summaries = [(Path(d), read_summary(d)) for d in run_dirs]
    methods = [s.get("method", d.name) for d, s in summaries]
    rows: list[Row] = []
    for (run_dir, summary), method in zip(summaries, methods, strict=True):
        label = f"{method} ({run_dir.name})" if methods.count(method) > 1 else method
        rows.append(Row(label, summary["means"]))
    if published is not None:
        paper = published_table(published)
        rows += [Row(f"{m} (paper)", s, paper["decimals"]) for m, s in paper["rows"].items()]
    return markdown_table(rows, metric_columns(r.scores for r in rows))
