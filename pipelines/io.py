"""Beam I/O for the one document schema: read raw shards, write the canonical stage layout.

Every stage writes, under `OUT/`:

    data/part-00000-of-000NN.parquet      kept documents (zstd, about --shard-size-mb of text each)
    rejected/part-00000-of-000MM.parquet  rejected documents, same columns + stage, reason, duplicate_of
    stats.json                            input_records, kept, rejected by reason, unreadable (+ examples), ...
    _SUCCESS                              written last, only after the accounting check passed

(A table stage or dedup with a local output also has `_shuffle/` while it runs: spill files of its
shuffles (`SpillWriter`), deleted before stats.json is written.)

Shards are deterministic: a document goes to shard `xxh64(id) % N` (N from the total text size) and
each shard is sorted by id, so the same input gives identical bytes on any runner and worker count.
Files are opened through Beam's `FileSystems`, so `gs://` (and any registered filesystem) works.

Two element types: `Document`s (here: `ReadDocuments`, `WriteStageOutput`: most stages) and Arrow tables
of a few thousand documents (`pipelines.io_tables`: `ReadTables`, `WriteTableStageOutput`: the quality
stage), which read, shard, count and check the same way and write the same bytes for the same documents.
"""

from __future__ import annotations

import json
import logging
import math
import os
import pickle
import posixpath
import shutil
import uuid
from typing import Any

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import xxhash
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import GlobalWindows

from curation import ids, progress
from curation.errors import ConfigError
from curation.readers import (
    ReadConfig,
    Unreadable,
    is_supported,
    iter_records,
)
from curation.schema import Document, to_table
from curation.stats import add_doc, finalize, merge_stats, unreadable_stats

LOG = logging.getLogger(__name__)

DEFAULT_SHARD_MB = 64
ROW_GROUP_ROWS = 4096
# How both writers (`write_parquet`, `io_tables.write_table_parquet`) call `pq.write_table`: one dict, so
# the same documents give the same bytes. Dictionary pages only where values repeat (lang, source, the
# attribute keys and values, the source file, rejected rows' stage and reason), not for ids, texts, row
# numbers or `duplicate_of` (an id), whose dictionaries overflow and fall back to plain pages after the
# work; min/max statistics only for `id` (shards are sorted by it; no reader uses any other). On the zh
# quality output: pq.write_table 0.244 -> 0.184 s for a 44k-row data shard (12.30 -> 12.26 MB), 0.110 ->
# 0.088 s for a 30k-row rejected shard (2.95 -> 2.83 MB).
PARQUET_WRITE_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "row_group_size": ROW_GROUP_ROWS,
    "use_dictionary": ["lang", "source", "attributes.key_value.key", "attributes.key_value.value",
                       "provenance.source_file", "stage", "reason"],
    "write_statistics": ["id"],
}
SUCCESS = "_SUCCESS"
SHUFFLE_DIR = "_shuffle"  # spill files of a table shuffle (`io_tables.WriteTableShards`), deleted by Finalize
_GLOB_CHARS = set("*?[")


def in_global_window(outputs):
    """Wrap what a DoFn emits from `finish_bundle` (plain values or TaggedOutputs) in the global window,
    as Beam requires there. Batched DoFns (buffer in `process`, flush at the end of the bundle) use it."""
    for out in outputs:
        if isinstance(out, beam.pvalue.TaggedOutput):
            yield beam.pvalue.TaggedOutput(out.tag, GlobalWindows.windowed_value(out.value))
        else:
            yield GlobalWindows.windowed_value(out)


# --------------------------------------------------------------------------------------------- inputs
def _join(*parts: str) -> str:
    return FileSystems.join(*parts) if "://" in parts[0] else posixpath.join(*parts)


def _match(pattern: str) -> list[str]:
    try:
        result = FileSystems.match([pattern])[0]
    except Exception:  # BeamIOError when nothing matches
        return []
    return sorted(m.path for m in result.metadata_list)


def _exists(path: str) -> bool:
    try:
        return FileSystems.exists(path)
    except Exception:
        return False


