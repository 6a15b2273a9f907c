"""Fast metrics against the literal 2-D convolution versions, in one process.

Synthesises 520x520 fusion triples (the size of the published test sets' images), adds the
``metric_cases`` triples when ``../shared/data`` exists, checks that both implementations give
the same values, and prints per-metric times (best of ``--repeat``) and the speed ratios.
EN, SD, SF and AG have one implementation (already cheap); they count in both totals.

    .venv/bin/python benchmarks/metrics_speed.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from mtif.metrics import load_reference_grey
from mtif.metrics.fusion_metrics import ag, en, qabf, sd, sf, vif
from mtif.metrics.reference import qabf_reference, vif_reference

SIZE = 520
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "metric_cases"
Triple = tuple[np.ndarray, np.ndarray, np.ndarray]


def synth_triple(seed: int) -> Triple:
    """A focus-stack-like triple: textured scene, each source blurred on one half, F = mean."""
    rng = np.random.default_rng(seed)
    scene = cv2.GaussianBlur(rng.uniform(0, 255, (SIZE, SIZE)), (0, 0), 3 + seed)
    scene = (scene - scene.min()) / np.ptp(scene) * 200 + 20
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    scene[(x // 65 + y // 65) % 3 == 0] = 235  # flat blocks, to exercise the 1e-10 cuts
    scene += rng.normal(0, 2, scene.shape)
    blurred = cv2.GaussianBlur(scene, (0, 0), 4)
    left = x < SIZE // 2
    a = np.where(left, scene, blurred)
    b = np.where(left, blurred, scene)
    f = (a + b) / 2
    return tuple(np.clip(np.round(im), 0, 255).astype(np.float32) for im in (f, a, b))


def best_time(fn: Callable[..., float], args: Triple | tuple[np.ndarray], repeat: int):
    """(best wall time in seconds, value) over ``repeat`` runs."""
    best, value = float("inf"), float("nan")
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn(*args)
        best = min(best, time.perf_counter() - start)
    return best, value


def bench(name: str, triple: Triple, repeat: int) -> tuple[float, float, float, float]:
    """Print one triple's rows; return (reference total, fast total, reference VIF, fast VIF)."""
    f = triple[0]
    shared = {m.__name__.upper(): best_time(m, (f,), repeat) for m in (en, sd, sf, ag)}
    pairs = {"VIF": (vif_reference, vif, 1e-10), "Qabf": (qabf_reference, qabf, 1e-6)}
    print(f"\n{name}  ({f.shape[0]}x{f.shape[1]})")
    print(f"  {'metric':<6} {'value':>12} {'reference ms':>13} {'fast ms':>9} {'ratio':>7}")
    ref_total = fast_total = sum(t for t, _ in shared.values())
    for metric, (t, v) in shared.items():
        print(f"  {metric:<6} {v:12.6f} {1e3 * t:13.2f} {1e3 * t:9.2f} {'(same)':>7}")
    vif_times = (0.0, 0.0)
    for metric, (slow, fast, rel) in pairs.items():
        t_ref, v_ref = best_time(slow, triple, repeat)
        t_fast, v_fast = best_time(fast, triple, repeat)
        if not abs(v_fast - v_ref) <= rel * abs(v_ref):
            raise SystemExit(f"{name} {metric}: fast {v_fast!r} != reference {v_ref!r}")
        print(
            f"  {metric:<6} {v_fast:12.6f} {1e3 * t_ref:13.2f} {1e3 * t_fast:9.2f} "
            f"{t_ref / t_fast:6.1f}x   |diff| {abs(v_fast - v_ref):.1e}"
        )
        ref_total += t_ref
        fast_total += t_fast
        if metric == "VIF":
            vif_times = (t_ref, t_fast)
    print(
        f"  {'total':<6} {'':12} {1e3 * ref_total:13.2f} {1e3 * fast_total:9.2f} "
        f"{ref_total / fast_total:6.1f}x"
    )
    return ref_total, fast_total, *vif_times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per metric (best kept)")
    args = parser.parse_args()
    print("$ " + shlex.join(sys.orig_argv))
    print(f"numpy {np.__version__}, OpenCV {cv2.__version__}, cv2 threads {cv2.getNumThreads()}")

    triples = {f"synthetic-{seed}": synth_triple(seed) for seed in range(3)}
    if SHARED.is_dir():
        for case in sorted(p.stem for p in (SHARED / "fused").glob("*.png")):
            triples[f"metric_cases/{case}"] = tuple(
                load_reference_grey(SHARED / sub / f"{case}.png") for sub in ("fused", "A", "B")
            )
    else:
        print(f"({SHARED} not found: synthetic triples only)")

    sums = np.zeros(4)
    for name, triple in triples.items():
        result = bench(name, triple, args.repeat)
        if name.startswith("synthetic"):
            sums += result
    ref_total, fast_total, ref_vif, fast_vif = sums / sum(n.startswith("syn") for n in triples)
    print(f"\nmean over the {SIZE}x{SIZE} synthetic triples, all values agreeing:")
    print(
        f"  all six metrics: reference {1e3 * ref_total:.1f} ms, fast {1e3 * fast_total:.1f} ms, "
        f"{ref_total / fast_total:.1f}x faster"
    )
    print(
        f"  VIF alone:       reference {1e3 * ref_vif:.1f} ms, fast {1e3 * fast_vif:.1f} ms, "
        f"{ref_vif / fast_vif:.1f}x faster"
    )


if __name__ == "__main__":
    main()
