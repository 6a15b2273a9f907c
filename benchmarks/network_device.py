"""The fusion network on an accelerator, against the CPU in the same process.

For each variant: the largest difference between the fused luma computed on the device and on the
CPU (same weights, same inputs; a check that nothing in the forward pass is tied to the CPU), then
training throughput on each (forward + multi-grained loss against a ground truth + backward + Adam
step at batch 8, patch 128) and their ratio. Run it where a GPU is present:

    python benchmarks/network_device.py [--device cuda] [--train-steps 10]
"""

from __future__ import annotations

import argparse

import torch

from mtif.model import VARIANTS, create_model
from network_speed import random_texts, training_steps_per_second


def forward_difference(name: str, device: torch.device, size: int = 520) -> float:
    """Largest |device - CPU| of the fused luma of one random pair."""
    torch.manual_seed(0)
    model = create_model(name).eval()
    # Trained-looking weights: an untrained head is zero and would return the inputs' mean.
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05 * torch.randn_like(p))
    a, b = torch.rand(1, 1, size, size), torch.rand(1, 1, size, size)
    texts = random_texts(1, model.config.text_dim)
    with torch.inference_mode():
        on_cpu = model(a, b, texts)
        on_device = model.to(device)(a.to(device), b.to(device), texts.to(device)).cpu()
    return float((on_cpu - on_device).abs().max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--train-steps", type=int, default=10, help="timed training steps")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    args = parser.parse_args()
    device = torch.device(args.device)
    if device.type == "cuda":
        # Full float32 on both sides, so the difference measures the code, not TF32 rounding.
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        print(f"torch {torch.__version__}, {torch.cuda.get_device_name(device)}")
    print(f"CPU threads {torch.get_num_threads()}; training at batch 8, patch 128")
    for name in args.variants:
        diff = forward_difference(name, device)
        cpu, _ = training_steps_per_second(name, args.train_steps, ground_truth=True)
        dev, _ = training_steps_per_second(name, args.train_steps, device=device, ground_truth=True)
        print(
            f"{name:<10} max |{device.type} - cpu| fused {diff:.2e} | train cpu {cpu:.2f} "
            f"steps/s, {device.type} {dev:.2f} steps/s = {dev / cpu:.1f}x"
        )


if __name__ == "__main__":
    main()
