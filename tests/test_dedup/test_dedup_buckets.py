"""The two-pass LSH buckets: numbers first, then exact collapse and candidate pairs per bucket."""

from __future__ import annotations

import numpy as np

from curation.dedup.buckets import bucket_pairs, bucket_pass, find_buckets


def _part(batch, keys, rows, band0):
    return (batch, np.array(keys, dtype=np.uint64), np.array(rows, dtype=np.int32), np.array(band0, dtype=bool))


def test_find_buckets_keeps_only_multi_document_buckets_across_batches():
    parts = [_part(7, [5, 9, 11], [0, 1, 2], [True, False, True]),
             _part(8, [9, 13, 5, 5], [0, 1, 2, 3], [False, True, True, True])]
    got = find_buckets(parts)
    assert {b: sorted(v) for b, v in got.items()} == {
        7: [(5, 0, True), (9, 1, False)],
        8: [(5, 2, True), (5, 3, True), (9, 0, False)],
    }
    assert find_buckets([_part(1, [1, 2, 3], [0, 1, 2], [True] * 3)]) == {}
    assert find_buckets([]) == {}


def test_bucket_pass_collapses_exact_copies_and_pairs_survivors():
    # bucket 5 (band 0): a, b exact copies (content c1), d near; bucket 9 (band 3): same docs again
    a, b, d = "1a", "1b", "1d"
    members = [(5, b, (1, 1), 70, 1, True), (5, a, (1, 1), 70, 0, True), (5, d, (2, 2), 71, 4, True),
               (9, a, (1, 1), 70, 0, False), (9, b, (1, 1), 70, 1, False), (9, d, (2, 2), 71, 4, False)]
    pairs, losses, groups = bucket_pass(members)
    assert losses == [(b, a)] and groups == 1  # reported once, from band 0
    assert pairs == {70: [(0, a, d, 71, 4), (0, a, d, 71, 4)]}  # survivor a pairs with d in both bands


def test_bucket_pass_ten_thousand_copies_make_no_pairs():
    members = [(3, f"1n{i:05d}", (9, 9), 1, i, True) for i in range(10_000)]
    pairs, losses, groups = bucket_pass(members)
    assert pairs == {} and groups == 1 and len(losses) == 9_999
    assert {w for _, w in losses} == {"1n00000"}


def test_big_buckets_get_a_star_and_a_chain():
    nodes = [f"n{i:03d}" for i in range(40)]
    got = list(bucket_pairs(nodes))
    assert len(got) == 39 + 38 and ("n000", "n039") in got and ("n038", "n039") in got
    assert len(list(bucket_pairs(nodes[:5]))) == 10