def expand_inputs(inputs: list[str]) -> list[str]:
    """Expand directories, globs and files into a sorted list of readable input files.

    A stage output directory (one with `data/`) contributes its `data/*.parquet`, and only when its
    `_SUCCESS` marker exists. Raises ConfigError (exit code 2) when a path or glob matches nothing.
    """
    if not inputs:
        raise ConfigError("no --input given")
    files: list[str] = []
    for item in inputs:
        item = item.rstrip("/") if not item.endswith("://") else item
        if any(c in _GLOB_CHARS for c in item):
            matched = [p for p in _match(item) if is_supported(p)]
            if not matched:
                raise ConfigError(f"input glob matches no .jsonl/.jsonl.gz/.jsonl.zst/.parquet file: {item}")
            files.extend(matched)
            continue
        data_dir = _join(item, "data")
        if _match(_join(data_dir, "*.parquet")):
            if not _exists(_join(item, SUCCESS)):
                raise ConfigError(f"{item} is an incomplete stage output (no {SUCCESS}); rerun that stage")
            files.extend(_match(_join(data_dir, "*.parquet")))
            continue
        if _exists(item) and is_supported(item) and _match(item) == [item]:
            files.append(item)
            continue
        under = [p for p in _match(_join(item, "**")) if is_supported(p)]
        if not under:
            if _exists(item):
                raise ConfigError(f"input {item} holds no .jsonl/.jsonl.gz/.jsonl.zst/.parquet file")
            raise ConfigError(f"input path does not exist: {item}")
        files.extend(under)
    return sorted(dict.fromkeys(files))


def ids_known_unique(files: list[str]) -> bool:
    """True when every file is a data shard of one and the same stage output: its ids are unique already.
    Shards of two outputs (two ingests of different raw files) can share ids, so they need the check."""
    return bool(files) and all(is_stage_output_shard(f) for f in files) and len(
        {f.replace("\\", "/").rsplit("/", 2)[0] for f in files}) == 1


def is_stage_output_shard(path: str) -> bool:
    """True for `<stage output>/data/part-*.parquet` (written by a Qingliu stage, ids already unique)."""
    parts = path.replace("\\", "/").rsplit("/", 2)
    return len(parts) == 3 and parts[1] == "data" and parts[2].startswith("part-") and parts[2].endswith(".parquet")


# --------------------------------------------------------------------------------------------- reading
class ReadFileFn(beam.DoFn):
    """One input file -> Documents (main output) and `Unreadable` records (tagged 'unreadable')."""

    def __init__(self, cfg: ReadConfig, stage: str):
        self.cfg = cfg
        self.stage = stage
        self.records = Metrics.counter(stage, "records_read")
        self.bad = Metrics.counter(stage, "records_unreadable")

    def _items(self, path: str, raw):
        """What one open file yields: documents (or tables of them, see `ReadTablesFn`) and `Unreadable`s."""
        return iter_records(path, raw, self.cfg)

    @staticmethod
    def _size(item) -> int:
        return 1

    def process(self, path: str):
        try:
            raw = FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)
        except Exception as exc:
            self.bad.inc()
            yield beam.pvalue.TaggedOutput("unreadable", Unreadable(path, None, f"cannot open: {exc}").as_dict())
            return
        n_ok = n_bad = 0
        with raw:
            for item in self._items(path, raw):
                if isinstance(item, Unreadable):
                    n_bad += item.records
                    self.bad.inc(item.records)
                    yield beam.pvalue.TaggedOutput("unreadable", item.as_dict())
                else:
                    k = self._size(item)
                    n_ok += k
                    self.records.inc(k)
                    progress.add("records_read", k)
                    yield item
        progress.add("files_read")
        LOG.info("%s: read %s: %d records, %d unreadable", self.stage, path, n_ok, n_bad)


class _RenameDuplicateIdsFn(beam.DoFn):
    """Ids repeated across inputs are made unique, never merged (`curation.ids`)."""

    def process(self, doc: Document, dups: dict):
        locations = dups.get(doc.id)
        if locations:
            new_id = ids.unique_id(doc.id, ids.location(doc.source_file, doc.row, doc.text), locations)
            if new_id != doc.id:
                doc = doc.copy(id=new_id)
        yield doc


