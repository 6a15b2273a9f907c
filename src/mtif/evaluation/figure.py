"""A comparison figure: the inputs of a few samples beside the fused images of several runs.

One row per sample; the columns are the inputs (A, B, ... of the data set the runs were made
on) and then each run's ``fused/<name>.png``, titled with the run's method. Every image is
shrunk (or enlarged) to one thumbnail width keeping its aspect ratio, so the columns line up.

The layout is computed in pixels rather than left to matplotlib, so that titles, captions and
images never overlap whatever the number of rows, and the PNG is exactly as wide as the
thumbnails need. Rendering uses the Agg canvas directly: no pyplot global state, safe to call
from library code and threads.
"""

from __future__ import annotations

import csv
import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from mtif.data.pairs import Sample, find_samples, natural_key
from mtif.evaluation.report import format_value, read_summary
from mtif.io import read_image

DEFAULT_WIDTH = 256
DEFAULT_COUNT = 3
LABEL_METRICS = ("Qabf", "VIF")

# Layout in pixels at DPI: 9 pt text is 12.5 px tall, a line takes about 15 px.
DPI = 100
FONT_PT = 9.0
LINE_PX = 15
PAD_PX = 6
ROW_LABEL_PX = 20
CHAR_PX = 6.5  # mean advance of a 9 pt sans-serif character, to wrap titles to a column


class Fitted(NamedTuple):
    """A text laid out for a box: with line breaks, at a font size, taking ``lines`` lines."""

    text: str
    points: float
    lines: int


@dataclass
class FigureRun:
    """What a figure needs from one ``mtif evaluate`` run folder.

    ``fused`` maps sample name -> fused PNG; ``scores`` maps sample name -> metric -> value
    (from ``per_image.csv``; samples whose scoring failed have a fused image but no scores).
    """

    path: Path
    method: str
    data: Path | None
    fused: dict[str, Path]
    scores: dict[str, dict[str, float]] = field(default_factory=dict)


def _read_scores(csv_path: Path) -> dict[str, dict[str, float]]:
    if not csv_path.is_file():
        return {}
    with csv_path.open(newline="") as fh:
        return {
            row["name"]: {k: float(v) for k, v in row.items() if k != "name" and v}
            for row in csv.DictReader(fh)
        }


def load_run(run_dir: str | Path) -> FigureRun:
    """Read the method, data folder, fused images and per-image scores of a run folder."""
    run_dir = Path(run_dir)
    summary = read_summary(run_dir)
    fused_dir = run_dir / "fused"
    if not fused_dir.is_dir():
        raise FileNotFoundError(f"{fused_dir}: not found; expected the fused images of the run")
    fused = {p.stem: p for p in fused_dir.glob("*.png") if not p.name.startswith(".")}
    data = Path(summary["data"]) if summary.get("data") else None
    method = str(summary.get("method") or run_dir.name)
    return FigureRun(run_dir, method, data, fused, _read_scores(run_dir / "per_image.csv"))


def _data_folder(runs: Sequence[FigureRun], data: str | Path | None) -> Path:
    """The one data set all runs were made on, or ``data`` where given (it may have moved)."""
    recorded = {run.data.resolve() if run.data else None for run in runs}
    if len(recorded) > 1:
        listed = ", ".join(f"{run.path} ({run.data})" for run in runs)
        raise ValueError(
            f"the runs were made on different data sets: {listed}; a figure compares runs "
            "on one data set"
        )
    if data is not None:
        return Path(data)
    (folder,) = recorded
    if folder is None or not folder.is_dir():
        raise FileNotFoundError(
            f"the data folder recorded in {runs[0].path}/summary.json ({folder}) is not "
            "there; pass --data DIR with the inputs"
        )
    return folder


