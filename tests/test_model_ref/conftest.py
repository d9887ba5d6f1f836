"""Fixtures for model_ref tests: a small synthetic token data dir and a briefly trained tiny checkpoint."""

from __future__ import annotations

import pytest
import torch

from model_ref.data import synthetic_tokens, write_shards
from model_ref.train import TrainConfig, train

VOCAB = 512


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    torch.set_num_threads(1)  # the CPU is shared; 1 thread is fastest under load (see train.default_threads)


@pytest.fixture(scope="session")
def token_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("tokens")
    tr = synthetic_tokens(60_000, VOCAB, seed=0)
    va = synthetic_tokens(6_000, VOCAB, seed=1)
    splits = {"train": (tr, int(len(tr) * 1.5)), "val_zh": (va[:3000], 4500), "val_en": (va[3000:], 4500)}
    return str(write_shards(str(out), splits, VOCAB, eos_id=0))


def small_train_config(data: str, out: str, **kw) -> TrainConfig:
    base = dict(
        data=data,
        out=out,
        preset="tiny",
        seq_len=32,
        batch_size=4,
        max_steps=8,
        warmup_steps=2,
        eval_interval=1000,
        eval_tokens=512,
        log_interval=1,
        ckpt_interval=1000,
        progress=False,
        threads=1,
    )
    base.update(kw)
    return TrainConfig(**base)


@pytest.fixture(scope="session")
def train_cfg():
    """The factory above, for tests (test modules here are not a package, so they cannot import conftest)."""
    return small_train_config


@pytest.fixture(scope="session")
def tiny_ckpt(token_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    result = train(small_train_config(token_dir, str(out), max_steps=6))
    return result["ckpt"]
