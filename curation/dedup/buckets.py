"""LSH buckets in two passes, on numbers first: the pure logic behind the stage's GroupByBand steps.

A *band record* is (band key, batch, row): document `row` of fingerprint batch `batch` has this key in
one of its bands. The stage slices the band-key space into partitions (one GroupByKey key each) and:

1. `find_buckets`: sorts one partition's keys and keeps only the records of buckets (equal keys) with
   two or more documents. Most buckets hold one document, so this pass moves 12 bytes a record and
   no node strings (it used to carry every record's node: about 100 MB at 50k documents).
2. The stage looks up the node and content hash of those few records in their batch.
3. `bucket_pass`: per bucket, exact copies (same content hash, hence the same signature and the same
   bucket in every band) collapse to their smallest node, the survivor exact dedup picks; band 0's
   buckets report the exact losses (an exact group lies whole in one band-0 bucket), and candidate
   pairs are made between the survivors (`bucket_pairs`).
"""

from __future__ import annotations

import numpy as np

ALL_PAIRS_MAX = 32  # buckets up to this size verify every pair; larger ones a star + a sorted chain

# (key, node, content hash (hi, lo), batch, row, is band 0)
Member = tuple


def find_buckets(parts: list[tuple]) -> dict[int, list[tuple]]:
    """Band records of one partition -> members of multi-document buckets, by batch.

    Args:
        parts: `(batch, keys uint64[m], rows int32[m], is_band0 bool[m])` per batch.

    Returns:
        `{batch: [(key, row, is band 0), ...]}` for every record whose key occurs at least twice.
    """
    if not parts:
        return {}
    keys = np.concatenate([p[1] for p in parts])
    if len(keys) < 2:
        return {}
    order = np.argsort(keys, kind="stable")
    ks = keys[order]
    same = ks[1:] == ks[:-1]
    if not same.any():
        return {}
    multi = np.zeros(len(ks), dtype=bool)  # sorted positions inside a bucket of two or more
    multi[1:] |= same
    multi[:-1] |= same
    pick = order[multi]
    batch = np.concatenate([np.full(len(p[1]), p[0], dtype=np.int64) for p in parts])[pick]
    rows = np.concatenate([p[2] for p in parts])[pick]
    band0 = np.concatenate([p[3] for p in parts])[pick]
    out: dict[int, list] = {}
    for k, b, r, z in zip(keys[pick].tolist(), batch.tolist(), rows.tolist(), band0.tolist()):
        out.setdefault(b, []).append((k, r, z))
    return out


def bucket_pass(members: list[Member]) -> tuple[dict[int, list], list[tuple], int]:
    """Members of the multi-document buckets of one partition -> candidate pairs, exact losses.

    Returns:
        (`{batch of u: [(row of u, u, v, batch of v, row of v)]}` with u < v,
         `[(loser, survivor)]` exact losses, number of exact groups).
    """
    buckets: dict[int, list] = {}
    for m in members:
        buckets.setdefault(m[0], []).append(m)
    by_batch: dict[int, list] = {}
    losses: list[tuple] = []
    groups = 0
    for group in buckets.values():
        reps: dict[tuple, tuple] = {}
        exact: dict[tuple, set] = {}
        for _, node, c, b, r, band0 in group:
            rec = (node, b, r)
            if c not in reps or rec < reps[c]:
                reps[c] = rec
            if band0:
                exact.setdefault(c, set()).add(node)
        for c, names in exact.items():
            if len(names) > 1:
                groups += 1
                winner = reps[c][0]
                losses.extend((loser, winner) for loser in sorted(names - {winner}))
        if len(reps) < 2:
            continue
        recs = sorted(reps.values())
        at = {rec[0]: rec for rec in recs}
        for u, v in bucket_pairs([rec[0] for rec in recs]):
            _, bu, ru = at[u]
            _, bv, rv = at[v]
            by_batch.setdefault(bu, []).append((ru, u, v, bv, rv))
    return by_batch, losses, groups


def bucket_pairs(nodes: list):
    """One LSH bucket (sorted, distinct nodes) -> candidate pairs (u, v), u < v."""
    if len(nodes) <= ALL_PAIRS_MAX:
        for i, u in enumerate(nodes):
            for v in nodes[i + 1:]:
                yield u, v
        return
    for v in nodes[1:]:  # star to the best node ...
        yield nodes[0], v
    for u, v in zip(nodes[1:], nodes[2:]):  # ... plus neighbours in keep order, so a member that misses
        yield u, v  # the centre can still connect through a close neighbour
