"""Run one fusion method over a data set folder and score every result.

Output folder layout::

    fused/<name>.png   the fused images, 8-bit (what the metrics score)
    per_image.csv      name, EN SD SF AG VIF Qabf [PSNR_gt SSIM_gt], seconds
    summary.json       method, data, counts, failures with reasons, mean scores
    summary.md         the mean table in Markdown, and the failures
    run.json           method, data path, mtif version, start and end time

Scores are computed on the saved PNG as the reference evaluator reads it, against the first
and the last input: the paper's metrics are defined for two sources, so a series of N > 2
inputs (e.g. ``A B C``) is scored against its two extremes (A and C).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import platform
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from mtif import __version__
from mtif.data.pairs import Sample, find_samples, select_samples
from mtif.evaluation.report import markdown_table, metric_columns
from mtif.io import atomic_write_bytes, read_image, write_image
from mtif.methods import FusionMethod, get_method
from mtif.metrics import evaluate

_log = logging.getLogger(__name__)
RESULT_FILES = ("run.json", "summary.json", "summary.md", "per_image.csv")


@dataclass(frozen=True)
class Failure:
    """A sample that produced no score, and why (one line, prefixed by the failing stage)."""

    name: str
    reason: str


@dataclass
class RunResult:
    """What ``run_evaluation`` did: per-image rows, failures, and means (paper column order)."""

    out_dir: Path
    method: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    means: dict[str, float] = field(default_factory=dict)
    unpaired: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass(frozen=True)
class GroundTruthReference:
    """Stands for a method whose output is each sample's ground truth (GT/) itself: a reference
    row telling how the no-reference metrics rate the true scene (select with ``GROUND_TRUTH``)."""

    name: str = "ground-truth"
    task: str = "reference"


#: ``run_evaluation``'s method name for ``GroundTruthReference``.
GROUND_TRUTH = GroundTruthReference.name


class SampleError(Exception):
    """One sample could not be fused or scored; the message is the one-line reason."""


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _prepare_out_dir(out_dir: Path, overwrite: bool) -> Path:
    """Create ``out_dir/fused``; refuse to mix with an earlier run unless ``overwrite``."""
    fused_dir = out_dir / "fused"
    earlier = [n for n in RESULT_FILES if (out_dir / n).exists()]
    earlier += ["fused/*.png"] if fused_dir.is_dir() and any(fused_dir.glob("*.png")) else []
    if earlier and not overwrite:
        raise FileExistsError(
            f"{out_dir} already holds results ({', '.join(earlier)}); "
            "pass --overwrite to replace them or choose another --out folder"
        )
    if overwrite and fused_dir.is_dir():
        # Stale images of samples that are no longer in the data set must not linger.
        for old in fused_dir.glob("*.png"):
            old.unlink()
    fused_dir.mkdir(parents=True, exist_ok=True)
    return fused_dir


def _score_sample(
    method: FusionMethod | GroundTruthReference, sample: Sample, fused_path: Path
) -> dict[str, Any]:
    """Fuse, save and score one sample; raises with the stage that failed in the message."""
    stage = "read"
    try:
        images = [read_image(p) for p in sample.inputs]
        sizes = [im.shape[:2] for im in images]
        if len(set(sizes)) > 1:
            listed = ", ".join(
                f"{p.parent.name}/{p.name} {w}x{h}"
                for p, (h, w) in zip(sample.inputs, sizes, strict=True)
            )
            raise ValueError(f"inputs differ in size: {listed}")
        stage = "fuse"
        start = time.perf_counter()
        if isinstance(method, GroundTruthReference):
            if sample.gt is None:
                raise ValueError("no ground truth (GT/) for this sample")
            fused = read_image(sample.gt)
        else:
            fused = np.asarray(method.fuse(images))
        seconds = time.perf_counter() - start
        if fused.shape[:2] != sizes[0]:
            raise ValueError(f"method returned shape {fused.shape} for inputs of {sizes[0]}")
        stage = "write"
        write_image(fused_path, fused, overwrite=True)
        stage = "metrics"
        scores = evaluate(fused_path, sample.inputs[0], sample.inputs[-1], gt=sample.gt)
    except Exception as exc:  # noqa: BLE001 - any per-sample error is reported, the run goes on
        _log.debug("sample %s failed", sample.name, exc_info=True)
        raise SampleError(f"{stage}: {_one_line(exc)}") from exc
    return {"name": sample.name, **scores, "seconds": seconds}


def _csv_text(rows: list[dict[str, Any]], columns: list[str]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["name", *columns, "seconds"])
    for row in rows:
        # repr keeps every digit, so the file reads back to the exact float.
        writer.writerow(
            [
                row["name"],
                *(repr(row[c]) if c in row else "" for c in columns),
                repr(row["seconds"]),
            ]
        )
    return buf.getvalue()


def _means(rows: list[dict[str, Any]], columns: list[str]) -> dict[str, float]:
    """Mean per column over the rows that have it (GT scores exist only where GT does)."""
    means = {}
    for c in columns:
        values = [r[c] for r in rows if c in r]
        if values:
            means[c] = float(np.mean(values))
    return means


def _summary_md(result: RunResult, data_dir: Path, columns: list[str], n: int) -> str:
    parts = [
        f"# {result.method} on {data_dir}\n",
        f"Mean over {len(result.rows)} of {n} samples (scored against the first and last input).\n",
        markdown_table([(result.method, result.means)], columns, bold_best=False),
    ]
    if result.failures:
        parts.append(f"Failed ({len(result.failures)}):\n")
        parts.append("".join(f"- {f.name}: {f.reason}\n" for f in result.failures))
    if result.unpaired:
        parts.append(f"Data set notes ({len(result.unpaired)}):\n")
        parts.append("".join(f"- {u}\n" for u in result.unpaired))
    return "\n".join(parts)


def _finite(value: Any) -> Any:
    """Non-finite floats (PSNR of identical images) as None: standard JSON has no Infinity."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    return value


