"""Vectorized MinHash signatures, LSH band keys and the LSH parameter choice.

Permutations are multiply-add-shift hashes (Dietzfelbinger 1996): `h_i(x) = (a_i * x + b_i) mod 2**64 >> 32`
for a 32-bit shingle hash `x` and random 64-bit `a_i` (odd), `b_i`, drawn from `seed`. This family is
strongly universal for 32-bit keys, and the min of the high 32 bits is the high 32 bits of the 64-bit
min, so a signature is two numpy passes and one `minimum.reduceat` per chunk of shingles, for a whole
batch of documents at once. Where the CPU has AVX2, the optional C kernel
(`curation/dedup/_shingles_native.c`) computes the same minima in one pass, about 2x faster; numpy stays
the reference and the tests require equal signatures. (datasketch's `MinHash.update_batch` hashes
every shingle with a Python sha1 call and works one document at a time; it is the baseline in
`bench/dedup_bench.py`.)

Band/row counts are chosen recall-first (see `lsh_params` for why datasketch's `_optimal_param`, the
choice `MinHashLSH` makes, is not used by default); datasketch is the reference in tests and benchmarks.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from curation import native
from curation.dedup.shingles import mix64

# 0.7: text-dedup's default threshold; datatrove's 14 buckets x 8 hashes put its S-curve midpoint at
# (1/14)**(1/8) = 0.72. 128 permutations: datasketch's default and text-dedup's.
DEFAULT_THRESHOLD = 0.7
DEFAULT_NUM_PERM = 128
DEFAULT_SEED = 1
# Columns of shingles per numpy chunk: num_perm x CHUNK x 8 bytes = 8 MiB at 128 permutations, so a
# 5 MB document never builds a multi-GB matrix. 8192 measured 2.5x faster than 32768 (the buffer stays
# closer to the caches; bench/dedup_bench.py notes).
CHUNK = 8192
_MAX32 = np.uint32(0xFFFFFFFF)


@dataclass(frozen=True)
class LshParams:
    """MinHash-LSH configuration.

    Args:
        num_perm: signature length.
        bands: number of LSH bands (`b`); `bands * rows <= num_perm`.
        rows: signature values per band (`r`).
        threshold: Jaccard threshold; candidate pairs are verified against it.
        seed: seed of the permutation coefficients.
    """

    num_perm: int
    bands: int
    rows: int
    threshold: float
    seed: int = DEFAULT_SEED

    def tag(self) -> str:
        """Stable config tag, e.g. `t0.7_p128_b14_r9_s1` (datatrove's `MinhashConfig.__str__` idea)."""
        return f"t{self.threshold:g}_p{self.num_perm}_b{self.bands}_r{self.rows}_s{self.seed}"

    def candidate_probability(self, jaccard: float) -> float:
        """Chance that a pair with this Jaccard similarity shares at least one band: 1 - (1 - s**r)**b."""
        return 1.0 - (1.0 - jaccard**self.rows) ** self.bands


MIN_CANDIDATE_PROBABILITY = 0.985  # chance that a pair exactly at the threshold becomes a candidate


def lsh_params(threshold: float = DEFAULT_THRESHOLD, num_perm: int = DEFAULT_NUM_PERM,
               bands: int | None = None, rows: int | None = None, seed: int = DEFAULT_SEED) -> LshParams:
    """Bands and rows for a threshold: recall first, because every candidate is verified afterwards.

    datasketch's `_optimal_param` minimises the weighted false-positive + false-negative areas of the
    S-curve; at threshold 0.7 and 128 permutations it picks 14 bands x 9 rows, whose candidate
    probability *at* the threshold is only 0.44 (0.87 at Jaccard 0.8): fine for an index that returns
    candidates unverified, too low for a removal-recall target of 0.995. Here false candidates cost only
    a signature comparison, so we take the most rows per band (fewest candidates) that still make a pair
    at the threshold a candidate with probability >= 0.985: 25 x 5 at 0.7/128 (0.99995 at Jaccard 0.8,
    0.09 at 0.33, the Jaccard of documents sharing half their text).

    Raises:
        ValueError: inconsistent values (the CLI turns it into a ConfigError).
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    if num_perm < 2:
        raise ValueError(f"num_perm must be at least 2, got {num_perm}")
    if bands is None and rows is None:
        rows = 1
        for r in range(1, num_perm + 1):
            if 1.0 - (1.0 - threshold**r) ** (num_perm // r) >= MIN_CANDIDATE_PROBABILITY:
                rows = r
        bands = num_perm // rows
    elif bands is None:
        bands = num_perm // rows
    elif rows is None:
        rows = num_perm // bands
    if bands < 1 or rows < 1 or bands * rows > num_perm:
        raise ValueError(f"bands x rows must be at most num_perm ({bands} x {rows} > {num_perm})")
    return LshParams(num_perm=num_perm, bands=int(bands), rows=int(rows), threshold=threshold, seed=seed)


def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The (a, b) coefficients, shape (num_perm, 1) each, uint64; `a` odd."""
    rng = np.random.Generator(np.random.PCG64(seed))
    a = rng.integers(0, 2**64, size=num_perm, dtype=np.uint64, endpoint=False) | np.uint64(1)
    b = rng.integers(0, 2**64, size=num_perm, dtype=np.uint64, endpoint=False)
    return a[:, None], b[:, None]


def signatures(shingle_sets: list[np.ndarray], num_perm: int = DEFAULT_NUM_PERM, seed: int = DEFAULT_SEED,
               coeffs: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """MinHash signatures of many documents at once.

    Args:
        shingle_sets: one uint32 shingle-hash array per document (see `shingles.shingle_hashes`).
        num_perm: signature length.
        seed: permutation seed (ignored when `coeffs` is given).
        coeffs: precomputed `permutations(num_perm, seed)`.

    Returns:
        uint32 array (n_docs, num_perm). A document with no shingles gets all 0xFFFFFFFF; callers keep
        such (empty) documents out of LSH.
    """
    sizes = np.array([len(s) for s in shingle_sets], dtype=np.int64)
    flat = np.concatenate(shingle_sets) if len(shingle_sets) else np.zeros(0, dtype=np.uint32)
    return signatures_flat(flat, sizes, num_perm, seed, coeffs)


def signatures_flat(flat: np.ndarray, sizes: np.ndarray, num_perm: int = DEFAULT_NUM_PERM,
                    seed: int = DEFAULT_SEED, coeffs: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """`signatures` of documents given as one flat shingle array and per-document sizes.

    Args:
        flat: uint32 shingle hashes, document after document (see `shingles.batch_shingle_hashes`).
        sizes: shingles per document (0 = empty document, all 0xFFFFFFFF).
        num_perm, seed, coeffs: as in `signatures`.
    """
    a, b = coeffs if coeffs is not None else permutations(num_perm, seed)
    n = len(sizes)
    kernels = native.module()
    if kernels is not None and flat.dtype == np.uint32 and _avx2(kernels):
        out = np.empty((n, a.shape[0]), dtype=np.uint64)
        a1 = np.ascontiguousarray(a[:, 0])
        kernels.minhash_min(np.ascontiguousarray(flat), np.ascontiguousarray(sizes, dtype=np.int64),
                            (a1 & np.uint64(0xFFFFFFFF)).astype(np.uint32), (a1 >> np.uint64(32)).astype(np.uint32),
                            np.ascontiguousarray(b[:, 0]), out)
        return (out >> np.uint64(32)).astype(np.uint32)
    out = np.full((n, a.shape[0]), np.uint64(2**64 - 1), dtype=np.uint64)
    live = np.flatnonzero(sizes > 0)
    if len(live) == 0:
        return (out >> np.uint64(32)).astype(np.uint32)
    flat = flat.astype(np.uint64)
    ends = np.cumsum(sizes[live])
    starts = ends - sizes[live]
    buf = np.empty((a.shape[0], min(CHUNK, len(flat))), dtype=np.uint64)
    for c0 in range(0, len(flat), CHUNK):
        c1 = min(c0 + CHUNK, len(flat))
        m = buf[:, : c1 - c0]
        np.multiply(a, flat[c0:c1], out=m)
        np.add(m, b, out=m)
        # documents overlapping [c0, c1): a contiguous range, each with at least one column here
        first = np.searchsorted(ends, c0, side="right")
        last = np.searchsorted(starts, c1, side="left")
        seg = np.maximum(starts[first:last], c0) - c0
        mins = np.minimum.reduceat(m, seg, axis=1)  # (num_perm, docs in chunk)
        rows = live[first:last]
        out[rows] = np.minimum(out[rows], mins.T)
    return (out >> np.uint64(32)).astype(np.uint32)


@functools.lru_cache(maxsize=1)
def _cpu_has_avx2(kernels) -> bool:
    return bool(kernels.minhash_available())


def _avx2(kernels) -> bool:
    """The C minima run only where this CPU has AVX2: their portable build was slower than numpy."""
    return hasattr(kernels, "minhash_available") and _cpu_has_avx2(kernels)


def band_keys(sigs: np.ndarray, params: LshParams) -> np.ndarray:
    """One 64-bit key per (document, band): a hash of the band's rows mixed with the band index.

    Returns:
        uint64 array (n_docs, bands).
    """
    n = sigs.shape[0]
    used = sigs[:, : params.bands * params.rows].astype(np.uint64).reshape(n, params.bands, params.rows)
    acc = np.zeros((n, params.bands), dtype=np.uint64)
    for j in range(params.rows):  # a short loop over rows; each step is vectorized over docs x bands
        acc = mix64(acc ^ used[:, :, j])
    return mix64(acc + np.arange(params.bands, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15))


def estimated_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    """Share of equal signature positions (the MinHash estimate of Jaccard similarity)."""
    return float(np.count_nonzero(sig_a == sig_b)) / len(sig_a)


def sig_to_bytes(sig: np.ndarray) -> bytes:
    return sig.astype("<u4").tobytes()


def sig_from_bytes(raw: bytes) -> np.ndarray:
    return np.frombuffer(raw, dtype="<u4")


def jaccard_stddev(jaccard: float, num_perm: int) -> float:
    """Standard deviation of the MinHash estimate (binomial): sqrt(J (1 - J) / num_perm)."""
    return math.sqrt(max(jaccard * (1 - jaccard), 0.0) / num_perm)
