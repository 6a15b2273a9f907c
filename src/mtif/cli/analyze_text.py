"""``mtif analyze-text DIR``: the paper's Fig. 2 similarity matrices, as JSON and heatmaps."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mtif.cli.describe import add_text_args, describer_from_args, samples_and_cache
from mtif.text.encoders import ENCODERS

OUT_DIRNAME = ".mtif-analysis"
TEXT_TEXT, TEXT_VISUAL = "text_similarity", "text_visual_similarity"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "analyze-text",
        help="similarity between the three descriptions, and between text and visual levels",
        description="The analysis of the paper's Fig. 2. Text-text: the cosine between the "
        "sentence embeddings (mean of the token features, L2-normalised) of every pair's "
        "detail, structure and semantic descriptions, averaged over pairs. Text-visual (with "
        "--checkpoint): the cosine between each description projected by a level's TGVM and "
        "that level's pooled visual features of the pair. Writes text_similarity.json/.png and "
        "text_visual_similarity.json/.png; see mtif.text.analysis for the exact definitions.",
    )
    add_text_args(p)
    p.add_argument(
        "--encoder",
        choices=ENCODERS,
        default="minilm",
        help="text encoder (default: minilm); with --checkpoint, the one the model was "
        "trained with",
    )
    p.add_argument("--weights", type=Path, metavar="FOLDER", help="the encoder's local weights")
    p.add_argument(
        "--checkpoint",
        type=Path,
        metavar="PATH",
        help="trained MTIF checkpoint (stem, .safetensors or .json) for the text-visual part; "
        "without it only the text-text matrix is computed",
    )
    p.add_argument(
        "--out",
        type=Path,
        metavar="OUT_DIR",
        help=f"where to write the JSON and PNG files (default: DIR/{OUT_DIRNAME})",
    )
    p.add_argument(
        "--max-pairs", type=int, metavar="N", help="analyse only the first N pairs (sorted)"
    )
    p.add_argument(
        "--max-side",
        type=int,
        default=512,
        metavar="PX",
        help="text-visual: downscale inputs so their longer side is at most PX (default: 512)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace existing result files")
    p.set_defaults(func=run)


def _check_outputs(out: Path, with_visual: bool, overwrite: bool) -> None:
    """Refuse to replace earlier results unless ``overwrite``."""
    names = [TEXT_TEXT] + ([TEXT_VISUAL] if with_visual else [])
    paths = [out / f"{n}{ext}" for n in names for ext in (".json", ".png")]
    existing = [str(p) for p in paths if p.exists()]
    if existing and not overwrite:
        raise FileExistsError(
            f"{', '.join(existing)} already exist; pass --overwrite to replace them"
        )


def run(args: argparse.Namespace) -> int:
    from mtif.io import atomic_write_bytes
    from mtif.model import load_model
    from mtif.text.analysis import analyze_samples, heatmap_png
    from mtif.text.encoders import get_encoder

    if args.max_pairs is not None and args.max_pairs < 1:
        raise ValueError(f"--max-pairs must be at least 1, got {args.max_pairs}")
    out = args.out or args.dir / OUT_DIRNAME
    _check_outputs(out, args.checkpoint is not None, args.overwrite)
    # Load the model first: a bad checkpoint should fail before minutes of describing.
    model = load_model(args.checkpoint) if args.checkpoint is not None else None
    describer = describer_from_args(args)
    encoder = get_encoder(args.encoder, args.weights)
    samples, cache = samples_and_cache(args)
    samples = samples[: args.max_pairs]
    tt, tv = analyze_samples(
        samples, describer, encoder, cache, model, args.max_side, progress=not args.no_progress
    )
    source = {
        "data": str(args.dir),
        "pairs": [s.name for s in samples],
        "describer": describer.identity,
        "encoder": encoder.identity,
    }
    out.mkdir(parents=True, exist_ok=True)
    results = [(TEXT_TEXT, tt, "Text-text similarity", {})]
    if tv is not None:
        note = {
            "checkpoint": str(args.checkpoint),
            "max_side": args.max_side,
            "note": "meaningful only for a trained checkpoint; each column uses that level's "
            "own TGVM text projection",
        }
        results.append((TEXT_VISUAL, tv, "Text-visual similarity", note))
    for name, summary, title, extra in results:
        record = {**summary.as_dict(), **source, **extra}
        text = json.dumps(record, indent=2, ensure_ascii=False) + "\n"
        atomic_write_bytes(out / f"{name}.json", text.encode())
        atomic_write_bytes(out / f"{name}.png", heatmap_png(summary, title))
        _print(summary.as_dict())
    if tv is None:
        print("text-visual similarity skipped: pass --checkpoint with a trained model for it")
    print(
        f"wrote {', '.join(n for n, *_ in results)} (.json, .png) for {len(samples)} pairs -> {out}"
    )
    return 0


def _print(record: dict) -> None:
    """The mean matrix as a small table, with the diagonal margin."""
    print(
        f"{record['measure']} ({record['n_pairs']} pairs), rows: text; columns: "
        f"{', '.join(record['cols'])}"
    )
    for row, values in zip(record["rows"], record["mean"], strict=True):
        print(f"  {row:>9}: " + "  ".join(f"{v:6.3f}" for v in values))
    print(
        f"  diagonal {record['diagonal_mean']:.3f}, off-diagonal "
        f"{record['off_diagonal_mean']:.3f}, margin {record['margin']:+.3f}; same level "
        f"highest per row: {record['same_level_highest']}"
    )
