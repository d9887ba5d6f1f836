"""The one document schema every Qingliu stage reads and writes.

A `Document` is a plain record (no Beam import here, so every rule that works on it is testable in
microseconds). At every stage boundary it is stored as a Parquet row with `ARROW_SCHEMA`; rejected
documents add `stage`, `reason` and `duplicate_of` (`REJECTED_SCHEMA`). `docs/schema.md` documents the
columns; `to_row`/`from_row` are the only functions that turn documents into raw dicts and back.

    >>> d = Document(id="a", text="你好", source="demo")
    >>> from_row(to_row(d)) == d
    True
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

LANGS = ("zh", "bilingual", "en", "other")

ARROW_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("text", pa.large_string(), nullable=False),
        pa.field("lang", pa.string()),
        pa.field("source", pa.string()),
        pa.field("attributes", pa.map_(pa.string(), pa.float64())),
        pa.field(
            "provenance",
            pa.struct([pa.field("source_file", pa.string()), pa.field("row", pa.int64())]),
        ),
    ]
)

REJECTED_SCHEMA = ARROW_SCHEMA.append(pa.field("stage", pa.string())).append(
    pa.field("reason", pa.string())
).append(pa.field("duplicate_of", pa.string()))

DATA_COLUMNS = tuple(ARROW_SCHEMA.names)
REJECTED_COLUMNS = tuple(REJECTED_SCHEMA.names)


@dataclass(slots=True)
class Document:
    """One document as it flows through every stage.

    Args:
        id: stable identifier; `make_id(source_file, row)` when the input has none.
        text: the original text (never replaced by its normalized matching view).
        lang: `zh` | `bilingual` | `en` | `other`, or None before language routing.
        source: where the document came from (a dataset name, e.g. `fewclue`).
        attributes: name -> score, keyed `<family>/<tagger>_vN` (e.g. `quality/han_ratio_v1`).
        source_file: provenance: the input file the document was first read from.
        row: provenance: its 0-based record index within that file.
        stage, reason, duplicate_of: set only on rejected documents.
    """

    id: str
    text: str
    lang: str | None = None
    source: str | None = None
    attributes: dict[str, float] = field(default_factory=dict)
    source_file: str | None = None
    row: int | None = None
    stage: str | None = None
    reason: str | None = None
    duplicate_of: str | None = None

    def __reduce__(self):
        # Plain constructor arguments: about twice as fast through pickle as the default slots state,
        # and Beam pickles every document that crosses a stage boundary.
        return (Document, (self.id, self.text, self.lang, self.source, self.attributes, self.source_file,
                           self.row, self.stage, self.reason, self.duplicate_of))

    def rejected(self, stage: str, reason: str, duplicate_of: str | None = None) -> "Document":
        """A copy stamped with why it was dropped (the document itself is not changed)."""
        return replace(self, stage=stage, reason=reason, duplicate_of=duplicate_of)

    def with_attributes(self, **updates: float) -> "Document":
        attrs = dict(self.attributes)
        attrs.update(updates)
        return replace(self, attributes=attrs)

    def copy(self, **changes: Any) -> "Document":
        return replace(self, **changes)


def make_id(source_file: str, row: int) -> str:
    """Deterministic id for a record that carries none: sha1 of `source_file:row` (20 hex chars)."""
    return hashlib.sha1(f"{source_file}:{row}".encode()).hexdigest()[:20]


def to_row(doc: Document, rejected: bool = False) -> dict[str, Any]:
    """Document -> dict matching ARROW_SCHEMA (or REJECTED_SCHEMA when `rejected`)."""
    row = {
        "id": doc.id,
        "text": doc.text,
        "lang": doc.lang,
        "source": doc.source,
        # Sorted so that the bytes written do not depend on the order attributes were added in.
        "attributes": sorted(doc.attributes.items()),
        "provenance": {"source_file": doc.source_file, "row": doc.row},
    }
    if rejected:
        row["stage"] = doc.stage
        row["reason"] = doc.reason
        row["duplicate_of"] = doc.duplicate_of
    return row


def from_row(row: dict[str, Any]) -> Document:
    """Dict as read from a Parquet shard (pyarrow `to_pylist`) -> Document."""
    attrs = row.get("attributes") or {}
    if not isinstance(attrs, dict):  # pyarrow returns a map column as a list of (key, value) pairs
        attrs = dict(attrs)
    prov = row.get("provenance") or {}
    return Document(
        id=row["id"],
        text=row["text"],
        lang=row.get("lang"),
        source=row.get("source"),
        attributes={k: float(v) for k, v in attrs.items() if v is not None},
        source_file=prov.get("source_file"),
        row=prov.get("row"),
        stage=row.get("stage"),
        reason=row.get("reason"),
        duplicate_of=row.get("duplicate_of"),
    )


def to_table(docs: list[Document], rejected: bool = False) -> pa.Table:
    """Documents -> one Arrow table with the canonical schema (built column by column: every stage
    writes through here, and per-row dicts cost more than the rest of the write)."""
    schema = REJECTED_SCHEMA if rejected else ARROW_SCHEMA
    cols = {
        "id": [d.id for d in docs],
        "text": [d.text for d in docs],
        "lang": [d.lang for d in docs],
        "source": [d.source for d in docs],
        "attributes": [sorted(d.attributes.items()) if d.attributes else [] for d in docs],
        "provenance": pa.StructArray.from_arrays(
            [pa.array([d.source_file for d in docs], pa.string()), pa.array([d.row for d in docs], pa.int64())],
            fields=list(schema.field("provenance").type),
        ),
    }
    if rejected:
        cols["stage"] = [d.stage for d in docs]
        cols["reason"] = [d.reason for d in docs]
        cols["duplicate_of"] = [d.duplicate_of for d in docs]
    arrays = [c if isinstance(c, pa.Array) else pa.array(c, type=schema.field(name).type) for name, c in cols.items()]
    return pa.Table.from_arrays(arrays, schema=schema)


def from_table(table: pa.Table) -> list[Document]:
    """Canonical Arrow table -> Documents, column by column (the fast path of `from_row`)."""
    n = table.num_rows
    names = table.column_names

    def col(name):
        return table.column(name).to_pylist() if name in names else [None] * n

    prov = table.column("provenance").combine_chunks() if "provenance" in names else None
    files = prov.field("source_file").to_pylist() if prov is not None else [None] * n
    rows = prov.field("row").to_pylist() if prov is not None else [None] * n
    attrs = col("attributes")
    return [
        Document(i, t, lang, src, dict(a) if a else {}, f, r, st, rs, dup)
        for i, t, lang, src, a, f, r, st, rs, dup in zip(
            col("id"), col("text"), col("lang"), col("source"), attrs, files, rows,
            col("stage"), col("reason"), col("duplicate_of"),
        )
    ]


def is_canonical(schema: pa.Schema) -> bool:
    """True when a Parquet file already carries Qingliu's columns with their types (a previous stage's
    output). Same names with other types (an int id, string attribute values) are not: such a file is read
    record by record, where every field is checked."""
    if not all(name in schema.names for name in ("id", "text", "attributes", "provenance")):
        return False
    strings = (pa.string(), pa.large_string())
    attrs, prov = schema.field("attributes").type, schema.field("provenance").type
    return (schema.field("id").type in strings and schema.field("text").type in strings
            and pa.types.is_map(attrs) and attrs.key_type in strings and pa.types.is_floating(attrs.item_type)
            and pa.types.is_struct(prov) and prov.get_field_index("source_file") >= 0
            and prov.get_field_index("row") >= 0 and prov.field("source_file").type in strings
            and pa.types.is_integer(prov.field("row").type)
            and all(schema.field(c).type in strings for c in ("lang", "source") if c in schema.names))


ATTRIBUTES_TYPE = ARROW_SCHEMA.field("attributes").type


def attributes_column(columns: dict[str, np.ndarray], n: int, base: pa.Array | pa.ChunkedArray | None = None
                      ) -> pa.Array:
    """The `attributes` map column from dense float columns (NaN = no entry), merged over `base`.

    Each row holds `{**base_row, **present_columns_row}` with its entries sorted by key, exactly what
    `to_table` writes for such a document (`dict(base_row)`: a key repeated in a base row keeps its last
    value; null base values stay null). Built with one `MapArray.from_arrays` instead of a Python list of
    pairs per row.

    Args:
        columns: attribute name -> float64 array of length `n`; NaN where the row has no such attribute.
        n: number of rows.
        base: the input's `attributes` column (map<string, double>), or None.
    """
    return map_from_dense(*dense_attributes(columns, n, base))


def dense_attributes(columns: dict[str, np.ndarray], n: int, base: pa.Array | pa.ChunkedArray | None = None
                     ) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray | None]:
    """The merged attributes of `attributes_column` as dense arrays: (sorted names, values (n, K),
    present (n, K) bool, null (n, K) bool or None when no entry is null)."""
    keys = set(columns)
    flat = None
    if base is not None:
        if isinstance(base, pa.ChunkedArray):
            base = base.combine_chunks() if base.num_chunks != 1 else base.chunk(0)
        offsets = base.offsets.to_numpy(zero_copy_only=False).astype(np.int64)
        lengths = np.diff(offsets)
        if base.null_count:
            lengths[base.is_null().to_numpy(zero_copy_only=False)] = 0  # a null map reads as {}
        total = int(lengths.sum())
        if total:
            # `.keys` / `.items` are the whole child arrays (slicing not applied): take this slice's entries.
            before = np.cumsum(lengths) - lengths
            take = pa.array(np.arange(total) - np.repeat(before - offsets[:-1], lengths), pa.int64())
            codes = pc.dictionary_encode(base.keys.take(take))
            items = base.items.take(take)
            base_keys = codes.dictionary.to_pylist()
            keys.update(base_keys)
            flat = (np.repeat(np.arange(n), lengths), codes.indices.to_numpy(zero_copy_only=False), base_keys,
                    items.to_numpy(zero_copy_only=False), items.is_null().to_numpy(zero_copy_only=False))
    names = sorted(keys)
    index = {k: j for j, k in enumerate(names)}
    values = np.full((n, len(names)), np.nan)
    present = np.zeros((n, len(names)), dtype=bool)
    null = None
    if flat is not None:
        rows, codes, base_keys, vals, nulls = flat
        cols = np.array([index[k] for k in base_keys], dtype=np.int64)[codes]
        values[rows, cols] = vals
        present[rows, cols] = True
        if nulls.any():
            null = np.zeros((n, len(names)), dtype=bool)
            null[rows, cols] = nulls
    for name, col in columns.items():
        j = index[name]
        have = ~np.isnan(col)
        values[have, j] = col[have]
        present[have, j] = True
        if null is not None:
            null[have, j] = False
    return names, values, present, null


def map_from_dense(names: list[str], values: np.ndarray, present: np.ndarray, null: np.ndarray | None) -> pa.Array:
    """`attributes` map column from `dense_attributes` arrays (row-major: each row's keys sorted)."""
    n = len(values)
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(present.sum(axis=1), out=offsets[1:])
    # each present entry's column, row by row (4x faster than np.nonzero(present)[1], the same array)
    key_idx = np.broadcast_to(np.arange(len(names), dtype=np.int64), present.shape)[present]
    key_arr = pa.array(names, pa.string()).take(pa.array(key_idx, pa.int64()))
    items = pa.array(values[present], pa.float64(), mask=null[present] if null is not None else None)
    return pa.MapArray.from_arrays(pa.array(offsets), key_arr, items, type=ATTRIBUTES_TYPE)
