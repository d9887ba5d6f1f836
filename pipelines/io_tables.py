"""Beam I/O on Arrow tables: the layout of `pipelines.io`, with tables of a few thousand documents as
Beam elements instead of one `Document` each.

The quality stage uses it: the runner's per-element cost and building a `Document` per row ate most of
its budget. Reading, shards (`xxh64(id) % N`, sorted by id), stats, the accounting check and `_SUCCESS`
are those of `pipelines.io`; the same documents give the same bytes (tests/test_quality/test_table_stage.py).
"""

from __future__ import annotations

import os
from typing import Any

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from curation import ids
from curation.readers import ReadConfig, Unreadable, iter_records, parquet_row_groups, row_group_records
from curation.schema import ARROW_SCHEMA, ATTRIBUTES_TYPE, REJECTED_SCHEMA, Document, is_canonical, to_table
from curation.stats import merge_stats, table_stats
from pipelines.io import (
    PARQUET_WRITE_OPTIONS,
    ROW_GROUP_ROWS,
    ReadFileFn,
    SpillWriter,
    _BundleStatsFn,
    _join,
    _write_and_finalize,
    read_spilled,
    shard_name,
    shards_of,
    spill_or_inline,
    spill_root,
)

TABLE_ROWS = ROW_GROUP_ROWS


def _canonical_table(table: pa.Table, cfg: ReadConfig) -> pa.Table:
    """A canonical-columns table (a stage output's row group) as `ARROW_SCHEMA`, with `--lang` / `--source`
    applied as the Document reader applies them (`from_table` + `_iter_parquet`)."""
    n = table.num_rows
    cols = []
    for fld in ARROW_SCHEMA:
        if fld.name == "lang" and cfg.lang:
            col = pa.array([cfg.lang] * n, pa.string())
        elif fld.name == "source" and cfg.source:
            col = pa.array([cfg.source] * n, pa.string())
        elif fld.name in table.column_names:
            col = table.column(fld.name)
        else:
            col = pa.nulls(n, fld.type)
        cols.append(col.cast(fld.type) if col.type != fld.type else col)
    return pa.Table.from_arrays(cols, schema=ARROW_SCHEMA)


class ReadTablesFn(ReadFileFn):
    """One input file -> Arrow tables of at most `rows` documents (`ARROW_SCHEMA`) on the main output and
    `Unreadable` records (tagged 'unreadable'), the same documents and unreadable records as `ReadFileFn`.

    A canonical Parquet file (a stage's output) goes straight from each row group to a table; a row group
    with a null id or text, other Parquet and JSONL go through `iter_records` (every per-record check and
    unreadable record as in `ReadFileFn`), batched into tables with `to_table`.
    """

    def __init__(self, cfg: ReadConfig, stage: str, rows: int = TABLE_ROWS):
        super().__init__(cfg, stage)
        self.rows = rows

    @staticmethod
    def _size(item) -> int:
        return item.num_rows

    def _items(self, path: str, raw):
        if path.lower().endswith(".parquet"):
            try:
                pf = pq.ParquetFile(raw)
            except Exception:
                pf = None  # iter_records reports it, with the same message as ReadFileFn
            if pf is not None and is_canonical(pf.schema_arrow) and self.cfg.text_key == "text":
                yield from self._canonical_parquet(path, pf)
                return
            raw.seek(0)
        yield from self._batched(iter_records(path, raw, self.cfg))

    def _canonical_parquet(self, path: str, pf):
        for item in parquet_row_groups(path, pf):
            if isinstance(item, Unreadable):
                yield item
                continue
            offset, table = item
            if table.column("id").null_count == 0 and table.column("text").null_count == 0:
                table = _canonical_table(table, self.cfg)
                for start in range(0, table.num_rows, self.rows):
                    yield table.slice(start, self.rows)
            else:  # the Document reader's per-record path for this row group (bad rows become Unreadable)
                yield from self._batched(row_group_records(path, table, offset, self.cfg, canonical=True))

    def _batched(self, items):
        buf: list[Document] = []
        for item in items:
            if isinstance(item, Unreadable):
                yield item
                continue
            buf.append(item)
            if len(buf) >= self.rows:
                yield to_table(buf)
                buf = []
        if buf:
            yield to_table(buf)


