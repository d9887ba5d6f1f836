"""Connected components by alternating large-star / small-star rounds, plus a union-find oracle.

Kiveris, Lattanzi, Mirrokni, Rastogi, Vassilvitskii, "Connected Components in MapReduce and Beyond"
(SoCC 2014). Edges are undirected pairs `(u, v)` with `u < v` under any total order (here: the keep
rule's node order, so a component's minimum is its survivor). Each step looks at one node and its
neighbours only, so on Beam every step is one GroupByKey keyed by node and no worker ever holds all
edges or all ids:

- large-star(u): for every neighbour v > u, replace edge (u, v) by (m, v), m = min(N(u) + [u]);
- small-star(u): for every neighbour v < u (and u itself), link it to m = min(those + [u]).

The edge set stops changing exactly when it is a forest of stars whose centres are the component
minima (then every non-root node has one edge, to its root). Rounds are counted: `changes` below is
the number of nodes whose edges a step rewrote; a pair of steps with zero changes means converged, and
`star_forest_violations` checks the final edge set independently. The paper bounds the number of
rounds by O(log^2 n); chains of 10,000 nodes need about 7 round pairs (see tests/test_dedup).

`components_union_find` is the single-machine oracle (path-halving union-find) the rounds are tested
against on random graphs, long chains and stars.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable

Edge = tuple  # (u, v) with u < v


def canonical(u, v) -> Edge:
    return (u, v) if u < v else (v, u)


def large_star(u, neighbours: Iterable) -> tuple[list[Edge], int]:
    """One node's large-star step.

    Args:
        u: the node.
        neighbours: all neighbours of u (either direction; repeats allowed).

    Returns:
        (edges to emit, 1 if u's edges changed else 0).
    """
    nbrs = set(neighbours)
    nbrs.discard(u)
    if not nbrs:
        return [], 0
    m = min(min(nbrs), u)
    out = [(m, v) for v in nbrs if v > u]
    return out, int(m < u and bool(out))


def small_star(u, smaller: Iterable) -> tuple[list[Edge], int]:
    """One node's small-star step.

    Args:
        u: the node.
        smaller: its neighbours v < u (repeats allowed).

    Returns:
        (edges to emit, 1 if u's edges changed else 0).
    """
    nbrs = {v for v in smaller if v < u}
    if not nbrs:
        return [], 0
    m = min(nbrs)
    out = [(m, v) for v in nbrs if v != m]
    out.append((m, u))
    return out, int(len(nbrs) > 1)


def run_rounds(edges: Iterable[Edge], max_rounds: int = 64) -> tuple[set[Edge], list[int]]:
    """Single-process simulation of the same steps the Beam stage runs (for tests and round counts).

    Returns:
        (final edge set, changes per round pair); stops after the first pair with zero changes.
    """
    current = {canonical(u, v) for u, v in edges if u != v}
    history: list[int] = []
    for _ in range(max_rounds):
        adj: dict = defaultdict(list)
        for u, v in current:
            adj[u].append(v)
            adj[v].append(u)
        nxt: set[Edge] = set()
        changed = 0
        for u, nbrs in adj.items():
            out, c = large_star(u, nbrs)
            nxt.update(out)
            changed += c
        down: dict = defaultdict(list)
        for u, v in nxt:
            down[v].append(u)
        current = set()
        for v, smaller in down.items():
            out, c = small_star(v, smaller)
            current.update(out)
            changed += c
        history.append(changed)
        if changed == 0:
            break
    return current, history


def roots_from_stars(edges: Iterable[Edge]) -> dict:
    """node -> root for every non-root node of a converged star forest."""
    return {v: u for u, v in edges}


def star_forest_violations(edges: Iterable[Edge]) -> int:
    """Nodes that break the converged shape: more than one parent, or a parent that has a parent."""
    parents: dict = defaultdict(set)
    for u, v in edges:
        parents[v].add(u)
    bad = sum(1 for ps in parents.values() if len(ps) > 1)
    bad += sum(1 for ps in parents.values() for p in ps if p in parents)
    return bad


def components_union_find(nodes: Iterable[Hashable], edges: Iterable[Edge]) -> dict:
    """Oracle: node -> smallest node of its component (path-halving union-find)."""
    parent = {n: n for n in nodes}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for u, v in edges:
        parent.setdefault(u, u)
        parent.setdefault(v, v)
        ru, rv = find(u), find(v)
        if ru != rv:
            if rv < ru:
                ru, rv = rv, ru
            parent[rv] = ru  # the smaller root wins, so every root is its component's minimum
    return {n: find(n) for n in parent}
