"""The table shuffle (`pipelines.io_tables`): the attribute map's transit form decodes to the same map, and a
shard written from shuffled, transit-encoded parts has the bytes `write_parquet` writes for the documents."""

from __future__ import annotations

import random

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curation.schema import ATTRIBUTES_TYPE, Document, to_table
from pipelines.io import write_parquet
from pipelines.io_tables import (
    _TRANSIT_ATTRIBUTES,
    _to_transit,
    _transit_map,
    table_from_ipc,
    table_to_ipc,
    write_table_parquet,
)

SAME = [("quality/a_v1", 1.0), ("quality/b_v1", 0.5), ("lang/zh_v1", 0.25)]


@pytest.mark.parametrize("rows", [
    [SAME] * 5,  # every row the same keys: the tiled fast path
    [SAME, SAME[:2], SAME],  # a row with fewer keys
    [SAME, None, SAME],  # a null map
    [[("a", 1.0), ("b", None)]] * 3,  # a null value
    [[("a", 1.0), ("b", 2.0)], [("b", 1.0), ("a", 2.0)]],  # same keys, other order
    [[("ab", 1.0), ("c", 2.0)], [("a", 1.0), ("bc", 2.0)]],  # same bytes per row, other keys
    [[("a", 1.0), ("a", 2.0)]] * 3,  # a repeated key (no dictionary of unique names from the first row)
    [[("键", 1.0), ("😀", 2.0)]] * 4,  # multi-byte keys
    [[], []],
    [],
], ids=["same", "fewer", "null_map", "null_value", "order", "split", "repeated_key", "utf8", "empty_maps", "no_rows"])
def test_transit_map_decodes_to_the_same_map(rows):
    arr = pa.array(rows, ATTRIBUTES_TYPE)
    for part in (arr, arr.slice(1), arr.slice(1, max(0, len(arr) - 2))):
        transit = _transit_map(part)
        assert transit.type == _TRANSIT_ATTRIBUTES
        assert transit.cast(ATTRIBUTES_TYPE).equals(part)


def _docs(n: int) -> list[Document]:
    rng = random.Random(0)
    docs = []
    for i in range(n):
        attrs = {"quality/a_v1": float(i), "quality/b_v1": 0.5}
        if i % 7:  # most rows share their keys (fast path), some have one more (cast path)
            attrs["quality/c_v1"] = rng.random()
        docs.append(Document(id=f"d{rng.randrange(10**6):06d}-{i}", text="文本" * (i % 5 + 1), lang="zh", source="s",
                             attributes=attrs, source_file="f", row=i))
    return docs


@pytest.mark.parametrize("rejected", [False, True])
def test_shard_from_transit_parts_has_the_document_writers_bytes(tmp_path, rejected):
    docs = _docs(300)
    if rejected:
        docs = [d.rejected("quality", "too_short") for d in docs]
    uniform = to_table([d for d in docs if len(d.attributes) == 3], rejected=rejected)
    mixed = to_table(docs[::2], rejected=rejected)
    assert _to_transit(uniform).column("attributes").type == _TRANSIT_ATTRIBUTES
    parts = [table_from_ipc(table_to_ipc(_to_transit(t))) for t in (uniform, mixed)]
    # the shard of `uniform` + `mixed` minus the overlap: what two bundles' parts of one shard would hold
    ids = set(mixed.column("id").to_pylist())
    keep = pa.array([i not in ids for i in parts[0].column("id").to_pylist()])
    parts[0] = parts[0].filter(keep)
    write_table_parquet(str(tmp_path / "tables.parquet"), pa.concat_tables(parts), rejected=rejected)
    shard = [d for d in docs if len(d.attributes) == 3 and d.id not in ids] + docs[::2]
    write_parquet(str(tmp_path / "docs.parquet"), shard, rejected=rejected)
    assert (tmp_path / "tables.parquet").read_bytes() == (tmp_path / "docs.parquet").read_bytes()


def _write_shards(tables: list[pa.Table], out, spill_dir) -> dict[str, bytes]:
    import apache_beam as beam

    from pipelines.io_tables import WriteTableShards
    from pipelines.stage import LocalRunner

    with beam.Pipeline(runner=LocalRunner()) as p:  # named: no Prism attempt
        _ = p | beam.Create(tables) | WriteTableShards(str(out), 3, spill_dir=spill_dir)
    return {f.name: f.read_bytes() for f in sorted(out.iterdir())}