def _id_locations(table: pa.Table):
    prov = table.column("provenance").combine_chunks()
    files, rows = prov.field("source_file").to_pylist(), prov.field("row").to_pylist()
    return [(i, ids.location(f, r, t))
            for i, f, r, t in zip(table.column("id").to_pylist(), files, rows, table.column("text").to_pylist())]


class _RenameDuplicateIdsInTableFn(beam.DoFn):
    """`_RenameDuplicateIdsFn` on a table (`curation.ids`)."""

    def process(self, table: pa.Table, dups: dict):
        if not dups:
            yield table
            return
        new = [ids.unique_id(doc_id, loc, dups.get(doc_id)) for doc_id, loc in _id_locations(table)]
        if new != table.column("id").to_pylist():
            table = table.set_column(0, ARROW_SCHEMA.field("id"), pa.array(new, pa.string()))
        yield table


class ReadTables(beam.PTransform):
    """files -> {'tables': PCollection[pa.Table], 'unreadable': PCollection[dict], 'duplicate_ids': ...}:
    `ReadDocuments` with Arrow tables (`ARROW_SCHEMA`, at most `rows` documents each) as elements.

    Ids repeated across inputs are renamed as `ReadDocuments` does (`unique_ids`; a key-only shuffle of
    every id, for raw inputs: a previous stage's output has unique ids already).
    """

    def __init__(self, files: list[str], cfg: ReadConfig = ReadConfig(), stage: str = "read", unique_ids: bool = True,
                 rows: int = TABLE_ROWS):
        super().__init__()
        self.files, self.cfg, self.stage, self.unique_ids, self.rows = files, cfg, stage, unique_ids, rows

    def expand(self, pbegin):
        read = (
            pbegin
            | "ListFiles" >> beam.Create(self.files)  # reshuffled when more than one: files read in parallel
            | "ReadTables" >> beam.ParDo(ReadTablesFn(self.cfg, self.stage, self.rows)).with_output_types(
                pa.Table).with_outputs("unreadable", main="tables")
        )
        tables = read.tables
        dup_counts = None
        if self.unique_ids:
            dups = (
                tables
                | "KeyById" >> beam.FlatMap(_id_locations)
                | "GroupIds" >> beam.GroupByKey()
                | "KeepRepeated" >> beam.FlatMap(ids.repeated)
            )
            tables = tables | "MakeIdsUnique" >> beam.ParDo(
                _RenameDuplicateIdsInTableFn(), beam.pvalue.AsDict(dups)).with_output_types(pa.Table)
            dup_counts = dups | "CountRepeatedIds" >> beam.Map(ids.repeat_stats)
        return {"tables": tables, "unreadable": read.unreadable, "duplicate_ids": dup_counts}


# LZ4 frames in the IPC stream: a quality-stage batch shrinks ~4x (the attribute map's keys repeat in
# every row), and the runner copies every shuffled byte several times (data plane, partition, grouping);
# compressing costs ~1 ms per MB, the copies it saves more (whole zh quality stage: -0.6 CPU-s of ~10).
# Without Arrow's thread pool: its hand-offs cost more CPU than they save on batches this size (the 74 zh
# quality batches: compress 0.232 -> 0.168 s, decompress 0.066 -> 0.036 s). Spill files (local disk, a
# byte costs far less than in the runner's shuffle) take LZ4's acceleration 10: 0.168 -> 0.106 s for
# 20% more bytes (46.6 -> 56.1 MB).
_IPC_OPTIONS = pa.ipc.IpcWriteOptions(compression="lz4", use_threads=False)
_SPILL_IPC_OPTIONS = pa.ipc.IpcWriteOptions(compression=pa.Codec("lz4", compression_level=-10), use_threads=False)
_PLAIN_IPC_OPTIONS = pa.ipc.IpcWriteOptions(use_threads=False)
_IPC_READ_OPTIONS = pa.ipc.IpcReadOptions(use_threads=False)


def _ipc_buffer(table: pa.Table, options: pa.ipc.IpcWriteOptions = _IPC_OPTIONS) -> pa.Buffer:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    return sink.getvalue()


def table_to_ipc(table: pa.Table) -> bytes:
    """Arrow IPC stream bytes of a table (what crosses a shuffle: a len() to size, no pickling of objects)."""
    return _ipc_buffer(table).to_pybytes()


