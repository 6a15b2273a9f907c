"""Speed of the fusion network on the 2-core reference CPU, against Mertens in the same process.

Prints, per variant: parameters, the median time to fuse a 520x520 luma pair (inference mode,
float32, text encodings given, as when they are cached), its ratio to OpenCV's Mertens fusion of
a 520x520 colour pair, and training throughput (forward + multi-grained loss + backward + Adam
step at batch 8, patch 128). The budget (DESIGN.md): mtif-small <= 0.5 s per pair; FILM's
network takes about 22.5 s here. Timings are wall-clock and sensitive to other processes on
the machine; the Mertens ratio is the number to compare across machines.

    .venv/bin/python benchmarks/network_speed.py [--runs 7] [--train-steps 5]
    .venv/bin/python benchmarks/network_speed.py --variants --blends pixel bands activity
    .venv/bin/python benchmarks/network_speed.py --variants --restore-blocks 0 2 4

``--blends`` times mtif-small's fusion with each way of blending (``mtif.model.config.BLENDS``),
``--restore-blocks`` with each size of restoration branch (0: none); in each, the first one
named is the baseline of the ratios.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch

from mtif.losses import MultiGrainedLoss
from mtif.methods.mertens import MertensFusion
from mtif.model import VARIANTS, MTIFNet, TextBatch, count_parameters, create_model
from mtif.model.config import BLENDS

SIZE = 520
THREADS = 2


def median_time(fn: Callable[[], object], runs: int, warmup: int) -> tuple[float, float]:
    """(median, min) wall-clock seconds of ``fn()`` over ``runs`` calls after ``warmup`` calls.

    The minimum is printed too: on a shared 2-core machine a descheduled OpenMP thread stalls
    its partner at every barrier, so other processes inflate the median far more than the min.
    """
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def exposure_pair(size: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A synthetic under/over-exposed RGB pair, float32 ``(size, size, 3)`` in ``[0, 1]``."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / size
    radiance = 0.5 + 0.4 * np.sin(12 * x) * np.cos(9 * y) + 0.1 * rng.standard_normal((size, size))
    scene = np.clip(radiance[..., None] * np.array([1.0, 0.85, 0.7]), 0, None)
    return (
        np.clip(0.4 * scene, 0, 1).astype(np.float32),
        np.clip(2.5 * scene, 0, 1).astype(np.float32),
    )


def random_texts(batch: int, dim: int, tokens: int = 24) -> TextBatch:
    return TextBatch(
        tuple(torch.randn(batch, tokens, dim) for _ in range(3)),
        tuple(torch.ones(batch, tokens, dtype=torch.bool) for _ in range(3)),
    )


def training_steps_per_second(
    name: str,
    steps: int,
    batch: int = 8,
    patch: int = 128,
    device: torch.device | None = None,
    ground_truth: bool = False,
) -> tuple[float, float]:
    """(median, best) optimiser steps per second on ``device`` (default CPU); with
    ``ground_truth`` both loss terms compare with a ground-truth batch (the shipped recipes)."""
    device = device or torch.device("cpu")
    model = create_model(name).train().to(device)
    loss_fn = (
        MultiGrainedLoss("mff", grad_reference="ground-truth", intensity_reference="ground-truth")
        if ground_truth
        else MultiGrainedLoss("mef")
    )
    opt = torch.optim.Adam(model.parameters(), lr=8e-5)
    a, b, gt = (torch.rand(batch, 1, patch, patch, device=device) for _ in range(3))
    texts = random_texts(batch, model.config.text_dim).to(device)

    def step() -> None:
        fused, f1, f2 = model(a, b, texts, return_aux=True)
        loss, _ = loss_fn(fused, f1, f2, a, b, gt if ground_truth else None)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if device.type == "cuda":
            torch.cuda.synchronize(device)  # time the work, not its queueing

    median, best = median_time(step, runs=steps, warmup=2)
    return 1.0 / median, 1.0 / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per measurement")
    parser.add_argument("--train-steps", type=int, default=5, help="timed training steps")
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--blends", nargs="*", default=[], choices=BLENDS, help="see above")
    parser.add_argument("--restore-blocks", nargs="*", type=int, default=[], help="see above")
    args = parser.parse_args()
    torch.set_num_threads(THREADS)

    under, over = exposure_pair(SIZE)
    mertens = MertensFusion()
    t_mertens, best_mertens = median_time(lambda: mertens.fuse([under, over]), args.runs, 1)
    print(f"torch {torch.__version__}, {THREADS} threads, {SIZE}x{SIZE} pair; median (best)")
    print(f"Mertens (OpenCV, colour pair): {t_mertens * 1e3:.1f} ms ({best_mertens * 1e3:.1f})")

    luma = [
        torch.from_numpy(img @ np.float32([0.299, 0.587, 0.114]))[None, None]
        for img in (under, over)
    ]

    def fuse_time(model: MTIFNet) -> tuple[float, float]:
        texts = random_texts(1, model.config.text_dim)
        with torch.inference_mode():
            return median_time(lambda: model(*luma, texts), args.runs, warmup=2)

    for name in args.variants:
        model = create_model(name).eval()
        t_fuse, best = fuse_time(model)
        steps, best_steps = training_steps_per_second(name, args.train_steps)
        print(
            f"{name:<10} {count_parameters(model) / 1e6:4.2f} M params | fuse "
            f"{t_fuse * 1e3:.0f} ms ({best * 1e3:.0f}) = {t_fuse / t_mertens:.1f}x "
            f"({best / best_mertens:.1f}x) Mertens | train {steps:.2f} ({best_steps:.2f}) "
            "steps/s at batch 8, patch 128"
        )

    for option, values in (("blend", args.blends), ("restore_blocks", args.restore_blocks)):
        baseline = None
        for value in values:
            t_fuse, best = fuse_time(create_model("mtif-small", **{option: value}).eval())
            baseline = baseline or (t_fuse, best, value)
            print(
                f"mtif-small {option} {value!s:<9} fuse {t_fuse * 1e3:.0f} ms "
                f"({best * 1e3:.0f}) = {t_fuse / baseline[0]:.2f}x ({best / baseline[1]:.2f}x) "
                f"{option} {baseline[2]}"
            )


if __name__ == "__main__":
    main()