class ReadDocuments(beam.PTransform):
    """files -> {'docs': PCollection[Document], 'unreadable': PCollection[dict], 'duplicate_ids': int}.

    Args:
        files: input files (see `expand_inputs`).
        cfg: field mapping for raw records.
        stage: stage name used for counters.
        unique_ids: rename ids repeated across inputs (a cheap key-only shuffle).
    """

    def __init__(self, files: list[str], cfg: ReadConfig = ReadConfig(), stage: str = "read", unique_ids: bool = True):
        super().__init__()
        self.files, self.cfg, self.stage, self.unique_ids = files, cfg, stage, unique_ids

    def expand(self, pbegin):
        read = (
            pbegin
            | "ListFiles" >> beam.Create(self.files)  # reshuffled when more than one: files read in parallel
            | "ReadRecords" >> beam.ParDo(ReadFileFn(self.cfg, self.stage)).with_outputs("unreadable", main="docs")
        )
        docs = read.docs
        dup_counts = None
        if self.unique_ids:
            dups = (
                docs
                | "KeyById" >> beam.Map(lambda d: (d.id, ids.location(d.source_file, d.row, d.text)))
                | "GroupIds" >> beam.GroupByKey()
                | "KeepRepeated" >> beam.FlatMap(ids.repeated)
            )
            docs = docs | "MakeIdsUnique" >> beam.ParDo(_RenameDuplicateIdsFn(), beam.pvalue.AsDict(dups))
            dup_counts = dups | "CountRepeatedIds" >> beam.Map(ids.repeat_stats)
        return {"docs": docs, "unreadable": read.unreadable, "duplicate_ids": dup_counts}


# --------------------------------------------------------------------------------------------- writing
def shard_of(doc_id: str, num_shards: int) -> int:
    return xxhash.xxh64_intdigest(doc_id.encode("utf-8", "surrogatepass")) % num_shards


def shards_of(ids, num_shards: int) -> np.ndarray:
    """`shard_of` of every id of an Arrow string column (int64 array), hashing the UTF-8 bytes Arrow holds
    (Arrow strings are valid UTF-8: the bytes `shard_of` encodes) without a Python string per id."""
    raw = ids.cast(pa.binary()).to_pylist()
    digests = np.fromiter(map(xxhash.xxh64_intdigest, raw), dtype=np.uint64, count=len(raw))
    return (digests % np.uint64(num_shards)).astype(np.int64)


def shard_name(index: int, num_shards: int) -> str:
    return f"part-{index:05d}-of-{num_shards:05d}.parquet"


def write_parquet(path: str, docs: list[Document], rejected: bool = False, sort_key=None) -> None:
    """Write documents sorted by id (or by `sort_key(doc)`, e.g. mix's seeded shuffle) as one zstd Parquet
    file (deterministic bytes as long as the key is a total order)."""
    table = to_table(sorted(docs, key=sort_key or (lambda d: d.id)), rejected=rejected)
    with FileSystems.create(path, mime_type="application/octet-stream",
                            compression_type=CompressionTypes.UNCOMPRESSED) as f:
        pq.write_table(table, f, **PARQUET_WRITE_OPTIONS)


class _WriteShardFn(beam.DoFn):
    def __init__(self, directory: str, rejected: bool, sort_key=None):
        self.directory, self.rejected, self.sort_key = directory, rejected, sort_key

    def process(self, keyed, num_shards: int):
        index, batches = keyed
        path = _join(self.directory, shard_name(index, num_shards))
        docs = [d for batch in batches for d in pickle.loads(batch)]
        write_parquet(path, docs, self.rejected, self.sort_key)
        yield path


