"""Token shards: memory-mapped uint16 `.bin` files + `meta.json` (nanoGPT's data contract, STYLE.md P11).

The tokenizer stage (`curate tokenizer encode`) writes the layout docs/tokenizer.md "Token shard format"
specifies (format "qingliu-token-shards-v1"); the parts read here:

    meta.json        {"format": ..., "vocab_size": 65536, "eos_id": 0, "bos_id": 1, "dtype": "uint16",
                      "splits": {"train": {"file": "train.bin", "tokens": N, "chars": C, "docs": D},
                                 "val_zh": {...}, "val_bilingual": {...}, "val_en": {...}}}
    train.bin        documents' token ids, each followed by eos_id, concatenated (little-endian uint16)
    val_<lang>.bin   the same for each language's held-out documents (only languages that have any)

The per-document `.idx.npy` files are not needed: training packs the stream as it is.

Training samples random windows of seq_len + 1 tokens from the packed stream (documents cross window
boundaries, separated by EOS), seeded by (seed, step) so a resumed run sees exactly the batches an
uninterrupted one would. Validation walks each split in fixed consecutive windows.

Every shard is checked when opened: the file size must be a whole number of tokens and match the count in
meta.json (else: truncated), and no id may reach vocab_size. Errors name the file.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass

import numpy as np
import torch

from curation.errors import ConfigError

FORMAT = "qingliu-token-shards-v1"  # docs/tokenizer.md "Token shard format"
CHECK_CHUNK = 1 << 24  # tokens per chunk when scanning a shard for out-of-range ids (32 MiB of uint16)


class ShardError(ConfigError):
    """A token shard or its meta.json is unusable (truncated, ids out of range, missing)."""


@dataclass
class Split:
    name: str  # "train", "val_zh", ...
    path: str
    tokens: np.ndarray  # memmap, uint16
    chars: int | None  # characters of the source text (for bits per character)

    @property
    def lang(self) -> str:
        return self.name.removeprefix("val_")


def read_meta(data_dir: str) -> dict:
    path = os.path.join(data_dir, "meta.json")
    if not os.path.exists(path):
        raise ShardError(
            f"{path}: not found (expected the tokenizer stage's meta.json next to the .bin shards)"
        )
    try:
        with open(path, encoding="utf-8") as f:
            meta = json.load(f)
    except json.JSONDecodeError as exc:
        raise ShardError(f"{path}: not valid JSON ({exc})") from exc
    for key in ("vocab_size", "splits"):
        if key not in meta:
            raise ShardError(f"{path}: missing key {key!r}")
    if np.dtype(meta.get("dtype", "uint16")) != np.uint16 or meta.get("byteorder", "little") != "little":
        raise ShardError(
            f"{path}: dtype {meta['dtype']!r} / byteorder {meta.get('byteorder')!r} unsupported "
            "(uint16 little-endian only)"
        )
    if meta.get("format", FORMAT) != FORMAT:
        raise ShardError(f"{path}: format {meta['format']!r}, expected {FORMAT!r}")
    return meta


def open_shard(
    path: str, vocab_size: int, expected_tokens: int | None = None, check: bool = True
) -> np.ndarray:
    """Memory-map one uint16 shard, checking its length and id range.

    Args:
        path: the .bin file.
        vocab_size: every id must be < vocab_size.
        expected_tokens: the token count meta.json records for it (None: not checked).
        check: scan the ids (a sequential read of the file; skip only for shards checked before).

    Raises:
        ShardError: missing, odd byte count, shorter/longer than meta.json says, or an id >= vocab_size.
    """
    if not os.path.exists(path):
        raise ShardError(f"{path}: token shard not found")
    size = os.path.getsize(path)
    if size % 2:
        raise ShardError(f"{path}: truncated shard ({size} bytes is not a whole number of uint16 tokens)")
    n = size // 2
    if expected_tokens is not None and n != expected_tokens:
        raise ShardError(
            f"{path}: truncated or stale shard: {n} tokens on disk, meta.json says {expected_tokens}"
        )
    if n == 0:
        raise ShardError(f"{path}: empty shard")
    arr = np.memmap(path, dtype="<u2", mode="r", shape=(n,))
    if check:
        for start in range(0, n, CHECK_CHUNK):
            chunk = arr[start : start + CHECK_CHUNK]
            top = int(chunk.max())
            if top >= vocab_size:
                at = start + int(np.argmax(chunk >= vocab_size))
                raise ShardError(
                    f"{path}: token id {int(arr[at])} at position {at} >= vocab_size {vocab_size}"
                )
    return arr


class TokenData:
    """All splits of one data directory, opened and checked.

    Args:
        data_dir: directory with meta.json and the shards.
        vocab_size: model vocabulary (defaults to meta.json's); shards must fit it.
    """

    def __init__(self, data_dir: str, vocab_size: int | None = None):
        self.dir = data_dir
        self.meta = read_meta(data_dir)
        self.vocab_size = int(vocab_size or self.meta["vocab_size"])
        self.eos_id = self.meta.get("eos_id")
        self.splits: dict[str, Split] = {}
        for name, info in self.meta["splits"].items():
            path = os.path.join(data_dir, info.get("file", f"{name}.bin"))
            arr = open_shard(path, self.vocab_size, info.get("tokens"))
            self.splits[name] = Split(name, path, arr, info.get("chars"))
        if "train" not in self.splits:
            raise ShardError(f"{os.path.join(data_dir, 'meta.json')}: no 'train' split")

    @property
    def train(self) -> Split:
        return self.splits["train"]

    @property
    def val(self) -> dict[str, Split]:
        return {s.lang: s for name, s in self.splits.items() if name.startswith("val")}


def train_batch(split: Split, batch_size: int, seq_len: int, seed: int, step: int, micro: int = 0):
    """Random windows for optimizer step `step`, micro-batch `micro`: deterministic in (seed, step, micro).

    Returns:
        x, y: int64 tensors (batch_size, seq_len); y is x shifted left by one token.
    """
    n = len(split.tokens)
    if n < seq_len + 1:
        raise ShardError(f"{split.path}: {n} tokens, too few for seq_len {seq_len}")
    rng = np.random.default_rng([seed, step, micro])
    starts = rng.integers(0, n - seq_len, size=batch_size)  # every window of seq_len + 1 tokens, the last one too
    win = np.stack([np.asarray(split.tokens[s : s + seq_len + 1], dtype=np.int64) for s in starts])
    win = torch.from_numpy(win)
    return win[:, :-1], win[:, 1:]


def eval_batches(split: Split, batch_size: int, seq_len: int, max_tokens: int | None = None):
    """Consecutive windows covering every target of the split (or its first max_tokens); yields (x, y).

    Full windows of seq_len come in batches; a shorter remainder comes last as its own batch of one, so a
    small validation split (the demo's has a few hundred tokens) is scored whole.
    """
    n = len(split.tokens) - 1  # targets
    if max_tokens is not None:
        n = min(n, max_tokens)
    full, rest = divmod(n, seq_len)

    def window(start, length):
        return np.asarray(split.tokens[start : start + length + 1], dtype=np.int64)

    for b in range(0, full, batch_size):
        win = torch.from_numpy(
            np.stack([window(i * seq_len, seq_len) for i in range(b, min(b + batch_size, full))])
        )
        yield win[:, :-1], win[:, 1:]
    if rest:
        win = torch.from_numpy(window(full * seq_len, rest)[None])
        yield win[:, :-1], win[:, 1:]


def unigram_entropy(tokens: np.ndarray, vocab_size: int) -> float:
    """Entropy (nats) of the token unigram distribution: the loss of the best context-free predictor."""
    counts = np.bincount(np.asarray(tokens), minlength=vocab_size).astype(np.float64)
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def bits_per_char(mean_loss: float, split: Split) -> float | None:
    """Bits per character: mean token loss (nats) * tokens / chars / ln 2. Comparable across tokenizers."""
    if not split.chars:
        return None
    return mean_loss * len(split.tokens) / split.chars / math.log(2)


def write_shards(
    out_dir: str, splits: dict[str, tuple[np.ndarray, int | None]], vocab_size: int, eos_id: int
) -> str:
    """Write `name -> (ids, chars)` as uint16 shards + meta.json in this module's format (tests, synthetic data)."""
    os.makedirs(out_dir, exist_ok=True)
    meta = {
        "format": FORMAT,
        "vocab_size": vocab_size,
        "eos_id": eos_id,
        "dtype": "uint16",
        "byteorder": "little",
        "splits": {},
    }
    for name, (ids, chars) in splits.items():
        ids = np.asarray(ids)
        if ids.size and (ids.min() < 0 or ids.max() >= min(vocab_size, 65536)):
            raise ValueError(f"{name}: ids out of range for vocab_size {vocab_size}")
        ids.astype("<u2").tofile(os.path.join(out_dir, f"{name}.bin"))
        meta["splits"][name] = {"file": f"{name}.bin", "tokens": int(ids.size), "chars": chars}
    with open(os.path.join(out_dir, "meta.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=2)
    return out_dir


def synthetic_tokens(
    n_tokens: int,
    vocab_size: int = 512,
    seed: int = 0,
    branching: int = 4,
    doc_len: int = 200,
    eos_id: int = 0,
) -> np.ndarray:
    """A packed stream with known structure, for tests and benchmarks without a tokenizer.

    A fixed random first-order Markov chain over ids 1..vocab_size-1: each token has `branching` successors
    (Zipf-weighted). Documents of ~doc_len tokens are separated by eos_id. The conditional entropy is at
    most ln(branching) nats, far below the unigram entropy (~ln(vocab_size)), so a model that learns
    anything shows it.
    """
    chain = np.random.default_rng(1234)  # the chain is the "language": the same for every seed
    succ = chain.integers(1, vocab_size, size=(vocab_size, branching))
    w = 1.0 / np.arange(1, branching + 1)
    w /= w.sum()
    rng = np.random.default_rng(seed)
    out = np.empty(n_tokens, dtype=np.int64)
    choice = rng.choice(branching, size=n_tokens, p=w)
    tok, left = int(rng.integers(1, vocab_size)), int(rng.poisson(doc_len))
    for i in range(n_tokens):
        if left <= 0:
            out[i], left, tok = eos_id, int(rng.poisson(doc_len)), int(rng.integers(1, vocab_size))
            continue
        out[i] = tok
        tok = int(succ[tok, choice[i]])
        left -= 1
    return out
