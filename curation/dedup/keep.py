"""The keep rule: which document of a duplicate cluster survives, the same on any runner.

Every document becomes a *node*, a tuple that sorts best-first; a cluster keeps its smallest node:

    (0 if from the --against reference corpus else 1,   reference documents always win
     -score,                                            highest `--keep-score` attribute (missing: last)
     -len(text),                                        then the longest original text
     id)                                                then the smallest id (string order)

Because the survivor is the minimum of a total order on immutable fields, it does not depend on the
runner, the worker count, the input order or the order in which edges were found. Connected
components use the same nodes, so the component minimum *is* the survivor.
"""

from __future__ import annotations

import math
import struct

from curation.schema import Document

# A node is a string whose code-point order is the keep order: 1 char reference flag, 16 hex chars of
# -score (IEEE-754 bits made order-preserving), 10 hex chars of -len(text), then the id. A fixed-width
# string prefix sorts, hashes and encodes fast in Beam (no float keys in a GroupByKey).
Node = str
PREFIX = 1 + 16 + 10
_MAX_LEN = (1 << 40) - 1


def _ordered_float(x: float) -> str:
    bits = struct.unpack(">Q", struct.pack(">d", x))[0]
    bits = bits ^ 0xFFFFFFFFFFFFFFFF if bits >> 63 else bits | (1 << 63)
    return f"{bits:016x}"


def node_of(doc: Document, keep_score: str | None = None, reference: bool = False) -> Node:
    """The sortable node of a document.

    Args:
        doc: the document.
        keep_score: attribute name to prefer (e.g. `quality/fasttext_zh_v1`); None = length, then id.
        reference: the document comes from the `--against` corpus.
    """
    neg_score = math.inf  # no score: after every real score
    if keep_score:
        value = doc.attributes.get(keep_score)
        if value is not None and not math.isnan(value):
            neg_score = -float(value)
    neg_len = _MAX_LEN - min(len(doc.text), _MAX_LEN)
    return f"{0 if reference else 1}{_ordered_float(neg_score)}{neg_len:010x}{doc.id}"


def order_copies(copies: list[tuple[int, dict]]) -> tuple[list[int], list[int]]:
    """Rows that share one id, as (row, record) -> (the rows in a fixed order, the rows to drop).

    An id can come with several rows: the same record read twice keeps its id (`curation.ids`, counted
    as `repeated_records`). The order is by the records' contents, not by arrival (which depends on the
    runner), so every run keeps the same copy and writes the copies in the same order. A row is dropped
    when an earlier one in that order has the same text: it is an exact duplicate of the kept copy.
    """
    ordered = sorted(copies, key=lambda c: repr(sorted(c[1].items())))
    seen: set[str] = set()
    dropped = []
    for row, rec in ordered:
        if rec["text"] in seen:
            dropped.append(row)
        seen.add(rec["text"])
    return [row for row, _ in ordered], dropped


def node_id(node: Node) -> str:
    """The document id inside a node."""
    return node[PREFIX:]


def is_reference(node: Node) -> bool:
    return node[0] == "0"