def select_samples(
    runs: Sequence[FigureRun],
    available: dict[str, Sample],
    samples: Sequence[str] | None = None,
    count: int = DEFAULT_COUNT,
) -> list[str]:
    """The sample names to show: ``samples`` as given (each checked against every run and the
    data), else the first ``count`` names, in natural order, fused by all runs and in the data.
    """
    if samples is not None:
        if not samples:
            raise ValueError("no samples named; give at least one name")
        for name in samples:
            if name not in available:
                raise ValueError(f"sample {name!r} is not in the data set (its inputs are missing)")
            for run in runs:
                if name not in run.fused:
                    examples = ", ".join(sorted(run.fused, key=natural_key)[:3]) or "none"
                    raise ValueError(
                        f"sample {name!r} is missing in {run.path}/fused/ (it holds "
                        f"{len(run.fused)} images, e.g. {examples})"
                    )
        return list(samples)
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    common = set(available).intersection(*(run.fused for run in runs))
    if not common:
        raise ValueError(
            "no sample is fused by every run and present in the data set; check that the "
            f"runs ({', '.join(str(r.path) for r in runs)}) were made on these inputs"
        )
    return sorted(common, key=natural_key)[:count]


def _thumbnails(paths: Sequence[Path], width: int) -> list[np.ndarray]:
    """The images at ``paths`` as float32 [0, 1], all resized to ``width`` and the height that
    keeps the first one's aspect. INTER_AREA averages areas: no aliasing when shrinking."""
    images = [read_image(p) for p in paths]
    h, w = images[0].shape[:2]
    size = (width, max(1, round(h * width / w)))
    # INTER_AREA can overshoot [0, 1] by a rounding error, which matplotlib complains about.
    return [np.clip(cv2.resize(im, size, interpolation=cv2.INTER_AREA), 0, 1) for im in images]


def _fit(text: str, width_px: float, points: float = FONT_PT, wrap: bool = True) -> Fitted:
    """``text`` wrapped at spaces to ``width_px``, and the font size (at most ``points``) that
    keeps its longest line inside: a word is never split, a too-long one is set smaller."""
    chars = max(1, int(width_px / CHAR_PX))
    if wrap:
        text = textwrap.fill(text, chars, break_long_words=False, break_on_hyphens=False)
    longest = max(len(line) for line in text.splitlines()) if text else 1
    return Fitted(text, min(points, points * chars / longest), text.count("\n") + 1)


def _caption(scores: dict[str, float] | None) -> str:
    if not scores:
        return "not scored"
    return "  ".join(f"{m} {format_value(m, scores.get(m))}" for m in LABEL_METRICS)


def _column_titles(runs: Sequence[FigureRun], folders: Sequence[str]) -> list[str]:
    methods = [run.method for run in runs]
    # The same method twice (e.g. two checkpoints) is told apart by its run folder.
    runs_titles = [
        f"{m} ({r.path.name})" if methods.count(m) > 1 else m
        for m, r in zip(methods, runs, strict=True)
    ]
    return [f"input {f}" for f in folders] + runs_titles


