"""What the words do: how fused images move with the semantic description, per checkpoint.

Every wording used here is held out of training (``mtif.data.intents``: ``heldout_wordings``),
so this measures free wording, not memorised templates. The first checkpoint is the baseline
(give the shipped one first); each is run on the same pairs in the same process.

- ``key`` (exposure): mean luma of the fused image with a low-key wording minus with a high-key
  one, per pair and per wording pair; the share of them where the low-key result is darker by
  at least ``--gap``.
- ``emphasis`` (infrared): correlation of the fused luma with the infrared image, warm-target
  wording minus visible-texture wording; the share above ``--gap``.
- ``truth`` (synthetic pairs with GT/): PSNR against each intent's own target
  (``Intent.target`` of the truth) with the true wording, no text, the wrong wording (another
  intent's) and the offline describer's text alone.
- ``noise`` (exposure): Gaussian noise of ``--sigma`` (8-bit levels) added to the dark shot;
  PSNR of the noisy pair's fusion against the clean pair's, with the default (offline) text,
  with no text, and with the clean pair's detail text (which says both shots are clean).
- ``odd``: semantic texts unlike anything in training (empty, a long VLM-style paragraph,
  2,000 characters, German, emoji): PSNR of each fusion against the default one.

    .venv/bin/python benchmarks/text_effect.py key src/mtif/weights/mtif-mef RUN/ckpt \
        --data ../shared/data/MEFB --task mef
    .venv/bin/python benchmarks/text_effect.py emphasis src/mtif/weights/mtif-ivf RUN/ckpt \
        --data ../shared/data/RoadScene --split roadscene:test --task ivf
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from mtif.data.intents import intent_named, task_intents
from mtif.data.pairs import find_samples, select_samples
from mtif.data.splits import split_names
from mtif.fusion import fuse_images
from mtif.fusion.colour import luma
from mtif.io import read_image
from mtif.metrics.extras import psnr
from mtif.model import load_model

Pair = tuple[np.ndarray, ...]


def _shrink(img: np.ndarray, side: int) -> np.ndarray:
    scale = side / max(img.shape[:2])
    if scale >= 1:
        return img
    size = (round(img.shape[1] * scale), round(img.shape[0] * scale))
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA)


def load_pairs(data: Path, split: str, limit: int, side: int) -> list[Pair]:
    """The first ``limit`` pairs of ``data`` (inputs, then GT when there is one), long side
    at most ``side``."""
    found = find_samples(data)
    if split:
        found = select_samples(found, split_names(split))
    pairs = []
    for s in found.samples[:limit]:
        files = [s.inputs[0], s.inputs[-1]] + ([s.gt] if s.gt is not None else [])
        pairs.append(tuple(_shrink(read_image(f), side) for f in files))
    return pairs


def fused_luma(model, task: str, images: Sequence[np.ndarray], **text) -> np.ndarray:
    return luma(fuse_images(list(images), task, checkpoint=model, **text).image)


def _psnr(x: np.ndarray, reference: np.ndarray) -> float:
    """PSNR in dB of two ``[0, 1]`` images, on the 0..255 scale of ``mtif.metrics``."""
    return psnr(255.0 * x, 255.0 * reference)


def _header(*columns: str) -> None:
    print("| checkpoint | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")


_described: dict[int, dict[str, str]] = {}


def _semantic(words: str, pair: Pair) -> dict:
    """Options for ``fuse_images``: the offline describer's detail and structure of ``pair``
    (written once per pair, as the describer is deterministic) and ``words`` as semantic."""
    key = id(pair[0])
    if key not in _described:
        from mtif.text import get_describer

        d = get_describer("offline").describe_images(list(pair[:2]))
        _described[key] = {"detail": d.detail, "structure": d.structure}
    return {"descriptions": {**_described[key], "semantic": words}}


def _pairs_of_wordings(task: str, first: str, second: str) -> list[tuple[str, str]]:
    a = intent_named(task, first).heldout_wordings
    b = intent_named(task, second).heldout_wordings
    return list(zip(a, b, strict=False))


def _shares(
    models: dict, pairs: list[Pair], wordings: list[tuple[str, str]], score: Callable, gap: float
) -> None:
    for name, model in models.items():
        diffs = []
        for p in tqdm(pairs, desc=name, unit="pair", leave=False):
            for first, second in wordings:
                diffs.append(score(model, p, first) - score(model, p, second))
        d = np.array(diffs)
        print(
            f"| {name} | {np.mean(d >= gap):.0%} | {np.mean(d > 0):.0%} | {d.mean():+.4f} | "
            f"{np.median(d):+.4f} |"
        )


def run_key(models: dict, pairs: list[Pair], args) -> None:
    sets = {
        "issue's phrases": [("night, keep it dark", "bright, lift the shadows")],
        "all held-out": _pairs_of_wordings("mef", "low-key", "high-key"),
    }

    def score(model, p: Pair, words: str) -> float:
        return float(fused_luma(model, "mef", p[:2], **_semantic(words, p)).mean())

    for label, wordings in sets.items():
        print(f"\nkey, {label}: high-key minus low-key mean luma, {len(pairs)} pairs")
        print(
            f"| checkpoint | gap >= {args.gap} | right way | mean | median |\n|---|---|---|---|---|"
        )
        # Brighter minus darker: positive is the way the words say.
        _shares(models, pairs, [(b, a) for a, b in wordings], score, args.gap)


def _ir_correlation(fused: np.ndarray, ir: np.ndarray) -> float:
    return float(np.corrcoef(fused.ravel(), luma(ir).ravel())[0, 1])


def run_emphasis(models: dict, pairs: list[Pair], args) -> None:
    sets = {
        "issue's phrases": [("make the warm targets stand out", "the visible texture matters")],
        "all held-out": _pairs_of_wordings("ivf", "warm", "texture"),
    }

    def score(model, p: Pair, words: str) -> float:
        return _ir_correlation(fused_luma(model, "ivf", p[:2], **_semantic(words, p)), p[0])

    for label, wordings in sets.items():
        print(f"\nemphasis, {label}: correlation with the infrared image, warm minus texture")
        print(
            f"| checkpoint | gap >= {args.gap} | right way | mean | median |\n|---|---|---|---|---|"
        )
        _shares(models, pairs, wordings, score, args.gap)


def run_truth(models: dict, pairs: list[Pair], args) -> None:
    intents = task_intents(args.task)
    print(f"\nPSNR (dB) against each intent's target, {len(pairs)} pairs x {len(intents)} intents")
    print(
        "| checkpoint | true words | no text | wrong words | offline text |\n|---|---|---|---|---|"
    )
    for name, model in models.items():
        scores: dict[str, list[float]] = {k: [] for k in ("true", "none", "wrong", "offline")}
        for p in tqdm(pairs, desc=name, unit="pair", leave=False):
            gt = luma(p[2]) if len(p) == 3 else None
            a, b = luma(p[0]), luma(p[1])
            offline = fused_luma(model, args.task, p[:2])
            none = fused_luma(model, args.task, p[:2], describer="none")
            for k, intent in enumerate(intents):
                target = intent.target(a, b, gt)
                wrong = intents[(k + 1) % len(intents)].heldout_wordings[0]
                true = fused_luma(
                    model, args.task, p[:2], **_semantic(intent.heldout_wordings[0], p)
                )
                wrong_out = fused_luma(model, args.task, p[:2], **_semantic(wrong, p))
                for key, out in (("true", true), ("none", none), ("wrong", wrong_out)):
                    scores[key].append(_psnr(out, target))
                scores["offline"].append(_psnr(offline, target))
        cells = " | ".join(f"{np.mean(v):.2f}" for v in scores.values())
        print(f"| {name} | {cells} |")


def _noisy(img: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noisy = img + (sigma / 255.0) * rng.standard_normal(img.shape).astype(np.float32)
    return (np.round(np.clip(noisy, 0, 1) * 255) / 255).astype(np.float32)


def run_noise(models: dict, pairs: list[Pair], args) -> None:
    from mtif.text import get_describer

    describer = get_describer("offline")
    print(f"\nnoise sigma {args.sigma}/255 on the dark shot: PSNR (dB) against the clean fusion")
    _header("offline text", "no text", "text says clean")
    for name, model in models.items():
        rows: dict[str, list[float]] = {"offline": [], "none": [], "clean": []}
        for k, p in enumerate(tqdm(pairs, desc=name, unit="pair", leave=False)):
            clean_pair = list(p[:2])
            noisy_pair = [_noisy(p[0], args.sigma, k), p[1]]
            reference = fused_luma(model, "mef", clean_pair)
            clean_detail = describer.describe_images(clean_pair).detail
            outs = {
                "offline": fused_luma(model, "mef", noisy_pair),
                "none": fused_luma(model, "mef", noisy_pair, describer="none"),
                "clean": fused_luma(
                    model, "mef", noisy_pair, descriptions={"detail": clean_detail}
                ),
            }
            for key, out in outs.items():
                rows[key].append(_psnr(out, reference))
        print(f"| {name} | " + " | ".join(f"{np.mean(v):.2f}" for v in rows.values()) + " |")


def _label(checkpoint: str) -> str:
    """A short name: the run folder for ``RUN/checkpoints/step_N``, else the file stem."""
    path = Path(checkpoint)
    return path.parent.parent.name if path.parent.name == "checkpoints" else path.name


#: Semantic texts unlike any training wording, for ``odd``: how far each moves a clean pair's
#: fusion from the default (the offline describer's own semantic text).
ODD_TEXTS = {
    "empty": "",
    "gpt-4o-style paragraph": (
        "The image shows a wide urban scene in the late afternoon. A row of buildings with "
        "large glass windows lines the street; some windows reflect the bright sky while the "
        "ground floor lies in shade. There are a few parked cars, a tree on the left and "
        "overhead wires. The fused result should preserve the sky's detail and the shadowed "
        "storefronts, with natural colours and no halos around the rooftops."
    ),
    "2,000 characters": ("A quiet harbour with boats, ropes and gulls. " * 45)[:2000],
    "another language": "Ein ruhiger Hafen mit Booten und Möwen am späten Nachmittag.",
    "emoji": "🌃🚗✨🏙️🌙 📷",
}


def run_odd(models: dict, pairs: list[Pair], args) -> None:
    print(f"\nodd semantic texts: PSNR (dB) against the default fusion, {len(pairs)} pairs")
    _header(*ODD_TEXTS, "worst pixel")
    for name, model in models.items():
        rows: dict[str, list[float]] = {k: [] for k in ODD_TEXTS}
        worst = 0.0
        for p in tqdm(pairs, desc=name, unit="pair", leave=False):
            default = fused_luma(model, args.task, p[:2])
            for key, words in ODD_TEXTS.items():
                out = fused_luma(model, args.task, p[:2], **_semantic(words, p))
                rows[key].append(_psnr(out, default))
                worst = max(worst, float(np.abs(out - default).max()))
        cells = " | ".join(f"{np.mean(v):.2f}" for v in rows.values())
        print(f"| {name} | {cells} | {worst:.3f} |")


MODES = {
    "key": run_key,
    "emphasis": run_emphasis,
    "truth": run_truth,
    "noise": run_noise,
    "odd": run_odd,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=sorted(MODES))
    parser.add_argument(
        "checkpoints", nargs="+", help="checkpoint stems; the first is the baseline"
    )
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--task", choices=("mef", "ivf"), required=True)
    parser.add_argument("--split", default="", help="e.g. roadscene:test")
    parser.add_argument("--pairs", type=int, default=1000, help="at most this many pairs")
    parser.add_argument("--side", type=int, default=512, help="long side of the pairs (pixels)")
    parser.add_argument("--gap", type=float, default=0.05)
    parser.add_argument("--sigma", type=float, default=12.0)
    args = parser.parse_args()
    models = {_label(c): load_model(c).eval() for c in args.checkpoints}
    pairs = load_pairs(args.data, args.split, args.pairs, args.side)
    MODES[args.mode](models, pairs, args)


if __name__ == "__main__":
    main()
