"""Helpers shipped for tests, notebooks and benchmarks (seqio's `test_utils` idea): build documents,
write small inputs, read a stage output back. No Beam import."""

from __future__ import annotations

import glob
import gzip
import json
import os
from typing import Any

import pyarrow.parquet as pq

from curation.schema import Document, from_row

SHARED_CORPORA = os.environ.get(
    "QINGLIU_CORPORA", os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "shared", "corpora")
)


def make_doc(text: str, id: str = "d0", lang: str | None = None, source: str = "test", **attributes: float) -> Document:
    """A document for unit tests; keyword arguments become attributes."""
    return Document(id=id, text=text, lang=lang, source=source, attributes=dict(attributes), source_file="test", row=0)


def write_jsonl(path: str, records: list[dict[str, Any]]) -> str:
    """Write records as JSONL (gzip when the path ends in .gz). Returns the path."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "wt", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return path


def read_parquet_dir(directory: str) -> list[Document]:
    """All documents in `directory/*.parquet`, in file order then row order."""
    docs: list[Document] = []
    for path in sorted(glob.glob(os.path.join(directory, "*.parquet"))):
        docs.extend(from_row(r) for r in pq.read_table(path).to_pylist())
    return docs


def read_stage_output(output: str) -> dict[str, Any]:
    """{'kept': [Document], 'rejected': [Document], 'stats': dict, 'complete': bool} of a stage output."""
    stats_path = os.path.join(output, "stats.json")
    stats = json.load(open(stats_path, encoding="utf-8")) if os.path.exists(stats_path) else {}
    return {
        "kept": read_parquet_dir(os.path.join(output, "data")),
        "rejected": read_parquet_dir(os.path.join(output, "rejected")),
        "stats": stats,
        "complete": os.path.exists(os.path.join(output, "_SUCCESS")),
    }


def corpus_path(*parts: str) -> str | None:
    """Path inside ../shared/corpora, or None when the corpora are not on this machine."""
    path = os.path.abspath(os.path.join(SHARED_CORPORA, *parts))
    return path if os.path.exists(path) else None


def iter_corpus(relpath: str, limit: int | None = None):
    """Yield records of one ../shared/corpora JSONL.gz file (for benchmarks and reports)."""
    path = corpus_path(relpath)
    if path is None:
        raise FileNotFoundError(f"shared corpus not found: {relpath} (set QINGLIU_CORPORA)")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for i, line in enumerate(f):
            if limit is not None and i >= limit:
                return
            yield json.loads(line)
