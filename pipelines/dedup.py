"""Dedup: exact, then MinHash-LSH near-duplicate removal, with connected components run distributed.

(About 430 lines, above the house 300: the stage is one flow of seven transforms that read best
together; all logic that can live without Beam is in `curation/dedup/`.)

    beam run pipelines/dedup.py --input out/quality --output out/dedup [--threshold 0.7] [--ngram 5]
    python -m pipelines.dedup --input 'raw/*.jsonl.gz' --output out/dedup \\
        --direct_num_workers 2 --direct_running_mode multi_processing
    curate dedup --input out/quality --output out/dedup --against out/last_month/dedup

Flow (every arrow after ComputeMinHash carries small fingerprints, not text; every step is a
GroupByKey keyed by something local, so no worker holds all edges or all ids):

    docs -ComputeMinHash-> (node, content hash, signature, band keys)     node = keep-rule sort key
         -ExactDedup-----> one survivor per normalized text           -> exact losses (loser, survivor)
         -GroupByBand----> candidate pairs per band-key bucket (records batched into key-space partitions)
         -VerifyCandidates-> edges whose estimated Jaccard >= threshold (joins signatures by node, twice)
         -ConnectComponents-> node -> component minimum (large-star / small-star rounds, then a check;
                              a non-star residual, if any, is finished by union-find and reported)
         -Decide---------> (id, reason, duplicate_of) for every removed document
    docs -KeepRepresentative (CoGroupByKey by id)-> kept | rejected (`exact_duplicate` / `near_duplicate`)

Defaults: --ngram 5 (datatrove `MinhashConfig.n_grams`; character 5-grams for Chinese as in
text-dedup), --num-perm 128 (datasketch / text-dedup default), --threshold 0.7 (text-dedup default;
datatrove's 14x8 buckets give 0.72), bands x rows recall-first (25 x 5 at 0.7/128; see
`curation.dedup.minhash.lsh_params`). Empty and whitespace-only documents are kept and counted
(`empty_docs`), never merged as duplicates of each other.
With --against PREV (a previous stage output), documents of PREV take part in matching and always win,
but are not written again: new documents matching them are rejected with `duplicate_of` = their id.
"""

from __future__ import annotations

import argparse
import logging

import apache_beam as beam
import numpy as np
import xxhash

from curation.dedup import keep, report
from curation.dedup.components import components_union_find, large_star, small_star
from curation.dedup.minhash import (
    DEFAULT_NUM_PERM,
    DEFAULT_SEED,
    DEFAULT_THRESHOLD,
    band_keys,
    estimated_jaccard,
    lsh_params,
    permutations,
    sig_from_bytes,
    signatures,
)
from curation.dedup.shingles import DEFAULT_NGRAM, shingle_hashes
from curation.errors import ConfigError
from curation.readers import ReadConfig
from curation.text.normalize import normalize_text
from pipelines.io import MergeStatsFn, ReadDocuments, expand_inputs
from pipelines.stage import StageSpec, main_for, run_stage

STAGE = "dedup"
LOG = logging.getLogger(__name__)
BAND_PARTITIONS = 1024  # GroupByBand keys: slices of the band-key space (see _band_partitions)
ALL_PAIRS_MAX = 32  # buckets up to this size verify every pair; larger ones a star + a sorted chain
# Round pairs run distributed; a sorted chain (the worst case) of n nodes needs about log2(n) + 2.
DEFAULT_CC_ROUNDS = 3


