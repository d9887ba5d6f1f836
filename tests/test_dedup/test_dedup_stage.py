"""End-to-end dedup: planted exact / near duplicates, the keep rule, determinism, bad input, --against."""

from __future__ import annotations

import os
import random

import pytest

from curation.dedup.keep import node_of, order_copies
from curation.errors import ConfigError
from curation.testing import make_doc, read_stage_output, write_jsonl
from pipelines import dedup

POOL = list("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工"
            "也能下过子说产种面而方后多定行学法所民得经")
WORDS = ("market price rose fell bank trade oil company said year share profit rate growth official "
         "government report week month quarter analyst sales demand supply export import").split()


def zh(rng, n=300):
    return "".join(rng.choice(POOL) for _ in range(n))


def en(rng, n=120):
    return " ".join(rng.choice(WORDS) for _ in range(n)) + "."


def typo(rng, text, k):
    chars = list(text)
    for i in rng.sample(range(len(chars)), k):
        chars[i] = rng.choice(POOL) if "\u4e00" <= chars[i] <= "\u9fff" else "x"
    return "".join(chars)


def planted():
    """Records + truth {id: (reason, duplicate_of)} for removed docs; every other doc must be kept."""
    rng = random.Random(0)
    recs, truth = [], {}
    for g in range(12):
        base = zh(rng) if g % 2 == 0 else en(rng)
        src = f"src{g % 3}"
        recs.append({"id": f"g{g:02d}-orig", "text": base, "source": src})
        # exact: same matching view (whitespace / full-width / case), shorter or equal -> loses
        loud = "  " + base.upper().replace(" ", "\u3000") + " "
        recs.append({"id": f"g{g:02d}-exact", "text": loud, "source": src})
        # near: a few typos, same length; ids sort after "-exact" ... keep rule: longest, then smallest id
        recs.append({"id": f"g{g:02d}-near", "text": typo(rng, base, 3), "source": src})
        # hard negative: shares half of its text
        half = base[: len(base) // 2]
        other = zh(rng, 150) if g % 2 == 0 else " " + en(rng, 60)
        recs.append({"id": f"g{g:02d}-half", "text": half + other, "source": src})
        # the exact copy is longer (padding), so it survives; the original is its exact duplicate
        truth[f"g{g:02d}-orig"] = ("exact_duplicate", f"g{g:02d}-exact")
        truth[f"g{g:02d}-near"] = ("near_duplicate", f"g{g:02d}-exact")
    recs += [{"id": i, "text": t, "source": s} for i, t, s in [
        ("empty1", "", "src0"), ("empty2", " \n ", "src0"),
        ("short1", "你好", "src1"), ("short2", "再见", "src1"), ("short3", "你好！", "src1")]]
    truth["short1"] = ("near_duplicate", "short3")  # same tokens, punctuation differs: J = 1, shorter loses
    return recs, truth


def decisions(out):
    return {d.id: (d.reason, d.duplicate_of) for d in out["rejected"]}


@pytest.fixture(scope="module")
def planted_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("dedup")
    recs, truth = planted()
    write_jsonl(str(root / "in" / "a.jsonl"), recs)
    stats = dedup.run(["--input", str(root / "in"), "--output", str(root / "out")])
    out = read_stage_output(str(root / "out"))
    return {"root": root, "recs": recs, "truth": truth, "stats": stats, "out": out}


def test_planted_duplicates_are_removed_with_reason_and_survivor(planted_run):
    out, truth = planted_run["out"], planted_run["truth"]
    assert out["complete"]
    assert decisions(out) == truth
    kept = {d.id for d in out["kept"]}
    assert {"empty1", "empty2", "short2", "short3"} <= kept
    assert all(f"g{g:02d}-half" in kept for g in range(12))
    assert all(d.stage == "dedup" for d in out["rejected"])


def test_stats_report_clusters_histogram_and_shares(planted_run):
    s = planted_run["stats"]
    ss = s["stage_stats"]
    assert s["rejected"]["by_reason"] == {"exact_duplicate": 12, "near_duplicate": 13}
    assert ss["exact"]["removed"] == 12 and ss["near"]["removed"] == 13
    assert ss["clusters"] == 13 and ss["cluster_sizes"] == {"2": 1, "3-4": 12} and ss["largest_cluster"] == 3
    assert ss["empty_docs"] == 2
    assert ss["by_source"]["src0"]["docs"] == 18 and ss["by_source"]["src1"]["exact_removed"] == 4
    assert ss["by_lang"]["unrouted"]["removed_share"] == pytest.approx(25 / 53, abs=1e-6)
    assert ss["cc"]["unconverged_nodes"] == 0  # converged in the distributed rounds
    assert ss["params"]["tag"] == "t0.7_p128_b25_r5_s1"


def test_dedup_is_idempotent(planted_run, tmp_path):
    """Running the stage again on its own output removes nothing."""
    stats = dedup.run(["--input", str(planted_run["root"] / "out"), "--output", str(tmp_path / "again")])
    assert stats["rejected"]["total"] == 0 and stats["kept"] == len(planted_run["out"]["kept"])


def test_spilled_and_inline_shuffles_write_the_same_bytes(planted_run, tmp_path, monkeypatch):
    """A local output shuffles documents and work batches through spill files (OUT/_shuffle, gone when
    the run ends); a remote one (no spill root) sends the bytes through the runner: same output files."""
    spilled = []
    write = dedup.SpillWriter.write
    monkeypatch.setattr(dedup.SpillWriter, "write", lambda self, data: spilled.append(1) or write(self, data))
    inp = str(planted_run["root"] / "in")
    dedup.run(["--input", inp, "--output", str(tmp_path / "spill")])
    assert spilled and not (tmp_path / "spill" / "_shuffle").exists()
    monkeypatch.setattr(dedup, "spill_root", lambda output: None)
    n = len(spilled)
    dedup.run(["--input", inp, "--output", str(tmp_path / "inline")])
    assert len(spilled) == n  # nothing spilled without a spill root
    for sub in ("data", "rejected"):
        names = sorted(os.listdir(tmp_path / "spill" / sub))
        assert names and names == sorted(os.listdir(tmp_path / "inline" / sub))
        for name in names:
            assert (tmp_path / "spill" / sub / name).read_bytes() == (tmp_path / "inline" / sub / name).read_bytes()


@pytest.mark.slow
def test_same_result_for_any_input_order_and_worker_count(planted_run, tmp_path):
    recs = list(planted_run["recs"])
    random.Random(5).shuffle(recs)
    for i in range(3):
        write_jsonl(str(tmp_path / "in" / f"part{i}.jsonl"), recs[i::3])
    dedup.run(["--input", str(tmp_path / "in"), "--output", str(tmp_path / "out"),
               "--direct_num_workers", "2", "--direct_running_mode", "multi_processing"])
    out = read_stage_output(str(tmp_path / "out"))
    assert out["complete"] and decisions(out) == planted_run["truth"]
    assert sorted(d.id for d in out["kept"]) == sorted(d.id for d in planted_run["out"]["kept"])


def test_bad_input_finishes_counted(tmp_path):
    rng = random.Random(1)
    big = zh(rng, 1_700_000)  # about 5 MB of UTF-8
    recs = [{"id": f"copy{i:05d}", "text": "同一篇文章被复制了一万次，内容完全相同。", "source": "spam"} for i in range(10_000)]
    recs += [{"id": i, "text": t, "source": s} for i, t, s in [
        ("big", big, "big"), ("big-typo", typo(rng, big, 50), "big"),
        ("ah-short", "啊" * 10_000, "rep"), ("ah-long", "啊" * 20_000, "rep"),
        ("e1", "", "e"), ("e2", "\t", "e")]]
    write_jsonl(str(tmp_path / "in" / "bad.jsonl"), recs)
    stats = dedup.run(["--input", str(tmp_path / "in"), "--output", str(tmp_path / "out")])
    out = read_stage_output(str(tmp_path / "out"))
    d = decisions(out)
    assert out["complete"] and stats["input_records"] == 10_006
    assert sum(1 for r in d.values() if r == ("exact_duplicate", "copy00000")) == 9_999
    assert d["ah-short"] == ("near_duplicate", "ah-long")  # one repeated character: one shingle, J = 1
    assert d["big-typo"] == ("near_duplicate", "big")  # same length: the smaller id survives
    assert {x.id for x in out["kept"]} == {"copy00000", "big", "ah-long", "e1", "e2"}
    assert stats["stage_stats"]["largest_cluster"] == 10_000 and stats["stage_stats"]["empty_docs"] == 2


def test_against_previous_output(planted_run, tmp_path):
    rng = random.Random(9)
    prev = planted_run["root"] / "out"
    survivor = next(d for d in planted_run["out"]["kept"] if d.id == "g00-exact")
    new = [{"id": "new-copy", "text": survivor.text, "source": "new"},
           {"id": "new-near", "text": typo(rng, survivor.text, 2), "source": "new"},
           {"id": "new-fresh", "text": zh(rng), "source": "new"},
           {"id": "g00-exact", "text": zh(rng), "source": "new"}]  # id used in PREV too; text differs
    write_jsonl(str(tmp_path / "in" / "new.jsonl"), new)
    stats = dedup.run(["--input", str(tmp_path / "in"), "--output", str(tmp_path / "out"),
                       "--against", str(prev)])
    out = read_stage_output(str(tmp_path / "out"))
    assert out["complete"] and stats["input_records"] == 4
    assert decisions(out) == {"new-copy": ("exact_duplicate", "g00-exact"),
                              "new-near": ("near_duplicate", "g00-exact")}
    assert sorted(d.id for d in out["kept"]) == ["g00-exact", "new-fresh"]


def test_against_with_a_broken_shard_counts_it(planted_run, tmp_path):
    import shutil

    prev = tmp_path / "prev"
    shutil.copytree(planted_run["root"] / "out", prev)
    (prev / "data" / "part-99999-of-99999.parquet").write_bytes(b"not parquet at all")
    write_jsonl(str(tmp_path / "in" / "new.jsonl"), [{"id": "n1", "text": "一条新的文档，内容与之前的都不一样。"}])
    stats = dedup.run(["--input", str(tmp_path / "in"), "--output", str(tmp_path / "out"), "--against", str(prev)])
    assert stats["input_records"] == 1 and stats["accounting"]["ok"]
    bad = stats["stage_stats"]["against_unreadable"]
    assert bad["count"] == 1 and bad["examples"][0]["file"].endswith("part-99999-of-99999.parquet")


@pytest.mark.parametrize("flags, message", [
    (["--threshold", "1.5"], "threshold"),
    (["--bands", "40", "--rows", "8"], "bands x rows"),
    (["--ngram", "0"], "--ngram"),
    (["--against", "/nonexistent/prev"], "does not exist"),
], ids=["threshold", "bands-rows", "ngram", "against-missing"])
def test_bad_flags_are_config_errors(tmp_path, flags, message):
    write_jsonl(str(tmp_path / "in.jsonl"), [{"id": "a", "text": "x"}])
    with pytest.raises(ConfigError, match=message):
        dedup.run(["--input", str(tmp_path / "in.jsonl"), "--output", str(tmp_path / "out"), *flags])


def test_keep_rule_order():
    docs = [make_doc("短文", id="b", **{"quality/q_v1": 0.9}), make_doc("长一点的文本", id="a"),
            make_doc("长一点的文本", id="c"), make_doc("x", id="z", **{"quality/q_v1": float("nan")})]
    order = sorted(docs, key=lambda d: node_of(d, "quality/q_v1"))
    assert [d.id for d in order] == ["b", "a", "c", "z"]  # score, then length, then id; NaN = no score
    assert [d.id for d in sorted(docs, key=lambda d: node_of(d))] == ["a", "c", "b", "z"]
    assert node_of(docs[3], reference=True) < node_of(docs[0], "quality/q_v1")  # --against docs always win


def test_documents_lost_before_fingerprinting_fail_the_stage():
    """A batch the runner drops between BatchDocs and Fingerprint would be kept unexamined: the merged
    stats must refuse it (seen with Beam's multi_threading workers before `size_flushed_embedded_workers`)."""
    ok = dedup._finish({"docs_batched": 2048, "docs_fingerprinted": 2048, "empty_docs": 0})
    assert ok["docs_fingerprinted"] == 2048 and "docs_batched" not in ok
    with pytest.raises(RuntimeError, match="2,048 documents were batched but 1,024 fingerprinted"):
        dedup._finish({"docs_batched": 2048, "docs_fingerprinted": 1024})


def test_join_writes_its_shard_and_refuses_a_decision_without_its_document(tmp_path):
    from curation.schema import Document, to_table
    from pipelines.io_tables import table_to_ipc

    docs = [Document(id=f"d{i}", text=f"第{i}篇文本", lang="zh", source="s", source_file="f", row=i) for i in range(3)]
    blob = table_to_ipc(to_table(docs))
    out: dict = {}
    for o in dedup._keep_or_reject((0, {"docs": [blob], "decision": [("d1", "near_duplicate", "d0")]}),
                                   str(tmp_path / "out"), 1):
        out.setdefault(o.tag, []).append(o.value)
    result = read_stage_output(str(tmp_path / "out"))  # no _SUCCESS here: read the two files the join wrote
    assert sorted(d.id for d in result["kept"]) == ["d0", "d2"]
    assert [(d.id, d.stage, d.reason, d.duplicate_of) for d in result["rejected"]] == [("d1", "dedup", "near_duplicate", "d0")]
    assert out["doc_stats"][0][1]["kept"] == 2 and out["doc_stats"][0][1]["rejected"]["total"] == 1
    assert out["stats"][0]["by_source"]["s"] == {"docs": 3, "exact_removed": 0, "near_removed": 1}
    with pytest.raises(RuntimeError, match="missing from output shard 0"):
        list(dedup._keep_or_reject((0, {"docs": [blob], "decision": [("zz", "near_duplicate", "d0")]}),
                                   str(tmp_path / "bad"), 1))
    with pytest.raises(RuntimeError, match="missing from output shard 4"):
        list(dedup._keep_or_reject((4, {"docs": [], "decision": [("zz", "exact_duplicate", "d0")]}),
                                   str(tmp_path / "bad2"), 5))


def test_order_copies_is_by_content_and_drops_repeated_texts():
    a = {"id": "1", "text": "甲", "lang": "zh"}
    b = {"id": "1", "text": "甲", "lang": None}
    c = {"id": "1", "text": "乙", "lang": "zh"}
    # by content: c (乙 < 甲), then a ('zh' < None in repr); b repeats a's text and is dropped
    assert order_copies([(0, a), (1, b), (2, c)]) == ([2, 0, 1], [1])
    assert order_copies([(5, c), (4, b), (3, a)]) == ([5, 3, 4], [4])  # any arrival order, same choice
    assert order_copies([(0, a)]) == ([0], [])


A_TEXT = "第一篇文章的内容在这里，足够长的一段文字用来测试去重是否正确。"
B_TEXT = "another document entirely different from the first one in every way"


def test_a_record_read_twice_is_kept_once_and_its_copies_counted(tmp_path):
    """A stage output read together with the raw file it came from: each record comes twice with one id
    (curation.ids). Dedup keeps one copy, rejects the other as an exact duplicate of that id, and rejects
    every copy of an id that lost to another document; the files do not depend on the input order."""
    from pipelines import ingest

    raw = write_jsonl(str(tmp_path / "raw" / "in.jsonl"), [{"id": "1", "text": A_TEXT}, {"id": "2", "text": B_TEXT}])
    other = write_jsonl(str(tmp_path / "raw2" / "other.jsonl"), [{"id": "0", "text": A_TEXT}, {"id": "9", "text": A_TEXT}])
    ingest.run(["--input", raw, "--output", str(tmp_path / "ingest")])
    outputs = []
    for k, inputs in enumerate(([str(tmp_path / "ingest"), raw, other], [other, raw, str(tmp_path / "ingest")])):
        out = str(tmp_path / f"dedup{k}")
        res = dedup.run([x for i in inputs for x in ("--input", i)] + ["--output", out])
        assert res["input_records"] == 6 and res["repeated_records"] == 2
        assert res["kept"] == 2 and res["rejected"]["total"] == 4  # nothing lost: 6 = 2 + 4
        ss = res["stage_stats"]
        assert ss["exact"]["removed"] == 4 and ss["repeated_copies"] == 1 and ss["near"]["removed"] == 0
        got = read_stage_output(out)
        assert sorted(d.id for d in got["kept"]) == ["0", "2"]
        assert sorted((d.id, d.reason, d.duplicate_of) for d in got["rejected"]) == [
            ("1", "exact_duplicate", "0"), ("1", "exact_duplicate", "0"), ("2", "exact_duplicate", "2"),
            ("9", "exact_duplicate", "0")]
        outputs.append({name: open(os.path.join(out, sub, name), "rb").read()
                        for sub in ("data", "rejected") for name in os.listdir(os.path.join(out, sub))})
    assert outputs[0] == outputs[1]


def test_copies_of_one_record_with_different_scores_keep_one(tmp_path):
    """With --keep-score, two copies of one record (same id and provenance) whose attributes differ are two
    keep-rule nodes; the loser's decision names its own id. One copy stays, and the other document with
    that text is a duplicate of it."""
    prov = {"source_file": "x.jsonl", "row": 0}
    a = write_jsonl(str(tmp_path / "a" / "a.jsonl"), [{"id": "1", "text": A_TEXT, "attributes": {"q": 0.9}, "provenance": prov},
                                                     {"id": "5", "text": A_TEXT, "attributes": {"q": 0.5}}])
    b = write_jsonl(str(tmp_path / "b" / "b.jsonl"), [{"id": "1", "text": A_TEXT, "provenance": prov}, {"id": "2", "text": B_TEXT}])
    res = dedup.run(["--input", a, "--input", b, "--output", str(tmp_path / "out"), "--keep-score", "q"])
    assert res["input_records"] == 4 and res["kept"] == 2 and res["rejected"]["total"] == 2
    got = read_stage_output(str(tmp_path / "out"))
    assert sorted(d.id for d in got["kept"]) == ["1", "2"]
    assert sorted((d.id, d.reason, d.duplicate_of) for d in got["rejected"]) == [
        ("1", "exact_duplicate", "1"), ("5", "exact_duplicate", "1")]


def test_join_accepts_repeated_identical_decisions_and_refuses_conflicting_ones(tmp_path):
    from curation.schema import Document, to_table
    from pipelines.io_tables import table_to_ipc

    blob = table_to_ipc(to_table([Document(id=i, text=f"文本{i}", lang="zh") for i in ("a", "b", "c")]))
    same = [("b", "exact_duplicate", "a"), ("b", "exact_duplicate", "a")]
    outs = list(dedup._keep_or_reject((0, {"docs": [blob], "decision": same}), str(tmp_path / "ok"), 1))
    assert [o.value for o in outs if o.tag == "stats"][0]["exact"]["removed"] == 1
    clash = [("b", "exact_duplicate", "a"), ("b", "near_duplicate", "c")]
    with pytest.raises(RuntimeError, match="conflicting decisions for document 'b'"):
        list(dedup._keep_or_reject((0, {"docs": [blob], "decision": clash}), str(tmp_path / "bad"), 1))
