"""The dedup stage on the embedded demo corpus: planted exact / near duplicates against its ground truth."""

from __future__ import annotations

import pytest

from curation.testing import read_stage_output
from pipelines import dedup


@pytest.fixture(scope="module")
def demo_run(demo_corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("demo_dedup")
    stats = dedup.run(["--input", demo_corpus["dir"], "--output", str(out)])
    return {"truth": demo_corpus["truth"]["docs"], "stats": stats, "out": read_stage_output(str(out))}


def _cluster(truth: dict, doc_id: str) -> str:
    return truth[doc_id]["dup_of"] or doc_id


def test_every_planted_cluster_keeps_exactly_one_copy(demo_run):
    truth, out = demo_run["truth"], demo_run["out"]
    assert out["complete"]
    kept = {d.id for d in out["kept"]}
    planted: dict[str, list[str]] = {}
    for doc_id, t in truth.items():
        if t["kind"] in ("exact_dup", "near_dup"):
            planted.setdefault(t["dup_of"], [t["dup_of"]]).append(doc_id)
    survivors = {c: [d for d in members if d in kept] for c, members in planted.items()}
    assert all(len(s) == 1 for s in survivors.values()), {c: s for c, s in survivors.items() if len(s) != 1}


def test_removals_point_at_a_kept_copy_of_the_same_document(demo_run):
    truth, out = demo_run["truth"], demo_run["out"]
    kept = {d.id for d in out["kept"]}
    for d in out["rejected"]:
        assert d.reason in ("exact_duplicate", "near_duplicate") and d.duplicate_of in kept
        planted = truth[d.id]["kind"] in ("exact_dup", "near_dup") or any(
            t["dup_of"] == d.id for t in truth.values())
        if planted:  # a planted copy: its survivor is a copy of the same source document
            assert _cluster(truth, d.id) == _cluster(truth, d.duplicate_of), d
        else:  # otherwise only generated junk may repeat itself (e.g. spam templates), never clean text
            assert truth[d.id]["kind"] == "low_quality", (d.id, truth[d.id])
    exact = [d for d in out["rejected"] if truth[d.id]["kind"] == "exact_dup"]
    assert exact and all(d.reason == "exact_duplicate" or truth[d.duplicate_of]["kind"] == "near_dup"
                         for d in exact)
