"""Vectorized MinHash: estimates track exact Jaccard (and datasketch), batching never changes a signature."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curation import native
from curation.dedup import minhash
from curation.dedup.minhash import (
    band_keys,
    estimated_jaccard,
    jaccard_stddev,
    lsh_params,
    permutations,
    signatures,
    signatures_flat,
)
from curation.dedup.shingles import shingle_hashes, shingle_strings

POOL = list("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工"
            "也能下过子说产种面而方后多定行学法所民得经")


def zh_text(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(POOL) for _ in range(n))


def edit(rng: random.Random, text: str, share: float) -> str:
    """Replace about `share` of the characters at random positions."""
    chars = list(text)
    for i in rng.sample(range(len(chars)), int(len(chars) * share)):
        chars[i] = rng.choice(POOL)
    return "".join(chars)


def exact_jaccard(a: str, b: str) -> float:
    sa, sb = shingle_strings(a), shingle_strings(b)
    return len(sa & sb) / len(sa | sb)


@pytest.mark.parametrize("share", [0.0, 0.01, 0.03, 0.06, 0.12, 0.25])
def test_estimate_within_tolerance_of_exact_jaccard_and_of_datasketch(share):
    from datasketch import MinHash

    rng = random.Random(int(share * 1000))
    a = zh_text(rng, 800)
    b = edit(rng, a, share)
    sig = signatures([shingle_hashes(a), shingle_hashes(b)], num_perm=256, seed=3)
    est = estimated_jaccard(sig[0], sig[1])
    truth = exact_jaccard(a, b)
    tol = 4 * jaccard_stddev(truth, 256) + 0.01
    assert abs(est - truth) <= tol, (est, truth)
    ma, mb = MinHash(num_perm=256, seed=3), MinHash(num_perm=256, seed=3)
    ma.update_batch([s.encode() for s in shingle_strings(a)])
    mb.update_batch([s.encode() for s in shingle_strings(b)])
    assert abs(ma.jaccard(mb) - truth) <= tol


def test_batching_and_chunking_never_change_a_signature(monkeypatch):
    rng = random.Random(7)
    texts = [zh_text(rng, rng.randint(1, 300)) for _ in range(40)] + ["短", "a b", "!!"]
    sets = [shingle_hashes(t) for t in texts]
    together = signatures(sets, num_perm=64, seed=9)
    monkeypatch.setattr(minhash, "CHUNK", 37)  # documents straddle chunk boundaries
    chunked = signatures(sets, num_perm=64, seed=9)
    alone = np.vstack([signatures([s], num_perm=64, seed=9) for s in sets])
    assert np.array_equal(together, chunked) and np.array_equal(together, alone)


def test_empty_shingle_set_gives_all_max_and_is_not_mixed_in():
    sig = signatures([np.zeros(0, np.uint32), shingle_hashes("你好")], num_perm=16)
    assert (sig[0] == 0xFFFFFFFF).all() and not (sig[1] == 0xFFFFFFFF).all()


def test_seed_changes_signatures_deterministically():
    s = [shingle_hashes("我们今天去公园散步然后回家吃饭")]
    assert np.array_equal(signatures(s, 32, seed=1), signatures(s, 32, seed=1))
    assert not np.array_equal(signatures(s, 32, seed=1), signatures(s, 32, seed=2))


def test_band_keys_equal_exactly_when_band_rows_equal():
    p = lsh_params(0.7, 16, bands=4, rows=4)
    sig = np.arange(32, dtype=np.uint32).reshape(2, 16)
    sig[1, :4] = sig[0, :4]  # band 0 shared, the others differ
    keys = band_keys(sig, p)
    assert keys.shape == (2, 4)
    assert keys[0, 0] == keys[1, 0] and (keys[0, 1:] != keys[1, 1:]).all()
    same = np.vstack([sig[0], sig[0]])
    same[1, 0:4] = sig[0, 4:8]  # same values in another band position must not collide
    assert band_keys(same, p)[1, 0] != band_keys(same, p)[0, 1]


def test_lsh_params_are_recall_first_and_validate():
    from datasketch.lsh import _false_negative_probability

    p = lsh_params(0.7, 128)
    assert (p.bands, p.rows) == (25, 5)
    assert p.candidate_probability(0.7) >= 0.985 and p.candidate_probability(0.8) > 0.9999
    assert p.candidate_probability(0.33) < 0.1  # hard negatives: few candidates, all verified anyway
    # datasketch's false-negative area above the threshold is smaller than for its own default choice
    assert _false_negative_probability(0.7, 25, 5) < _false_negative_probability(0.7, 14, 9)
    assert p.tag() == f"t0.7_p128_b{p.bands}_r{p.rows}_s1"
    assert (lsh_params(0.7, 128, bands=16).rows, lsh_params(0.7, 128, rows=4).bands) == (8, 32)
    for bad in [dict(threshold=0.0), dict(threshold=1.5), dict(num_perm=1), dict(bands=20, rows=8)]:
        with pytest.raises(ValueError):
            lsh_params(**{"threshold": 0.7, "num_perm": 128, **bad})


_HAS_AVX2 = native.module() is not None and native.module().minhash_available()


@pytest.mark.skipif(not _HAS_AVX2, reason="the C kernels are not built, QINGLIU_NATIVE=0, or this CPU has no AVX2")
@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=0, max_size=30), st.integers(1, 70), st.integers(0, 2**32))
def test_c_minhash_equals_the_numpy_signatures(sizes, num_perm, seed):
    """`minhash_min` (AVX2) against the numpy reference: empty texts, one permutation, odd counts, and
    shingle values at both ends of the 32-bit range."""
    rng = np.random.default_rng(seed)
    flat = rng.integers(0, 2**32, sum(sizes), dtype=np.uint64).astype(np.uint32)
    if len(flat):
        flat[0], flat[-1] = 0, 0xFFFFFFFF
    sizes = np.array(sizes, dtype=np.int64)
    coeffs = permutations(num_perm, seed)
    fast = signatures_flat(flat, sizes, coeffs=coeffs)
    with native.disabled():
        ref = signatures_flat(flat, sizes, coeffs=coeffs)
    assert fast.dtype == ref.dtype == np.uint32 and fast.shape == ref.shape
    assert (fast == ref).all()


@pytest.mark.skipif(not _HAS_AVX2, reason="the C kernels are not built, QINGLIU_NATIVE=0, or this CPU has no AVX2")
def test_c_minhash_refuses_inconsistent_arrays():
    k = native.module()
    u32 = np.zeros(4, dtype=np.uint32)
    with pytest.raises(ValueError, match="do not agree"):
        k.minhash_min(u32, np.array([3], dtype=np.int64), u32[:2], u32[:2], np.zeros(2, np.uint64),
                      np.zeros(2, np.uint64))
    with pytest.raises(TypeError):
        k.minhash_min(u32.astype(np.int64), np.array([4], dtype=np.int64), u32[:2], u32[:2],
                      np.zeros(2, np.uint64), np.zeros(2, np.uint64))