class ComputeMinHashFn(beam.DoFn):
    """A batch of documents -> fingerprints `(node, content_hash, sig_bytes, band_bytes)`.

    Tagged outputs: `stats` ({'empty_docs': 1} / {'short_docs': 1}). Empty documents get no fingerprint.
    """

    def __init__(self, params, ngram: int, keep_score: str | None, reference: bool):
        self.params, self.ngram, self.keep_score, self.reference = params, ngram, keep_score, reference

    def setup(self):
        self.coeffs = permutations(self.params.num_perm, self.params.seed)

    def process(self, batch):
        live, sets = [], []
        for doc in batch:
            norm = normalize_text(doc.text)
            if not norm:
                if not self.reference:
                    yield beam.pvalue.TaggedOutput("stats", {"empty_docs": 1})
                continue
            sh = shingle_hashes(norm, self.ngram, normalized=True)
            if len(sh) == 1 and not self.reference:
                yield beam.pvalue.TaggedOutput("stats", {"short_docs": 1})
            live.append((keep.node_of(doc, self.keep_score, self.reference),
                         xxhash.xxh3_128_digest(norm.encode("utf-8", "surrogatepass"))))
            sets.append(sh)
        if not live:
            return
        sigs = signatures(sets, coeffs=self.coeffs)
        bands = band_keys(sigs, self.params)
        for (node, chash), sig, bk in zip(live, sigs, bands):
            yield node, chash, sig.tobytes(), bk.tobytes()


def _exact_group(kv):
    """All fingerprints of one normalized text -> the survivor's fingerprint + (loser, survivor) losses."""
    _, fps = kv
    fps = sorted(fps)
    winner = fps[0]
    yield winner
    for fp in fps[1:]:
        yield beam.pvalue.TaggedOutput("losses", (fp[0], winner[0]))
    if len(fps) > 1:
        yield beam.pvalue.TaggedOutput("stats", {"exact": {"groups": 1}})


def _band_partitions(batch, partitions: int):
    """A batch of survivor fingerprints -> (partition, [(band key, node), ...]) per partition.

    One record per (partition, batch) instead of one per (band, document): 25 bands x 50k documents
    would be 1.25M tiny shuffle elements, and per-element overhead, not bytes, dominates a Beam shuffle.
    A partition is a fixed slice of the band-key space, so every bucket still lands in exactly one
    GroupByKey key and no worker sees more than 1/partitions of the band keys.
    """
    parts: dict[int, list] = {}
    for fp in batch:
        for k in np.frombuffer(fp[3], dtype=np.uint64):
            parts.setdefault(int(k % partitions), []).append((int(k), fp[0]))
    yield from parts.items()


def _partition_pairs(kv):
    """All (band key, node) records of one partition -> candidate pairs (u, v), u < v, per bucket."""
    buckets: dict[int, list] = {}
    for chunk in kv[1]:
        for key, node in chunk:
            buckets.setdefault(key, []).append(node)
    for nodes in buckets.values():
        if len(nodes) > 1:
            yield from _bucket_pairs(sorted(set(nodes)))


def _bucket_pairs(nodes: list):
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


class _VerifyFn(beam.DoFn):
    def __init__(self, threshold: float):
        self.threshold = threshold

    def process(self, kv):
        v, joined = kv
        if not joined["sig"] or not joined["half"]:
            return
        sig_v = sig_from_bytes(joined["sig"][0])
        ok = bad = 0
        for u, sig_u in joined["half"]:
            if estimated_jaccard(sig_from_bytes(sig_u), sig_v) >= self.threshold:
                ok += 1
                yield u, v
            else:
                bad += 1
        yield beam.pvalue.TaggedOutput("stats", {"near": {"verified_edges": ok, "rejected_pairs": bad}})


def _send_half(kv):
    """Candidate pairs of one node u (deduplicated here: a true pair shares most bands) -> (v, (u, sig_u))."""
    u, joined = kv
    if joined["sig"]:
        partners = set(joined["pair"])
        for v in partners:
            yield v, (u, joined["sig"][0])
        yield beam.pvalue.TaggedOutput("stats", {"near": {"candidate_pairs": len(partners)}})


def _star_step(kind: str, round_no: int):
    def step(kv):
        node, nbrs = kv
        out, changed = (large_star if kind == "large" else small_star)(node, nbrs)
        yield from out
        if changed:
            yield beam.pvalue.TaggedOutput("stats", {"cc": {"changes": {f"{round_no:02d}": 1}}})
    return step


