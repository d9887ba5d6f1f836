"""Turn raw input files into `Document`s, and every bad record into a counted `Unreadable`.

Plain Python on a binary stream: the Beam reader (`pipelines.io.ReadDocuments`) opens files through
Beam's filesystems (local, `gs://`, ...) and hands the stream here, so all the bad-input handling is
testable without a runner. Supported: `.jsonl` (or `.ndjson`), `.jsonl.gz`, `.jsonl.zst`, `.parquet`.

Every record ends as exactly one of: a `Document`, or an `Unreadable` naming the file and the 1-based
line (JSONL) or row (Parquet) and what was wrong. Blank lines are not records and are skipped.
A stream that breaks mid-file (truncated gzip, corrupt zstd) gives one `Unreadable` for the break.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from curation.schema import DATA_COLUMNS, LANGS, Document, from_row, from_table, is_canonical, make_id

JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".jsonl.zst", ".jsonl.zstd", ".ndjson", ".ndjson.gz")
PARQUET_SUFFIXES = (".parquet",)
SUPPORTED_SUFFIXES = JSONL_SUFFIXES + PARQUET_SUFFIXES

_SURROGATE = re.compile("[\ud800-\udfff]")
_BOM = b"\xef\xbb\xbf"
MAX_ERROR_CHARS = 200


@dataclass(frozen=True)
class ReadConfig:
    """How raw records map onto the schema.

    Args:
        text_key: field holding the text (`--text-key`).
        id_key: field holding the id (`--id-key`); missing or empty ids are derived from file and row.
        source: value for `source` on every record; default: the record's `source` field, else the
            file name without its suffixes.
        lang: force this `lang` on every record (e.g. per-language inputs); default: keep a valid
            `lang` field, else None (set later by routing).
        encoding: text encoding of JSONL files (UTF-8; a GBK file read as UTF-8 is counted unreadable).
    """

    text_key: str = "text"
    id_key: str = "id"
    source: str | None = None
    lang: str | None = None
    encoding: str = "utf-8"


@dataclass(frozen=True)
class Unreadable:
    """Records that could not be read. `line` is 1-based (JSONL line or Parquet row; the first of
    `records` rows); None = whole file. `records`: how many records this stands for (an unreadable
    Parquet row group holds many, and each counts)."""

    source_file: str
    line: int | None
    error: str
    records: int = 1

    def as_dict(self) -> dict:
        out = {"file": self.source_file, "line": self.line, "error": self.error}
        if self.records != 1:
            out["records"] = self.records
        return out


def is_supported(path: str) -> bool:
    return path.lower().endswith(SUPPORTED_SUFFIXES)


def source_name(path: str) -> str:
    """`/x/zh/fewclue.jsonl.gz` -> `fewclue`; `part-00000-of-00002.parquet` -> its parent folder's name."""
    name = os.path.basename(path.rstrip("/"))
    for suffix in sorted(SUPPORTED_SUFFIXES, key=len, reverse=True):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return name


def repair_surrogates(text: str) -> tuple[str, bool]:
    """JSON `\\ud800` escapes decode to lone surrogates, which UTF-8 (and Arrow) cannot store.

    Valid pairs are joined; lone halves become U+FFFD (which the quality stage scores as garbled text).
    """
    if not _SURROGATE.search(text):
        return text, False
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace"), True


def iter_records(path: str, raw: BinaryIO, cfg: ReadConfig = ReadConfig()) -> Iterator[Document | Unreadable]:
    """Yield one `Document` or `Unreadable` per record of the file at `path` (already opened as `raw`)."""
    lower = path.lower()
    if lower.endswith(PARQUET_SUFFIXES):
        yield from _iter_parquet(path, raw, cfg)
    else:
        yield from _iter_jsonl(path, raw, cfg)


def _open_decompressed(path: str, raw: BinaryIO) -> BinaryIO:
    lower = path.lower()
    if lower.endswith(".gz"):
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if lower.endswith((".zst", ".zstd")):
        import zstandard

        return zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
    return raw


def _iter_jsonl(path: str, raw: BinaryIO, cfg: ReadConfig) -> Iterator[Document | Unreadable]:
    stream = _open_decompressed(path, raw)
    if not hasattr(stream, "readline") or path.lower().endswith((".zst", ".zstd")):
        # Small buffer: a stream that breaks mid-file loses at most the lines inside one buffer.
        stream = io.BufferedReader(stream, buffer_size=1 << 16)
    lineno = 0
    while True:
        try:
            line = stream.readline()
        except (EOFError, OSError, ValueError) as exc:  # truncated gzip, corrupt zstd, not a gzip file
            yield Unreadable(path, lineno + 1, f"compressed stream is truncated or corrupt: {_short(exc)}")
            return
        except Exception as exc:  # zstandard.ZstdError does not derive from OSError
            yield Unreadable(path, lineno + 1, f"cannot decompress: {_short(exc)}")
            return
        if not line:
            return
        lineno += 1
        if lineno == 1 and line.startswith(_BOM):
            line = line[len(_BOM):]
        if not line.strip():
            continue
        yield _parse_json_line(path, lineno, line, cfg)


