"""One prepared GPU check of the reference model: correctness on CUDA, bf16 training, tokens/s and MFU of `base`.

Run on a lent GPU machine (one script, bounded to a few minutes; every part writes its result as it goes):

    python bench/gpu_check.py --out $OUT/gpu_check.json               # on the GPU
    python bench/gpu_check.py --dry-run --out /tmp/gpu_check.json     # on CPU: the same code paths, tiny sizes

Parts:
1. `env`: torch / CUDA / device name, and the bf16 dense peak used for MFU (H100/H200 SXM: 989 TFLOP/s).
2. `parity`: the tiny preset on CUDA in fp32 gives the CPU logits (max |delta|), the KV-cache greedy decode equals
   the argmax of a full forward, and transformers' LlamaForCausalLM (if installed) gives the same logits.
3. `trainer`: `model_ref.train.train` on synthetic shards on CUDA (bf16 autocast): loss falls, checkpoint
   written, resume reproduces the uninterrupted run.
4. `throughput`: `base` (125M) training steps, bf16 autocast, fused AdamW, seq 2048, eager and torch.compile:
   tokens/s and MFU = tokens/s * flops_per_token / peak (PaLM / nanoGPT accounting: 6N + 12 L H T).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import torch  # noqa: E402

from model_ref.config import get_preset  # noqa: E402
from model_ref.model import ReferenceLM  # noqa: E402

# Dense bf16 tensor-core peaks (no sparsity), from the vendors' datasheets.
PEAK_BF16 = {"H200": 989e12, "H100": 989e12, "A100": 312e12, "L40S": 362e12, "A10": 125e12, "4090": 165e12}


def peak_flops(name: str) -> float:
    return next((v for k, v in PEAK_BF16.items() if k in name), 989e12)


def part_env(device: str) -> dict:
    env = {"torch": torch.__version__, "device": device, "cuda": torch.version.cuda}
    if device == "cuda":
        env.update(
            name=torch.cuda.get_device_name(0),
            capability=list(torch.cuda.get_device_capability(0)),
            memory_gib=torch.cuda.get_device_properties(0).total_memory / 2**30,
        )
    env["peak_bf16_flops"] = peak_flops(env.get("name", ""))
    return env


@torch.no_grad()
def part_parity(device: str) -> dict:
    torch.manual_seed(0)
    cfg = get_preset("tiny", vocab_size=1024)
    cpu = ReferenceLM(cfg).eval()
    dev = ReferenceLM(cfg).to(device).eval()
    dev.load_state_dict(cpu.state_dict())
    x = torch.randint(0, 1024, (2, 64))
    ref = cpu(x)[0]
    out = {"fp32_max_abs_delta_vs_cpu": (dev(x.to(device))[0].cpu() - ref).abs().max().item()}
    with torch.autocast(device, dtype=torch.bfloat16, enabled=device == "cuda"):
        out["bf16_max_abs_delta_vs_cpu"] = (dev(x.to(device))[0].float().cpu() - ref).abs().max().item()
    g = dev.generate(x[:, :8].to(device), 24, temperature=0)
    full = dev(g[:, :-1])[0].argmax(-1)
    out["kv_cache_greedy_matches_full_forward"] = bool((full[:, 7:] == g[:, 8:]).all())
    try:
        from model_ref.export import hf_llama

        hf = hf_llama(cfg).to(device).eval()
        hf.load_state_dict(cpu.state_dict())
        out["hf_max_abs_delta"] = (hf(x.to(device)).logits - dev(x.to(device))[0]).abs().max().item()
    except ImportError as exc:
        out["hf_max_abs_delta"] = f"skipped: {exc}"
    return out


def part_trainer(device: str, steps: int) -> dict:
    from model_ref.data import synthetic_tokens, write_shards
    from model_ref.train import TrainConfig, train

    tmp = tempfile.mkdtemp(prefix="gpu_check_")
    try:
        data = write_shards(
            os.path.join(tmp, "tok"),
            {
                "train": (synthetic_tokens(200_000, 512), 300_000),
                "val_zh": (synthetic_tokens(8_000, 512, seed=1), 12_000),
            },
            512,
            0,
        )
        kw = dict(
            data=data,
            preset="tiny",
            seq_len=128,
            batch_size=32,
            max_steps=steps,
            warmup_steps=5,
            eval_interval=steps,
            eval_tokens=4096,
            log_interval=1,
            progress=False,
            device=device,
        )
        full = train(TrainConfig(out=os.path.join(tmp, "a"), **kw))
        half = TrainConfig(out=os.path.join(tmp, "b"), stop_at=steps // 2, **kw)
        train(half)
        half.stop_at, half.resume = 0, True
        resumed = train(half)

        def losses(d):
            with open(os.path.join(tmp, d, "metrics.jsonl")) as f:
                return [r["loss"] for r in map(json.loads, f) if "loss" in r]

        a, b = losses("a"), losses("b")
        return {
            "first_loss": a[0],
            "last_loss": a[-1],
            "val": full["eval"],
            "resumed_last_loss": resumed["last_loss"],
            "resume_max_abs_delta": max(abs(x - y) for x, y in zip(a, b, strict=True)),
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def part_throughput(
    device: str, preset: str, batch: int, seq: int, steps: int, compile_: bool, peak: float
) -> dict:
    cfg = get_preset(preset)
    torch.manual_seed(0)
    model = ReferenceLM(cfg).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, fused=True)
    run = torch.compile(model) if compile_ else model
    x = torch.randint(0, cfg.vocab_size, (batch, seq + 1), device=device)
    inp, tgt = x[:, :-1], x[:, 1:]

    def step():
        with torch.autocast(device, dtype=torch.bfloat16, enabled=device == "cuda"):
            loss = run(inp, tgt)[1]
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss

    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    t = time.perf_counter()
    for _ in range(3):  # warmup (and compilation)
        step()
    sync()
    warm = time.perf_counter() - t
    t = time.perf_counter()
    for _ in range(steps):
        loss = step()
    sync()
    dt = (time.perf_counter() - t) / steps
    tps = batch * seq / dt
    fpt = model.flops_per_token(seq)
    res = {
        "preset": preset,
        "params": model.num_params(),
        "batch": batch,
        "seq": seq,
        "compile": compile_,
        "step_s": dt,
        "tokens_per_s": tps,
        "flops_per_token": fpt,
        "mfu": tps * fpt / peak,
        "warmup_s": warm,
        "loss": loss.item(),
    }
    if device == "cuda":
        res["peak_mem_gib"] = torch.cuda.max_memory_allocated() / 2**30
        torch.cuda.reset_peak_memory_stats()
    return res


def part_compile_parity(device: str, preset: str, batch: int, seq: int, steps: int = 8) -> dict:
    """Eager vs torch.compile from the same weights and batch: logits, and the loss after each training step."""
    cfg = get_preset(preset)
    torch.manual_seed(1)
    x = torch.randint(0, cfg.vocab_size, (batch, seq + 1), device=device)
    logits, losses = {}, {}
    for mode in ("eager", "compile"):
        torch.manual_seed(0)
        model = ReferenceLM(cfg).to(device)
        run = torch.compile(model) if mode == "compile" else model
        opt = torch.optim.AdamW(model.parameters(), lr=3e-4, fused=True)
        with torch.no_grad(), torch.autocast(device, dtype=torch.bfloat16, enabled=device == "cuda"):
            logits[mode] = run(x[:1, :-1])[0].float()
        losses[mode] = []
        for _ in range(steps):
            with torch.autocast(device, dtype=torch.bfloat16, enabled=device == "cuda"):
                loss = run(x[:, :-1], x[:, 1:])[1]
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            losses[mode].append(round(loss.item(), 4))
    return {
        "logits_max_abs_delta": (logits["eager"] - logits["compile"]).abs().max().item(),
        "losses": losses,
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=os.path.join(os.environ.get("OUT", "/tmp"), "gpu_check.json"))
    p.add_argument("--dry-run", action="store_true", help="CPU, tiny sizes: check the script itself")
    p.add_argument("--preset", default="base")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--seq", type=int, default=2048)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--no-compile", action="store_true")
    p.add_argument(
        "--parts", default="env,parity,trainer,throughput", help="comma list; also: compile_parity"
    )
    a = p.parse_args(argv)
    device = "cuda" if torch.cuda.is_available() and not a.dry_run else "cpu"
    if device == "cpu":
        torch.set_num_threads(1)
        if not a.dry_run:
            print("no CUDA device: running the dry run", file=sys.stderr)
        a.preset, a.batch, a.seq, a.steps, a.no_compile = "tiny", 2, 64, 2, True
    if device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    results: dict = {"argv": sys.argv[1:]}

    def record(name, fn):
        t = time.time()
        try:
            results[name] = fn()
        except Exception as exc:  # record and go on: one GPU session must bring back every part it can
            results[name] = {
                "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc()[-2000:],
            }
        results[name + "_seconds"] = time.time() - t
        print(name, json.dumps(results[name], default=str)[:600], flush=True)
        os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
        with open(a.out, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=2, default=str)

    parts = a.parts.split(",")
    record("env", lambda: part_env(device))
    peak = results["env"]["peak_bf16_flops"]
    if "parity" in parts:
        record("parity", lambda: part_parity(device))
    if "trainer" in parts:
        record("trainer", lambda: part_trainer(device, 20 if device == "cuda" else 6))
    if "compile_parity" in parts:
        record("compile_parity", lambda: part_compile_parity(device, a.preset, min(a.batch, 8), a.seq))
    if "throughput" not in parts:
        return 0
    record(
        "throughput_eager", lambda: part_throughput(device, a.preset, a.batch, a.seq, a.steps, False, peak)
    )
    if not a.no_compile:
        record(
            "throughput_compile",
            lambda: part_throughput(device, a.preset, a.batch, a.seq, a.steps, True, peak),
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