class ConnectComponents(beam.PTransform):
    """Undirected edges (u, v) -> (node, component minimum) for every non-minimum node.

    `rounds` pairs of large-star / small-star GroupByKeys (Kiveris et al. 2014) do the work; real LSH
    graphs are stars after one or two (bench: the 50k zh set changed only in round 1). A GroupByKey by
    node then finds the nodes that are not yet in star shape; only the edges touching them (the
    *residual*, empty when converged) are finished with union-find in one place, and the stats report
    its size, so a graph that needed it (e.g. a long sorted chain) is visible and never wrong.
    Outputs {'roots': PCollection[(node, root)], 'stats': [PCollection[dict]]}.
    """

    def __init__(self, rounds: int = DEFAULT_CC_ROUNDS):
        super().__init__()
        self.rounds = rounds

    def expand(self, edges):
        stats = []
        for r in range(1, self.rounds + 1):
            large = (edges
                     | f"BothWays{r}" >> beam.FlatMap(lambda e: [(e[0], e[1]), (e[1], e[0])])
                     | f"GroupLarge{r}" >> beam.GroupByKey()
                     | f"LargeStar{r}" >> beam.FlatMap(_star_step("large", r)).with_outputs(
                         "stats", main="edges"))
            small = (large.edges
                     | f"DownOnly{r}" >> beam.Map(lambda e: (e[1], e[0]))
                     | f"GroupSmall{r}" >> beam.GroupByKey()
                     | f"SmallStar{r}" >> beam.FlatMap(_star_step("small", r)).with_outputs(
                         "stats", main="edges"))
            edges = small.edges
            stats += [large.stats, small.stats]
        residual = (
            edges
            | "Roles" >> beam.FlatMap(lambda e: [(e[1], ("child", e[0])), (e[0], ("parent", e[1]))])
            | "GroupRoles" >> beam.GroupByKey()
            | "ResidualEdges" >> beam.FlatMap(_residual_edges).with_outputs("stats", main="edges")
        )
        finish = (residual.edges
                  | "ResidualList" >> beam.combiners.ToList()
                  | "ResidualUnionFind" >> beam.Map(_union_find))
        side = beam.pvalue.AsSingleton(finish)
        from_residual = finish | "ResidualRoots" >> beam.FlatMap(
            lambda m: [(n, root) for n, root in m.items() if n != root])
        from_stars = edges | "StarRoots" >> beam.FlatMap(
            lambda e, m: [] if e[1] in m else [(e[1], m.get(e[0], e[0]))], side)
        roots = (from_residual, from_stars) | "FlattenRoots" >> beam.Flatten()
        return {"roots": roots, "stats": stats + [residual.stats]}


def _residual_edges(kv):
    """A node off the star shape (two parents, or both child and parent) -> all its edges, canonical."""
    node, roles = kv
    parents = [o for role, o in roles if role == "child"]
    children = [o for role, o in roles if role == "parent"]
    if len(parents) > 1 or (parents and children):
        yield beam.pvalue.TaggedOutput("stats", {"cc": {"unconverged_nodes": 1}})
        for p in parents:
            yield p, node
        for c in children:
            yield node, c


def _union_find(edges: list) -> dict:
    nodes = {x for e in edges for x in e}
    if edges:
        LOG.warning("dedup: %d residual edges after the star rounds finished by union-find "
                    "(raise --cc-rounds to keep this distributed)", len(edges))
    return components_union_find(nodes, edges)


def _decide(kv):
    """Survivor of an exact group (or a near node) -> final decisions for it and its exact losers."""
    node, joined = kv
    root = min(joined["root"]) if joined["root"] else None
    if root is not None and not keep.is_reference(node):
        yield keep.node_id(node), ("near_duplicate", keep.node_id(root)), root
    final = root or node
    for loser in joined["losers"]:
        if not keep.is_reference(loser):
            reason = "exact_duplicate" if final == node else "near_duplicate"
            yield keep.node_id(loser), (reason, keep.node_id(final)), final


def _keep_or_reject(kv):
    doc_id, joined = kv
    decisions = joined["decision"]
    for doc in joined["doc"]:
        if not decisions:
            yield doc
            continue
        if len(decisions) > 1:
            raise RuntimeError(f"dedup: {len(decisions)} decisions for document {doc_id!r}")
        reason, dup_of = decisions[0]
        yield beam.pvalue.TaggedOutput("rejected", doc.rejected(STAGE, reason, duplicate_of=dup_of))