def _parse_json_line(path: str, lineno: int, line: bytes, cfg: ReadConfig) -> Document | Unreadable:
    try:
        decoded = line.decode(cfg.encoding)
    except UnicodeDecodeError as exc:
        hint = " (is the file in another encoding, e.g. GBK? see --encoding)" if cfg.encoding == "utf-8" else ""
        return Unreadable(path, lineno, f"invalid {cfg.encoding} at byte {exc.start}{hint}")
    try:
        rec = json.loads(decoded)
    except json.JSONDecodeError as exc:
        return Unreadable(path, lineno, f"malformed JSON: {exc.msg} at column {exc.colno}")
    except RecursionError:
        return Unreadable(path, lineno, "malformed JSON: nested too deeply")
    except ValueError as exc:  # e.g. an integer longer than Python's int-string limit
        return Unreadable(path, lineno, f"malformed JSON: {_short(exc)}")
    if not isinstance(rec, dict):
        return Unreadable(path, lineno, f"record is a JSON {type(rec).__name__}, not an object")
    return record_to_document(rec, path, lineno, cfg)


def record_to_document(rec: dict, path: str, lineno: int, cfg: ReadConfig) -> Document | Unreadable:
    """Map one raw record (a dict) onto the schema; `lineno` is 1-based, `row` in provenance 0-based."""
    if cfg.text_key not in rec:
        keys = ", ".join(sorted(map(str, rec))[:10])
        return Unreadable(path, lineno, f"no '{cfg.text_key}' field (record has: {keys}); see --text-key")
    text = rec[cfg.text_key]
    if text is None:
        return Unreadable(path, lineno, f"'{cfg.text_key}' is null")
    if not isinstance(text, str):
        return Unreadable(path, lineno, f"'{cfg.text_key}' is a {type(text).__name__}, not a string")
    text, _ = repair_surrogates(text.replace("\r\n", "\n"))
    if text.startswith("\ufeff"):
        text = text[1:]
    row = lineno - 1
    prov = rec.get("provenance") if isinstance(rec.get("provenance"), dict) else None
    # A record's own provenance is kept only when it fits the schema (string file, int64 row).
    source_file = prov["source_file"] if prov and isinstance(prov.get("source_file"), str) and prov["source_file"] else path
    if prov and type(prov.get("row")) is int and 0 <= prov["row"] < 2**63:
        row = prov["row"]
    raw_id = rec.get(cfg.id_key)
    doc_id = str(raw_id) if isinstance(raw_id, (str, int)) and str(raw_id).strip() else make_id(source_file, row)
    src = cfg.source or (rec.get("source") if isinstance(rec.get("source"), str) else None) or source_name(path)
    lang = cfg.lang or (rec.get("lang") if rec.get("lang") in LANGS else None)
    attrs = rec.get("attributes") if isinstance(rec.get("attributes"), dict) else {}
    attrs = {str(k): f for k, f in ((k, _finite(v)) for k, v in attrs.items()) if f is not None}
    return Document(
        id=repair_surrogates(doc_id)[0], text=text, lang=lang, source=src, attributes=attrs,
        source_file=source_file, row=row,
    )


def parquet_row_groups(path: str, pf) -> Iterator[tuple[int, Any] | Unreadable]:
    """Each row group of an open `pyarrow.parquet.ParquetFile` as (row offset of its first row, table); a
    row group that cannot be read becomes one `Unreadable` naming its rows, and the next ones are read."""
    offset = 0
    for rg in range(pf.num_row_groups):
        n = pf.metadata.row_group(rg).num_rows
        try:
            table = pf.read_row_group(rg)
        except Exception as exc:
            yield Unreadable(path, offset + 1, f"row group {rg} ({n} rows) unreadable: {_short(exc)}", records=n)
        else:
            yield offset, table
        offset += n


def row_group_records(path: str, table, offset: int, cfg: ReadConfig, canonical: bool
                      ) -> Iterator[Document | Unreadable]:
    """One row group record by record, with every per-record check (the path for a row group holding a
    null id or text, and for Parquet files not written by a stage)."""
    for i, rec in enumerate(table.to_pylist()):
        if canonical and isinstance(rec.get("text"), str) and rec.get("id"):
            doc = from_row(rec)
            doc.stage = doc.reason = doc.duplicate_of = None
            yield _override(doc, cfg)
        else:
            yield record_to_document(rec, path, offset + i + 1, cfg)


def _override(doc: Document, cfg: ReadConfig) -> Document:
    if cfg.lang:
        doc.lang = cfg.lang
    if cfg.source:
        doc.source = cfg.source
    return doc


def _iter_parquet(path: str, raw: BinaryIO, cfg: ReadConfig) -> Iterator[Document | Unreadable]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(raw)
    except Exception as exc:
        yield Unreadable(path, None, f"not a readable Parquet file: {_short(exc)}")
        return
    canonical = is_canonical(pf.schema_arrow) and cfg.text_key == "text"
    for item in parquet_row_groups(path, pf):
        if isinstance(item, Unreadable):
            yield item
            continue
        offset, table = item
        if canonical and table.column("id").null_count == 0 and table.column("text").null_count == 0:
            for doc in from_table(table.select([c for c in table.column_names if c in DATA_COLUMNS])):
                yield _override(doc, cfg)
        else:
            yield from row_group_records(path, table, offset, cfg, canonical)


def _finite(value) -> float | None:
    """A JSON number as a finite float; None for anything else (bools, strings, huge ints, inf, nan)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        f = float(value)
    except OverflowError:
        return None
    return f if math.isfinite(f) else None


def _short(exc: BaseException) -> str:
    msg = f"{type(exc).__name__}: {exc}"
    return msg if len(msg) <= MAX_ERROR_CHARS else msg[: MAX_ERROR_CHARS - 1] + "…"
