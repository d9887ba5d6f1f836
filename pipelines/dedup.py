"""Dedup: exact, then MinHash-LSH near-duplicate removal, with connected components run distributed.

(Above the house 300 lines: the stage is one flow of transforms that read best together; all logic
that can live without Beam is in `curation/dedup/`.)

    beam run pipelines/dedup.py --input out/quality --output out/dedup [--threshold 0.7] [--ngram 5]
    python -m pipelines.dedup --input 'raw/*.jsonl.gz' --output out/dedup \\
        --direct_num_workers 2 --direct_running_mode multi_processing
    curate dedup --input out/quality --output out/dedup --against out/last_month/dedup

Flow. Every step is a GroupByKey keyed by something local (a batch, a slice of the band-key space, an
output shard, a node), so no worker holds all edges or all ids. Nothing after the read moves one element
per document: the local runners encode every element that crosses a shuffle, so documents, band
records and signatures travel as per-batch blobs (a few thousand elements for 50k documents). For a
local output the blobs themselves go to spill files under OUT/_shuffle and only (file, offset, length)
crosses the runner (`pipelines.io.SpillWriter`); for a remote one (gs://...) the runner's shuffle moves
the bytes. The documents are joined with their decisions in the output's own shards, so that join also
writes the files (no second shuffle of every document):

    docs -BatchDocs------> batches of 1,024: (batch, nodes + texts)     node = keep-rule sort key
         |               + the documents themselves, Arrow per output shard (hash of id) ---------+
         -Fingerprint----> per batch: band records (key, row) per key-space partition, and the     |
                           batch's nodes + content hashes, and its signatures                      |
         -FindBuckets----> members of band-key buckets with two or more documents (most have one)   |
         -ResolveMembers-> their nodes and content hashes, joined from their batch                   |
         -BucketPass-----> per bucket: exact copies collapse to their survivor (exact losses from    |
                           band 0), candidate pairs between the survivors                            |
         -VerifyCandidates-> edges whose estimated Jaccard >= threshold (signatures joined per batch) |
         -ConnectComponents-> node -> component minimum (large-star / small-star rounds, then a check;|
                              a non-star residual, if any, is finished by union-find and reported)   |
         -Decide---------> (id, reason, duplicate_of) for every removed document                    |
         -KeepRepresentative (CoGroupByKey by output shard) <------------------------------------------+
                         -> writes the shard: data/ kept, rejected/ (`exact_duplicate` / `near_duplicate`)

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
import os
import pickle
import random
from collections.abc import Iterable
from typing import Any

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from curation.dedup import keep, report
from curation.dedup.buckets import bucket_pass, find_buckets
from curation.dedup.components import components_union_find, large_star, small_star
from curation.dedup.minhash import (
    DEFAULT_NUM_PERM,
    DEFAULT_SEED,
    DEFAULT_THRESHOLD,
    band_keys,
    lsh_params,
    permutations,
    signatures_flat,
)
from curation.dedup.shingles import DEFAULT_NGRAM, batch_shingle_hashes
from curation.errors import ConfigError
from curation.readers import ReadConfig
from curation.schema import to_table
from curation.stats import label_column, source_column, unreadable_stats
from curation.text.batch_normalize import normalize_many
from pipelines.io import (
    MergeStatsFn,
    ReadDocuments,
    SpillWriter,
    estimate_num_shards,
    expand_inputs,
    in_global_window,
    read_spilled,
    shard_of,
    spill_or_inline,
    spill_root,
)
from pipelines.io_tables import read_table_parts, split_in_id_order, table_part, write_own_table_shard
from pipelines.stage import StageSpec, main_for, run_stage

STAGE = "dedup"
LOG = logging.getLogger(__name__)
# Documents per fingerprint batch: shingles, signatures and band keys are numpy over the whole batch, and
# a batch leaves as a few pickled elements (see FingerprintFn).
BATCH_DOCS = 1024
# GroupByBand keys: slices of the band-key space. One partition holds 1/N of all band records, so raise
# --band-partitions with the corpus (64 x 1,024-document batches: about 3,000 shuffle elements at 50k docs).
DEFAULT_BAND_PARTITIONS = 64
# Round pairs run distributed; a sorted chain (the worst case) of n nodes needs about log2(n) + 2, but
# LSH graphs are nearly stars after one (bench: 2 of 50k zh nodes left off the star shape), and each
# round pair is two more fused stages. The residue is finished by union-find and reported.
DEFAULT_CC_ROUNDS = 1


class BatchDocsFn(beam.DoFn):
    """Documents -> batches of `BATCH_DOCS`, each leaving as a few pickled `bytes` elements.

    Runs fused with the read, so it does only cheap work per document; the costly part (shingles,
    signatures) runs after a shuffle of the batches, spread over all workers even when one worker
    reads a single large input file. Outputs:

    - main: `(batch id, pickled (nodes, texts))`, the work for `FingerprintFn`;
    - `docs`: `(output shard, Arrow IPC of its documents)` (not for `reference` documents), joined once with
      the removal decisions (`_keep_or_reject`);
    - `stats`: `{'docs_batched': n}` (not for `reference` documents), checked against what
      `FingerprintFn` receives (`_finish`).

    The local runners encode every element that crosses a shuffle, so element counts, not bytes,
    set the cost: nothing here is one element per document. With `spill_dir` (a local output) the
    pickled blobs go to one spill file per bundle and only `(path, offset, length)` crosses the shuffle:
    the runner process moves every shuffled byte several times (with 2 workers through gRPC), a local
    file write and read costs far less (`pipelines.io.SpillWriter`, as the quality stage's writer).
    """

    def __init__(self, keep_score: str | None, reference: bool, join_shards: int, spill_dir: str | None = None):
        self.keep_score, self.reference, self.join_shards = keep_score, reference, join_shards
        self.spill_dir = spill_dir

    def setup(self):
        # Batch ids only route records back to their batch (they never decide anything), so a random
        # id is safe; two batches that drew the same id would simply be processed as one.
        self.rng = random.Random(int.from_bytes(os.urandom(8), "little"))

    def start_bundle(self):
        self._docs: list = []
        self._spill = SpillWriter(self.spill_dir) if self.spill_dir else None

    def process(self, doc):
        self._docs.append(doc)
        if len(self._docs) >= BATCH_DOCS:
            yield from self._flush()

    def finish_bundle(self):
        yield from in_global_window(self._flush())
        if self._spill is not None:
            self._spill.close()  # before the bundle commits: the references it emitted are readable

    def _flush(self):
        docs, self._docs = self._docs, []
        if not docs:
            return
        if not self.reference:
            by_shard: dict[int, list] = {}
            for doc in docs:
                by_shard.setdefault(shard_of(doc.id, self.join_shards), []).append(doc)
            for shard, part in by_shard.items():  # as Arrow, uncompressed: the join maps them, no copy
                yield beam.pvalue.TaggedOutput("docs", (shard, table_part(to_table(part), self._spill, compress=False)))
            yield beam.pvalue.TaggedOutput("stats", {"docs_batched": len(docs)})
        work = ([keep.node_of(d, self.keep_score, self.reference) for d in docs], [d.text for d in docs])
        yield self.rng.getrandbits(63), spill_or_inline(pickle.dumps(work, pickle.HIGHEST_PROTOCOL), self._spill)


class FingerprintFn(beam.DoFn):
    """One batch `(batch id, [pickled (nodes, texts)])` -> band records, signatures and stats.

    Normalization, shingles, signatures and band keys run once per batch (numpy over the whole
    batch). Outputs:

    - main: `(partition, payload)`: the batch's band records whose key falls in that slice of the
      key space (see `_bucket_pass`);
    - `meta`: `(batch id, pickled (nodes, content hashes))`, joined back for the members of
      multi-document buckets only;
    - `sigs`: `(batch id, uint32 signature matrix as bytes)`, joined back for candidate pairs only;
    - `stats`: `{'docs_fingerprinted': n, 'empty_docs': n, 'short_docs': n}`. Empty documents get no
      fingerprint.

    With `spill_dir`, payloads, metas and signatures go to a spill file per bundle and only their
    references cross the shuffles (as in `BatchDocsFn`): the runner then holds ~100 bytes per batch and
    partition instead of ~1 KB per document (signatures are joined twice).
    """

    def __init__(self, params, ngram: int, reference: bool, partitions: int, spill_dir: str | None = None):
        self.params, self.ngram, self.reference, self.partitions = params, ngram, reference, partitions
        self.spill_dir = spill_dir

    def setup(self):
        self.coeffs = permutations(self.params.num_perm, self.params.seed)

    def start_bundle(self):
        self._spill = SpillWriter(self.spill_dir) if self.spill_dir else None

    def finish_bundle(self):
        if self._spill is not None:
            self._spill.close()

    def process(self, kv) -> Iterable[Any]:  # annotated: the inferred Union with TaggedOutput fails GBK checks
        batch, blobs = kv
        all_nodes, texts = [], []
        for blob in read_spilled(blobs):
            n_, t_ = pickle.loads(blob)
            all_nodes += n_
            texts += t_
        # the matching view of the whole batch at once (`normalize_text` of each, equal by test)
        pairs = [(node, norm) for node, norm in zip(all_nodes, normalize_many(texts)) if norm]
        nodes, norms = [p[0] for p in pairs], [p[1] for p in pairs]
        if not self.reference:
            yield beam.pvalue.TaggedOutput("stats", {"docs_fingerprinted": len(all_nodes),
                                                     "empty_docs": len(all_nodes) - len(norms)})
        if not norms:
            return
        chash = np.frombuffer(b"".join(xxhash.xxh3_128_digest(t.encode("utf-8", "surrogatepass"))
                                       for t in norms), dtype=np.uint64).reshape(-1, 2)
        flat, sizes = batch_shingle_hashes(norms, self.ngram)
        if not self.reference:
            yield beam.pvalue.TaggedOutput("stats", {"short_docs": int(np.count_nonzero(sizes == 1))})
        sigs = signatures_flat(flat, sizes, coeffs=self.coeffs)
        bands = band_keys(sigs, self.params)  # (n, bands) uint64
        meta = pickle.dumps((nodes, chash), pickle.HIGHEST_PROTOCOL)
        yield beam.pvalue.TaggedOutput("meta", (batch, spill_or_inline(meta, self._spill)))
        yield beam.pvalue.TaggedOutput("sigs", (batch, spill_or_inline(sigs.tobytes(), self._spill)))
        nb = bands.shape[1]
        keys = bands.reshape(-1)  # record i = (row i // nb, band i % nb)
        part = keys % np.uint64(self.partitions)
        order = np.argsort(part, kind="stable")
        cuts = np.flatnonzero(np.diff(part[order])) + 1
        for idx in np.split(order, cuts):  # 12 bytes a record: key, row (band 0 = row's first record)
            payload = (batch, keys[idx], (idx // nb).astype(np.int32), idx % nb == 0)
            yield int(part[idx[0]]), spill_or_inline(pickle.dumps(payload, pickle.HIGHEST_PROTOCOL), self._spill)


def _find_buckets(kv):
    """Band records of one key-space partition -> `(batch, pickled [(key, row, is band 0)])` for the
    members of buckets with two or more documents (see `curation.dedup.buckets.find_buckets`)."""
    for batch, reqs in find_buckets([pickle.loads(b) for b in read_spilled(kv[1])]).items():
        yield batch, pickle.dumps(reqs, pickle.HIGHEST_PROTOCOL)


def _resolve_members(kv, partitions: int):
    """One batch's nodes and content hashes + its members of multi-document buckets -> `(partition, pickled [(key, node,
    content hash, batch, row, is band 0)])`, regrouped by bucket in `_bucket_pass`."""
    batch, joined = kv
    if not joined["meta"] or not joined["req"]:
        return
    nodes, chash = pickle.loads(read_spilled(joined["meta"][:1])[0])
    out: dict[int, list] = {}
    for blob in joined["req"]:
        for k, r, z in pickle.loads(blob):
            out.setdefault(k % partitions, []).append((k, nodes[r], (int(chash[r, 0]), int(chash[r, 1])),
                                                        batch, r, z))
    for part, recs in out.items():
        yield part, pickle.dumps(recs, pickle.HIGHEST_PROTOCOL)


def _bucket_pass(kv):
    """Members of the multi-document buckets of one partition -> main `(batch of u, pickled [(row of u,
    u, v, batch of v, row of v)])` candidate pairs, `losses` `(loser, survivor)`, `stats` (see
    `curation.dedup.buckets.bucket_pass`)."""
    pairs, losses, groups = bucket_pass([m for blob in kv[1] for m in pickle.loads(blob)])
    for loss in losses:
        yield beam.pvalue.TaggedOutput("losses", loss)
    for bu, lst in pairs.items():
        yield bu, pickle.dumps(lst, pickle.HIGHEST_PROTOCOL)
    if groups:
        yield beam.pvalue.TaggedOutput("stats", {"exact": {"groups": groups}})


def _attach_first_sig(kv, num_perm: int):
    """One batch's signatures + the candidate pairs whose first node u is in it (deduplicated here: a
    true pair shares most bands) -> `(batch of v, pickled [(row of v, u, v, signature of u)])`."""
    _, joined = kv
    if not joined["sig"]:
        return
    sig = np.frombuffer(read_spilled(joined["sig"][:1])[0], dtype=np.uint32).reshape(-1, num_perm)
    pairs = set()
    for blob in joined["pairs"]:
        pairs.update(pickle.loads(blob))
    if not pairs:
        return
    out: dict[int, list] = {}
    for ru, u, v, bv, rv in sorted(pairs):
        out.setdefault(bv, []).append((rv, u, v, sig[ru].tobytes()))
    for bv, half in out.items():
        yield bv, pickle.dumps(half, pickle.HIGHEST_PROTOCOL)
    yield beam.pvalue.TaggedOutput("stats", {"near": {"candidate_pairs": len(pairs)}})


class _VerifyFn(beam.DoFn):
    """One batch's signatures + half-joined pairs -> edges (u, v) whose estimated Jaccard >= threshold."""

    def __init__(self, threshold: float, num_perm: int):
        self.threshold, self.num_perm = threshold, num_perm

    def process(self, kv):
        _, joined = kv
        if not joined["sig"] or not joined["half"]:
            return
        sig = np.frombuffer(read_spilled(joined["sig"][:1])[0], dtype=np.uint32).reshape(-1, self.num_perm)
        half = [x for blob in joined["half"] for x in pickle.loads(blob)]
        rv = np.array([h[0] for h in half], dtype=np.int64)
        sig_u = np.frombuffer(b"".join(h[3] for h in half), dtype=np.uint32).reshape(-1, self.num_perm)
        # the same value estimated_jaccard computes: equal positions / num_perm
        est = np.count_nonzero(sig_u == sig[rv], axis=1) / self.num_perm
        ok = est >= self.threshold
        for (_, u, v, _), good in zip(half, ok):
            if good:
                yield u, v
        n_ok = int(np.count_nonzero(ok))
        yield beam.pvalue.TaggedOutput("stats", {"near": {"verified_edges": n_ok,
                                                          "rejected_pairs": len(half) - n_ok}})


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
    graphs are nearly stars after one (bench: after round 1, 2 nodes of the 50k zh set and 2 of the
    labelled set were off the star shape; the default is 1 pair because every pair is two more stages
    with 2 workers). A GroupByKey by
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
        # One GroupByKey on a constant key, not ToList (CombineGlobally): no default-value stages;
        # an empty residual gives an empty dict side input.
        finish = (residual.edges
                  | "ResidualOneKey" >> beam.Map(lambda e: (0, e))
                  | "ResidualList" >> beam.GroupByKey()
                  | "ResidualUnionFind" >> beam.FlatMap(lambda kv: _union_find(list(kv[1])).items()))
        side = beam.pvalue.AsDict(finish)
        from_residual = finish | "ResidualRoots" >> beam.Filter(lambda nr: nr[0] != nr[1])
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


def _keep_or_reject(kv, output: str, num_shards: int):
    """One output shard: its documents (Arrow tables) + the removal decisions of their ids -> the shard's
    data/ and rejected/ files, written here (`write_own_table_shard`: the files and bytes the stage writer
    would write, without a second shuffle of every document), their paths and counts, and the shard's
    per-language / per-source dedup counts as one stats dict."""
    shard, joined = kv
    decided: dict[str, tuple] = {}
    for doc_id, reason, dup_of in joined["decision"]:
        # copies of one record (a repeated id) whose keep-rule keys differ each get the same decision
        if decided.setdefault(doc_id, (reason, dup_of)) != (reason, dup_of):
            raise RuntimeError(f"dedup: conflicting decisions for document {doc_id!r}: "
                               f"{decided[doc_id]} and {(reason, dup_of)}")
    tables = read_table_parts(joined["docs"])  # memory-mapped spill files: the shard's text is not copied
    if not tables and not decided:
        return
    table = pa.concat_tables(tables) if tables else to_table([])
    decided, copies, tiebreak = _repeated_ids(table, decided)
    mask = pc.is_in(table.column("id"), value_set=pa.array(list(decided), pa.string()))
    if copies:
        mask = pc.or_(mask, pc.is_in(pa.array(np.arange(table.num_rows)), value_set=pa.array(list(copies))))
    kept_rows, rejected_rows = split_in_id_order(table, mask, tiebreak)
    rejected = table.take(rejected_rows)
    rejected_ids = rejected.column("id").to_pylist()
    missing = sorted(set(decided).difference(rejected_ids))  # a decision without its document: lost unseen
    if missing:
        raise RuntimeError(f"dedup: {len(missing):,} removal decisions name documents missing from output "
                           f"shard {shard} (e.g. {missing[:3]}): the documents and decisions disagree")
    # every row of a decided id is rejected (all copies of a repeated id are duplicates of the survivor)
    hits = [copies.get(row) or decided[i] for row, i in zip(rejected_rows.to_pylist(), rejected_ids)]
    for name, values in (("stage", [STAGE] * len(hits)), ("reason", [h[0] for h in hits]),
                         ("duplicate_of", [h[1] for h in hits])):
        rejected = rejected.append_column(name, pa.array(values, pa.string()))
    for tag, value in write_own_table_shard(output, shard, num_shards, table, rejected, kept_rows=kept_rows):
        yield beam.pvalue.TaggedOutput(tag, value)
    counts = _lang_source_counts(table.select(["lang", "source"]).take(kept_rows), None)
    counts.update(_lang_source_counts(rejected, rejected.column("reason")))
    if counts:
        yield beam.pvalue.TaggedOutput("stats", {**report.count_stats(counts),
                                                 **({"repeated_copies": len(copies)} if copies else {})})


def _repeated_ids(table: pa.Table, decided: dict[str, tuple]) -> tuple[dict[str, tuple], dict[int, tuple], Any]:
    """The join's handling of ids with more than one row in the shard (all rows of an id share its shard).

    The same record read twice keeps one id (`curation.ids`), and the fingerprint step sees one node per
    id and keep-rule key, so the decisions cannot tell such copies apart. Here: when the id lost to another
    document, its decision rejects every copy; otherwise one copy per text stays (`keep.order_copies`) and
    the others are rejected as exact duplicates of that id. A decision whose survivor is the id itself
    (copies whose keep-rule keys differ) is such a case too.

    Returns:
        (the decisions to apply by id, {row: (reason, duplicate_of)} for single copies, the rank of each
        row among its id's rows for the id sort, or None when every id has one row).
    """
    ids = table.column("id")
    counts = pc.value_counts(ids)
    repeated = counts.field("values").filter(pc.greater(counts.field("counts"), 1))
    if not len(repeated):
        return decided, {}, None
    rows = pc.indices_nonzero(pc.is_in(ids, value_set=repeated))
    groups: dict[str, list] = {}
    for row, rec in zip(rows.to_pylist(), table.take(rows).to_pylist()):
        groups.setdefault(rec["id"], []).append((row, rec))
    decided, copies, rank = dict(decided), {}, np.zeros(table.num_rows, dtype=np.int64)
    for doc_id, group in groups.items():
        order, dropped = keep.order_copies(group)
        rank[order] = np.arange(len(order))
        hit = decided.get(doc_id)
        if hit is not None and hit[1] != doc_id:
            continue  # the id lost to another document: its decision rejects every copy
        decided.pop(doc_id, None)
        copies.update({row: (report.EXACT, doc_id) for row in dropped})
    return decided, copies, pa.array(rank)


def _lang_source_counts(table: pa.Table, reason) -> dict[tuple, int]:
    """{(lang or 'unrouted', str(source), reason): documents} of a table, as `report.count_stats` takes."""
    if not table.num_rows:
        return {}
    cols = {"lang": label_column(table.column("lang"), "unrouted"), "source": source_column(table.column("source")),
            "reason": reason if reason is not None else pa.nulls(table.num_rows, pa.string())}
    rows = pa.table(cols).group_by(["lang", "source", "reason"]).aggregate([("lang", "count")]).to_pylist()
    return {(r["lang"], r["source"], r["reason"]): r["lang_count"] for r in rows}


def build(pipeline, docs, args):
    params = args.lsh
    # The documents meet their decisions in the output's own shards (`shard_of(id, N)`, N as the stage
    # scaffold sizes it), so the join writes the files: no second shuffle of every document.
    join_shards = estimate_num_shards(args.input_files, max(1, int(args.shard_size_mb * 1024 * 1024)))
    bands, metas, sigs, fp_stats, doc_shards, batch_stats = _fingerprints(docs, args, reference=False, label="",
                                                             join_shards=join_shards)
    if args.against_files:
        prev = pipeline | "ReadAgainst" >> ReadDocuments(
            args.against_files, ReadConfig(), STAGE, unique_ids=False)
        ref_bands, ref_metas, ref_sigs, _, _, _ = _fingerprints(prev["docs"], args, reference=True,
                                                             label="Against", join_shards=join_shards)
        # Not this run's input records (they are not in input_records), but never silent: a broken shard of
        # PREV weakens matching, so its records are counted with file and line as `against_unreadable`.
        against_bad = prev["unreadable"] | "AgainstUnreadable" >> beam.Map(
            lambda e: {"against_unreadable": unreadable_stats(e)["unreadable"]})
        bands = (bands, ref_bands) | "FlattenAgainstBands" >> beam.Flatten()
        metas = (metas, ref_metas) | "FlattenAgainstMetas" >> beam.Flatten()
        sigs = (sigs, ref_sigs) | "FlattenAgainstSigs" >> beam.Flatten()
    requests = (bands
                | "GroupByBand" >> beam.GroupByKey()
                | "FindBuckets" >> beam.FlatMap(_find_buckets))
    buckets = ({"meta": metas, "req": requests}
               | "JoinMembers" >> beam.CoGroupByKey()
               | "ResolveMembers" >> beam.FlatMap(_resolve_members, args.band_partitions)
               | "GroupByBucket" >> beam.GroupByKey()
               | "BucketPass" >> beam.FlatMap(_bucket_pass).with_outputs("losses", "stats", main="pairs"))
    if args.verify == "estimate":
        half = ({"sig": sigs, "pairs": buckets.pairs}
                | "JoinFirstSig" >> beam.CoGroupByKey()
                | "SendHalf" >> beam.FlatMap(_attach_first_sig, params.num_perm).with_outputs(
                    "stats", main="half"))
        verified = ({"sig": sigs, "half": half.half}
                    | "JoinSecondSig" >> beam.CoGroupByKey()
                    | "VerifyCandidates" >> beam.ParDo(_VerifyFn(params.threshold, params.num_perm)).with_outputs(
                        "stats", main="edges"))
        edges, verify_stats = verified.edges, [half.stats, verified.stats]
    else:
        edges = buckets.pairs | "PairsAsEdges" >> beam.FlatMap(
            lambda kv: [(u, v) for _, u, v, _, _ in pickle.loads(kv[1])])
        verify_stats = []
    cc = edges | "ConnectComponents" >> ConnectComponents(args.cc_rounds)
    losers = buckets.losses | "LossBySurvivor" >> beam.Map(lambda x: (x[1], x[0]))
    decisions = ({"root": cc["roots"], "losers": losers}
                 | "JoinRoots" >> beam.CoGroupByKey()
                 | "Decide" >> beam.FlatMap(_decide))
    out = ({"docs": doc_shards,
            "decision": decisions | "DecisionByShard" >> beam.Map(
                lambda x, n: (shard_of(x[0], n), (x[0], *x[1])), join_shards)}
           | "JoinDecisions" >> beam.CoGroupByKey()
           | "KeepRepresentative" >> beam.FlatMap(_keep_or_reject, args.output, join_shards).with_outputs(
               "data", "rejected", "doc_stats", "stats"))
    sizes = (decisions
             | "RootOnes" >> beam.Map(lambda x: (x[2], 1))
             | "ClusterCounts" >> beam.CombinePerKey(sum)
             | "ClusterSize" >> beam.Map(lambda kv: kv[1] + 1))
    config = {"params": {"threshold": params.threshold, "num_perm": params.num_perm, "bands": params.bands,
                         "rows": params.rows, "ngram": args.ngram, "seed": params.seed, "tag": params.tag(),
                         "verify": args.verify, "keep_score": args.keep_score or ""},
              "exact": {"groups": 0, "removed": 0}, "near": {"candidate_pairs": 0, "removed": 0},
              "docs_batched": 0, "docs_fingerprinted": 0, "empty_docs": 0, "short_docs": 0, "cc": {"rounds": args.cc_rounds, "unconverged_nodes": 0}}
    against_stats = [against_bad] if args.against_files else []
    parts = ([fp_stats, batch_stats, buckets.stats, out.stats, *against_stats,
                         sizes | "SizeStats" >> beam.Map(report.cluster_stats),
                         pipeline | "Params" >> beam.Create([config])] + verify_stats + cc["stats"])
    stage_stats = (tuple(parts) | "FlattenDedupStats" >> beam.Flatten()
                   # without defaults: "Params" always gives one input, and the default-value
                   # stages would be two more round trips with 2 workers
                   | "MergeDedupStats" >> beam.CombineGlobally(MergeStatsFn()).without_defaults()
                   | "FinishDedupStats" >> beam.Map(_finish))
    written = {"data": out.data, "rejected": out.rejected, "doc_stats": out.doc_stats}
    return {"written": written, "num_shards": join_shards, "stats": [stage_stats]}


def _fingerprints(docs, args, reference: bool, label: str, join_shards: int):
    root = spill_root(args.output)  # None for a remote output: the runner's own shuffle moves the bytes
    spill = None if root is None else os.path.join(root, STAGE)
    batches = docs | f"BatchDocs{label}" >> beam.ParDo(
        BatchDocsFn(args.keep_score, reference, join_shards, spill)).with_outputs("docs", "stats", main="work")
    fps = (batches.work
           | f"SpreadBatches{label}" >> beam.GroupByKey()
           | f"Fingerprint{label}" >> beam.ParDo(
               FingerprintFn(args.lsh, args.ngram, reference, args.band_partitions, spill)).with_outputs(
                   "meta", "sigs", "stats", main="bands"))
    return fps.bands, fps.meta, fps.sigs, fps.stats, batches.docs, batches.stats


def _finish(stats: dict) -> dict:
    """Derived values, and the check that every batched document was fingerprinted: a document lost on
    the way would be kept unexamined (its copies neither removed nor counted), so the run fails instead
    of writing `_SUCCESS` (seen with Beam's multi_threading workers; `pipelines.stage.size_flushed_embedded_workers`)."""
    batched, fingerprinted = stats.get("docs_batched", 0), stats.get("docs_fingerprinted", 0)
    if batched != fingerprinted:
        raise RuntimeError(f"dedup: {batched:,} documents were batched but {fingerprinted:,} fingerprinted: "
                           "the runner lost elements between the two steps; no output is marked complete")
    out = report.finish({k: v for k, v in stats.items() if k != "docs_batched"})
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
    g.add_argument("--band-partitions", type=int, default=DEFAULT_BAND_PARTITIONS,
                   help="slices of the band-key space, one GroupByKey key each (default 64; raise it for "
                   "corpora of many millions of documents so no worker holds too many band records)")
    g.add_argument("--cc-rounds", type=int, default=DEFAULT_CC_ROUNDS,
                   help="large-star/small-star round pairs before the residual check (default 1: LSH graphs "
                   "are nearly stars after 1, what is left is finished by union-find and reported)")


def validate(args: argparse.Namespace) -> None:
    if args.ngram < 1:
        raise ConfigError(f"--ngram must be at least 1, got {args.ngram}")
    if args.band_partitions < 1:
        raise ConfigError(f"--band-partitions must be at least 1, got {args.band_partitions}")
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
