"""Bad input never crashes a read and is never lost: every record is a Document or an Unreadable."""

from __future__ import annotations

import gzip
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from curation.readers import ReadConfig, Unreadable, iter_records, source_name
from curation.schema import Document, make_id, to_table


def read(path: str, data: bytes, cfg: ReadConfig = ReadConfig()):
    items = list(iter_records(path, io.BytesIO(data), cfg))
    docs = [i for i in items if isinstance(i, Document)]
    bad = [i for i in items if isinstance(i, Unreadable)]
    return docs, bad


def jl(*records) -> bytes:
    return b"".join((r if isinstance(r, bytes) else json.dumps(r, ensure_ascii=False).encode()) + b"\n" for r in records)


@pytest.mark.parametrize(
    "line, error_part",
    [
        pytest.param(b"{not json", "malformed JSON", id="malformed-json"),
        pytest.param(b'{"text": "ok"', "malformed JSON", id="unterminated-object"),
        pytest.param(b'{"text": "caf\xc3"}', "invalid utf-8", id="invalid-utf8"),
        pytest.param(b'{"body": "x"}', "no 'text' field (record has: body)", id="missing-text"),
        pytest.param(b'{"text": null}', "'text' is null", id="null-text"),
        pytest.param(b'{"text": 42}', "'text' is a int, not a string", id="int-text"),
        pytest.param(b'{"text": ["a"]}', "'text' is a list, not a string", id="list-text"),
        pytest.param(b'["a", "b"]', "record is a JSON list", id="array-record"),
        pytest.param(b'"just a string"', "record is a JSON str", id="string-record"),
        pytest.param('{"text": "中文"}'.encode("gbk"), "GBK", id="gbk-line"),
        pytest.param(b'{"text": "x", "n": ' + b"9" * 5000 + b"}", "malformed JSON", id="huge-int"),
    ],
)
def test_bad_record_is_counted_with_file_and_line(line, error_part):
    docs, bad = read("in/x.jsonl", jl({"text": "first"}, line, {"text": "third"}))
    assert [d.text for d in docs] == ["first", "third"]
    assert len(bad) == 1
    assert bad[0].source_file == "in/x.jsonl" and bad[0].line == 2
    assert error_part in bad[0].error


def test_bom_blank_lines_and_crlf():
    data = b"\xef\xbb\xbf" + jl({"text": "a\r\nb"}) + b"\n   \n" + jl({"text": "c"})
    docs, bad = read("x.jsonl", data)
    assert bad == [] and [d.text for d in docs] == ["a\nb", "c"]
    assert [d.row for d in docs] == [0, 3]  # provenance rows are physical line indices


def test_empty_file_yields_nothing():
    assert read("x.jsonl", b"") == ([], [])
    assert read("x.jsonl.gz", gzip.compress(b"", mtime=0)) == ([], [])