class _KeyByShardFn(beam.DoFn):
    """(shard, [docs]) per shard and bundle: the shuffle before writing moves lists, not single documents,
    which costs a fraction of the per-element encoding (it dominated a write of short documents)."""

    MAX_BUFFER = 2048

    def __init__(self, num_shards: int | None):
        self.num_shards = num_shards

    def start_bundle(self):
        self._buf: dict[int, list] = {}
        self._n = 0

    def process(self, doc, num_shards=None):
        k = shard_of(doc.id, self.num_shards or num_shards)
        self._buf.setdefault(k, []).append(doc)
        self._n += 1
        if self._n >= self.MAX_BUFFER:
            yield from self._flush_items()

    def _flush_items(self):
        # Pickled here, once: as bytes, the runner's element-size sampling is a len(), not another encode.
        items = [(k, pickle.dumps(docs, protocol=pickle.HIGHEST_PROTOCOL)) for k, docs in self._buf.items()]
        self._buf, self._n = {}, 0
        return items

    def finish_bundle(self):
        for item in self._flush_items():
            yield GlobalWindows.windowed_value(item)


class WriteShards(beam.PTransform):
    """PCollection[Document] -> deterministic Parquet shards in `directory`; outputs the paths written.

    The shard count is `num_shards` when the caller knows it (run_stage estimates it from the input
    size, which avoids holding the documents back until their total is known), else
    ceil(total text bytes / shard_bytes), at least 1. Every shard file exists, empty ones included, once
    the stage's finalize step has run. `sort_key` (a picklable `doc -> key`, a total order) replaces the
    in-shard order by id. Outputs (paths, count): the count is the int when known (a plain argument of
    the writing steps, not a side input), else a one-element PCollection.
    """

    def __init__(self, directory: str, shard_bytes: int, rejected: bool = False, sort_key=None,
                 num_shards: int | None = None):
        super().__init__()
        self.directory, self.shard_bytes, self.rejected, self.sort_key = directory, shard_bytes, rejected, sort_key
        self.num_shards = num_shards

    def expand(self, docs):
        shard_bytes = self.shard_bytes
        if self.num_shards:
            num_shards = self.num_shards
            keyed = docs | "KeyByShard" >> beam.ParDo(_KeyByShardFn(self.num_shards))
        else:
            num_shards = (
                docs
                | "TextBytes" >> beam.Map(lambda d: len(d.text.encode("utf-8", "surrogatepass")) + 200)
                | "SumBytes" >> beam.CombineGlobally(sum)
                | "ShardCount" >> beam.Map(lambda total: max(1, math.ceil(total / shard_bytes)))
            )
            keyed = docs | "KeyByShard" >> beam.ParDo(_KeyByShardFn(None), beam.pvalue.AsSingleton(num_shards))
        paths = (
            keyed
            | "GroupShards" >> beam.GroupByKey()
            | "WriteShard" >> beam.ParDo(_WriteShardFn(self.directory, self.rejected, self.sort_key),
                                         as_side_input(num_shards))
        )
        return paths, num_shards


def as_side_input(value):
    """A one-element PCollection as a singleton side input; a plain value (a count known when the
    pipeline is built) as itself: ParDo passes extra arguments that are not PCollections through."""
    return beam.pvalue.AsSingleton(value) if isinstance(value, beam.pvalue.PCollection) else value


def estimate_num_shards(files: list[str], shard_bytes: int) -> int:
    """Shard count from the input files' sizes (compressed inputs counted at 4x), at least 1."""
    try:
        sizes = {m.path: m.size_in_bytes for r in FileSystems.match(files) for m in r.metadata_list}
    except Exception:  # a file vanished since expand_inputs: size it as empty, the read will report it
        sizes = {}
    total = sum(sizes.get(path, 0) * (4 if path.lower().endswith((".gz", ".zst", ".zstd", ".parquet")) else 1)
                for path in files)
    return max(1, math.ceil(total / shard_bytes))


class MergeStatsFn(beam.CombineFn):
    """Combine stats dicts with `curation.stats.merge_stats` (order-independent)."""

    def create_accumulator(self):
        return {}

    def add_input(self, acc, item):
        return merge_stats(acc, item)

    def merge_accumulators(self, accs):
        out: dict = {}
        for a in accs:
            out = merge_stats(out, a)
        return out

    def extract_output(self, acc):
        return acc