def table_from_ipc(data) -> pa.Table:
    """The table of `table_to_ipc` bytes (or of any buffer holding an IPC stream)."""
    return pa.ipc.open_stream(pa.py_buffer(data), options=_IPC_READ_OPTIONS).read_all()


class ArrowTableCoder(beam.coders.Coder):
    """Beam coder of `pa.Table` elements (registered for the type): IPC bytes when a table must be
    encoded, and `nbytes` as its size estimate. The runner estimates the size of sampled elements of
    every PCollection; without a coder for the type that meant pickling whole tables (73 per zh quality
    run, 0.08 CPU-s)."""

    def encode(self, table: pa.Table) -> bytes:
        return table_to_ipc(table)

    def decode(self, data: bytes) -> pa.Table:
        return table_from_ipc(data)

    def estimate_size(self, table: pa.Table) -> int:
        return table.nbytes

    def is_deterministic(self) -> bool:
        return False

    def to_type_hint(self):
        return pa.Table


beam.coders.registry.register_coder(pa.Table, ArrowTableCoder)


# The attribute map crosses the shuffle with dictionary-encoded keys: a quality batch has ~45 keys per
# row, ~85% of its Arrow bytes, and as strings every take, LZ4 pass, runner copy and concatenation
# moves them again. As int32 indices into a few dozen names the shuffled IPC shrinks by a third (zh
# quality stage: 73 -> 47 MB); the writer decodes them once, after its sort.
_TRANSIT_ATTRIBUTES = pa.map_(pa.dictionary(pa.int32(), pa.string()), pa.float64())


def _to_transit(table: pa.Table) -> pa.Table:
    i = table.schema.get_field_index("attributes")
    if i < 0 or table.schema.field(i).type == _TRANSIT_ATTRIBUTES:
        return table
    col = table.column(i)
    col = pa.chunked_array([_transit_map(c) for c in col.chunks], _TRANSIT_ATTRIBUTES) if col.type == ATTRIBUTES_TYPE \
        else col.cast(_TRANSIT_ATTRIBUTES)
    return table.set_column(i, pa.field("attributes", _TRANSIT_ATTRIBUTES), col)


def _transit_map(arr: pa.MapArray) -> pa.Array:
    """One chunk of `attributes` with dictionary keys. When every row has the same keys in the same order
    (the quality tagger's kept rows) the indices are a tiled range, found by comparing the keys' bytes
    row against row: ~0.6 ms for a 4k-row batch instead of 2.3 ms for the hash in `cast`."""
    n = len(arr)
    offsets = arr.offsets.to_numpy()
    k = int(offsets[1] - offsets[0]) if n else 0
    if k == 0 or arr.null_count or not (np.diff(offsets) == k).all():
        return arr.cast(_TRANSIT_ATTRIBUTES)
    keys = arr.keys.slice(offsets[0], n * k)
    _, key_offsets, data = keys.buffers()
    ends = np.frombuffer(key_offsets, np.int32, n * k + 1, keys.offset * 4)
    lengths = np.diff(ends).reshape(n, k)
    row = int(lengths[0].sum())
    text = np.frombuffer(data, np.uint8, row * n, ends[0]).reshape(n, row)
    first = keys.slice(0, k)
    if (lengths != lengths[0]).any() or (text != text[0]).any() or len(set(first.to_pylist())) < k:
        return arr.cast(_TRANSIT_ATTRIBUTES)
    indices = pa.array(np.tile(np.arange(k, dtype=np.int32), n))
    return pa.MapArray.from_arrays(pa.array(offsets - offsets[0]), pa.DictionaryArray.from_arrays(indices, first),
                                   arr.items.slice(offsets[0], n * k), type=_TRANSIT_ATTRIBUTES)


