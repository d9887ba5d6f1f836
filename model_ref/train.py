"""Train the reference model on token shards (after nanoGPT's `train.py`, reading top to bottom).

    curate model train --data DATA_DIR --out runs/tiny --preset tiny --max-steps 300
    curate model train --data DATA_DIR --out runs/tiny --resume        # continue from runs/tiny/ckpt

AdamW (no weight decay on norm gains), linear warmup then cosine decay to min_lr, gradient accumulation and
clipping, bf16 autocast on GPU (fp32 on CPU), optional torch.compile. Every `ckpt_interval` steps and at the
end it writes OUT/ckpt (safetensors + JSON, see checkpoint.py). Batches are a pure function of
(seed, step), and the optimizer state is saved, so a resumed run repeats an uninterrupted one exactly.
Metrics go to OUT/metrics.jsonl: one line per logged step, and `{"step", "eval": {lang: {loss, bpc}}}` lines.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import sys
import time
from dataclasses import asdict, dataclass, field

import torch

from curation.errors import ConfigError
from model_ref.checkpoint import (
    CheckpointError,
    load_optimizer,
    load_weights,
    read_info,
    recover,
    save_checkpoint,
)
from model_ref.config import get_preset
from model_ref.data import TokenData, train_batch
from model_ref.evaluate import evaluate
from model_ref.metrics import read_metrics
from model_ref.model import ModelConfig, ReferenceLM

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    """Everything a run needs; saved in each checkpoint's config.json under "train"."""

    data: str = field(default="", metadata={"help": "directory with meta.json and the uint16 .bin shards"})
    out: str = field(default="runs/model", metadata={"help": "run directory (ckpt/, metrics.jsonl)"})
    preset: str = field(
        default="tiny", metadata={"help": "model preset: tiny | small | base (see config.py)"}
    )
    seq_len: int = field(default=256, metadata={"help": "tokens per training window"})
    batch_size: int = field(default=16, metadata={"help": "windows per micro-batch"})
    grad_accum: int = field(default=1, metadata={"help": "micro-batches per optimizer step"})
    max_steps: int = field(default=1000, metadata={"help": "optimizer steps (sets the cosine schedule)"})
    lr: float = field(default=0.0, metadata={"help": "peak learning rate (0: the preset's, see PRESET_LR)"})
    min_lr: float = field(default=0.0, metadata={"help": "final learning rate (0: lr / 10, as Chinchilla)"})
    warmup_steps: int = field(default=50, metadata={"help": "linear warmup steps"})
    weight_decay: float = field(default=0.1, metadata={"help": "AdamW decay on matrices (Llama: 0.1)"})
    beta1: float = 0.9
    beta2: float = field(default=0.95, metadata={"help": "Llama / GPT-3 use 0.95"})
    grad_clip: float = field(default=1.0, metadata={"help": "clip the global grad norm (0 = off)"})
    eval_interval: int = field(default=200, metadata={"help": "evaluate every N steps (and at the end)"})
    eval_tokens: int = field(default=65536, metadata={"help": "max target tokens evaluated per val split"})
    log_interval: int = 10
    ckpt_interval: int = field(default=500, metadata={"help": "checkpoint every N steps (and at the end)"})
    seed: int = 0
    device: str = field(default="auto", metadata={"help": "auto | cpu | cuda"})
    compile: bool = field(default=False, metadata={"help": "torch.compile the model"})
    threads: int = field(default=0, metadata={"help": "CPU threads (0: default_threads(), half the cores)"})
    resume: bool = field(default=False, metadata={"help": "continue from OUT/ckpt"})
    stop_at: int = field(default=0, metadata={"help": "stop after this step, keeping the schedule (0 = off)"})
    progress: bool = field(default=True, metadata={"help": "progress bar on a terminal"})
    model_overrides: dict = field(default_factory=dict, metadata={"help": "ModelConfig fields to replace"})


# Peak learning rates: smaller models take larger steps (GPT-3 table 2.1: 6e-4 at 125M; tiny/small tuned on
# the synthetic and demo data in a few short runs).
PRESET_LR = {"tiny": 3e-3, "small": 1.5e-3, "base": 6e-4}


def lr_at(step: int, cfg: TrainConfig) -> float:
    """Linear warmup over warmup_steps, then cosine from lr to min_lr at max_steps (step is 0-based)."""
    peak = cfg.lr or PRESET_LR.get(cfg.preset, 3e-4)
    low = cfg.min_lr or peak / 10
    if step < cfg.warmup_steps:
        return peak * (step + 1) / cfg.warmup_steps
    frac = min(1.0, (step - cfg.warmup_steps) / max(1, cfg.max_steps - cfg.warmup_steps))
    return low + 0.5 * (1 + math.cos(math.pi * frac)) * (peak - low)


def make_optimizer(model: ReferenceLM, cfg: TrainConfig, device: str) -> torch.optim.AdamW:
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]  # RMSNorm gains
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    # fused=True: one kernel over all parameters instead of ~10 passes over memory; CPU and CUDA both have it.
    return torch.optim.AdamW(groups, lr=lr_at(0, cfg), betas=(cfg.beta1, cfg.beta2), fused=True)


def setup_device(cfg: TrainConfig) -> str:
    device = cfg.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cpu":
        torch.set_num_threads(cfg.threads or default_threads())
    return device


