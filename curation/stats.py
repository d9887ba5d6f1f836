"""Mergeable stage statistics (datatrove's `Stats.__add__`, seqio's `GetStats`), as plain dicts.

A stats value is a nested dict of numbers, dicts and example lists. `merge_stats` adds numbers, merges
dicts key by key and concatenates example lists (kept sorted and bounded, so the merged result does not
depend on the order bundles were combined in). Beam combines them with `pipelines.io.MergeStatsFn`.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from curation.schema import Document

MAX_EXAMPLES = 20


def merge_stats(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Merge two stats dicts (numbers add, dicts recurse, lists concatenate; other values: `b` wins)."""
    out = dict(a)
    for key, value in b.items():
        if key not in out:
            out[key] = value
            continue
        mine = out[key]
        if isinstance(mine, dict) and isinstance(value, dict):
            out[key] = merge_stats(mine, value)
        elif isinstance(mine, list) and isinstance(value, list):
            merged = sorted(mine + value, key=_example_key)
            out[key] = merged[:MAX_EXAMPLES]
        elif isinstance(mine, (int, float)) and isinstance(value, (int, float)) and not isinstance(mine, bool):
            out[key] = mine + value
        else:
            out[key] = value
    return out


def _example_key(x: Any) -> tuple:
    if isinstance(x, dict):
        return (str(x.get("file", "")), x.get("line") or 0, json.dumps(x, sort_keys=True, ensure_ascii=False))
    return ("", 0, json.dumps(x, sort_keys=True, ensure_ascii=False, default=str))


def text_size(text: str) -> tuple[int, int]:
    """(chars, UTF-8 bytes) of a text; lone surrogates count as 3 bytes, as `surrogatepass` would."""
    return len(text), len(text.encode("utf-8", "surrogatepass"))


def add_doc(acc: dict[str, Any], doc: Document, kept: bool) -> dict[str, Any]:
    """Add one kept or rejected document to a stats accumulator, in place."""
    chars, nbytes = text_size(doc.text)
    lang = doc.lang or "unrouted"
    if kept:
        acc["kept"] = acc.get("kept", 0) + 1
        slot = acc.setdefault("by_lang", {}).setdefault(lang, {"docs": 0, "chars": 0, "bytes": 0})
        src = acc.setdefault("by_source", {}).setdefault(str(doc.source), {"docs": 0, "chars": 0})
        src["docs"] += 1
        src["chars"] += chars
    else:
        rej = acc.setdefault("rejected", {"total": 0, "by_reason": {}})
        rej["total"] += 1
        reason = doc.reason or "unspecified"
        rej["by_reason"][reason] = rej["by_reason"].get(reason, 0) + 1
        slot = acc.setdefault("rejected_by_lang", {}).setdefault(lang, {"docs": 0, "chars": 0, "bytes": 0})
    slot["docs"] += 1
    slot["chars"] += chars
    slot["bytes"] += nbytes
    return acc


def label_column(column, default: str):
    """A string column as `add_doc` keys it: null and "" become `default` (`doc.lang or "unrouted"`)."""
    column = pc.fill_null(column, "")
    return pc.if_else(pc.equal(column, ""), default, column)


def source_column(column):
    """The `source` column as `add_doc` keys it (`str(doc.source)`: a missing source is "None")."""
    return pc.fill_null(column.cast(pa.string()), "None")


def table_stats(table: pa.Table, kept: bool, rows: pa.Array | None = None) -> dict[str, Any]:
    """`add_doc` over every row of a table of documents (kept or rejected), from grouped Arrow sums: the
    same dict as folding `add_doc` over the rows (tests/test_quality/test_table_stage.py checks it).
    `rows`: only these row indices count (the text column is measured, never copied)."""
    n = table.num_rows if rows is None else len(rows)
    if not n:
        return {}
    text = table.column("text")
    columns = ["lang", "source"] + (["reason"] if not kept else [])
    sizes = {"chars": pc.utf8_length(text).cast(pa.int64()), "bytes": pc.binary_length(text).cast(pa.int64())}
    table = pa.table({**{c: table.column(c) for c in columns}, **sizes})
    if rows is not None:
        table = table.take(rows)
    base = {"lang": label_column(table.column("lang"), "unrouted"), "chars": table.column("chars"),
            "bytes": table.column("bytes")}
    acc: dict[str, Any] = {}

    def grouped(key: str, values: dict, sums: tuple[str, ...]) -> dict[str, dict[str, int]]:
        t = pa.table(values).group_by(key).aggregate([(s, "sum") for s in sums] + [(key, "count")])
        out = {}
        for row in t.to_pylist():
            out[row[key]] = {"docs": row[f"{key}_count"], **{s: row[f"{s}_sum"] for s in sums}}
        return out

    if kept:
        acc["kept"] = n
        acc["by_lang"] = grouped("lang", base, ("chars", "bytes"))
        acc["by_source"] = grouped("source", {"source": source_column(table.column("source")),
                                              "chars": base["chars"]}, ("chars",))
    else:
        reason = label_column(table.column("reason"), "unspecified")
        counts = pa.table({"reason": reason}).group_by("reason").aggregate([("reason", "count")]).to_pylist()
        acc["rejected"] = {"total": n, "by_reason": {r["reason"]: r["reason_count"] for r in counts}}
        acc["rejected_by_lang"] = grouped("lang", base, ("chars", "bytes"))
    return acc


def unreadable_stats(example: dict[str, Any]) -> dict[str, Any]:
    """Contribution of one unreadable record (or row group: `records` in the example): its count plus the
    example (file, line, error)."""
    return {"unreadable": {"count": int(example.get("records", 1)), "examples": [example]}}


EMPTY_STATS: dict[str, Any] = {
    "kept": 0,
    "rejected": {"total": 0, "by_reason": {}},
    "unreadable": {"count": 0, "examples": []},
    "by_lang": {},
    "rejected_by_lang": {},
    "by_source": {},
}


def finalize(stats: dict[str, Any], read: int, extra_copies: int = 0) -> dict[str, Any]:
    """Add `input_records` and check the accounting invariant.

    Args:
        stats: merged kept/rejected/unreadable stats.
        read: documents that were read successfully (before the stage's transform).
        extra_copies: documents the stage emitted more than once on purpose (mix upsampling).

    Returns:
        stats with `input_records` and `accounting` filled in. `input_records == kept + rejected + unreadable`
        holds whenever `accounting.ok` is true.
    """
    out = merge_stats(EMPTY_STATS, stats)
    unreadable = out["unreadable"]["count"]
    out["input_records"] = read + unreadable
    kept_inputs = out["kept"] - extra_copies
    ok = kept_inputs + out["rejected"]["total"] == read
    out["accounting"] = {
        "ok": ok,
        "read": read,
        "kept_inputs": kept_inputs,
        "extra_copies": extra_copies,
        "rule": "input_records == kept - extra_copies + rejected + unreadable",
    }
    return out