def write_table_parquet(path: str, table: pa.Table, rejected: bool = False, rows: pa.Array | None = None) -> None:
    """`write_parquet` for a table: rows sorted by id, the same schema, row groups and bytes as
    `write_parquet` writes for the same documents (Arrow sorts strings by UTF-8 bytes, which is Python's
    code point order). Takes the shuffle's form too (`_to_transit`: cast to the schema per row group).

    `rows`: the row indices to write, in id order (`split_in_id_order`); by default all rows, sorted here.
    The file is written one row group at a time, each taken from `table` as it is (chunked, or memory-mapped
    by `read_table_parts`): no sorted copy of the whole table is made. Every such copy of a shard (~35 MB for 50k
    documents) cost 0.1-0.3 s of fresh-page faults on the dev VM.
    """
    schema = REJECTED_SCHEMA if rejected else ARROW_SCHEMA
    if rows is None:
        rows = pc.sort_indices(table.column("id")) if table.num_rows else pa.array([], pa.uint64())
    opts = dict(PARQUET_WRITE_OPTIONS)
    group = opts.pop("row_group_size")
    with FileSystems.create(path, mime_type="application/octet-stream",
                            compression_type=CompressionTypes.UNCOMPRESSED) as f:
        if not len(rows):  # what `pq.write_table` writes for no rows (one empty row group)
            pq.write_table(table.slice(0, 0).cast(schema), f, **PARQUET_WRITE_OPTIONS)
            return
        with pq.ParquetWriter(f, schema, **opts) as writer:
            for start in range(0, len(rows), group):
                part = table.take(rows.slice(start, group))
                writer.write_table(part.cast(schema) if part.schema != schema else part, row_group_size=group)


def split_in_id_order(table: pa.Table, mask: pa.Array, tiebreak: pa.Array | None = None) -> tuple[pa.Array, pa.Array]:
    """Row indices of `table` where `mask` is false and where it is true, each in id order (stable, as
    the writer's own sort): what `write_table_parquet(rows=...)` writes without a copy of the table.
    `tiebreak`: rows of one id in this order (a repeated id's copies), not in arrival order."""
    if tiebreak is None:
        order = pc.sort_indices(table.column("id"))
    else:
        order = pc.sort_indices(pa.table({"id": table.column("id"), "tie": tiebreak}),
                                sort_keys=[("id", "ascending"), ("tie", "ascending")])
    hit = pc.take(mask, order)
    return pc.filter(order, pc.invert(hit)), pc.filter(order, hit)


class _KeyTableByShardFn(beam.DoFn):
    """table -> (shard, part) for every shard it has rows in. A part is the IPC bytes of those rows or,
    with `spill_dir`, where they are in one spill file per bundle (`SpillWriter`, read by `read_table_parts`)."""

    def __init__(self, num_shards: int, spill_dir: str | None = None):
        self.num_shards, self.spill_dir = num_shards, spill_dir

    def start_bundle(self):
        self._spill = SpillWriter(self.spill_dir, ".arrows") if self.spill_dir else None

    def process(self, table: pa.Table):
        if not table.num_rows:
            return
        table = _to_transit(table)
        if self.num_shards == 1:
            yield 0, self._part(table)
            return
        shards = shards_of(table.column("id"), self.num_shards)
        order = np.argsort(shards, kind="stable")
        bounds = np.flatnonzero(np.diff(shards[order])) + 1
        for part in np.split(order, bounds):
            yield int(shards[part[0]]), self._part(table.take(pa.array(part)))

    def _part(self, rows: pa.Table):
        return table_part(rows, self._spill)

    def finish_bundle(self):
        if self._spill is not None:
            self._spill.close()  # before the bundle commits: the parts it emitted are readable


def table_part(table: pa.Table, spill: SpillWriter | None, compress: bool = True):
    """A table as it crosses a shuffle: its IPC bytes or, with a spill writer, where they are. Spilled
    with `compress=False`, `read_table_parts` reads it from the page cache without a copy (the dedup join, whose
    one output shard is written by one worker); compressed, it takes about 40% less disk."""
    if spill is None:
        return table_to_ipc(table)
    return spill_or_inline(_ipc_buffer(table, _SPILL_IPC_OPTIONS if compress else _PLAIN_IPC_OPTIONS), spill)


def read_table_parts(parts) -> list[pa.Table]:
    """The tables of one shard's parts: IPC bytes, or where they are in spill files (memory-mapped, so an
    uncompressed part, `table_part(..., compress=False)`, is read from the page cache without a copy; a
    compressed one is decompressed from the map)."""
    return [table_from_ipc(blob) for blob in read_spilled(parts, mapped=True)]