class _BundleStatsFn(beam.DoFn):
    """Per-bundle stats of documents, emitted once per bundle as ('docs', stats dict) (or ('read', count)):
    the combine after it then merges a few dicts instead of moving every document to a combiner (which
    encoded each one again)."""

    def __init__(self, kind: str):
        self.kind = kind  # "kept" | "rejected" | "read"

    def start_bundle(self):
        self._acc: dict = {}
        self._n = 0

    def process(self, doc):
        if self.kind == "read":
            self._n += 1
        else:
            add_doc(self._acc, doc, self.kind == "kept")

    def finish_bundle(self):
        yield from _bundle_totals(self.kind, self._acc, self._n)


def _bundle_totals(kind: str, acc: dict, n: int):
    """What a bundle-stats DoFn emits at the end of a bundle (`_StageTotalsFn` inputs)."""
    if kind == "read":
        if n:
            yield GlobalWindows.windowed_value(("read", n))
    elif acc:
        yield GlobalWindows.windowed_value(("docs", acc))


def _unreadable_totals(record: dict) -> tuple[str, dict]:
    return "docs", unreadable_stats(record)


def _tag_stage(stats: dict) -> tuple[str, dict]:
    return "stage", stats


class _StageTotalsFn(beam.CombineFn):
    """Everything `_FinalizeFn` counts, in one combine: {'docs': kept, rejected and unreadable stats,
    'stage': the stage's own stats, 'read': documents read}. Inputs are ('docs', dict) and ('read', int)
    from the bundle-stats steps, and ('stage', dict) for the stage's own stats dicts.
    One combine instead of one per total: each CombineGlobally is 8 Beam transforms and a shuffle."""

    def create_accumulator(self):
        return {"docs": {}, "stage": {}, "read": 0}

    def add_input(self, acc, item):
        part, value = item
        if part == "read":
            return {**acc, "read": acc["read"] + value}
        return {**acc, part: merge_stats(acc[part], value)}

    def merge_accumulators(self, accs):
        out = self.create_accumulator()
        for a in accs:
            out = {"docs": merge_stats(out["docs"], a["docs"]), "stage": merge_stats(out["stage"], a["stage"]),
                   "read": out["read"] + a["read"]}
        return out

    def extract_output(self, acc):
        return acc


class _FinalizeFn(beam.DoFn):
    """Runs once, after every shard is written: fills empty shards, writes stats.json, then _SUCCESS."""

    def __init__(self, output: str, stage: str, config: dict[str, Any]):
        self.output, self.stage, self.config = output, stage, config
        self.spill = spill_root(output)  # resolved here, in the process that builds the pipeline

    def process(self, totals, data_paths, n_data, rej_paths, n_rej):
        for sub, written, n, rejected in (("data", data_paths, n_data, False), ("rejected", rej_paths, n_rej, True)):
            have = set(written)
            for i in range(n):
                path = _join(self.output, sub, shard_name(i, n))
                if path not in have:
                    write_parquet(path, [], rejected)
        delete_spill(self.spill)  # every shard is written: nothing reads the spill files any more
        stage_stats = totals["stage"]
        extra = int(stage_stats.get("extra_copies", 0)) if stage_stats else 0
        out = finalize(totals["docs"], totals["read"], extra_copies=extra)
        out = {"stage": self.stage, **out, "stage_stats": stage_stats or {}, "config": self.config,
               "shards": {"data": n_data, "rejected": n_rej}}
        for key in ("duplicate_ids", "repeated_records"):  # the reader's, not the stage's
            if key in out["stage_stats"]:
                out[key] = out["stage_stats"].pop(key)
        body = json.dumps(out, ensure_ascii=False, indent=2, sort_keys=True)
        with FileSystems.create(_join(self.output, "stats.json"), mime_type="application/json") as f:
            f.write(body.encode("utf-8"))
        if not out["accounting"]["ok"]:
            raise RuntimeError(
                f"{self.stage}: accounting check failed ({out['accounting']}); output left without {SUCCESS}"
            )
        with FileSystems.create(_join(self.output, SUCCESS), mime_type="text/plain") as f:
            f.write(b"")
        yield out