def build(pipeline, docs, args):
    params = args.lsh
    fps = _fingerprints(docs, args, reference=False, label="")
    fp_stats = [fps.stats]
    all_fps = fps.fps
    if args.against_files:
        prev = pipeline | "ReadAgainst" >> ReadDocuments(
            args.against_files, ReadConfig(), STAGE, unique_ids=False)
        ref = _fingerprints(prev["docs"], args, reference=True, label="Against")
        all_fps = (fps.fps, ref.fps) | "FlattenAgainst" >> beam.Flatten()
    exact = (all_fps
             | "KeyByContent" >> beam.Map(lambda fp: (fp[1], fp))
             | "GroupByContent" >> beam.GroupByKey()
             | "ExactDedup" >> beam.FlatMap(_exact_group).with_outputs("losses", "stats", main="survivors"))
    survivors = exact.survivors
    pairs = (survivors
             | "BatchSurvivors" >> beam.BatchElements(min_batch_size=256, max_batch_size=2048)
             | "BandKeys" >> beam.FlatMap(_band_partitions, BAND_PARTITIONS)
             | "GroupByBand" >> beam.GroupByKey()
             | "BucketPairs" >> beam.FlatMap(_partition_pairs))
    if args.verify == "estimate":
        sigs = survivors | "SigByNode" >> beam.Map(lambda fp: (fp[0], fp[2]))
        half = ({"sig": sigs, "pair": pairs}
                | "JoinFirstSig" >> beam.CoGroupByKey()
                | "SendHalf" >> beam.FlatMap(_send_half).with_outputs("stats", main="half"))
        verified = ({"sig": sigs, "half": half.half}
                    | "JoinSecondSig" >> beam.CoGroupByKey()
                    | "VerifyCandidates" >> beam.ParDo(_VerifyFn(params.threshold)).with_outputs(
                        "stats", main="edges"))
        edges, verify_stats = verified.edges, [half.stats, verified.stats]
    else:
        edges, verify_stats = pairs, []
    cc = edges | "ConnectComponents" >> ConnectComponents(args.cc_rounds)
    losers = exact.losses | "LossBySurvivor" >> beam.Map(lambda x: (x[1], x[0]))
    decisions = ({"root": cc["roots"], "losers": losers}
                 | "JoinRoots" >> beam.CoGroupByKey()
                 | "Decide" >> beam.FlatMap(_decide))
    out = ({"doc": docs | "DocById" >> beam.Map(lambda d: (d.id, d)),
            "decision": decisions | "DecisionById" >> beam.Map(lambda x: (x[0], x[1]))}
           | "JoinDecisions" >> beam.CoGroupByKey()
           | "KeepRepresentative" >> beam.FlatMap(_keep_or_reject).with_outputs("rejected", main="kept"))
    sizes = (decisions
             | "RootOnes" >> beam.Map(lambda x: (x[2], 1))
             | "ClusterCounts" >> beam.CombinePerKey(sum)
             | "ClusterSize" >> beam.Map(lambda kv: kv[1] + 1))
    largest = sizes | "Largest" >> beam.CombineGlobally(lambda xs: max(xs, default=0))
    removed = decisions | "RemovedStats" >> beam.Map(lambda x: {x[1][0].split("_")[0]: {"removed": 1}})
    doc_stats = ((out.kept, out.rejected) | "FlattenOut" >> beam.Flatten()
                 | "DocStats" >> beam.CombineGlobally(_DocStatsFn()))
    config = {"params": {"threshold": params.threshold, "num_perm": params.num_perm, "bands": params.bands,
                         "rows": params.rows, "ngram": args.ngram, "seed": params.seed, "tag": params.tag(),
                         "verify": args.verify, "keep_score": args.keep_score or ""},
              "exact": {"groups": 0, "removed": 0}, "near": {"candidate_pairs": 0, "removed": 0},
              "empty_docs": 0, "short_docs": 0, "cc": {"rounds": args.cc_rounds, "unconverged_nodes": 0}}
    parts = (fp_stats + [exact.stats, removed, doc_stats,
                         sizes | "SizeStats" >> beam.Map(report.cluster_stats),
                         pipeline | "Params" >> beam.Create([config])] + verify_stats + cc["stats"])
    stage_stats = (tuple(parts) | "FlattenDedupStats" >> beam.Flatten()
                   | "MergeDedupStats" >> beam.CombineGlobally(MergeStatsFn())
                   | "FinishDedupStats" >> beam.Map(_finish, beam.pvalue.AsSingleton(largest)))
    return {"kept": out.kept, "rejected": out.rejected, "stats": [stage_stats]}


