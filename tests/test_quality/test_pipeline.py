"""End to end: `pipelines.quality.run([...])` on known documents and on the demo corpus."""

from __future__ import annotations

import collections
import json

import pytest

from curation.errors import ConfigError
from curation.testing import read_stage_output, write_jsonl
from pipelines import quality
from tests.test_quality.test_rules import BI_CLEAN, EN_CLEAN, ZH_CLEAN

RECORDS = [
    {"id": "zh-clean", "text": ZH_CLEAN},
    {"id": "zh-trad", "text": "這是一段繁體中文的新聞報導，記者今天在台北採訪了多位市民，他們對新的交通政策表示支持。"},
    {"id": "en-clean", "text": EN_CLEAN},
    {"id": "bi-clean", "text": BI_CLEAN},
    {"id": "empty", "text": ""},
    {"id": "spaces", "text": "  \n "},
    {"id": "emoji", "text": "😀😂🎉👍"},
    {"id": "punct", "text": "。。。！！！"},
    {"id": "spam", "text": "加微信领红包，免费领取，点击进入官网，限时抢购，全网最低价，日赚千元，代开发票，特价清仓，欢迎来电咨询。"},
    {"id": "repeated", "text": "\n".join(["本帖最后由管理员于昨天编辑过。"] * 20)},
    {"id": "japanese", "text": "こんにちは、元気ですか。今日はいい天気ですね。明日も晴れるでしょう。"},
]
EXPECTED = {"empty": "empty_text", "spaces": "empty_text", "emoji": "no_letters", "punct": "no_letters",
            "spam": "ad_words", "repeated": "dup_lines", "japanese": "lang_other"}


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("q")
    path = write_jsonl(str(tmp / "in.jsonl"), RECORDS)
    out = str(tmp / "out")
    stats = quality.run(["--input", path, "--output", out, "--quality-model", "none"])
    return stats, read_stage_output(out)


def test_known_documents(small_run):
    stats, out = small_run
    assert out["complete"]
    kept = {d.id: d for d in out["kept"]}
    rejected = {d.id: d for d in out["rejected"]}
    assert set(kept) == {"zh-clean", "zh-trad", "en-clean", "bi-clean"}
    assert {i: d.reason for i, d in rejected.items()} == EXPECTED
    assert all(d.stage == "quality" for d in rejected.values())
    assert (kept["zh-clean"].lang, kept["zh-trad"].lang, kept["en-clean"].lang, kept["bi-clean"].lang) == (
        "zh", "zh", "en", "bilingual")
    assert "quality/han_ratio_v1" in kept["zh-clean"].attributes and "lang/score_v1" in kept["zh-clean"].attributes


def test_stage_stats(small_run):
    stats, _ = small_run
    assert stats["input_records"] == len(RECORDS) and stats["accounting"]["ok"]
    st = stats["stage_stats"]
    assert st["routed"]["zh"]["docs"] >= 3 and st["routed"]["bilingual"]["docs"] == 1
    assert st["drops"]["ad_words"] == {"zh": 1}
    assert sum(st["histograms"]["lang/score_v1"]["en"].values()) == 1
    assert stats["config"]["quality_model"] == ["none"]


def test_config_file_and_bad_config(tmp_path):
    path = write_jsonl(str(tmp_path / "in.jsonl"), RECORDS[:1])
    cfg = tmp_path / "c.yaml"
    cfg.write_text("quality_model: [none]\nkeep_langs: [en]\nrules:\n  too_short:\n    attr: quality/n_chars_v1\n"
                   "    min: {en: 10}\n", encoding="utf-8")
    stats = quality.run(["--input", path, "--output", str(tmp_path / "o"), "--config", str(cfg)])
    assert stats["rejected"]["by_reason"] == {"lang_other": 1}
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  r: {attr: quality/nope_v1, min: 1}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no configured tagger"):
        quality.run(["--input", path, "--output", str(tmp_path / "o2"), "--config", str(bad)])
    with pytest.raises(ConfigError, match="not found"):
        quality.run(["--input", path, "--output", str(tmp_path / "o3"), "--quality-model", "x=/no/model.ftz"])


def test_shipped_rules_file_is_a_config(tmp_path):
    from curation.quality.select import DEFAULT_RULES

    path = write_jsonl(str(tmp_path / "in.jsonl"), RECORDS)
    stats = quality.run(["--input", path, "--output", str(tmp_path / "o"), "--config", DEFAULT_RULES,
                         "--quality-model", "none"])
    assert stats["kept"] == 4 and stats["rejected"]["by_reason"]["dup_lines"] == 1


@pytest.mark.slow
def test_demo_corpus(demo_corpus, tmp_path):
    """Every planted low-quality document is rejected; clean documents are kept and routed right."""
    out = str(tmp_path / "demo")
    quality.run(["--input", demo_corpus["dir"], "--output", out])
    res = read_stage_output(out)
    truth = demo_corpus["truth"]["docs"]
    kept_low = [d.id for d in res["kept"] if truth[d.id]["kind"] == "low_quality"]
    assert not kept_low
    by_lang = collections.Counter(truth[d.id]["lang"] for d in res["kept"])
    clean = collections.Counter(v["lang"] for v in truth.values() if v["kind"] != "low_quality")
    for lang, n in clean.items():
        assert by_lang[lang] / n >= 0.9, (lang, by_lang[lang], n, res["stats"]["rejected"])
    wrong = [d.id for d in res["kept"] if d.lang != truth[d.id]["lang"]]
    assert len(wrong) <= 0.01 * len(res["kept"]), wrong[:5]
    json.dumps(res["stats"])  # stats are plain JSON