class WriteStageOutput(beam.PTransform):
    """Write kept + rejected documents, stats.json and _SUCCESS (last) under `output`.

    Applied to a dict: {'kept': docs, 'rejected': docs, 'unreadable': dicts, 'read': docs read before the
    stage, 'stats': stage-specific stats dicts, or a tuple of such PCollections (merged into `stage_stats`)}.
    `data_sort_key`: in-shard order of the kept documents (default: by id). `num_shards`: shard count
    known up front (see `estimate_num_shards`); None computes it from the documents' total size.
    """

    def __init__(self, output: str, stage: str, config: dict[str, Any] | None = None,
                 shard_mb: float = DEFAULT_SHARD_MB, data_sort_key=None, num_shards: int | None = None):
        super().__init__()
        self.output, self.stage, self.config = output, stage, config or {}
        self.data_sort_key = data_sort_key
        self.num_shards = num_shards
        self.shard_bytes = max(1, int(shard_mb * 1024 * 1024))

    def expand(self, parts):
        def write(path, rejected):
            return WriteShards(path, self.shard_bytes, rejected=rejected, num_shards=self.num_shards,
                               sort_key=None if rejected else self.data_sort_key)

        return _write_and_finalize(parts, self.output, self.stage, self.config, write, _BundleStatsFn,
                                   self.num_shards)


def _write_and_finalize(parts, output: str, stage: str, config: dict, write, bundle_stats_fn,
                        num_shards: int | None = None):
    """The tail every stage shares: write kept and rejected (`write(path, rejected) -> PTransform` giving
    (shard paths, count: an int or a one-element PCollection)), add up stats per bundle
    (`bundle_stats_fn(kind)`) and the stage's own stats (`parts['stats']`: a PCollection of dicts, a tuple
    of them, or None) in one combine, then `_FinalizeFn` checks the accounting and writes stats.json and
    _SUCCESS last. The combined totals are Finalize's main input (one element, also on empty input); the
    written paths are side inputs, so Finalize runs after every shard is written.

    A stage whose last step already holds whole output shards (dedup's join by `shard_of(id, N)`) writes
    them itself and passes `parts['written']` = {'data': paths, 'rejected': paths, 'doc_stats': ('docs',
    stats) items} instead of 'kept' / 'rejected', with `num_shards` = N: no second shuffle of every
    document (see `io_tables.write_own_table_shard`)."""
    unreadable, read, written = parts["unreadable"], parts["read"], parts.get("written")
    if written is None:
        kept, rejected = parts["kept"], parts["rejected"]
        data_paths, n_data = kept | "WriteKept" >> write(_join(output, "data"), False)
        rej_paths, n_rej = rejected | "WriteRejected" >> write(_join(output, "rejected"), True)
        doc_totals = (kept | "KeptStats" >> beam.ParDo(bundle_stats_fn("kept")),
                      rejected | "RejectedStats" >> beam.ParDo(bundle_stats_fn("rejected")))
    else:  # the stage wrote its shards itself (`io_tables.write_own_table_shard`)
        if not num_shards:
            raise ValueError(f"{stage}: a stage that writes its own shards must give their count")
        data_paths, rej_paths, doc_totals = written["data"], written["rejected"], (written["doc_stats"],)
        n_data = n_rej = num_shards
    stage_stats = parts.get("stats")
    if stage_stats is None:
        stage_stats = ()
    elif isinstance(stage_stats, beam.pvalue.PCollection):
        stage_stats = (stage_stats,)
    totals = (
        (
            *doc_totals,
            unreadable | "UnreadableStats" >> beam.Map(_unreadable_totals),
            read | "CountRead" >> beam.ParDo(bundle_stats_fn("read")),
            *(pc | f"TagStageStats{i}" >> beam.Map(_tag_stage) for i, pc in enumerate(stage_stats)),
        )
        | "FlattenStats" >> beam.Flatten()
        | "MergeStats" >> beam.CombineGlobally(_StageTotalsFn())
    )
    side = beam.pvalue
    return totals | "Finalize" >> beam.ParDo(
        _FinalizeFn(output, stage, config),
        side.AsList(data_paths), as_side_input(n_data), side.AsList(rej_paths), as_side_input(n_rej),
    )


