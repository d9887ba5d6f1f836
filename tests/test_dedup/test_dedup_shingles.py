"""Script-aware shingles: character n-grams for Han, word n-grams for Latin, defined short-doc rules."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curation import native
from curation.dedup.minhash import signatures, signatures_flat
from curation.dedup.shingles import batch_shingle_hashes, shingle_hashes, shingle_strings, tokens_of
from curation.text.normalize import normalize_text


@pytest.mark.parametrize(
    "text, tokens",
    [
        ("今天天气很好", ["今", "天", "天", "气", "很", "好"]),
        ("Hello, World!", ["hello", "world"]),
        ("人民日报1998年1月", ["人", "民", "日", "报", "1998", "年", "1", "月"]),
        ("全角ＡＢＣ１２３，好", ["全", "角", "abc123", "好"]),
        ("bilingual 双语 text 文本", ["bilingual", "双", "语", "text", "文", "本"]),
        ("emoji 👍🏽 only", ["emoji", "only"]),
        ("𠀀𠀁 ext-B", ["𠀀", "𠀁", "ext", "b"]),
        ("ひらがなカタカナ 한국어", list("ひらがなカタカナ한국어")),
        ("naïve café", ["naïve", "café"]),
    ],
    ids=["zh", "en", "digits-in-han", "fullwidth", "bilingual", "emoji", "ext-b", "kana-hangul", "accents"],
)
def test_tokens(text, tokens):
    assert tokens_of(normalize_text(text)) == tokens


def test_han_gets_character_ngrams_and_latin_word_ngrams():
    zh = "我们今天去公园散步"  # 9 characters -> 5 character 5-grams
    assert len(shingle_strings(zh, 5)) == 5
    assert "我 们 今 天 去" in shingle_strings(zh, 5)
    en = "one two three four five six seven"  # 7 words -> 3 word 5-grams
    assert shingle_strings(en, 5) == {"one two three four five", "two three four five six",
                                      "three four five six seven"}
    both = "我们今天去公园 and then we went home 回家"
    s = shingle_strings(both, 5)
    assert "我 们 今 天 去" in s and "and then we went home" in s
    assert "we went home 回 家" in s  # an n-gram may cross from one script into the other


@pytest.mark.parametrize("a, b", [("你好", "再见"), ("ok", "no"), ("!!!", "???"), ("好", "好好")],
                         ids=["zh-short", "en-short", "punct-only", "one-vs-two"])
def test_short_docs_get_distinct_single_shingles(a, b):
    ha, hb = shingle_hashes(a), shingle_hashes(b)
    assert len(ha) == 1 and len(hb) == 1
    assert ha[0] != hb[0]  # never an empty signature shared by every short doc


@pytest.mark.parametrize("text", ["", "   ", "\n\t\u3000"], ids=["empty", "spaces", "mixed-whitespace"])
def test_empty_docs_have_no_shingles(text):
    assert len(shingle_hashes(text)) == 0 and shingle_strings(text) == set()


def test_matching_view_folds_width_case_and_whitespace():
    assert set(shingle_hashes("ＡＢＣ  def ghi jkl mno")) == set(shingle_hashes("abc def\nghi jkl mno"))


def test_one_repeated_character_is_one_shingle_value():
    h = shingle_hashes("啊" * 100_000)
    assert len(np.unique(h)) == 1


_ALPHABET = st.sampled_from(list("我们你他的是在了和有大中人上为国年到说时要就出会可也") + list("abc1 ，。"))


@settings(max_examples=60, deadline=None)
@given(st.lists(_ALPHABET, min_size=0, max_size=60).map("".join), st.integers(1, 6))
def test_vectorized_hashes_match_the_reference_shingles(text, n):
    """Equal shingle strings <-> equal hashes: the number of distinct hashes equals distinct shingles."""
    strings = shingle_strings(text, n)
    hashes = shingle_hashes(text, n)
    assert len(np.unique(hashes)) == len(strings)


_TEXTS = st.lists(st.text(alphabet=st.sampled_from(list("的一是在不了 ab，。!x1\n𠀀é")), max_size=40), max_size=12)


@settings(max_examples=60, deadline=None)
@given(_TEXTS, st.integers(1, 6))
def test_batch_shingles_equal_one_document_at_a_time(texts, ngram):
    """The batched path (one numpy pass over many documents) gives exactly the per-document shingles,
    short and token-less documents included, so signatures and decisions cannot depend on batching."""
    norms = [n for n in (normalize_text(t) for t in texts) if n]
    flat, sizes = batch_shingle_hashes(norms, ngram)
    one = [shingle_hashes(n, ngram, normalized=True) for n in norms]
    assert sizes.tolist() == [len(x) for x in one]
    assert flat.tolist() == (np.concatenate(one).tolist() if one else [])
    if norms:
        assert (signatures_flat(flat, sizes, num_perm=16) == signatures(one, num_perm=16)).all()


_WIDE = st.lists(st.text(alphabet=st.sampled_from(
    list("的一是在不了 ab_Z9，。!x1\n\t𠀀𪜀丽é한カ👍🏽\u200d\x00") + ["\ud800", "\U000323af", "\U000323b0"]), max_size=50),
    max_size=14)


@pytest.mark.skipif(native.module() is None, reason="the C kernels are not built (no compiler at install) or QINGLIU_NATIVE=0")
@settings(max_examples=120, deadline=None)
@given(_WIDE, st.integers(1, 7))
def test_c_kernel_shingles_equal_the_numpy_path(texts, ngram):
    """`curation/dedup/_shingles_native.c` against the numpy batch path, on every token class, astral Han
    (extension B to H, and the first code point past it), emoji with joiners, NUL and a lone surrogate."""
    norms = [n for n in (normalize_text(t) for t in texts) if n]
    fast = batch_shingle_hashes(norms, ngram)
    with native.disabled():
        ref = batch_shingle_hashes(norms, ngram)
    assert fast[1].tolist() == ref[1].tolist() and fast[0].dtype == ref[0].dtype == np.uint32
    assert fast[0].tolist() == ref[0].tolist()


@pytest.mark.skipif(native.module() is None, reason="the C kernels are not built (no compiler at install) or QINGLIU_NATIVE=0")
def test_c_kernel_refuses_inconsistent_arrays():
    from curation.dedup.shingles import _TABLE

    k = native.module()
    cps = np.frombuffer("今天天气很好".encode("utf-32-le"), dtype=np.uint32)
    sizes = np.empty(1, dtype=np.int64)
    with pytest.raises(ValueError, match="too small"):
        k.shingle_hashes(cps, np.array([6], dtype=np.int64), _TABLE, 5, np.empty(1, dtype=np.uint32), sizes)
    with pytest.raises(ValueError, match="add up"):
        k.shingle_hashes(cps, np.array([7], dtype=np.int64), _TABLE, 5, np.empty(9, dtype=np.uint32), sizes)
    with pytest.raises(TypeError):
        k.shingle_hashes(cps.astype(np.int64), np.array([6], dtype=np.int64), _TABLE, 5, np.empty(9, np.uint32), sizes)
    assert k.shingle_hashes(cps, np.array([6], dtype=np.int64), _TABLE, 5, out := np.empty(9, np.uint32), sizes) == 2
    assert sizes.tolist() == [2] and out[:2].tolist() == shingle_hashes("今天天气很好", 5).tolist()


def test_native_disabled_switches_the_kernels_off_and_restores(monkeypatch):
    monkeypatch.setenv(native.ENV, "1")
    with native.disabled():
        assert native.module() is None
    assert os.environ[native.ENV] == "1"
    monkeypatch.delenv(native.ENV)
    with native.disabled():
        assert native.module() is None
    assert native.ENV not in os.environ
