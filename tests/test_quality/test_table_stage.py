"""The Arrow-batch quality stage writes the same bytes and stats as the per-document reference stage.

`pipelines.quality.run` (tables of up to 4096 documents as Beam elements) against `--per-document`
(one `Document` per element, `QualityTagger.process_batch`): identical data/ and rejected/ files, the same
stats.json (but the flag itself in `config`), on raw JSONL (unique-id check, bad records), on a previous
stage's Parquet output (row groups straight to tables), with --lang / --source, and on 2 worker processes.
"""

from __future__ import annotations

import gzip
import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curation.schema import Document, to_table
from curation.stats import add_doc, merge_stats, table_stats
from curation.testing import write_jsonl
from pipelines import ingest, quality
from tests.test_quality.test_pipeline import RECORDS


def _files(out: str) -> dict[str, bytes]:
    return {f"{sub}/{name}": open(os.path.join(out, sub, name), "rb").read()
            for sub in ("data", "rejected") for name in sorted(os.listdir(os.path.join(out, sub)))}


def _both(inputs: list[str], out: str, *flags: str) -> dict:
    """Run the stage both ways; assert the same files and stats; return the table stage's stats."""
    args = [a for i in inputs for a in ("--input", i)]
    new = quality.run(args + ["--output", out + "-tables", *flags])
    ref = quality.run(args + ["--output", out + "-docs", "--per-document", *flags])
    assert _files(out + "-tables") == _files(out + "-docs")
    assert {k: v for k, v in new.items() if k != "config"} == {k: v for k, v in ref.items() if k != "config"}
    assert new["accounting"]["ok"] and os.path.exists(os.path.join(out + "-tables", "_SUCCESS"))
    return new


def test_raw_jsonl_with_bad_records_and_repeated_ids(tmp_path):
    recs = RECORDS + [{"id": "zh-clean", "text": RECORDS[0]["text"] + "又一遍。"}]  # a repeated id
    path = write_jsonl(str(tmp_path / "in.jsonl"), recs)
    with open(path, "a", encoding="utf-8") as f:
        f.write('{"id": "broken", "text": \n[1, 2]\n{"id": "null", "text": null}\n')
    with gzip.open(tmp_path / "more.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write(json.dumps({"id": "zh-trad", "text": RECORDS[1]["text"]}, ensure_ascii=False) + "\n")
    stats = _both([path, str(tmp_path / "more.jsonl.gz")], str(tmp_path / "out"), "--quality-model", "none")
    assert stats["unreadable"]["count"] == 3
    assert {(os.path.basename(e["file"]), e["line"]) for e in stats["unreadable"]["examples"]} == {
        ("in.jsonl", len(recs) + 1), ("in.jsonl", len(recs) + 2), ("in.jsonl", len(recs) + 3)}
    assert stats["duplicate_ids"] == 2 and stats["input_records"] == len(recs) + 1 + 3


@pytest.mark.slow
def test_stage_output_input_lang_source_and_workers(demo_corpus, tmp_path):
    raw = str(tmp_path / "ingest")
    ingest.run(["--input", demo_corpus["dir"], "--output", raw, "--shard-size-mb", "0.5"])
    stats = _both([raw], str(tmp_path / "q"), "--shard-size-mb", "0.5")
    assert stats["shards"]["data"] > 1 and stats["kept"] > 1000
    _both([raw], str(tmp_path / "forced"), "--lang", "zh", "--source", "web", "--quality-model", "none")
    # Worker processes, every language of the demo corpus: 2 workers write the same bytes as 1 process
    # (word n-gram ties once went by Python's salted str hash, which differs between processes).
    one = str(tmp_path / "w1")
    quality.run(["--input", raw, "--output", one, "--shard-size-mb", "0.5"])
    quality.run(["--input", raw, "--output", str(tmp_path / "w2"), "--shard-size-mb", "0.5",
                 "--direct_num_workers", "2", "--direct_running_mode", "multi_processing"])
    assert _files(str(tmp_path / "w2")) == _files(one) and len(_files(one)) > 2


def test_parquet_with_null_text_and_attributes(tmp_path):
    """A canonical Parquet file whose row group has a null text takes the per-record path for that row group
    (the null row is unreadable, with its row number); input attributes are kept and merged."""
    docs = [Document(id=f"p{i}", text=r["text"], source="src", attributes={"pii/n_spans_v1": 1.0},
                     source_file="orig.jsonl", row=i) for i, r in enumerate(RECORDS)]
    table = to_table(docs)
    texts = table.column("text").to_pylist()
    texts[2] = None
    bad = table.set_column(1, pa.field("text", pa.large_string()), pa.array(texts, pa.large_string()))
    os.makedirs(tmp_path / "in")
    pq.write_table(table, tmp_path / "in" / "good.parquet", row_group_size=4)
    pq.write_table(bad, tmp_path / "in" / "bad.parquet", row_group_size=4)
    stats = _both([str(tmp_path / "in")], str(tmp_path / "out"), "--quality-model", "none", "--trust-ids")
    assert stats["unreadable"]["count"] == 1 and stats["unreadable"]["examples"][0]["line"] == 3
    kept = pq.read_table(str(tmp_path / "out-tables" / "data")).to_pylist()
    assert kept and all(dict(r["attributes"])["pii/n_spans_v1"] == 1.0 for r in kept)


def test_table_stats_equals_add_doc():
    docs = [Document(id=str(i), text=t, lang=(None, "zh", "en", "")[i % 4], source=(None, "a", "b")[i % 3],
                     reason=(None, "too_short", "")[i % 3] if i % 2 else None)
            for i, t in enumerate(["你好", "", "hello world", "混合 text", "😀"] * 3)]
    for kept in (True, False):
        ref: dict = {}
        for d in docs:
            ref = add_doc(ref, d, kept)
        table = to_table(docs, rejected=not kept)
        got = merge_stats(table_stats(table.slice(0, 7), kept), table_stats(table.slice(7), kept))
        assert got == ref
    assert table_stats(to_table([]), True) == {}


def test_raw_parquet_with_other_keys_and_a_broken_file(tmp_path):
    """Non-canonical Parquet goes through the Document reader (--text-key / --id-key), batched into tables."""
    table = pa.table({"doc_id": [r["id"] for r in RECORDS] + ["x"],
                      "content": [r["text"] for r in RECORDS] + [None], "n": list(range(len(RECORDS) + 1))})
    pq.write_table(table, tmp_path / "raw.parquet", row_group_size=5)
    (tmp_path / "broken.parquet").write_bytes(b"not parquet")
    stats = _both([str(tmp_path / "raw.parquet"), str(tmp_path / "broken.parquet")], str(tmp_path / "out"),
                  "--text-key", "content", "--id-key", "doc_id", "--quality-model", "none")
    assert stats["kept"] == 4 and stats["unreadable"]["count"] == 2
    assert sorted((os.path.basename(e["file"]), e["line"]) for e in stats["unreadable"]["examples"]) == [
        ("broken.parquet", None), ("raw.parquet", len(RECORDS) + 1)]
