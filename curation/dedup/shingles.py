"""Script-aware shingles, hashed without a Python call per shingle.

The matching view is `curation.text.normalize.normalize_text` (NFKC, casefold, whitespace collapse),
the same view the quality rules see. On that view a document becomes a sequence of *tokens*:

- every Han, kana or Hangul character is one token (so Chinese gets character n-grams: splitting on
  non-word characters, as English-first tools do, would make a whole Han run one "word" and miss
  Chinese near-duplicates);
- every maximal run of other word characters (letters, digits, `_`) is one token (so Latin text gets
  word n-grams);
- punctuation, symbols, emoji and whitespace separate tokens and are not tokens themselves.

A shingle is `n` consecutive tokens (default 5, as in datatrove's `MinhashConfig.n_grams` and the
character 5-grams text-dedup uses for Chinese), so one bilingual document carries character n-grams
inside its Han runs and word n-grams inside its English, and an n-gram may cross from one script into
the other (`1998年1月` stays one run of tokens).

Short documents get a defined result, never an empty shingle set (which would give every short document
the same all-max signature and merge them all):

- fewer than `n` tokens but at least one: the whole token sequence is the single shingle;
- no tokens at all (only punctuation or emoji): the whole normalized text is the single shingle;
- empty normalized text (empty or whitespace-only document): no shingles; the stage keeps such
  documents untouched and counts them (`empty_docs`) instead of calling them duplicates of each other.

Hashing: token and shingle hashes are polynomial hashes mod 2**64 computed for all positions at once
with prefix sums (`P` odd, so invertible mod 2**64: hash[a:b) = P**(b-1) * (S[b] - S[a])), then mixed
with the splitmix64 finalizer. Everything is numpy on uint64 with wrap-around arithmetic. For a batch,
the optional C kernel (`curation/dedup/_shingles_native.c`) computes the same hashes in one pass with
Horner's rule (numpy makes some twenty passes: 0.73 -> about 0.1 CPU-s for the 50k zh bench set); numpy
stays the reference and the tests require equal arrays.
"""

from __future__ import annotations

import threading

import numpy as np

from curation import native
from curation.text.normalize import normalize_text

DEFAULT_NGRAM = 5

# Token classes for the Basic Multilingual Plane; code points above it are Han (extensions B-H,
# compatibility supplement) or separators (emoji, symbols).
_SEP, _WORD, _CJK = 0, 1, 2
_P = np.uint64(0x100000001B3)  # FNV-64 prime: odd, so it has an inverse mod 2**64
_P_INV = np.uint64(pow(0x100000001B3, -1, 2**64))
_SHORT_TAG = np.uint64(0x5BD1E9955BD1E995)  # marks "whole token sequence" shingles of short docs
_RAW_TAG = np.uint64(0x2545F4914F6CDD1D)  # marks "whole normalized text" shingles of token-less docs


def _class_table() -> np.ndarray:
    table = np.zeros(0x10000, dtype=np.uint8)
    for cp in range(0x10000):
        ch = chr(cp)
        if 0xD800 <= cp <= 0xDFFF:
            continue
        if (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0xF900 <= cp <= 0xFAFF  # Han
                or 0x3040 <= cp <= 0x30FF or 0x31F0 <= cp <= 0x31FF  # kana
                or 0xAC00 <= cp <= 0xD7AF or 0x1100 <= cp <= 0x11FF or 0x3130 <= cp <= 0x318F):  # Hangul
            table[cp] = _CJK
        elif ch.isalnum() or ch == "_":
            table[cp] = _WORD
    return table


_TABLE = _class_table()
# (P**k, P**-k) for k < len, grown on demand. One tuple, replaced whole under a lock: worker threads of
# one process (DirectRunner multi_threading) share it and must never see one array grown and not the other.
_POWERS: tuple[np.ndarray, np.ndarray] = (np.ones(1, dtype=np.uint64), np.ones(1, dtype=np.uint64))
_POWERS_LOCK = threading.Lock()


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    global _POWERS
    powers = _POWERS
    if len(powers[0]) >= n:
        return powers
    with _POWERS_LOCK:
        if len(_POWERS[0]) < n:
            size = max(n, 2 * len(_POWERS[0]), 4096)
            pw = np.full(size, _P, dtype=np.uint64)
            inv = np.full(size, _P_INV, dtype=np.uint64)
            pw[0] = inv[0] = 1
            _POWERS = (np.cumprod(pw, dtype=np.uint64), np.cumprod(inv, dtype=np.uint64))
        return _POWERS


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finalizer, vectorized (uint64 in, uint64 out)."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _window_hashes(values: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Polynomial hash of values[a:b) for every (a, b) in zip(starts, ends), all at once."""
    pw, inv = _powers(len(values) + 1)
    prefix = np.zeros(len(values) + 1, dtype=np.uint64)
    np.cumsum(values * inv[: len(values)], out=prefix[1:])
    return pw[ends - 1] * (prefix[ends] - prefix[starts])


def code_points(norm: str) -> np.ndarray:
    """Code points of a (normalized) string as uint64 (lone surrogates pass through)."""
    return np.frombuffer(norm.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)


def token_hashes(cps: np.ndarray) -> np.ndarray:
    """One uint64 hash per token (Han/kana/Hangul character or word run) of a code-point array."""
    return _token_spans(cps)[2]


