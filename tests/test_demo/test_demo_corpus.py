"""The embedded demo corpus: determinism, sizes and shares, and that every planted answer is right."""

from __future__ import annotations

import gzip
import itertools
import json
import os
import random
import re
import subprocess
import sys
import time

import pytest

from curation import demo
from curation.demo.noise import split_sentences
from curation.demo.pii import id_card_valid, id_check_char, luhn_valid
from curation.readers import Unreadable, iter_records
from curation.text.normalize import normalize_text


def _grams(text: str, n: int = 5) -> set[str]:
    t = normalize_text(text)
    return {t[i:i + n] for i in range(max(len(t) - n + 1, 1))} if t else set()


def _jaccard(a: str, b: str) -> float:
    ga, gb = _grams(a), _grams(b)
    return len(ga & gb) / len(ga | gb) if ga | gb else 1.0


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The default corpus (timed: CPU seconds, as the shared machine's wall clock says more about the
    neighbours), plus every record read back through `curation.readers`."""
    start = time.process_time()
    demo_corpus = demo.write_demo_corpus(str(tmp_path_factory.mktemp("demo_default")))
    seconds = time.process_time() - start
    texts, sources = {}, {}
    for path in demo_corpus["files"]:
        with open(path, "rb") as raw:
            for rec in iter_records(path, raw):
                assert not isinstance(rec, Unreadable), rec
                assert rec.id not in texts, f"duplicate id {rec.id}"
                texts[rec.id], sources[rec.id] = rec.text, rec.source
    return {**demo_corpus, "texts": texts, "sources": sources, "seconds": seconds}


def test_same_seed_gives_identical_bytes_and_other_seed_differs(tmp_path):
    a = demo.write_demo_corpus(str(tmp_path / "a"), seed=3, scale=0.2)
    b = demo.write_demo_corpus(str(tmp_path / "b"), seed=3, scale=0.2)
    demo.write_demo_corpus(str(tmp_path / "c"), seed=4, scale=0.2)
    rel = [os.path.relpath(p, a["dir"]) for p in a["files"]] + ["truth.json"]
    assert rel == [os.path.relpath(p, b["dir"]) for p in b["files"]] + ["truth.json"]
    for r in rel:
        assert (tmp_path / "a" / r).read_bytes() == (tmp_path / "b" / r).read_bytes(), r
    assert (tmp_path / "a" / "truth.json").read_bytes() != (tmp_path / "c" / "truth.json").read_bytes()


def test_identical_across_processes_with_different_hash_seeds(tmp_path):
    code = "import sys; from curation.demo import write_demo_corpus; write_demo_corpus(sys.argv[1], seed=7, scale=0.08)"
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for name, hash_seed in (("p1", "1"), ("p2", "2")):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": root}
        subprocess.run([sys.executable, "-c", code, str(tmp_path / name)], check=True, env=env, cwd=root)
    files = sorted((tmp_path / "p1").rglob("*.*"))
    assert len(files) > 3  # the corpus files and truth.json were written
    for path in files:
        assert path.read_bytes() == (tmp_path / "p2" / path.relative_to(tmp_path / "p1")).read_bytes(), path


def test_default_size_is_fast(corpus):
    assert corpus["seconds"] < 10.0


def test_layout_and_records_match_truth(corpus):
    truth = corpus["truth"]
    for lang in ("zh", "bilingual", "en"):
        files = [p for p in corpus["files"] if os.path.basename(os.path.dirname(p)) == lang]
        assert 2 <= len(files) <= 3 and all(p.endswith(".jsonl.gz") for p in files)
    assert set(corpus["texts"]) == set(truth["docs"])
    assert {truth["docs"][i]["source"] for i in truth["docs"]} >= {"news", "wiki", "forum", "reviews", "web"}
    assert all(corpus["sources"][i] == d["source"] for i, d in truth["docs"].items())
    with gzip.open(corpus["files"][0], "rt", encoding="utf-8") as f:
        assert set(json.loads(f.readline())) == {"id", "text", "source"}


def test_counts_and_shares(corpus):
    counts, docs = corpus["truth"]["counts"], corpus["truth"]["docs"]
    n = len(docs)
    assert 2300 <= n <= 2700
    kinds = counts["kind"]
    assert kinds["exact_dup"] / n == pytest.approx(0.04, abs=0.01)
    assert kinds["near_dup"] / n == pytest.approx(0.06, abs=0.01)
    assert kinds["low_quality"] / n == pytest.approx(0.10, abs=0.015)
    assert counts["pii_docs"] / n == pytest.approx(0.08, abs=0.015)
    share = counts["char_share"]
    assert 0.62 <= share["zh"] <= 0.78 and 0.13 <= share["bilingual"] <= 0.27 and 0.05 <= share["en"] <= 0.15
    size = sum(len(t.encode("utf-8")) for t in corpus["texts"].values())
    assert 2_000_000 <= size <= 4_000_000, size
    assert set(counts["near_dup_edits"]) == {"header_footer", "sentence_deleted", "sentence_replaced",
                                             "punct_swapped", "whitespace", "typos", "truncated"}
    assert set(counts["low_quality"]) >= {"spam", "boilerplate", "gibberish", "mojibake", "repeated_lines",
                                          "number_table", "html", "too_short", "empty"}
    assert set(counts["pii_spans"]) >= {"phone_cn", "landline_cn", "id_card_cn", "bank_card_cn", "email", "ipv4",
                                        "ipv6", "qq", "us_phone", "us_ssn", "credit_card"}
    assert counts["hard_negative_docs"] > 0.03 * n


def test_empty_and_whitespace_texts_present(corpus):
    empty = [i for i, d in corpus["truth"]["docs"].items() if d["low_quality"] == "empty"]
    assert empty and all(not corpus["texts"][i].strip() for i in empty)


def test_pii_offsets_and_checksums(corpus):
    texts = corpus["texts"]
    for doc_id, d in corpus["truth"]["docs"].items():
        if d["pii"]:
            assert d["kind"] == "clean" and d["low_quality"] is None
        for span in d["pii"] + d["hard_negatives"]:
            assert texts[doc_id][span["start"]:span["end"]] == span["value"], (doc_id, span)
        for span in d["pii"]:
            digits = re.sub(r"\D", "", span["value"].translate(str.maketrans("０１２３４５６７８９", "0123456789")))
            if span["type"] == "id_card_cn":
                assert id_card_valid(span["value"]), span
            elif span["type"] in ("bank_card_cn", "credit_card"):
                assert luhn_valid(span["value"]) and 15 <= len(digits) <= 19, span
            elif span["type"] == "phone_cn":
                assert re.fullmatch(r"(86)?1[3-9]\d{9}", digits), span
        for span in d["hard_negatives"]:
            if span["type"] == "bad_id_checksum":
                assert not id_card_valid(span["value"]) and not luhn_valid(span["value"]), span
            elif span["type"] in ("order_number", "en_order"):
                assert not luhn_valid(span["value"]), span


def test_id_checksum_known_answer():
    # GB 11643-1999 worked example: 11010519491231002 -> X.
    assert id_check_char("11010519491231002") == "X"
    assert id_card_valid("11010519491231002X") and not id_card_valid("110105194912310021")
    assert luhn_valid("4111 1111 1111 1111") and not luhn_valid("4111 1111 1111 1112")


def test_exact_duplicates(corpus):
    docs, texts = corpus["truth"]["docs"], corpus["texts"]
    for doc_id, d in docs.items():
        if d["kind"] == "exact_dup":
            orig = docs[d["dup_of"]]
            assert texts[doc_id] == texts[d["dup_of"]] and d["source"] != orig["source"]
            assert orig["kind"] == "clean" and not orig["pii"] and orig["lang"] == d["lang"]


def test_near_duplicates_are_close_but_not_equal(corpus):
    docs, texts = corpus["truth"]["docs"], corpus["texts"]
    near = [(i, d) for i, d in docs.items() if d["kind"] == "near_dup"]
    for doc_id, d in near:
        assert texts[doc_id] != texts[d["dup_of"]], d["edit"]
        assert docs[d["dup_of"]]["kind"] == "clean"
        sim = _jaccard(texts[doc_id], texts[d["dup_of"]])
        assert sim > 0.7, (doc_id, d["edit"], sim)


def test_clean_documents_are_not_near_duplicates_of_each_other(corpus):
    docs, texts = corpus["truth"]["docs"], corpus["texts"]
    rng = random.Random(0)
    clean = sorted(i for i, d in docs.items() if d["kind"] == "clean")
    sample = rng.sample(clean, 200)
    grams = {i: _grams(texts[i]) for i in sample}
    sims = [len(grams[a] & grams[b]) / len(grams[a] | grams[b]) for a, b in itertools.combinations(sample, 2)]
    assert max(sims) < 0.3
    assert sum(sims) / len(sims) < 0.05


def test_split_sentences_round_trips():
    cases = [("第一句。第二句！\n第三句", "zh", 3), ("One. Two! Three?\nFour", "en", 4),
             ("It rose 3.5 percent. Then fell.", "en", 2), ("中文。\nEnglish one. English two.", "bilingual", 3),
             ("", "zh", 0)]
    for text, lang, n in cases:
        parts = split_sentences(text, lang)
        assert "".join(parts) == text and len(parts) == n, parts


def test_cli_main(tmp_path, capsys):
    assert demo.main([str(tmp_path / "cli"), "--seed", "1", "--scale", "0.05"]) == 0
    out = capsys.readouterr().out
    assert "documents" in out and (tmp_path / "cli" / "truth.json").exists()
    with pytest.raises(SystemExit):
        demo.main([str(tmp_path / "bad"), "--scale", "0"])