def test_spilled_shuffle_writes_the_same_shards(tmp_path):
    docs = _docs(400)
    tables = [to_table(docs[i:i + 90]) for i in range(0, len(docs), 90)]
    spill = tmp_path / "spill"
    spilled = _write_shards(tables, tmp_path / "spilled", str(spill))
    assert list(spill.glob("*.arrows"))  # the rows went through the spill files
    assert spilled == _write_shards(tables, tmp_path / "plain", None) and len(spilled) == 3


def test_table_stage_leaves_no_spill_files(tmp_path):
    from curation.testing import write_jsonl
    from pipelines import quality
    from pipelines.io import SHUFFLE_DIR
    from tests.test_quality.test_pipeline import RECORDS

    src = write_jsonl(str(tmp_path / "in.jsonl"), RECORDS)
    out = tmp_path / "out"
    stale = out / SHUFFLE_DIR / "data" / "old.arrows"  # a failed run's leftovers
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"x")
    stats = quality.run(["--input", src, "--output", str(out), "--quality-model", "none"])
    assert stats["accounting"]["ok"] and stats["kept"] and (out / "_SUCCESS").exists()
    assert not (out / SHUFFLE_DIR).exists()


def test_tables_have_an_ipc_coder():
    import apache_beam as beam

    from pipelines.io_tables import ArrowTableCoder

    coder = beam.coders.registry.get_coder(pa.Table)
    assert isinstance(coder, ArrowTableCoder)
    table = to_table(_docs(50))
    assert coder.decode(coder.encode(table)).equals(table)
    assert coder.get_impl().estimate_size(table) == table.nbytes  # what the runner samples: no encoding


