"""The training loop: schedule -> batch -> step -> log -> checkpoint -> validate.

Run it as ``mtif train CONFIG.yaml key=value ...``, or under ``torchrun`` for several processes
(each draws its own batches; gradients are averaged by DistributedDataParallel). A run folder
holds the resolved ``config.yaml``, ``log.csv`` (every loss term), ``validation.csv`` and
``checkpoints/``; starting a run whose folder has a checkpoint resumes it exactly.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import torch
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from mtif.engine import distributed
from mtif.engine.config import TrainConfig, dump_config
from mtif.engine.csvlog import CsvLog
from mtif.engine.patches import draw_batch
from mtif.engine.state import (
    init_weights,
    latest_checkpoint,
    resume_training_state,
    save_training_state,
)
from mtif.engine.training_data import load_training_pairs, load_validation_pairs, text_plan
from mtif.engine.validation import validate
from mtif.io import atomic_write_bytes
from mtif.losses import MultiGrainedLoss
from mtif.model import create_model, load_model


def cosine_schedule(config: TrainConfig):
    """Learning-rate factor: cosine decay from 1 to ``lr_min_ratio`` over the run."""

    def factor(step: int) -> float:
        progress = min(step / config.steps, 1.0)
        return config.lr_min_ratio + (1 - config.lr_min_ratio) * 0.5 * (
            1 + math.cos(math.pi * progress)
        )

    return factor


def _trainable(model: torch.nn.Module, prefix: str) -> list[torch.nn.Parameter]:
    """The parameters under module ``prefix`` (all when empty); the others are frozen."""
    if not prefix:
        return list(model.parameters())
    chosen = []
    for name, param in model.named_parameters():
        param.requires_grad = name.startswith(f"{prefix}.")
        if param.requires_grad:
            chosen.append(param)
    if not chosen:
        raise ValueError(f"train_only={prefix}: this network has no such module")
    return chosen


def train(config: TrainConfig, *, progress: bool = True) -> Path:
    """Train (or resume) the run in ``config.out``; return the run folder."""
    config.validate()
    ctx = distributed.setup()
    if config.threads:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    run = Path(config.out)
    if ctx.is_main:
        run.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(run / "config.yaml", dump_config(config).encode())
    # Read before the data (minutes for a large set), so that a wrong init= path fails at once.
    init = load_model(config.init) if config.init and latest_checkpoint(run) is None else None
    pairs = load_training_pairs(config, progress=progress and ctx.is_main)
    val_pairs = load_validation_pairs(config) if ctx.is_main else []
    text_dim = pairs[0].text.dim if pairs[0].text is not None else 384
    encoder_identity = pairs[0].text.encoder if pairs[0].text is not None else ""
    plan = text_plan(config, encoder_identity, text_dim)
    overrides = {**config.model_overrides, "use_text": config.use_text, "text_dim": text_dim}
    model = create_model(config.model, **overrides).to(ctx.device)
    optimizer = torch.optim.Adam(_trainable(model, config.train_only), lr=config.lr)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, cosine_schedule(config))
    start = resume_training_state(run, model, optimizer, scheduler)
    if init is not None:
        init_weights(model, init, config.init)
    net = DistributedDataParallel(model) if ctx.world > 1 else model
    loss_fn = MultiGrainedLoss(
        weights=config.resolved_loss_weights(),
        base_only=config.loss == "base-only",
        grad_reference=config.grad_reference,
        intensity_reference=config.intensity_reference,
    )
    log = CsvLog(run / "log.csv", start) if ctx.is_main else None
    val_log = CsvLog(run / "validation.csv", start) if ctx.is_main else None
    bar = tqdm(
        total=config.steps,
        initial=start,
        desc="training",
        unit="step",
        disable=not (progress and ctx.is_main),
    )
    tic = time.perf_counter()
    for step in range(start, config.steps):
        batch = draw_batch(
            pairs,
            step=step,
            seed=config.seed,
            batch_size=config.batch_size,
            patch=config.patch,
            enrichment=config.enrichment,
            rank=ctx.rank,
            input_blur=config.input_blur,
            plan=plan,
        )
        a, b = batch.a.to(ctx.device), batch.b.to(ctx.device)
        text = batch.text.to(ctx.device) if batch.text is not None else None
        gt = batch.gt.to(ctx.device) if batch.gt is not None else None
        out = net(a, b, text, return_aux=True)
        total, terms = loss_fn(out.fused, out.f1, out.f2, a, b, gt)
        optimizer.zero_grad(set_to_none=True)
        total.backward()
        optimizer.step()
        scheduler.step()
        done = step + 1
        bar.update(1)
        bar.set_postfix(loss=f"{total.item():.4f}")
        if log is not None and (done % config.log_every == 0 or done == config.steps):
            row = {"step": done, "lr": scheduler.get_last_lr()[0], "total": total.item()}
            row.update({k: float(v) for k, v in terms.items()})
            row["seconds"] = round(time.perf_counter() - tic, 3)
            log.append(row)
        if ctx.is_main and (done % config.checkpoint_every == 0 or done == config.steps):
            extra = {"task": config.task, "train_config": str(run / "config.yaml")}
            save_training_state(run, done, model, model.config, optimizer, scheduler, extra)
        if val_pairs and (done % config.validate_every == 0 or done == config.steps):
            val_log.append({"step": done, **validate(model, val_pairs, device=ctx.device)})
    bar.close()
    distributed.teardown(ctx)
    return run
