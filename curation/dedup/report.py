"""Dedup statistics: per-document contributions that add up with `merge_stats`, then derived shares.

`stats.json` -> `stage_stats` of the dedup stage holds:

    params            threshold, num_perm, bands, rows, ngram, seed, tag
    exact             groups (normalized texts seen more than once), removed (documents rejected as exact
                      duplicates, every copy of a repeated id included), repeated_copies (copies of a
                      record read twice, rejected because the same id and text is kept)
    near              candidate_pairs, verified_edges, rejected_pairs, removed
    clusters          clusters with a survivor and at least one removed copy (exact or near)
    cluster_sizes     histogram {"2": n, "3-4": n, "5-8": n, ...} (survivor included), largest_cluster
    by_lang/by_source {key: {docs, exact_removed, near_removed, removed_share}}
    empty_docs        empty / whitespace-only documents: kept, never compared (not duplicates of each other)
    docs_fingerprinted  documents that reached the fingerprint step (the run fails unless all batched did)
    short_docs        documents with a single shingle (at most --ngram tokens; shorter ones hash whole)
    cc                rounds, changes per round, unconverged_nodes (0 = converged distributed)
"""

from __future__ import annotations

from typing import Any

EXACT, NEAR = "exact_duplicate", "near_duplicate"


def size_bin(size: int) -> str:
    """Power-of-two histogram bins: 2, 3-4, 5-8, 9-16, ..."""
    if size <= 2:
        return str(size)
    hi = 1 << (size - 1).bit_length()
    return f"{hi // 2 + 1}-{hi}"


def cluster_stats(size: int) -> dict[str, Any]:
    """Contribution of one cluster (survivor + removed copies) of `size` documents. The size is also
    counted by exact value (`sizes_seen`, a few distinct keys): `finish` takes the largest cluster from
    it. (A list of sizes would be cut to `MAX_EXAMPLES` when merged, and sorting it on every merge cost
    ~0.2 CPU-s for 2,600 clusters.)"""
    return {"clusters": 1, "cluster_sizes": {size_bin(size): 1}, "sizes_seen": {str(size): 1}}


def count_stats(counts: dict[tuple, int]) -> dict[str, Any]:
    """{(lang, source, reason): n} -> the `by_lang` / `by_source` tables (docs, exact/near removed) and
    the `exact` / `near` removed totals: documents rejected, so every copy of a repeated id counts."""
    out: dict[str, Any] = {"by_lang": {}, "by_source": {},
                           "exact": {"removed": sum(n for k, n in counts.items() if k[2] == EXACT)},
                           "near": {"removed": sum(n for k, n in counts.items() if k[2] == NEAR)}}
    for (lang, source, reason), n in sorted(counts.items(), key=lambda kv: tuple(map(str, kv[0]))):
        for table, key in (("by_lang", lang), ("by_source", source)):
            cell = out[table].setdefault(key, {"docs": 0, "exact_removed": 0, "near_removed": 0})
            cell["docs"] += n
            cell["exact_removed"] += n if reason == EXACT else 0
            cell["near_removed"] += n if reason == NEAR else 0
    return out


def finish(stats: dict[str, Any]) -> dict[str, Any]:
    """Derived values after merging: removed shares, the largest cluster as one number, sorted bins."""
    out = dict(stats)
    for table in ("by_lang", "by_source"):
        rows = {}
        for key, cell in sorted(out.get(table, {}).items()):
            removed = cell.get("exact_removed", 0) + cell.get("near_removed", 0)
            share = round(removed / cell["docs"], 6) if cell.get("docs") else 0.0
            rows[key] = {**cell, "removed_share": share}
        out[table] = rows
    out["largest_cluster"] = max(map(int, out.pop("sizes_seen", {})), default=0)
    bins = out.get("cluster_sizes", {})
    out["cluster_sizes"] = dict(sorted(bins.items(), key=lambda kv: int(kv[0].split("-")[0])))
    out.setdefault("clusters", 0)
    return out


def summary_lines(stage_stats: dict[str, Any]) -> list[str]:
    """Human-readable lines for the end-of-run summary (CLI / logs)."""
    s = stage_stats
    tag = s.get("params", {}).get("tag", "")
    lines = [
        f"dedup {tag}: exact removed {s.get('exact', {}).get('removed', 0):,}, "
        f"near removed {s.get('near', {}).get('removed', 0):,}, clusters {s.get('clusters', 0):,} "
        f"(largest {s.get('largest_cluster', 0):,}), empty docs kept {s.get('empty_docs', 0):,}",
        "cluster sizes: " + (", ".join(f"{k}: {v:,}" for k, v in s.get("cluster_sizes", {}).items()) or "-"),
    ]
    for table in ("by_lang", "by_source"):
        cells = ", ".join(f"{k} {v['removed_share']:.1%} of {v['docs']:,}"
                          for k, v in s.get(table, {}).items())
        lines.append(f"removed {table[3:]}: {cells or '-'}")
    return lines
