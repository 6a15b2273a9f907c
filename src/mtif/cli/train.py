"""``mtif train CONFIG.yaml [key=value ...]``: train or resume a fusion network."""

from __future__ import annotations

import argparse
import dataclasses
import os
from pathlib import Path

from mtif.engine.config import TrainConfig, load_config


def register(sub: argparse._SubParsersAction) -> None:
    keys = ", ".join(f.name for f in dataclasses.fields(TrainConfig))
    p = sub.add_parser(
        "train",
        help="train (or resume) an MTIF network on synthetic pairs",
        description="Train an MTIF network. CONFIG.yaml holds config keys; key=value "
        "arguments override them (unknown keys are refused). Rerunning with the same out= "
        "resumes from its newest checkpoint. For several processes: torchrun "
        "--nproc_per_node=N -m mtif train ... (gloo on CPU, NCCL on GPU). Ablations: "
        "use_text=false (w/o TG), loss=base-only (w/o ML), enrichment=none (w/o VE), "
        f"enrichment=random (random crop). Keys: {keys}.",
    )
    p.add_argument("config", type=Path, nargs="?", help="YAML config file (optional)")
    p.add_argument("overrides", nargs="*", metavar="key=value", help="config overrides")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mtif.engine.trainer import train  # torch and the text models load only when training

    overrides = list(args.overrides)
    config_path = args.config
    if config_path is not None and "=" in str(config_path):
        overrides.insert(0, str(config_path))  # no YAML file, only overrides
        config_path = None
    config = load_config(config_path, overrides)
    run_dir = train(config, progress=not args.no_progress)
    if os.environ.get("RANK", "0") == "0":  # one line, not one per torchrun process
        print(f"run finished: {run_dir}")
    return 0
