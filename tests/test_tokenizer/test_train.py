"""Training: exact vocabulary size, special tokens, pre-tokenizer behaviour, caps, determinism, errors."""

from __future__ import annotations

import json
import os

import pytest

from curation.errors import ConfigError
from tests.test_tokenizer.conftest import make_docs
from tokenizer_training.corpus import Corpus
from tokenizer_training.coverage import ensure_han_coverage
from tokenizer_training.export import load_tokenizer
from tokenizer_training.references import byte_decoder
from tokenizer_training.train_bpe import MAX_TOKEN_BYTES, SPECIAL_TOKENS, new_tokenizer, train_tokenizer


def token_bytes(tok, i: int) -> bytes:
    bd = byte_decoder()
    return bytes(bd[c] for c in tok.id_to_token(i))


def test_exact_vocab_size_and_special_ids(trained):
    tok = load_tokenizer(trained)
    assert tok.get_vocab_size() == 2048
    assert [tok.token_to_id(t) for t in SPECIAL_TOKENS] == list(range(len(SPECIAL_TOKENS)))
    # all 256 bytes are in the vocabulary: nothing is ever unknown
    bd = byte_decoder()
    assert {bd[c] for c in bd} == set(range(256))
    assert all(tok.token_to_id(c) is not None for c in bd)


def test_every_token_at_most_32_bytes(trained):
    tok = load_tokenizer(trained)
    special = set(range(len(SPECIAL_TOKENS)))
    lengths = [len(token_bytes(tok, i)) for i in range(tok.get_vocab_size()) if i not in special]
    assert max(lengths) <= MAX_TOKEN_BYTES
    assert max(lengths) > 6  # multi-character Chinese words were learned


def test_pretokenizer_keeps_han_runs_and_splits_digits():
    pre = new_tokenizer().pre_tokenizer
    bd = byte_decoder()
    pieces = [bytes(bd[c] for c in p).decode() for p, _ in pre.pre_tokenize_str("今天北京天气很好，2024年 hello world")]
    assert pieces == ["今天北京天气很好", "，", "2", "0", "2", "4", "年", " hello", " world"]


def test_digits_are_single_tokens(trained):
    tok = load_tokenizer(trained)
    enc = tok.encode("编号12345")
    digits = [t for t in enc.tokens if any(ch.isdigit() for ch in t)]
    assert len(digits) == 5


def test_chinese_words_compress(trained):
    tok = load_tokenizer(trained)
    text = "人工智能技术正在改变我们的生活和工作方式。"
    assert len(tok.encode(text).ids) < len(text) / 2  # trained sentences: far fewer tokens than characters


def test_training_is_deterministic(mix_dir):
    runs = []
    for _ in range(2):
        tok, _ = train_tokenizer(Corpus([mix_dir], seed=0).training_texts(), vocab_size=1024)
        runs.append(tok.to_str())
    assert runs[0] == runs[1]


def test_too_small_text_is_a_clear_error():
    texts = [d.text for d in make_docs(50)]
    with pytest.raises(ConfigError, match=r"training text too small: .* of the 65,536 requested entries.*--vocab-size"):
        train_tokenizer(iter(texts), vocab_size=65536)


@pytest.mark.parametrize("size", [100, 65537])
def test_vocab_size_bounds(size):
    with pytest.raises(ConfigError, match="--vocab-size must be in"):
        train_tokenizer(iter(["abc"]), vocab_size=size)


def test_cli_train_reports_and_meta(trained):
    meta = json.load(open(os.path.join(trained, "training_meta.json"), encoding="utf-8"))
    assert meta["seed"] == 0 and meta["holdout_frac"] == 0.05
    rep = meta["report"]
    assert rep["vocab_size"] == 2048 and rep["peak_rss_mb"] > 0 and rep["docs"] > 1000
    assert set(rep["train_bytes_by_lang"]) == {"zh", "bilingual", "en"}


def test_cli_too_small_exit_code_2(mix_dir, tmp_path, capsys):
    from curation.cli import main

    assert main(["tokenizer", "train", "--input", mix_dir, "--output", str(tmp_path / "t")]) == 2
    assert "training text too small" in capsys.readouterr().err


def test_han_coverage_gives_every_frequent_character_a_token(mix_dir):
    from collections import Counter

    from curation.text.normalize import is_han

    texts = list(Corpus([mix_dir], seed=0).training_texts())
    counts = Counter(c for t in texts for c in t if is_han(c))
    frequent = [c for c, n in counts.items() if n >= 2]
    bare, _ = train_tokenizer(iter(texts), vocab_size=1000, han_min_count=None)
    assert sum(len(bare.encode(c).ids) > 1 for c in frequent) > 20  # 1,000 entries leave characters split
    tok, cov = ensure_han_coverage(bare, counts, min_count=2, max_share=1.0)
    assert cov["han_chars_covered"] == len(frequent)
    assert all(len(tok.encode(c).ids) == 1 for c in frequent)
    assert tok.get_vocab_size() == 1000 and cov["tokens_added"] > 20
    small, rep = train_tokenizer(iter(texts), vocab_size=500, han_min_count=2)  # budget: only the most frequent
    cov = rep["han_coverage"]
    assert 0 < cov["han_chars_covered"] < len(frequent) and cov["tokens_added"] <= 0.1 * (500 - 263)
    assert small.get_vocab_size() == 500
    sample = "".join(texts[:50])
    assert tok.decode(tok.encode(sample).ids) == sample