def test_truncated_gzip_keeps_records_before_the_break():
    payload = jl(*({"text": f"record number {i} " * 20} for i in range(2000)))
    blob = gzip.compress(payload, mtime=0)
    docs, bad = read("x.jsonl.gz", blob[: len(blob) // 2])
    assert len(bad) == 1 and "truncated or corrupt" in bad[0].error
    assert 0 < len(docs) < 2000
    assert bad[0].line == len(docs) + 1  # the break is reported where reading stopped


def test_not_a_gzip_file():
    docs, bad = read("x.jsonl.gz", b"this is plain text, not gzip\n")
    assert docs == [] and len(bad) == 1 and "truncated or corrupt" in bad[0].error


def test_zstd_and_corrupt_zstd():
    payload = jl({"text": "甲"}, {"text": "乙"})
    docs, bad = read("x.jsonl.zst", zstandard.ZstdCompressor().compress(payload))
    assert [d.text for d in docs] == ["甲", "乙"] and bad == []
    docs, bad = read("x.jsonl.zst", b"\x28\xb5\x2f\xfd garbage that is not a frame")
    assert docs == [] and len(bad) == 1


def test_binary_file_with_jsonl_name_is_counted_not_crashed():
    blob = bytes(range(256)) * 40 + b"\n" + bytes(reversed(range(256))) * 3
    docs, bad = read("image.jsonl", blob)
    assert docs == [] and len(bad) >= 1 and all(b.source_file == "image.jsonl" for b in bad)


def test_gbk_file_every_line_counted_and_readable_with_encoding():
    data = jl('{"text": "第一行"}'.encode("gbk"), '{"text": "第二行"}'.encode("gbk"))
    docs, bad = read("gbk.jsonl", data)
    assert docs == [] and [b.line for b in bad] == [1, 2]
    docs, bad = read("gbk.jsonl", data, ReadConfig(encoding="gbk"))
    assert [d.text for d in docs] == ["第一行", "第二行"] and bad == []


def test_lone_surrogate_is_repaired_not_lost():
    docs, bad = read("x.jsonl", b'{"text": "a\\ud800b \\ud83d\\ude00"}\n')
    assert bad == [] and docs[0].text == "a\ufffdb \U0001F600"


def test_ids_keys_and_source():
    data = jl({"doc_id": 7, "content": "x", "source": "news"}, {"content": "y"}, {"doc_id": "", "content": "z"})
    docs, bad = read("dir/web.jsonl", data, ReadConfig(text_key="content", id_key="doc_id"))
    assert bad == []
    assert docs[0].id == "7" and docs[0].source == "news"
    assert docs[1].id == make_id("dir/web.jsonl", 1) and docs[1].source == "web"
    assert docs[2].id == make_id("dir/web.jsonl", 2)  # empty id -> derived


def test_source_name_strips_suffixes():
    assert source_name("/x/zh/fewclue.jsonl.gz") == "fewclue"
    assert source_name("a.jsonl.zst") == "a"
    assert source_name("b.parquet") == "b"


def test_parquet_canonical_and_raw_and_corrupt():
    buf = io.BytesIO()
    doc = Document(id="k", text="正文", lang="zh", source="s", attributes={"q/x_v1": 0.5}, source_file="f", row=3)
    pq.write_table(to_table([doc]), buf)
    docs, bad = read("p.parquet", buf.getvalue())
    assert bad == [] and docs == [doc]

    buf = io.BytesIO()
    pq.write_table(pa.table({"content": ["a", None, "c"]}), buf)
    docs, bad = read("raw.parquet", buf.getvalue(), ReadConfig(text_key="content"))
    assert [d.text for d in docs] == ["a", "c"] and [(b.line, b.error) for b in bad] == [(2, "'content' is null")]

    docs, bad = read("broken.parquet", b"PAR1 not really parquet")
    assert docs == [] and len(bad) == 1 and bad[0].line is None and "Parquet" in bad[0].error


def test_odd_field_values_are_dropped_not_crashing():
    """Values that would break the Arrow schema later (huge or non-finite attributes, a provenance that is
    not a string file and an int64 row) are left out; the record itself is read."""
    rec = {"text": "ok", "attributes": {"a": 1.5, "big": 10 ** 400, "inf": float("inf"), "b": True, "s": "x"},
           "provenance": {"source_file": 7, "row": 2 ** 70}}
    docs, bad = read("in/x.jsonl", jl(rec))
    assert not bad and docs[0].attributes == {"a": 1.5}
    assert docs[0].source_file == "in/x.jsonl" and docs[0].row == 0
    to_table(docs)  # the schema takes it


def test_unreadable_row_group_counts_every_row():
    from curation.readers import parquet_row_groups
    from curation.stats import merge_stats, unreadable_stats

    class Meta:
        def row_group(self, i):
            return type("RG", (), {"num_rows": [3, 4096, 5][i]})()

    class BrokenMiddle:
        num_row_groups, metadata = 3, Meta()

        def read_row_group(self, i):
            if i == 1:
                raise OSError("corrupt page")
            return pa.table({"x": list(range([3, 4096, 5][i]))})

    items = list(parquet_row_groups("in/p.parquet", BrokenMiddle()))
    bad = [i for i in items if isinstance(i, Unreadable)]
    assert [o for o, _ in (i for i in items if not isinstance(i, Unreadable))] == [0, 4099]
    assert len(bad) == 1 and bad[0].line == 4 and bad[0].records == 4096
    stats = merge_stats({}, unreadable_stats(bad[0].as_dict()))
    assert stats["unreadable"]["count"] == 4096


def test_parquet_with_canonical_names_but_other_types_is_read_record_by_record():
    """Same column names as a stage output, other types (int ids, string attribute values): not taken as
    canonical, so every row goes through the per-record checks instead of breaking the writer later."""
    from curation.schema import is_canonical

    table = pa.table({"id": pa.array([1, 2]), "text": ["a", "b"],
                      "attributes": pa.array([[("w", "x")], []], pa.map_(pa.string(), pa.string())),
                      "provenance": pa.array([{"source_file": "f", "row": 0}] * 2)})
    assert not is_canonical(table.schema)
    buf = io.BytesIO()
    pq.write_table(table, buf)
    docs, bad = read("in/odd.parquet", buf.getvalue())
    assert not bad and [d.id for d in docs] == ["1", "2"] and all(d.attributes == {} for d in docs)
    to_table(docs)
