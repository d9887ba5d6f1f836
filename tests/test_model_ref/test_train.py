"""Trainer: exact resume, metrics, checkpoint errors naming the file, learning below the unigram entropy."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from model_ref.checkpoint import CheckpointError, load_model
from model_ref.data import TokenData, unigram_entropy
from model_ref.train import TrainConfig, lr_at, train


def _losses(run_dir):
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        return {r["step"]: r["loss"] for r in map(json.loads, f) if "loss" in r}


def test_resume_repeats_an_uninterrupted_run_exactly(token_dir, tmp_path, train_cfg):
    full = train(train_cfg(token_dir, str(tmp_path / "full"), max_steps=8, grad_accum=2))
    part = train_cfg(token_dir, str(tmp_path / "part"), max_steps=8, grad_accum=2, stop_at=4)
    first = train(part)
    assert first["step"] == 4
    part.stop_at, part.resume = 0, True
    second = train(part)
    assert second["step"] == 8 and full["step"] == 8
    a, b = _losses(tmp_path / "full"), _losses(tmp_path / "part")
    assert sorted(b) == list(range(1, 9))  # metrics.jsonl continues without duplicates
    for step in range(1, 9):
        assert a[step] == pytest.approx(b[step], abs=1e-6), step


def test_metrics_and_eval_lines(tiny_ckpt):
    run_dir = os.path.dirname(tiny_ckpt)
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        recs = [json.loads(line) for line in f]
    steps = [r for r in recs if "loss" in r]
    assert [r["step"] for r in steps] == list(range(1, 7))
    assert all(r["tokens_per_s"] > 0 and r["lr"] > 0 for r in steps)
    ev = [r for r in recs if "eval" in r][-1]["eval"]
    assert set(ev) == {"zh", "en"} and all(v["bpc"] > 0 for v in ev.values())


def test_lr_schedule_warmup_then_cosine():
    cfg = TrainConfig(lr=1.0, min_lr=0.1, warmup_steps=10, max_steps=110)
    assert lr_at(0, cfg) == pytest.approx(0.1)
    assert lr_at(9, cfg) == pytest.approx(1.0)
    assert lr_at(60, cfg) == pytest.approx(0.55)
    assert lr_at(110, cfg) == pytest.approx(0.1)
    base = TrainConfig(
        preset="base", warmup_steps=0, max_steps=100
    )  # lr 0 -> the preset's, min_lr -> lr / 10
    assert lr_at(0, base) == pytest.approx(6e-4) and lr_at(100, base) == pytest.approx(6e-5)


def test_resume_with_a_different_config_names_the_checkpoint(token_dir, tiny_ckpt, tmp_path, train_cfg):
    run = tmp_path / "run"
    shutil.copytree(os.path.dirname(tiny_ckpt), run)
    cfg = train_cfg(token_dir, str(run), max_steps=10, resume=True, model_overrides={"dim": 64})
    with pytest.raises(CheckpointError, match=r"ckpt/config\.json: checkpoint model config"):
        train(cfg)


def test_weights_from_a_different_config_name_the_file(tiny_ckpt, tmp_path):
    ck = tmp_path / "ck"
    shutil.copytree(tiny_ckpt, ck)
    info = json.loads((ck / "config.json").read_text())
    info["model"]["ffn_dim"] = 200
    (ck / "config.json").write_text(json.dumps(info))
    with pytest.raises(
        CheckpointError, match=r"model\.safetensors: weights do not fit this model config.*mlp"
    ):
        load_model(str(ck))


def test_corrupt_safetensors_names_the_file(tiny_ckpt, tmp_path):
    ck = tmp_path / "ck"
    shutil.copytree(tiny_ckpt, ck)
    raw = (ck / "model.safetensors").read_bytes()
    (ck / "model.safetensors").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CheckpointError, match=r"model\.safetensors: corrupt or not a safetensors file"):
        load_model(str(ck))
    (ck / "model.safetensors").write_bytes(b"\x80\x04not a safetensors file, a pickle header")
    with pytest.raises(CheckpointError, match=r"model\.safetensors: corrupt"):
        load_model(str(ck))


def test_missing_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match=r"config\.json: not found"):
        load_model(str(tmp_path))


@pytest.mark.slow
def test_tiny_learns_well_below_unigram_entropy(token_dir, tmp_path, train_cfg):
    """~30-60 s: the synthetic chain's conditional entropy is ~1.3 nats vs a unigram entropy of ~6."""
    cfg = train_cfg(
        token_dir,
        str(tmp_path / "conv"),
        seq_len=64,
        batch_size=16,
        max_steps=120,
        warmup_steps=10,
        lr=3e-3,
        eval_interval=120,
        eval_tokens=2048,
    )
    result = train(cfg)
    data = TokenData(token_dir)
    h = unigram_entropy(data.val["zh"].tokens, data.vocab_size)
    for lang, r in result["eval"].items():
        assert r["loss"] < h - 2.5, (
            lang,
            r["loss"],
            h,
        )  # margin: learned the bigram structure, not just counts


