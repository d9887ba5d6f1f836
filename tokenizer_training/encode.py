"""Encode the mix into uint16 token shards for model_ref (nanoGPT's `train.bin`/`val.bin` contract).

Layout of OUT (the full contract is "Token shard format" in docs/tokenizer.md):

    train.bin, train.idx.npy            training split
    val_zh.bin, val_zh.idx.npy, ...     one validation split per language that has held-out documents
    meta.json                           vocab_size, eos_id, dtype, splits, counts, tokenizer sha256

`*.bin` is a flat little-endian uint16 array: every document's tokens followed by one EOS. `*.idx.npy` is
an int64 array of shape (n_docs, 3) with rows (offset, length, lang_code): the document's tokens are
`bin[offset : offset + length]` and `bin[offset + length] == eos_id`.

Documents go to validation when they are in the tokenizer's held-out split (same seed and fraction, read
from training_meta.json unless given), so validation text was never seen by the tokenizer either.
Deterministic: the output depends only on the inputs, the tokenizer and the seed; encoding runs in
parallel inside `tokenizers.encode_batch` (Rust threads), which keeps the order.

    curate tokenizer encode --tokenizer OUT/tok --input OUT/mix/data --output OUT/tokens
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections import Counter

import numpy as np
from tqdm import tqdm

from curation.errors import ConfigError
from tokenizer_training.corpus import LANGS, Corpus
from tokenizer_training.export import load_tokenizer
from tokenizer_training.train_bpe import BOS, EOS, PAD

log = logging.getLogger(__name__)

FORMAT = "qingliu-token-shards-v1"
LANG_CODES = {lang: i for i, lang in enumerate(LANGS)}  # zh 0, bilingual 1, en 2, other 3
BATCH_DOCS = 512


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class _Split:
    """One output split: appends documents to NAME.bin and remembers their index rows."""

    def __init__(self, out_dir: str, name: str):
        self.name, self.out_dir = name, out_dir
        self.f = open(os.path.join(out_dir, f"{name}.bin"), "wb")
        self.rows: list[tuple[int, int, int]] = []
        self.offset = self.chars = 0
        self.tokens_by_lang: Counter = Counter()

    def add(self, ids: list[int], lang: str, eos_id: int, chars: int) -> None:
        arr = np.empty(len(ids) + 1, dtype="<u2")
        arr[:-1] = ids
        arr[-1] = eos_id
        arr.tofile(self.f)
        self.rows.append((self.offset, len(ids), LANG_CODES[lang]))
        self.offset += len(ids) + 1
        self.chars += chars
        self.tokens_by_lang[lang] += len(ids) + 1

    def close(self) -> dict:
        self.f.close()
        index = np.array(self.rows, dtype=np.int64).reshape(-1, 3)
        np.save(os.path.join(self.out_dir, f"{self.name}.idx.npy"), index)
        docs = Counter(LANGS[c] for c in index[:, 2].tolist())
        return {"file": f"{self.name}.bin", "index": f"{self.name}.idx.npy", "tokens": self.offset,
                "docs": len(self.rows), "chars": self.chars, "tokens_by_lang": dict(self.tokens_by_lang),
                "docs_by_lang": dict(docs)}

    def remove(self) -> None:
        _remove_split(self.out_dir, self.name)


def _remove_split(out_dir: str, name: str) -> None:
    for suffix in (".bin", ".idx.npy"):
        path = os.path.join(out_dir, name + suffix)
        if os.path.exists(path):
            os.remove(path)


def encode_corpus(tokenizer_dir: str, inputs: list[str], out_dir: str, seed: int | None = None,
                  val_frac: float | None = None, text_key: str = "text", lang: str | None = None,
                  batch_docs: int = BATCH_DOCS, progress: bool | None = None) -> dict:
    """Encode every document of `inputs` into the shard layout above and return meta.json's content.

    Args:
        tokenizer_dir: an export directory (tokenizer.json + training_meta.json).
        inputs: Parquet stage outputs or JSONL files (see corpus.Corpus).
        out_dir: created if missing; existing shards are overwritten.
        seed, val_frac: validation split; default to the tokenizer's seed and holdout_frac.
        text_key, lang: as in corpus.Corpus.
        batch_docs: documents per encode_batch call (does not change the output).
        progress: show a tqdm bar (None: only on a terminal).
    """
    tok = load_tokenizer(tokenizer_dir)
    vocab_size = tok.get_vocab_size()
    if vocab_size > 65536:
        raise ConfigError(f"tokenizer has {vocab_size} entries: ids would not fit uint16")
    eos_id = tok.token_to_id(EOS)
    if eos_id is None:
        raise ConfigError(f"tokenizer {tokenizer_dir} has no {EOS} token")
    # Document text is data: a literal "<|endoftext|>" or "<|user|>" inside a document is encoded as its
    # characters, never as the control id (EOS only ever separates documents).
    tok.encode_special_tokens = True
    meta_path = os.path.join(tokenizer_dir, "training_meta.json") if os.path.isdir(tokenizer_dir) else ""
    tmeta = json.load(open(meta_path, encoding="utf-8")) if os.path.exists(meta_path) else {}
    seed = tmeta.get("seed", 0) if seed is None else seed
    val_frac = tmeta.get("holdout_frac", 0.01) if val_frac is None else val_frac
    corpus = Corpus(inputs, seed=seed, holdout_frac=val_frac, text_key=text_key, lang=lang)
    os.makedirs(out_dir, exist_ok=True)
    for lg in LANGS:  # a rerun must not leave a stale split behind
        _remove_split(out_dir, f"val_{lg}")
    splits: dict[str, _Split] = {"train": _Split(out_dir, "train")}
    stats: Counter = Counter()
    start = time.time()
    bar = tqdm(desc="encode", unit=" docs", disable=(not progress) if progress is not None else None)

    def flush(batch):
        encs = tok.encode_batch([r.text for r in batch], add_special_tokens=False)
        for rec, enc in zip(batch, encs):
            name = f"val_{rec.lang}" if corpus.is_heldout(rec) else "train"
            if name not in splits:
                splits[name] = _Split(out_dir, name)
            splits[name].add(enc.ids, rec.lang, eos_id, len(rec.text))
        bar.update(len(batch))

    batch = []
    for rec in corpus.records():
        if not rec.text:
            stats["empty_docs_skipped"] += 1
            continue
        batch.append(rec)
        if len(batch) >= batch_docs:
            flush(batch)
            batch = []
    if batch:
        flush(batch)
    bar.close()
    split_meta = {name: s.close() for name, s in splits.items()}
    for name in [n for n, m in split_meta.items() if n != "train" and not m["docs"]]:
        splits[name].remove()  # val splits exist only when they hold documents (readers reject empty shards)
        del split_meta[name]
    stats.update(corpus.stats)
    seconds = time.time() - start
    total = sum(s["tokens"] for s in split_meta.values())
    meta = {
        "format": FORMAT,
        "dtype": "uint16",
        "byteorder": "little",
        "vocab_size": vocab_size,
        "eos_id": eos_id,
        "bos_id": tok.token_to_id(BOS),
        "pad_id": tok.token_to_id(PAD),
        "doc_separator": "one eos_id after every document (no BOS)",
        "index_columns": ["offset", "length", "lang"],
        "index_dtype": "int64",
        "lang_codes": LANG_CODES,
        "splits": split_meta,
        "val_rule": {"seed": seed, "frac": val_frac,
                     "rule": "xxh64_intdigest(utf8(f'{seed}:heldout:{id}')) / 2**64 < frac (the tokenizer's held-out split)"},
        "tokenizer": {"path": os.path.abspath(tokenizer_dir),
                      "sha256": sha256_file(os.path.join(tokenizer_dir, "tokenizer.json")
                                            if os.path.isdir(tokenizer_dir) else tokenizer_dir)},
        "inputs": [os.path.abspath(p) for p in corpus.files],
        "stats": dict(stats),
        "bad_record_examples": corpus.bad_examples,
        "seconds": round(seconds, 1),
        "tokens_per_second": round(total / seconds) if seconds else None,
    }
    with open(os.path.join(out_dir, "meta.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, ensure_ascii=False, indent=2)
        f.write("\n")
    log.info("encoded %d tokens (%s) in %.1fs", total,
             ", ".join(f"{k}: {v['docs']} docs" for k, v in split_meta.items()), seconds)
    return meta


def load_split(out_dir: str, name: str) -> tuple[np.ndarray, np.ndarray, dict]:
    """(tokens memmap, index array, meta) of one split, for readers such as model_ref."""
    meta = json.load(open(os.path.join(out_dir, "meta.json"), encoding="utf-8"))
    s = meta["splits"][name]
    path = os.path.join(out_dir, s["file"])
    tokens = np.memmap(path, dtype="<u2", mode="r") if s["tokens"] else np.zeros(0, dtype="<u2")
    return tokens, np.load(os.path.join(out_dir, s["index"])), meta