class _DocStatsFn(beam.CombineFn):
    """Per-language / per-source counts with flat counters (cheaper than merging a dict per document)."""

    def create_accumulator(self):
        return {}

    def add_input(self, acc, doc):
        key = (doc.lang or "unrouted", str(doc.source), doc.reason)
        acc[key] = acc.get(key, 0) + 1
        return acc

    def merge_accumulators(self, accs):
        out: dict = {}
        for a in accs:
            for k, n in a.items():
                out[k] = out.get(k, 0) + n
        return out

    def extract_output(self, acc):
        return report.count_stats(acc)


def _fingerprints(docs, args, reference: bool, label: str):
    return (docs
            | f"Batch{label}" >> beam.BatchElements(min_batch_size=64, max_batch_size=512)
            | f"ComputeMinHash{label}" >> beam.ParDo(
                ComputeMinHashFn(args.lsh, args.ngram, args.keep_score, reference)).with_outputs(
                    "stats", main="fps"))


def _finish(stats: dict, largest: int) -> dict:
    out = report.finish({k: v for k, v in stats.items() if k != "largest_cluster"})
    out["largest_cluster"] = largest
    for line in report.summary_lines(out):
        LOG.info("%s", line)
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("dedup")
    g.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD,
                   help="Jaccard threshold (default 0.7: text-dedup's default; datatrove's 14x8 gives 0.72)")
    g.add_argument("--ngram", type=int, default=DEFAULT_NGRAM,
                   help="tokens per shingle: Han characters or Latin words (default 5, datatrove n_grams)")
    g.add_argument("--num-perm", type=int, default=DEFAULT_NUM_PERM,
                   help="MinHash permutations (default 128)")
    g.add_argument("--bands", type=int, default=None,
                   help="LSH bands (default: recall-first choice, see curation.dedup.minhash.lsh_params)")
    g.add_argument("--rows", type=int, default=None, help="rows per band (default: recall-first choice)")
    g.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the MinHash permutations")
    g.add_argument("--verify", choices=["estimate", "none"], default="estimate",
                   help="check candidate pairs: estimated Jaccard >= threshold (default), or none")
    g.add_argument("--keep-score", default=None,
                   help="attribute that decides the survivor first (highest wins), e.g. "
                   "quality/fasttext_zh_v1")
    g.add_argument("--against", action="append", default=[],
                   help="earlier corpus (stage output or files) to dedup against; matched, never rewritten")
    g.add_argument("--cc-rounds", type=int, default=DEFAULT_CC_ROUNDS,
                   help="large-star/small-star round pairs before the residual check (default 3; LSH graphs "
                   "converge in 1-2, what is left is finished by union-find and reported)")


def validate(args: argparse.Namespace) -> None:
    if args.ngram < 1:
        raise ConfigError(f"--ngram must be at least 1, got {args.ngram}")
    if args.cc_rounds < 1:
        raise ConfigError(f"--cc-rounds must be at least 1, got {args.cc_rounds}")
    try:
        args.lsh = lsh_params(args.threshold, args.num_perm, args.bands, args.rows, args.seed)
    except ValueError as exc:
        raise ConfigError(f"dedup: {exc}") from None
    args.against_files = expand_inputs(args.against) if args.against else []


SPEC = StageSpec(name=STAGE, description="Exact + MinHash-LSH near-duplicate removal.", build=build,
                 add_arguments=add_arguments, validate=validate)


def run(argv: list[str] | None = None) -> dict:
    """Run the dedup stage; returns its stats.json content."""
    return run_stage(SPEC, argv)


if __name__ == "__main__":
    main_for(SPEC, run)