def write_own_table_shard(output: str, index: int, num_shards: int, kept: pa.Table, rejected: pa.Table,
                          kept_rows: pa.Array | None = None):
    """Write shard `index` of a stage output from all of its rows (those with `shard_of(id, N) == index`:
    the files and bytes the stage writer would write) and yield what `_write_and_finalize` takes as
    `parts['written']`: ('data', path), ('rejected', path) for the non-empty halves (Finalize writes the
    empty ones) and ('doc_stats', ('docs', stats)) for the accounting. `kept_rows`: only these rows of
    `kept` are kept, in id order (`split_in_id_order`), written without a copy of the table."""
    acc: dict = {}
    for table, rows, sub, is_kept in ((kept, kept_rows, "data", True), (rejected, None, "rejected", False)):
        if not (table.num_rows if rows is None else len(rows)):
            continue
        path = _join(output, sub, shard_name(index, num_shards))
        write_table_parquet(path, table, rejected=not is_kept, rows=rows)
        acc = merge_stats(acc, table_stats(table, is_kept, rows=rows))
        yield sub, path
    if acc:
        yield "doc_stats", ("docs", acc)


class _WriteTableShardFn(beam.DoFn):
    def __init__(self, directory: str, rejected: bool):
        self.directory, self.rejected = directory, rejected

    def process(self, keyed, num_shards: int):
        index, parts = keyed
        path = _join(self.directory, shard_name(index, num_shards))
        write_table_parquet(path, pa.concat_tables(read_table_parts(parts)), self.rejected)
        yield path


class WriteTableShards(beam.PTransform):
    """`WriteShards` for PCollection[pa.Table] with a known shard count: the same files and bytes.

    With `spill_dir` the rows cross the shuffle in files (one per bundle) and the shuffle moves only where
    they are: the in-process runner copies every shuffled byte about seven times in Python (~7 ns per
    byte with a bare GroupByKey, ~0.33 CPU-s for the zh quality stage's 47 MB), a local file write and
    read far less (that stage with tagging cached: 2.37 -> 2.14 CPU-s). For outputs on one machine's disk
    (where every worker sees the files); `_FinalizeFn` deletes them.
    """

    def __init__(self, directory: str, num_shards: int, rejected: bool = False, spill_dir: str | None = None):
        super().__init__()
        self.directory, self.num_shards, self.rejected, self.spill_dir = directory, num_shards, rejected, spill_dir

    def expand(self, tables):
        paths = (
            tables
            | "KeyByShard" >> beam.ParDo(_KeyTableByShardFn(self.num_shards, self.spill_dir))
            | "GroupShards" >> beam.GroupByKey()
            | "WriteShard" >> beam.ParDo(_WriteTableShardFn(self.directory, self.rejected), self.num_shards)
        )
        return paths, self.num_shards


class _TableBundleStatsFn(_BundleStatsFn):
    """`_BundleStatsFn` for tables: one stats dict (or read count) per bundle."""

    def process(self, table: pa.Table):
        if self.kind == "read":
            self._n += table.num_rows
        elif table.num_rows:
            self._acc = merge_stats(self._acc, table_stats(table, self.kind == "kept"))


class WriteTableStageOutput(beam.PTransform):
    """`WriteStageOutput` for stages whose documents travel as Arrow tables (`ARROW_SCHEMA` for 'kept' and
    'read', `REJECTED_SCHEMA` for 'rejected'): the same data/, rejected/, stats.json (accounting checked)
    and _SUCCESS last. Shards are sorted by id; the shard count must be known (`estimate_num_shards`)."""

    def __init__(self, output: str, stage: str, num_shards: int, config: dict[str, Any] | None = None):
        super().__init__()
        self.output, self.stage, self.config, self.num_shards = output, stage, config or {}, num_shards

    def expand(self, parts):
        # Shuffle through spill files when the output is a local directory (one machine); a remote output
        # (gs://...) means a distributed runner, whose own shuffle is built for this.
        root = spill_root(self.output)

        def write(path, rejected):
            spill = None if root is None else os.path.join(root, "rejected" if rejected else "data")
            return WriteTableShards(path, self.num_shards, rejected=rejected, spill_dir=spill)

        return _write_and_finalize(parts, self.output, self.stage, self.config, write, _TableBundleStatsFn)
