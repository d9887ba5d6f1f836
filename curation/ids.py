"""Making ids repeated across inputs unique, never merging documents.

A reader groups every id with the places it was read from; an id seen in more than one place keeps its
first place's copy as is (by sorted location) and every other copy gets `~` + a hash of its own location.
A location is (provenance file, provenance row, hash of the text): two copies with the same provenance (a
stage output read together with the raw file it came from) still differ by text. Copies that agree on
all three are the same record read twice: they share one id (that of their location) and are counted as
`repeated_records` in stats.json, never renamed apart or dropped.

    >>> locs = sorted([("a.jsonl", 0, "x1"), ("b.jsonl", 0, "x2")])
    >>> unique_id("7", ("a.jsonl", 0, "x1"), locs), unique_id("7", ("b.jsonl", 0, "x2"), locs).startswith("7~")
    ('7', True)
"""

from __future__ import annotations

import xxhash


def location(source_file: str | None, row: int | None, text: str) -> tuple:
    return (source_file or "", -1 if row is None else row, xxhash.xxh64_hexdigest(text.encode("utf-8", "surrogatepass")))


def unique_id(doc_id: str, loc: tuple, locations: list | None) -> str:
    """`doc_id` for the first copy (and for copies of that very record), else `doc_id~<hash of loc>`."""
    if not locations or tuple(loc) == tuple(locations[0]):
        return doc_id
    key = f"{loc[0]}:{loc[1]}:{loc[2]}"
    return f"{doc_id}~{xxhash.xxh64_hexdigest(key.encode('utf-8', 'surrogatepass'))[:8]}"


def repeated(kv) -> list:
    """GroupByKey output (id, [locations]) -> [(id, sorted locations)] when the id was read more than once."""
    doc_id, locs = kv
    locs = sorted(tuple(x) for x in locs)
    return [(doc_id, locs)] if len(locs) > 1 else []


def repeat_stats(kv) -> dict:
    """Stats of one repeated id: copies renamed, and copies of the very same record (kept as they are)."""
    locs = kv[1]
    distinct = len(set(locs))
    out = {"duplicate_ids": distinct - 1}
    if len(locs) > distinct:
        out["repeated_records"] = len(locs) - distinct
    return out