def test_eval_tokens_zero_means_the_whole_split(token_dir, tmp_path, train_cfg):
    res = train(train_cfg(token_dir, str(tmp_path / "all"), max_steps=2, eval_interval=2, eval_tokens=0))
    last = [json.loads(line) for line in open(os.path.join(tmp_path / "all", "metrics.jsonl"), encoding="utf-8")
            if '"eval"' in line][-1]
    assert last["eval"]["zh"]["tokens"] == 2999 and res["ckpt"]  # every target of the 3,000-token split


def test_a_window_can_start_at_the_last_position():
    import numpy as np

    from model_ref.data import Split, train_batch

    split = Split("train", "mem", np.arange(9, dtype=np.uint16), None)
    x, y = train_batch(split, batch_size=4, seq_len=8, seed=0, step=0, micro=0)  # exactly one window fits
    assert x[0].tolist() == list(range(8)) and y[0].tolist() == list(range(1, 9))


@pytest.mark.parametrize("crash_after", ["old_moved", "tmp_written"])
def test_a_crash_while_saving_leaves_a_loadable_checkpoint(tiny_ckpt, tmp_path, crash_after):
    """save_checkpoint moves the old checkpoint aside before renaming the new one in; a crash between the
    two leaves ckpt.old (and a complete ckpt.tmp), which `recover` puts back."""
    from model_ref.checkpoint import load_model, recover

    ckpt = tmp_path / "run" / "ckpt"
    shutil.copytree(tiny_ckpt, ckpt)
    if crash_after == "old_moved":  # crashed after `os.replace(path, old)`, before the new one was written
        os.replace(ckpt, str(ckpt) + ".old")
    else:  # crashed after the new one was complete in ckpt.tmp, the old one moved aside
        shutil.copytree(ckpt, str(ckpt) + ".tmp")
        os.replace(ckpt, str(ckpt) + ".old")
    assert not ckpt.exists()
    model, info = load_model(str(tmp_path / "run"))
    assert ckpt.exists() and info["step"] == json.load(open(os.path.join(tiny_ckpt, "config.json")))["step"]
    recover(str(ckpt))  # nothing to do once it is back
    assert ckpt.exists()


def test_metrics_with_a_torn_last_line(tmp_path):
    from model_ref.metrics import read_metrics

    path = tmp_path / "metrics.jsonl"
    path.write_text('{"step": 1, "loss": 5.0}\n{"step": 2, "eval": {"zh": {}}}\n{"step": 3, "lo', encoding="utf-8")
    assert [r["step"] for r in read_metrics(str(path))] == [1, 2]
    path.write_text('{"step": 1}\n{"step": 2, "lo\n{"step": 3}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"metrics.jsonl:2"):
        read_metrics(str(path))


def test_logged_loss_is_the_mean_of_the_micro_batch_losses(token_dir, tmp_path, train_cfg):
    """The loss logged for a step is the mean over its grad_accum micro-batches (summed on the device, read
    once per step). Recomputed here from a fresh model with the same seed, one forward per micro-batch."""
    import torch

    from model_ref.data import train_batch
    from model_ref.model import ReferenceLM
    from model_ref.train import model_config

    cfg = train_cfg(token_dir, str(tmp_path / "accum"), max_steps=1, grad_accum=3)
    train(cfg)
    logged = _losses(cfg.out)[1]

    data = TokenData(token_dir)
    torch.manual_seed(cfg.seed)  # as train() does before building the model: the step-1 loss uses these weights
    model = ReferenceLM(model_config(cfg, data.vocab_size)).train()
    losses = []
    with torch.no_grad():
        for micro in range(cfg.grad_accum):
            x, y = train_batch(data.train, cfg.batch_size, cfg.seq_len, cfg.seed, 0, micro)
            losses.append(model(x, y)[1].item())
    assert max(losses) - min(losses) > 1e-3  # distinct, so the mean differs from any one of them and the sum
    assert logged == pytest.approx(sum(losses) / len(losses), rel=1e-5)


def test_eval_loss_is_the_mean_over_every_target_token(token_dir):
    """evaluate() weights each batch's mean loss by its token count (the last, shorter batch included):
    the result equals the mean of the per-token losses, computed here over the same windows in one go."""
    import torch
    import torch.nn.functional as F

    from model_ref.data import eval_batches
    from model_ref.evaluate import evaluate
    from model_ref.model import ReferenceLM
    from model_ref.train import TrainConfig, model_config

    data = TokenData(token_dir)
    torch.manual_seed(0)
    model = ReferenceLM(model_config(TrainConfig(seq_len=32), data.vocab_size))
    # 200 targets at seq_len 32, 4 windows a batch: batches of 4 and 2 windows, then one of 8 targets.
    res = evaluate(model, data, seq_len=32, batch_size=4, max_tokens=200)
    per_token = []
    with torch.no_grad():
        for x, y in eval_batches(data.val["zh"], 4, 32, 200):
            logits, _ = model(x)
            per_token.append(F.cross_entropy(logits.float().flatten(0, 1), y.flatten(), reduction="none"))
    per_token = torch.cat(per_token).double()
    assert res["zh"]["tokens"] == len(per_token) == 200
    assert res["zh"]["loss"] == pytest.approx(per_token.mean().item(), rel=1e-6)