def build_figure(
    run_dirs: Sequence[str | Path],
    samples: Sequence[str] | None = None,
    count: int = DEFAULT_COUNT,
    data: str | Path | None = None,
    width: int = DEFAULT_WIDTH,
    metric_labels: bool = False,
) -> Figure:
    """The comparison figure as a matplotlib ``Figure`` (see ``comparison_figure``).

    It has one axes per image: ``len(rows) * (n_inputs + len(run_dirs))``, row by row.
    """
    if not run_dirs:
        raise ValueError("no run folders given; pass the folders written by `mtif evaluate`")
    if width < 16:
        raise ValueError(f"thumbnail width must be at least 16 px, got {width}")
    runs = [load_run(d) for d in run_dirs]
    found = find_samples(_data_folder(runs, data))
    available = {s.name: s for s in found.samples}
    names = select_samples(runs, available, samples, count)

    titles = [_fit(t, width) for t in _column_titles(runs, found.folders)]
    header_px = LINE_PX * max(t.lines for t in titles) + 2 * PAD_PX
    rows = []
    for name in names:
        sample = available[name]
        thumbs = _thumbnails([*sample.inputs, *(run.fused[name] for run in runs)], width)
        rows.append((sample, thumbs))
    captions = {
        (run.path, name): _fit(_caption(run.scores.get(name)), width, FONT_PT - 1)
        for run in runs
        for name in names
    }
    caption_px = LINE_PX * max(c.lines for c in captions.values()) if metric_labels else 0
    n_cols = len(found.folders) + len(runs)
    fig_w = ROW_LABEL_PX + n_cols * width + (n_cols - 1) * PAD_PX + PAD_PX
    fig_h = header_px + sum(t[0].shape[0] + caption_px + PAD_PX for _, t in rows)

    fig = Figure(figsize=(fig_w / DPI, fig_h / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)

    def frac(x: float, y: float) -> tuple[float, float]:
        # Pixel offsets from the top-left corner to figure fractions (matplotlib: bottom-left).
        return x / fig_w, 1.0 - y / fig_h

    col_x = [ROW_LABEL_PX + c * (width + PAD_PX) for c in range(n_cols)]
    for x, title in zip(col_x, titles, strict=True):
        x_frac, y_frac = frac(x + width / 2, header_px - PAD_PX)
        fig.text(x_frac, y_frac, title.text, ha="center", va="bottom", fontsize=title.points)
    top = header_px
    for sample, thumbs in rows:
        row_h = thumbs[0].shape[0]
        for c, image in enumerate(thumbs):
            left, bottom = frac(col_x[c], top + row_h)
            ax = fig.add_axes((left, bottom, width / fig_w, row_h / fig_h))
            # The axes box already has the thumbnail's aspect; "auto" stops rounding from
            # shrinking it by a pixel.
            ax.imshow(image, cmap="gray", vmin=0.0, vmax=1.0, aspect="auto")
            ax.set_axis_off()
            if metric_labels and c >= len(sample.inputs):
                run = runs[c - len(sample.inputs)]
                x_frac, y_frac = frac(col_x[c] + width / 2, top + row_h + 2)
                caption = captions[run.path, sample.name]
                fig.text(
                    x_frac, y_frac, caption.text, ha="center", va="top", fontsize=caption.points
                )
        # The name runs along the row's height; a long one is set smaller to stay beside it.
        label = _fit(sample.name, row_h, wrap=False)
        x_frac, y_frac = frac(ROW_LABEL_PX / 2, top + row_h / 2)
        fig.text(
            x_frac, y_frac, label.text, rotation=90, ha="center", va="center", fontsize=label.points
        )
        top += row_h + caption_px + PAD_PX
    return fig


def render_png(fig: Figure) -> bytes:
    """The figure as PNG bytes, at its own size and DPI (no tight cropping: the layout is)."""
    buf = io.BytesIO()
    FigureCanvasAgg(fig).print_png(buf)
    return buf.getvalue()


def comparison_figure(
    run_dirs: Sequence[str | Path],
    samples: Sequence[str] | None = None,
    count: int = DEFAULT_COUNT,
    data: str | Path | None = None,
    width: int = DEFAULT_WIDTH,
    metric_labels: bool = False,
) -> bytes:
    """PNG bytes of inputs and fused images side by side, one row per sample.

    ``run_dirs`` are folders written by ``mtif evaluate`` over one data set; their inputs are
    read from the data folder recorded in ``summary.json``, or from ``data`` where given.
    ``samples`` names the rows; by default the first ``count`` names (natural order) that all
    runs fused. Each image is ``width`` px wide, aspect kept. With ``metric_labels`` each fused
    image has its Qabf and VIF (from ``per_image.csv``) underneath. Raises ValueError for runs
    over different data sets, a sample missing from a run or the data, or no common sample.
    """
    return render_png(build_figure(run_dirs, samples, count, data, width, metric_labels))