def default_threads() -> int:
    """Half the cores, at least 1. On the shared 2-core machine 1 thread ran a tiny-preset step 5x faster
    than 2 (0.4 s vs 2.0 s at load ~8): with other jobs on the cores, every intra-op barrier waits."""
    return max(1, min(8, (os.cpu_count() or 2) // 2))


def model_config(cfg: TrainConfig, data_vocab: int | None) -> ModelConfig:
    overrides = dict(cfg.model_overrides)
    overrides.setdefault("vocab_size", data_vocab)
    try:
        mcfg = get_preset(cfg.preset, **overrides)
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"model config: {exc}") from exc
    if cfg.seq_len > mcfg.max_seq_len:
        raise ConfigError(f"--seq-len {cfg.seq_len} exceeds the preset's max_seq_len {mcfg.max_seq_len}")
    return mcfg


def _metrics_file(path: str, resume_step: int):
    """Open metrics.jsonl for appending; on resume drop lines logged after the checkpoint."""
    if resume_step and os.path.exists(path):
        keep = [r for r in read_metrics(path) if r.get("step", 0) <= resume_step]
        with open(path, "w", encoding="utf-8") as f:
            f.writelines(json.dumps(r) + "\n" for r in keep)
    elif not resume_step and os.path.exists(path):
        os.remove(path)
    return open(path, "a", encoding="utf-8")


def train(cfg: TrainConfig) -> dict:
    """Run training; returns {"step", "last_loss", "eval", "tokens_per_s", "ckpt"}."""
    from model_ref.data import read_meta

    device = setup_device(cfg)
    meta_vocab = int(read_meta(cfg.data)["vocab_size"])
    mcfg = model_config(cfg, meta_vocab)
    data = TokenData(cfg.data, vocab_size=mcfg.vocab_size)  # checks every shard against the model vocab
    os.makedirs(cfg.out, exist_ok=True)
    ckpt_dir = os.path.join(cfg.out, "ckpt")

    torch.manual_seed(cfg.seed)
    model = ReferenceLM(mcfg).to(device)
    optimizer = make_optimizer(model, cfg, device)
    step = 0
    if cfg.resume:
        recover(ckpt_dir)  # a crash while saving left the checkpoint in ckpt.tmp / ckpt.old
        info = read_info(ckpt_dir)
        if info["model"] != mcfg:
            raise CheckpointError(
                f"{os.path.join(ckpt_dir, 'config.json')}: checkpoint model config "
                f"{info['model']} differs from this run's {mcfg}"
            )
        load_weights(model, os.path.join(ckpt_dir, "model.safetensors"))
        load_optimizer(optimizer, ckpt_dir, info)
        step = int(info["step"])
        log.info("resumed from %s at step %d", ckpt_dir, step)
    train_model = torch.compile(model) if cfg.compile else model
    # bf16 autocast on GPU (weights and optimizer stay fp32); plain fp32 on CPU.
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device == "cuda" else contextlib.nullcontext()

    metrics = _metrics_file(os.path.join(cfg.out, "metrics.jsonl"), step)
    log.info("model: %s, %.2fM params on %s", cfg.preset, model.num_params() / 1e6, device)
    bar = None
    if cfg.progress and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=cfg.max_steps, initial=step, desc="train", unit="step")

    last_loss, results, t0, tokens = float("nan"), {}, time.time(), 0
    end = min(cfg.max_steps, cfg.stop_at) if cfg.stop_at else cfg.max_steps
    train_model.train()
    while step < end:
        lr = lr_at(step, cfg)
        for group in optimizer.param_groups:
            group["lr"] = lr
        # The micro-batch losses are summed on the device (float64, as the Python float sum was) and read
        # once per optimizer step: a .item() per micro-batch would make the host wait for the GPU each time.
        loss_sum = torch.zeros((), dtype=torch.float64, device=device)
        for micro in range(cfg.grad_accum):
            x, y = train_batch(data.train, cfg.batch_size, cfg.seq_len, cfg.seed, step, micro)
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            with autocast:
                _, loss = train_model(x, y)
            (loss / cfg.grad_accum).backward()
            loss_sum += loss.detach().double()
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip or float("inf"))
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        tokens += cfg.batch_size * cfg.seq_len * cfg.grad_accum
        last_loss = loss_sum.item() / cfg.grad_accum
        if step % cfg.log_interval == 0 or step == end:
            rec = {
                "step": step,
                "loss": last_loss,
                "lr": lr,
                "grad_norm": float(grad_norm),
                "tokens_per_s": tokens / max(time.time() - t0, 1e-9),
            }
            metrics.write(json.dumps(rec) + "\n")
            metrics.flush()
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{last_loss:.3f}", lr=f"{lr:.2e}")
        if step % cfg.eval_interval == 0 or step == cfg.max_steps:
            results = evaluate(model, data, cfg.seq_len, cfg.batch_size, cfg.eval_tokens or None, device)
            metrics.write(json.dumps({"step": step, "eval": results}) + "\n")
            metrics.flush()
            log.info("step %d: %s", step, {k: round(v["loss"], 4) for k, v in results.items()})
            train_model.train()
        if step % cfg.ckpt_interval == 0 or step == end:
            save_checkpoint(ckpt_dir, model, optimizer, step, asdict(cfg))
    if bar is not None:
        bar.close()
    metrics.close()
    return {
        "step": step,
        "last_loss": last_loss,
        "eval": results,
        "ckpt": ckpt_dir,
        "tokens_per_s": tokens / max(time.time() - t0, 1e-9),
    }