def _token_spans(cps: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(starts, ends, hashes) of the tokens of a code-point array, in text order."""
    if len(cps) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.uint64)
    cls = np.where(cps < 0x10000, _TABLE[np.minimum(cps, 0xFFFF)], 0).astype(np.int8)
    big = cps >= 0x10000
    if big.any():  # Han extensions B and later, CJK compatibility supplement
        cls[big & (((cps >= 0x20000) & (cps <= 0x323AF)) | ((cps >= 0x2F800) & (cps <= 0x2FA1F)))] = _CJK
    word = cls == _WORD
    prev_word = np.concatenate([[False], word[:-1]])
    next_word = np.concatenate([word[1:], [False]])
    cjk_pos = np.flatnonzero(cls == _CJK)
    word_starts = np.flatnonzero(word & ~prev_word)
    word_ends = np.flatnonzero(word & ~next_word) + 1
    starts = np.concatenate([cjk_pos, word_starts])
    ends = np.concatenate([cjk_pos + 1, word_ends])
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], ends[order]
    lengths = (ends - starts).astype(np.uint64)
    return starts, ends, mix64(_window_hashes(cps, starts, ends) + lengths * np.uint64(0x9E3779B97F4A7C15))


def batch_shingle_hashes(norms: list[str], ngram: int = DEFAULT_NGRAM) -> tuple[np.ndarray, np.ndarray]:
    """`shingle_hashes` of many non-empty normalized texts at once, as one flat array.

    The texts are joined with a separator (U+0000, never part of a token) and tokenized and hashed in
    one pass, so the per-document cost is a few array slices instead of some twenty numpy calls.
    Documents with fewer than `ngram` tokens (rare) take the single-document path.

    Returns:
        (flat uint32 shingle hashes, document after document; sizes int64, one per text), equal to
        concatenating `shingle_hashes(t, ngram, normalized=True)` over `norms`.
    """
    n = len(norms)
    if n == 0:
        return np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.int64)
    kernels = native.module()
    if kernels is not None:
        cps = np.frombuffer("".join(norms).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        lens = np.fromiter((len(t) for t in norms), dtype=np.int64, count=n)
        out = np.empty(len(cps) + n, dtype=np.uint32)
        sizes = np.empty(n, dtype=np.int64)
        written = kernels.shingle_hashes(cps, lens, _TABLE, ngram, out, sizes)
        return out[:written].copy(), sizes
    cps = code_points("\x00".join(norms))
    lens = np.fromiter((len(t) for t in norms), dtype=np.int64, count=n)
    doc_end = np.cumsum(lens + 1) - 1  # index of the separator after each text (one past its end)
    starts, _, tok = _token_spans(cps)
    doc_of = np.searchsorted(doc_end, starts, side="right")
    counts = np.bincount(doc_of, minlength=n)
    tok_end = np.cumsum(counts)
    win = np.arange(len(tok))
    win = win[win + ngram <= tok_end[doc_of]] if len(tok) else win
    flat = (mix64(_window_hashes(tok, win, win + ngram)) >> np.uint64(32)).astype(np.uint32)
    sizes = np.maximum(counts - ngram + 1, 0)
    short = np.flatnonzero(counts < ngram)
    if len(short):
        pieces, at = [], 0
        bounds = np.cumsum(sizes)
        for i in short:
            pieces.append(flat[at: bounds[i]])
            one = shingle_hashes(norms[i], ngram, normalized=True)
            pieces.append(one)
            sizes[i] = len(one)
            at = bounds[i]
        pieces.append(flat[at:])
        flat = np.concatenate(pieces)
    return flat, sizes


def shingle_hashes(text: str, ngram: int = DEFAULT_NGRAM, normalized: bool = False) -> np.ndarray:
    """The shingle set of a document as uint32 hashes (duplicates possible; order not meaningful).

    Args:
        text: document text (or its matching view when `normalized`).
        ngram: tokens per shingle (Han characters, or Latin words).
        normalized: `text` is already `normalize_text(...)` output.

    Returns:
        uint32 array; empty only when the normalized text is empty.
    """
    norm = text if normalized else normalize_text(text)
    if not norm:
        return np.zeros(0, dtype=np.uint32)
    cps = code_points(norm)
    tok = token_hashes(cps)
    m = len(tok)
    if m >= ngram:
        starts = np.arange(m - ngram + 1)
        h = _window_hashes(tok, starts, starts + ngram)
    elif m > 0:
        h = _window_hashes(tok, np.array([0]), np.array([m])) ^ _SHORT_TAG
    else:
        h = _window_hashes(cps, np.array([0]), np.array([len(cps)])) ^ _RAW_TAG
    return (mix64(h) >> np.uint64(32)).astype(np.uint32)


def shingle_strings(text: str, ngram: int = DEFAULT_NGRAM) -> set[str]:
    """Readable shingles (tokens joined by a space), for tests, exact Jaccard checks and baselines.

    Same tokenization and short-document rule as `shingle_hashes`, one Python string per shingle.
    """
    norm = normalize_text(text)
    if not norm:
        return set()
    tokens = tokens_of(norm)
    if len(tokens) >= ngram:
        return {" ".join(tokens[i: i + ngram]) for i in range(len(tokens) - ngram + 1)}
    if tokens:
        return {"\x01" + " ".join(tokens)}
    return {"\x02" + norm}


def tokens_of(norm: str) -> list[str]:
    """The tokens of a normalized text as strings (reference implementation of `token_hashes`)."""
    out: list[str] = []
    word: list[str] = []
    for ch in norm:
        cp = ord(ch)
        cls = _TABLE[cp] if cp < 0x10000 else (
            _CJK if 0x20000 <= cp <= 0x323AF or 0x2F800 <= cp <= 0x2FA1F else _SEP)
        if cls == _WORD:
            word.append(ch)
            continue
        if word:
            out.append("".join(word))
            word = []
        if cls == _CJK:
            out.append(ch)
    if word:
        out.append("".join(word))
    return out