def _write_json(path: Path, doc: dict[str, Any]) -> None:
    atomic_write_bytes(path, (json.dumps(_finite(doc), indent=2) + "\n").encode())


def run_evaluation(
    method: str | FusionMethod | GroundTruthReference,
    data_dir: str | Path,
    out_dir: str | Path,
    *,
    overwrite: bool = False,
    progress: bool = True,
    names: Sequence[str] | None = None,
) -> RunResult:
    """Fuse and score every sample of ``data_dir`` (see ``find_samples``), writing ``out_dir``.
    ``method`` ``GROUND_TRUTH`` scores each sample's GT/ image instead of fusing.

    ``names``: score only these samples (e.g. ``split_names("roadscene:test")``); a name that
    is not a complete sample of ``data_dir`` raises ValueError before anything is written.

    A sample that cannot be read, has inputs of different sizes, or makes the method or the
    metrics fail is recorded in ``RunResult.failures`` and skipped. ``seconds`` is the time of
    ``method.fuse`` alone. Raises FileExistsError if ``out_dir`` holds an earlier run and
    ``overwrite`` is False, and ValueError if ``data_dir`` holds no samples.
    """
    if method == GROUND_TRUTH:
        fusion: FusionMethod | GroundTruthReference = GroundTruthReference()
    else:
        fusion = get_method(method) if isinstance(method, str) else method
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    found = find_samples(data_dir)
    if names is not None:
        found = select_samples(found, names)
    fused_dir = _prepare_out_dir(out_dir, overwrite)
    run_info = {
        "method": fusion.name,
        "task": fusion.task,
        "data": str(data_dir.resolve()),
        "data_task_hint": found.task,
        "selected": None if names is None else len(found.samples),
        "mtif_version": __version__,
        "python": platform.python_version(),
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "finished": None,
    }
    _write_json(out_dir / "run.json", run_info)

    result = RunResult(out_dir, fusion.name, unpaired=list(found.unpaired))
    bar = tqdm(found.samples, desc=fusion.name, unit="img", file=sys.stderr, disable=not progress)
    for sample in bar:
        try:
            result.rows.append(_score_sample(fusion, sample, fused_dir / f"{sample.name}.png"))
        except SampleError as exc:
            result.failures.append(Failure(sample.name, str(exc)))
            bar.set_postfix(failed=len(result.failures))

    columns = [c for c in metric_columns(result.rows) if c not in ("name", "seconds")]
    result.means = _means(result.rows, columns)
    n = len(found.samples)
    atomic_write_bytes(out_dir / "per_image.csv", _csv_text(result.rows, columns).encode())
    summary = {
        "method": fusion.name,
        "task": fusion.task,
        "data": run_info["data"],
        "n_samples": n,
        "n_ok": len(result.rows),
        "n_failed": len(result.failures),
        "failures": [{"name": f.name, "reason": f.reason} for f in result.failures],
        "unpaired": result.unpaired,
        "scored_against": "first and last input",
        "metrics": columns,
        "means": result.means,
        "mean_seconds": float(np.mean([r["seconds"] for r in result.rows]))
        if result.rows
        else None,
    }
    _write_json(out_dir / "summary.json", summary)
    atomic_write_bytes(out_dir / "summary.md", _summary_md(result, data_dir, columns, n).encode())
    run_info["finished"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    _write_json(out_dir / "run.json", run_info)
    return result
