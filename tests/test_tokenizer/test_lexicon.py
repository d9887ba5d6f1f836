"""Word-frequency priors: parsing, size and determinism of the prior text, and their effect on training."""

from __future__ import annotations

import importlib.util

import pytest

from curation.errors import ConfigError
from tests.test_tokenizer.conftest import make_docs
from tokenizer_training import lexicon
from tokenizer_training.lexicon import Lexicon, parse_lexicon_args, prior_texts
from tokenizer_training.train_bpe import train_tokenizer

# A word that never occurs in make_docs' text: only the prior can teach it.
RARE = "鑫淼焱垚"


@pytest.fixture
def word_list(tmp_path, monkeypatch):
    path = tmp_path / "words.txt"
    path.write_text(f"{RARE} 5000\n天气 800\n公园 300\nabc 10\n坏行\n一 99\n", encoding="utf-8")
    monkeypatch.setitem(lexicon.LEXICONS, "test_words", Lexicon("test_words", None, str(path), "zh", "", 2))
    return path


def test_parse_lexicon_args():
    assert parse_lexicon_args(["jieba=0.2", "wordfreq_en"]) == {"jieba": 0.2, "wordfreq_en": 0.05}
    assert parse_lexicon_args(None) == {}
    with pytest.raises(ConfigError, match="unknown --lexicon"):
        parse_lexicon_args(["nope=0.1"])
    with pytest.raises(ConfigError, match="share"):
        parse_lexicon_args(["jieba=2"])
    with pytest.raises(ConfigError, match="number"):
        parse_lexicon_args(["jieba=x"])


def test_prior_size_filter_and_determinism(word_list):
    stats: dict = {}
    text = "".join(prior_texts("test_words", 20_000, stats))
    assert text == "".join(prior_texts("test_words", 20_000))
    lines = text.splitlines()
    # Han words of 2+ characters only ('abc', the malformed line and the single character are skipped),
    # repeated in proportion to their counts, about the requested size.
    assert set(lines) == {RARE, "天气", "公园"}
    assert lines.count(RARE) > lines.count("天气") > lines.count("公园") > 0
    assert abs(len(text.encode("utf-8")) - 20_000) < 200
    assert stats["test_words"]["words"] == 3 and stats["test_words"]["of_words"] == 3


def test_prior_teaches_a_word_the_text_lacks(word_list):
    texts = [d.text for d in make_docs(300)]
    assert not any(RARE in t for t in texts)
    plain, _ = train_tokenizer(texts, vocab_size=1024)
    primed, report = train_tokenizer(texts, vocab_size=1024, lexicons={"test_words": 0.05})
    assert len(plain.encode(RARE).ids) >= len(RARE)  # unseen characters: one token each at best
    assert len(primed.encode(RARE).ids) < len(RARE)  # the prior made merges inside the word
    assert report["lexicons"]["test_words"]["share"] == 0.05 and report["lexicons"]["test_words"]["bytes"] > 0
    # the prior is not training text: the text's own byte count is unchanged
    assert report["bytes"] == sum(len(t.encode("utf-8")) for t in texts)


def test_missing_file_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(lexicon.LEXICONS, "gone", Lexicon("gone", None, str(tmp_path / "x.txt"), "zh", "", 2))
    with pytest.raises(ConfigError, match="not found"):
        list(prior_texts("gone", 1000))


@pytest.mark.skipif(importlib.util.find_spec("jieba") is None, reason="jieba not installed (tokenizer extra)")
def test_jieba_list_is_found_and_read():
    words = dict(lexicon.LEXICONS["jieba"].words())
    assert len(words) > 300_000
    assert words["中国"] > words["鑫淼"] if "鑫淼" in words else words["中国"] > 1000


@pytest.mark.skipif(importlib.util.find_spec("wordfreq") is None or importlib.util.find_spec("msgpack") is None,
                    reason="wordfreq / msgpack not installed (tokenizer extra)")
def test_wordfreq_lists_are_read_from_their_centibel_buckets():
    en = dict(lexicon.LEXICONS["wordfreq_en"].words())
    zh = dict(lexicon.LEXICONS["wordfreq_zh"].words())
    assert len(en) > 200_000 and len(zh) > 200_000
    # Frequencies are 10 ** (-bucket / 100): "the" is about 5 % of English words, and common beats rare.
    assert 0.03 < en["the"] < 0.08 and en["the"] > en["house"] > en["zeitgeist"]
    assert zh["中国"] > zh["长城"] and all(len(w) >= 2 for w in zh)
    text = "".join(prior_texts("wordfreq_en", 50_000))
    assert text.startswith(" the\n") and all(line.startswith(" ") for line in text.splitlines())
