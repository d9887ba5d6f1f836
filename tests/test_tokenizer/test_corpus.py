"""Streaming corpus: held-out split, seeded sampling, language shares, JSONL bad records."""

from __future__ import annotations

import gzip
import json
import os

import pytest

from curation.errors import ConfigError
from tests.test_tokenizer.conftest import make_docs
from tokenizer_training.corpus import Corpus, canonical_lang, utf8_text, valid_unicode


def test_heldout_never_trained_and_stable(mix_dir):
    c = Corpus([mix_dir], seed=3, holdout_frac=0.1)
    n_held = sum(1 for r in c.records() if c.is_heldout(r))
    assert 100 <= n_held <= 200  # 10 % of 1,500 within sampling error
    train = list(c.training_texts())
    assert len(train) == 1500 - n_held
    again = Corpus([mix_dir], seed=3, holdout_frac=0.1)
    assert [r.id for r in again.records() if again.is_heldout(r)] == [r.id for r in c.records() if c.is_heldout(r)]


def test_shares_and_budget_respected(mix_dir):
    c = Corpus([mix_dir], seed=0, holdout_frac=0.0)
    total = sum(c.lang_bytes().values())
    budget = total * 0.4
    texts = list(c.training_texts(max_bytes=budget, shares={"zh": 0.5, "bilingual": 0.25, "en": 0.25}))
    used = {k.split("/")[1]: v for k, v in c.stats.items() if k.startswith("train_bytes/")}
    assert sum(len(t.encode()) for t in texts) == sum(used.values())
    assert abs(sum(used.values()) / budget - 1) < 0.1
    for lang, share in (("zh", 0.5), ("bilingual", 0.25), ("en", 0.25)):
        assert abs(used[lang] / sum(used.values()) - share) < 0.05, (lang, used)


def test_natural_shares_by_default(mix_dir):
    c = Corpus([mix_dir], seed=0, holdout_frac=0.0)
    totals = c.lang_bytes()
    list(c.training_texts(max_bytes=sum(totals.values()) / 2))
    used = {k.split("/")[1]: v for k, v in c.stats.items() if k.startswith("train_bytes/")}
    for lang in totals:
        assert abs(used[lang] / sum(used.values()) - totals[lang] / sum(totals.values())) < 0.05


def test_jsonl_bad_records_counted_with_location(tmp_path):
    path = tmp_path / "in.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(json.dumps({"id": "a", "text": "你好", "lang": "zh-en"}) + "\n")
        f.write("{not json\n")
        f.write(json.dumps({"id": "b", "body": "no text field"}) + "\n")
        f.write('{"id": "c", "text": "lone \\ud800 surrogate", "lang": "en"}\n')
    c = Corpus([str(path)], holdout_frac=0.0)
    recs = list(c.records())
    assert [r.id for r in recs] == ["a", "c"]
    assert recs[0].lang == "bilingual"
    assert recs[1].text == "lone \ufffd surrogate"
    assert c.stats["bad_records"] == 2 and c.stats["replaced_surrogates"] == 1
    assert c.bad_examples[0].endswith("in.jsonl.gz:2: bad JSON (Expecting property name enclosed in double quotes)")
    assert "in.jsonl.gz:3: field 'text' missing" in c.bad_examples[1]
    # the sizing pass of --max-mb / --shares reads the file too, but counts nothing twice
    c2 = Corpus([str(path)], holdout_frac=0.0)
    list(c2.training_texts(max_bytes=100, shares={"zh": 0.5, "en": 0.5}))
    assert c2.stats["bad_records"] == 2 and c2.stats["replaced_surrogates"] == 1 and len(c2.bad_examples) == 2


def test_ids_of_records_without_one_do_not_depend_on_the_path_spelling(tmp_path, monkeypatch):
    path = tmp_path / "noid.jsonl"
    path.write_text("".join(json.dumps({"text": f"文本 {i}"}) + "\n" for i in range(50)), encoding="utf-8")
    absolute = [r.id for r in Corpus([str(path)]).records()]
    monkeypatch.chdir(tmp_path)
    relative = [r.id for r in Corpus(["noid.jsonl"]).records()]
    assert absolute == relative and len(set(absolute)) == 50


def test_a_share_for_a_language_the_input_lacks_is_reported(tmp_path, caplog):
    path = tmp_path / "zh.jsonl"
    path.write_text("".join(json.dumps({"id": str(i), "text": "中文文本" * 20, "lang": "zh"}) + "\n"
                            for i in range(20)), encoding="utf-8")
    c = Corpus([str(path)], holdout_frac=0.0)
    list(c.training_texts(max_bytes=1000, shares={"zh": 0.5, "en": 0.5}))
    assert c.stats["missing_share/en"] == 500 and "the input has none" in caplog.text


@pytest.mark.parametrize("text, fixed, n", [
    ("ok", "ok", 0), ("\ud800", "\ufffd", 1), ("a\udfffb", "a\ufffdb", 1),
    ("\ud83d\ude00", "😀", 0),  # a valid surrogate pair is joined, not replaced
], ids=["valid", "lone-high", "lone-low", "pair"])
def test_valid_unicode(text, fixed, n):
    assert valid_unicode(text) == (fixed, n)
    assert utf8_text(text) == (fixed, n, len(fixed.encode("utf-8")))  # the size of the repaired text


def test_missing_input_is_config_error(tmp_path):
    with pytest.raises(ConfigError, match="matches no"):
        Corpus([str(tmp_path / "nope")])


def test_lang_aliases():
    assert [canonical_lang(x) for x in ("zh-en", "ZH", None, "fr")] == ["bilingual", "zh", "other", "other"]


def test_make_docs_is_deterministic():
    assert [d.text for d in make_docs(20, seed=1)] == [d.text for d in make_docs(20, seed=1)]


def test_stage_output_root_reads_data_not_rejected(tmp_path):
    from tests.test_tokenizer.conftest import write_mix

    root = tmp_path / "05-mix"
    write_mix(str(root), make_docs(20), shards=1)
    rejected = root / "rejected"
    rejected.mkdir()
    (rejected / "part-00000.parquet").write_bytes((root / "data" / "part-00000.parquet").read_bytes())
    (root / "_SUCCESS").write_text("")
    c = Corpus([str(root)], holdout_frac=0.0)
    assert [os.path.basename(f) for f in c.files] == ["part-00000.parquet"] and "rejected" not in c.files[0]
    assert len(list(c.records())) == 20