def spill_root(output: str) -> str | None:
    """Where a table stage spills its shuffle (`io_tables.WriteTableStageOutput`): OUT/_shuffle as an
    absolute path, computed where the pipeline is built (workers need not share its working directory);
    None for a remote output (gs://...), which keeps the runner's shuffle."""
    return None if "://" in output else os.path.abspath(os.path.join(output, SHUFFLE_DIR))


class SpillWriter:
    """Appends blobs to one spill file under `directory` (opened at the first blob, one per bundle) and
    returns where each one is: `(path, offset, length)`, which is what then crosses the shuffle instead
    of the bytes (`read_spilled` reads them back). `close()` before the bundle ends, so the references it
    emitted are readable when the next stage runs. For outputs on one machine's disk (`spill_root`)."""

    def __init__(self, directory: str, suffix: str = ".spill"):
        self.directory, self.suffix = directory, suffix
        self._file = None
        self._path, self._pos = "", 0

    def write(self, data) -> tuple[str, int, int]:
        if self._file is None:
            self._path = _join(self.directory, f"{uuid.uuid4().hex}{self.suffix}")
            self._file = FileSystems.create(self._path, mime_type="application/octet-stream",
                                            compression_type=CompressionTypes.UNCOMPRESSED)
            self._pos = 0
        n = memoryview(data).nbytes
        self._file.write(data)
        ref = (self._path, self._pos, n)
        self._pos += n
        return ref

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def spill_or_inline(data, spill: SpillWriter | None):
    """What crosses a shuffle for `data`: the bytes themselves, or with a spill writer where they are."""
    return data if spill is None else spill.write(data)


def read_spilled(parts, mapped: bool = False) -> list:
    """The blobs of `parts`, each inline `bytes` or a `SpillWriter` reference: inline ones first, in the
    given order, then the spilled ones by (file, offset), each file opened once. `mapped`: a local spill
    file is memory-mapped and its blobs come back as `pyarrow.Buffer`s on the map, read without a copy
    (an uncompressed Arrow IPC blob then stays in the page cache; `io_tables.read_table_parts`)."""
    out, spilled = [], {}
    for part in parts:
        if isinstance(part, bytes):
            out.append(part)
        else:
            path, offset, length = part
            spilled.setdefault(path, []).append((offset, length))
    for path in sorted(spilled):
        if mapped and os.path.exists(path):
            f = pa.memory_map(path)
            out += [f.read_at(length, offset) for offset, length in sorted(spilled[path])]
            continue
        with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
            for offset, length in sorted(spilled[path]):
                f.seek(offset)
                out.append(f.read(length))
    return out


def delete_spill(root: str | None) -> None:
    """Delete the spill directory with what it holds (a plain local path: no glob, so an output named
    `out[1]` works)."""
    if root and os.path.isdir(root):
        shutil.rmtree(root)


def prepare_output(output: str) -> None:
    """Remove a previous run's marker, stats, shards and spill files so a rerun can never look complete
    early."""
    delete_spill(spill_root(output))
    for name in (SUCCESS, "stats.json"):
        path = _join(output, name)
        if _exists(path):
            FileSystems.delete([path])
    for sub in ("data", "rejected"):
        old = _match(_join(output, sub, "*.parquet"))
        if old:
            FileSystems.delete(old)
    if "://" not in output:
        import os

        for sub in ("data", "rejected"):
            os.makedirs(os.path.join(output, sub), exist_ok=True)


def read_stats(output: str) -> dict[str, Any]:
    with FileSystems.open(_join(output, "stats.json"), compression_type=CompressionTypes.UNCOMPRESSED) as f:
        return json.loads(f.read().decode("utf-8"))


def is_complete(output: str) -> bool:
    return _exists(_join(output, SUCCESS))
