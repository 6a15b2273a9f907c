"""``mtif enrich``: draw the visual-enrichment crops of a pair, for a person to check them."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from mtif.data.enrichment import MAX_VIEWS, MODES, CropBox, pad_to_crop, view_boxes
from mtif.data.saliency import BACKENDS, get_saliency_model, pair_saliency
from mtif.io import atomic_write_bytes, read_image

FIGURE_FORMATS = (".png", ".pdf", ".svg")
_COLOURS = ("#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#a65628", "#f781bf")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "enrich",
        help="save a figure of the semantic-driven enrichment crops of an image pair",
        description="Compute the saliency of the pair A, B and the training views cut from it "
        "(the most salient window, numbered 1, and its up/down/left/right neighbours, 2-5), "
        "and save a figure: A with the numbered boxes, the saliency map, and the crops of A "
        "and B. The same boxes cut both inputs.",
    )
    p.add_argument("a", type=Path, help="first input image (e.g. under-exposed, near focus, IR)")
    p.add_argument("b", type=Path, help="second input image, same size as A")
    p.add_argument("-o", "--output", type=Path, required=True, help="figure: .png, .pdf or .svg")
    p.add_argument(
        "--crop-size", type=int, default=128, help="side of each square view in pixels (128)"
    )
    p.add_argument(
        "--views", type=int, default=5, help=f"views per pair, 1..{MAX_VIEWS} (5, the paper's N)"
    )
    p.add_argument(
        "--mode",
        choices=MODES,
        default="saliency",
        help="'saliency' (the paper's enrichment) or 'random' crops (the ablation's)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed for --mode random (0)")
    p.add_argument(
        "--backend",
        choices=BACKENDS,
        default="auto",
        help="saliency detector: U^2-Net-P ('u2netp'), OpenCV spectral residual ('spectral'), "
        "or the network when installed ('auto')",
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing figure")
    p.set_defaults(func=run)


def _show(ax, img: np.ndarray, title: str, cmap: str = "gray") -> None:  # noqa: ANN001
    # Fixed 0..1 range: grey inputs and the saliency map are shown as they are, not stretched.
    ax.imshow(np.clip(img, 0.0, 1.0), cmap=cmap, vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])


def _draw_boxes(ax, boxes: list[CropBox], centre: bool) -> None:  # noqa: ANN001
    """Numbered boxes; with ``centre`` the first (the salient window) is drawn solid."""
    for i, box in enumerate(boxes):
        colour = _COLOURS[i % len(_COLOURS)]
        ax.add_patch(
            Rectangle(
                (box.left - 0.5, box.top - 0.5),
                box.width,
                box.height,
                fill=False,
                edgecolor=colour,
                linewidth=2.0 if centre and i == 0 else 1.2,
                linestyle="-" if centre and i == 0 else "--",
            )
        )
        ax.text(
            box.left + 3,
            box.top + 3,
            str(i + 1),
            color="white",
            fontsize=8,
            fontweight="bold",
            va="top",
            bbox={"facecolor": colour, "edgecolor": "none", "pad": 1.5},
        )


def enrichment_figure(
    a: np.ndarray,
    b: np.ndarray,
    saliency: np.ndarray,
    boxes: list[CropBox],
    title: str,
    centre: bool = True,
) -> Figure:
    """Figure: A and the saliency map with numbered boxes on top, crops of A then B below.

    ``a``, ``b``: images in [0, 1], ``(H, W)`` or ``(H, W, 3)``; ``saliency``: ``(H, W)`` in
    [0, 1]; ``centre``: the first box is the salient centre (drawn solid) rather than random.
    """
    n = len(boxes)
    cols = max(n, 2)
    fig = Figure(figsize=(2.0 * cols, 2.0 * cols / 2 * a.shape[0] / a.shape[1] + 4.6))
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(3, cols, height_ratios=[cols / 2 * a.shape[0] / a.shape[1], 1, 1])
    top = grid[0, :].subgridspec(1, 2)
    top_left, top_right = fig.add_subplot(top[0, 0]), fig.add_subplot(top[0, 1])
    _show(top_left, a, "input A with the views")
    _draw_boxes(top_left, boxes, centre)
    _show(top_right, saliency, "pair saliency", cmap="magma")
    _draw_boxes(top_right, boxes, centre)
    for row, (img, name) in enumerate(((a, "A"), (b, "B")), start=1):
        for i, box in enumerate(boxes):
            _show(fig.add_subplot(grid[row, i]), box.crop(img), f"{i + 1}: {name}")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def run(args: argparse.Namespace) -> int:
    out: Path = args.output
    if out.suffix.lower() not in FIGURE_FORMATS:
        raise ValueError(f"{out}: figure must end in one of {', '.join(FIGURE_FORMATS)}")
    if out.exists() and not args.overwrite:
        raise FileExistsError(f"{out}: exists; pass --overwrite to replace it")
    a, b = read_image(args.a), read_image(args.b)
    if a.shape[:2] != b.shape[:2]:
        raise ValueError(f"expected A and B of equal size, got {a.shape[:2]} and {b.shape[:2]}")
    # Pad first, as enrich_pair does, so the figure shows exactly the training crops.
    a, b = pad_to_crop(a, args.crop_size), pad_to_crop(b, args.crop_size)
    saliency = pair_saliency(a, b, backend=args.backend)
    boxes = view_boxes(
        a, b, args.crop_size, args.mode, args.seed, n_views=args.views, saliency=saliency
    )
    detector = get_saliency_model(args.backend).backend
    title = f"{args.a.name} + {args.b.name}: {args.mode} views, crop {args.crop_size}"
    fig = enrichment_figure(
        a, b, saliency, boxes, f"{title}, saliency: {detector}", centre=args.mode == "saliency"
    )
    buf = io.BytesIO()
    fig.savefig(buf, format=out.suffix.lower()[1:], dpi=120)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out, buf.getvalue())
    print(out)
    return 0