def test_output_named_like_a_glob_and_a_failed_run_leave_no_spill_files(tmp_path, monkeypatch):
    """An output directory whose name holds glob characters (`out[1]`) finishes (the spill directory is
    removed as a plain path, not matched as a pattern), and a run that fails while writing its shards
    removes its spill files too (they are a second copy of the output)."""
    from curation.testing import write_jsonl
    from pipelines import io_tables, quality
    from pipelines.io import SHUFFLE_DIR
    from tests.test_quality.test_pipeline import RECORDS

    src = write_jsonl(str(tmp_path / "in.jsonl"), RECORDS)
    out = tmp_path / "out[1]"
    stats = quality.run(["--input", src, "--output", str(out), "--quality-model", "none"])
    assert stats["accounting"]["ok"] and (out / "_SUCCESS").exists() and not (out / SHUFFLE_DIR).exists()

    def fail(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(io_tables, "write_table_parquet", fail)
    failed = tmp_path / "failed"
    with pytest.raises(Exception, match="disk full"):
        quality.run(["--input", src, "--output", str(failed), "--quality-model", "none"])
    assert not (failed / SHUFFLE_DIR).exists() and not (failed / "_SUCCESS").exists()


def test_table_stage_on_empty_input_finishes(tmp_path):
    """No documents at all: Finalize still runs once (the combined totals are its trigger), writes empty
    shards, stats.json with zero counts, and _SUCCESS."""
    from pipelines import quality

    src = tmp_path / "empty.jsonl"
    src.write_text("", encoding="utf-8")
    out = tmp_path / "out"
    stats = quality.run(["--input", str(src), "--output", str(out), "--quality-model", "none"])
    assert stats["accounting"]["ok"] and stats["input_records"] == 0 and stats["kept"] == 0
    assert (out / "_SUCCESS").exists() and list((out / "data").glob("*.parquet"))


def test_parts_from_several_spill_files_and_bytes_read_back(tmp_path):
    """Parts of one shard spread over two bundles' spill files (and one part as plain IPC bytes) read back
    as the tables that went in, whatever order the parts arrive in."""
    from pipelines.io_tables import _KeyTableByShardFn, read_table_parts

    docs = _docs(300)
    tables = [to_table(docs[:100]), to_table(docs[100:200]), to_table(docs[200:])]
    parts = []
    for bundle in tables[:2]:  # one bundle each: two spill files
        fn = _KeyTableByShardFn(1, str(tmp_path / "spill"))
        fn.start_bundle()
        parts += [part for _, part in fn.process(bundle)]
        fn.finish_bundle()
    parts.append(table_to_ipc(_to_transit(tables[2])))  # unspilled part
    assert len(list((tmp_path / "spill").glob("*.arrows"))) == 2
    got = pa.concat_tables(read_table_parts(parts[::-1]))
    want = pa.concat_tables([_to_transit(t) for t in tables])
    assert sorted(got.column("id").to_pylist()) == sorted(want.column("id").to_pylist())
    assert got.sort_by("id").equals(want.sort_by("id"))


def test_own_shard_has_the_writers_bytes_and_counts(tmp_path):
    """`write_own_table_shard` (a stage writing its shards in its own join) gives the files `write_parquet`
    writes for the same kept and rejected documents, and the accounting `add_doc` gives; an empty half
    writes no file (Finalize fills it)."""
    from curation.stats import add_doc
    from pipelines.io_tables import write_own_table_shard

    rng = random.Random(3)
    docs = [Document(id=f"d{rng.randrange(10**6):06d}", text="文本" * rng.randrange(1, 50), lang=rng.choice(["zh", "", None]),
                     source=rng.choice(["a", None]), source_file="f", row=i,
                     attributes={"quality/x_v1": float(i)} if i % 2 else {}) for i in range(40)]
    kept = docs[:25]
    rejected = [d.rejected("dedup", "near_duplicate", duplicate_of="d0") for d in docs[25:]]
    shuffled = to_table(list(reversed(kept)))  # row order must not matter
    out = dict(write_own_table_shard(str(tmp_path / "own"), 2, 5, shuffled, to_table(rejected, rejected=True)))
    write_parquet(str(tmp_path / "k.parquet"), kept)
    write_parquet(str(tmp_path / "r.parquet"), rejected, rejected=True)
    assert out["data"].endswith("data/part-00002-of-00005.parquet")
    assert open(out["data"], "rb").read() == (tmp_path / "k.parquet").read_bytes()
    assert open(out["rejected"], "rb").read() == (tmp_path / "r.parquet").read_bytes()
    expected: dict = {}
    for d in kept:
        add_doc(expected, d, True)
    for d in rejected:
        add_doc(expected, d, False)
    assert out["doc_stats"] == ("docs", expected)
    only_kept = dict(write_own_table_shard(str(tmp_path / "k2"), 0, 1, to_table(kept), to_table([], rejected=True)))
    assert set(only_kept) == {"data", "doc_stats"} and not (tmp_path / "k2" / "rejected").exists()


def test_rows_in_id_order_write_the_sorting_writers_bytes_and_stats(tmp_path):
    """`split_in_id_order` + `write_table_parquet(rows=...)` (the dedup join: no copy of the shard) write,
    for each half of a chunked table, the bytes that filtering and letting the writer sort would write,
    also across several row groups; `table_stats(rows=...)` counts only those rows."""
    import pyarrow.compute as pc

    from curation.stats import table_stats
    from pipelines import io_tables
    from pipelines.io_tables import split_in_id_order

    docs = _docs(300)
    random.Random(4).shuffle(docs)
    table = pa.concat_tables([to_table(docs[i:i + 70]) for i in range(0, len(docs), 70)])
    mask = pa.array([i % 3 == 0 for i in range(table.num_rows)])
    no, yes = split_in_id_order(table, mask)
    for rows, expected in ((no, table.filter(pc.invert(mask))), (yes, table.filter(mask))):
        assert table.take(rows).column("id").to_pylist() == sorted(expected.column("id").to_pylist())
        for group in (4096, 32):  # one row group, and several
            opts = {**io_tables.PARQUET_WRITE_OPTIONS, "row_group_size": group}
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(io_tables, "PARQUET_WRITE_OPTIONS", opts)
                write_table_parquet(str(tmp_path / "rows.parquet"), table, rows=rows)
                write_table_parquet(str(tmp_path / "sorted_here.parquet"), expected)
            assert (tmp_path / "rows.parquet").read_bytes() == (tmp_path / "sorted_here.parquet").read_bytes()
            assert pq.ParquetFile(tmp_path / "rows.parquet").num_row_groups == -(-len(rows) // group)
        assert table_stats(table, True, rows=rows) == table_stats(expected, True)


def test_empty_table_writes_what_write_parquet_writes(tmp_path):
    write_table_parquet(str(tmp_path / "t.parquet"), to_table([]))
    write_parquet(str(tmp_path / "d.parquet"), [])
    assert (tmp_path / "t.parquet").read_bytes() == (tmp_path / "d.parquet").read_bytes()
