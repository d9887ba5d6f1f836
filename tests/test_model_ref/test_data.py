"""Token shards: format checks with errors naming the file, deterministic batches, bits per character."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest

from model_ref.data import (
    ShardError,
    TokenData,
    bits_per_char,
    eval_batches,
    synthetic_tokens,
    train_batch,
    unigram_entropy,
    write_shards,
)


def _write(tmp_path, ids, vocab=100):
    return write_shards(
        str(tmp_path),
        {"train": (np.asarray(ids), 300), "val_zh": (np.arange(50) % vocab, 80)},
        vocab,
        eos_id=0,
    )


def test_reads_meta_and_splits(tmp_path):
    data = TokenData(_write(tmp_path, np.arange(200) % 100))
    assert data.vocab_size == 100 and data.eos_id == 0
    assert set(data.val) == {"zh"} and len(data.train.tokens) == 200
    assert data.train.tokens.dtype == np.dtype("<u2")


def test_id_at_or_above_vocab_names_file_and_position(tmp_path):
    _write(tmp_path, np.arange(200) % 100)
    bad = np.fromfile(tmp_path / "train.bin", dtype="<u2")
    bad[123] = 100
    bad.tofile(tmp_path / "train.bin")
    with pytest.raises(ShardError, match=r"train\.bin: token id 100 at position 123 >= vocab_size 100"):
        TokenData(str(tmp_path))


def test_model_vocab_smaller_than_data_is_rejected(tmp_path):
    _write(tmp_path, np.arange(200) % 100)
    with pytest.raises(ShardError, match=r"train\.bin: token id 9\d"):
        TokenData(str(tmp_path), vocab_size=90)


def test_truncated_shard_odd_bytes(tmp_path):
    _write(tmp_path, np.arange(200) % 100)
    with open(tmp_path / "val_zh.bin", "ab") as f:
        f.write(b"\x01")
    with pytest.raises(ShardError, match=r"val_zh\.bin: truncated shard \(101 bytes"):
        TokenData(str(tmp_path))


def test_truncated_shard_shorter_than_meta(tmp_path):
    _write(tmp_path, np.arange(200) % 100)
    with open(tmp_path / "train.bin", "r+b") as f:
        f.truncate(300)
    with pytest.raises(
        ShardError, match=r"train\.bin: truncated or stale shard: 150 tokens on disk, meta.json says 200"
    ):
        TokenData(str(tmp_path))


def test_missing_meta_and_missing_shard(tmp_path):
    with pytest.raises(ShardError, match=r"meta\.json: not found"):
        TokenData(str(tmp_path))
    _write(tmp_path, np.arange(200) % 100)
    os.remove(tmp_path / "val_zh.bin")
    with pytest.raises(ShardError, match=r"val_zh\.bin: token shard not found"):
        TokenData(str(tmp_path))


def test_bad_dtype_in_meta(tmp_path):
    _write(tmp_path, np.arange(200) % 100)
    meta = json.loads((tmp_path / "meta.json").read_text())
    meta["dtype"] = "uint32"
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(
        ShardError, match=r"meta\.json: dtype .uint32. .*unsupported \(uint16 little-endian only\)"
    ):
        TokenData(str(tmp_path))


def test_train_batches_deterministic_and_shifted(tmp_path):
    data = TokenData(_write(tmp_path, np.arange(200) % 100))
    x1, y1 = train_batch(data.train, 4, 16, seed=0, step=5)
    x2, y2 = train_batch(data.train, 4, 16, seed=0, step=5)
    x3, _ = train_batch(data.train, 4, 16, seed=0, step=6)
    assert (x1 == x2).all() and (y1 == y2).all() and not (x1 == x3).all()
    assert x1.shape == (4, 16) and (y1[:, :-1] == x1[:, 1:]).all()
    assert ((x1 + 1) % 100 == y1).all()  # the stream counts up, so the target is the next id


def test_eval_batches_cover_consecutive_windows(tmp_path):
    data = TokenData(_write(tmp_path, np.arange(200) % 100))
    batches = list(eval_batches(data.val["zh"], batch_size=3, seq_len=10))
    assert [tuple(x.shape) for x, _ in batches] == [(3, 10), (1, 10), (1, 9)]  # 49 targets: 4 x 10 + 9
    flat = np.concatenate([y.numpy().ravel() for _, y in batches])
    assert flat.tolist() == list(range(1, 50))  # every target scored once


def test_bits_per_char_and_unigram_entropy(tmp_path):
    data = TokenData(_write(tmp_path, np.arange(200) % 100))
    # 50 tokens over 80 chars at loss ln 2 per token -> 50/80 bits per char
    assert bits_per_char(math.log(2), data.val["zh"]) == pytest.approx(50 / 80)
    assert unigram_entropy(np.arange(200) % 100, 100) == pytest.approx(math.log(100))


def test_synthetic_stream_has_structure():
    ids = synthetic_tokens(20_000, 256, seed=0, doc_len=100)
    assert ids.min() >= 0 and ids.max() < 256
    assert 150 < (ids == 0).sum() < 250  # ~one EOS per 100 tokens
    assert unigram_entropy(ids, 256) > 5.0
