"""`BatchScorer` (numpy) against fastText's own `predict` on the same models and texts."""

from __future__ import annotations

import random
import re
import subprocess
import sys

import numpy as np
import pytest

from curation import native
from curation.quality.fasttext_batch import (
    CLS_HAN,
    CLS_HAN_TOKEN,
    CLS_SPACE,
    BatchScorer,
    codepoint_hashes,
    fnv1a,
    native_kernel,
    read_model_file,
)
from curation.quality.fasttext_tagger import (
    _HAN_TOKEN,
    DEFAULT_MODEL,
    POSITIVE,
    FastTextQualityTagger,
    fasttext_input,
    resolve_model_path,
    view_classes,
)
from curation.quality.train import _fit
from curation.text.langid import load_fasttext
from curation.text.normalize import normalize_text
from curation.text.script import han_counts

TEXTS = [
    "今天天气很好，我们一起去公园散步吧。",
    "加微信领红包★免费领取★点击进入官网★日赚千元★代开发票★百家乐真人在线",
    "The government said that the city school team was new, and the music group played later.",
    "buy now click here free shipping best price casino bonus",
    "我爱python编程, 也喜欢 machine learning 和 深度学习。",
    "《现代食品工程》(contemporary food engineering)是一部由世界著名crc press出版的书",
    "😀👨‍👩‍👧 emoji only 🎉",
    "前\x00后\tx\x0by\x0cz",  # fastText separators other than space
    "x\u3000y\u00a0z",  # Unicode spaces are not fastText separators: part of the token
    "__label__hq 好",  # a label-looking token in the text is an unknown word
    "</s> 的 </s>",  # the end-of-sentence token typed in the text
    "a",
    "好",
    "数" * 3000,
    "word " * 400,
    "𠀀𠀁 astral Han 𪜀",
    "好好好好\U000e0020\U0010ffff",  # mostly Han, with code points beyond the scorer's hash table
]


def _predict(model, text: str) -> float:
    labels, probs = model.predict(text, k=-1)
    return dict(zip(labels, probs)).get(POSITIVE, 0.0)


@pytest.fixture(scope="module")
def shipped():
    path = resolve_model_path(DEFAULT_MODEL)
    model = load_fasttext(path)
    return model, BatchScorer.load(model, path)


def test_codepoint_hashes_are_fasttext_hashes():
    table = codepoint_hashes()
    chars = ["a", "\x00", "é", "ÿ", "好", "\u3000", "\ud800", "😀", "\U000e0020", "\U0010ffff"]
    for ch in chars:
        assert table[ord(ch)] == fnv1a(ch), ch
    assert codepoint_hashes(np.array([ord(c) for c in chars])).tolist() == [fnv1a(c) for c in chars]
    # FNV-1a over bytes sign-extended to 32 bits (fastText casts each byte to int8_t first)
    h = 2166136261
    for b in "é".encode():
        h = ((h ^ (0xFFFFFF00 | b)) * 16777619) % 2**32
    assert fnv1a("é") == h
    assert fnv1a("") == 2166136261


def _rows_by_api(model, n_rows: int) -> np.ndarray:
    return np.stack([model.get_input_vector(i) for i in range(n_rows)])


def test_shipped_model_is_covered(shipped):
    model, scorer = shipped
    head, pairs, rows = read_model_file(resolve_model_path(DEFAULT_MODEL))
    assert head["prune_size"] == len(pairs) > 0 and rows.shape == (head["nwords"] + len(pairs), head["dim"])
    assert np.array_equal(rows, _rows_by_api(model, len(rows)))  # every quantized row decoded exactly
    assert scorer is not None
    assert scorer.ngram_row is not None and (scorer.ngram_row >= 0).sum() > 1000  # pruned bigrams kept
    assert scorer.row_logits.shape == (len(model.get_words()) + (scorer.ngram_row >= 0).sum(), 2)


def test_scores_match_fasttext_predict(shipped):
    model, scorer = shipped
    norms = [normalize_text(t) for t in TEXTS]
    views = [fasttext_input(n) for n in norms]
    got = scorer.probabilities(views, POSITIVE)
    want = [_predict(model, v) for v in views]
    np.testing.assert_allclose(got, want, rtol=0, atol=2e-6)
    assert min(want) < 0.05 and max(want) > 0.95 and len({round(w, 3) for w in want}) >= 4  # not all alike


def test_char_tokens_equal_the_space_joined_view(shipped):
    """A mostly-Han sample given as characters scores as its space-joined view does."""
    model, scorer = shipped
    samples = [normalize_text(t) for t in TEXTS[:2] + TEXTS[4:6] + TEXTS[12:14] + TEXTS[15:]]
    as_chars = scorer.probabilities(samples, POSITIVE, [True] * len(samples))
    joined = scorer.probabilities([" ".join(s) for s in samples], POSITIVE)
    assert as_chars == joined
    np.testing.assert_allclose(as_chars, [_predict(model, " ".join(s)) for s in samples], rtol=0, atol=2e-6)


def test_score_does_not_depend_on_the_batch(shipped):
    _, scorer = shipped
    views = [fasttext_input(normalize_text(t)) for t in TEXTS]
    together = scorer.probabilities(views, POSITIVE)
    alone = [scorer.probabilities([v], POSITIVE)[0] for v in views]
    reordered = scorer.probabilities(views[::-1], POSITIVE)[::-1]
    assert together == alone == reordered


def test_tagger_uses_the_scorer_and_keeps_empty_at_zero(shipped):
    tagger = FastTextQualityTagger("default", DEFAULT_MODEL)
    norms = [normalize_text(t) for t in TEXTS] + ["", "   "]
    scores = tagger.score_norms(norms)
    assert tagger.scorer is not None
    assert scores[-2:] == [0.0, 0.0]
    assert scores[:-2] == [tagger.score_norm(n) for n in norms[:-2]]
    np.testing.assert_allclose(scores[:-2], [min(1.0, _predict(shipped[0], fasttext_input(n))) for n in norms[:-2]],
                               rtol=0, atol=2e-6)


_TRAIN = """
import sys, fasttext
fasttext.FastText.eprint = lambda *a, **k: None
data, out, maxn = sys.argv[1], sys.argv[2], int(sys.argv[3])
m = fasttext.train_supervised(input=data, dim=8, bucket=3000, wordNgrams=2, minn=min(maxn, 1), maxn=maxn,
                              epoch=5, lr=0.2, thread=1, seed=0, verbose=0)
m.save_model(out)
"""


def _train(tmp_path, name: str, maxn: int, quantize: bool) -> str:
    rng = np.random.default_rng(0)
    good = "的 一 是 在 了 有 和 人 这 中 大 为 上 个 国 the of and to in is was".split()
    bad = "加 微 信 领 红 包 免 费 点 击 buy now click free casino bonus".split()
    data = tmp_path / "train.txt"
    with open(data, "w", encoding="utf-8") as f:
        for i in range(400):
            label, pool = ("__label__hq", good) if i % 2 else ("__label__lq", bad)
            f.write(label + " " + " ".join(rng.choice(pool, size=int(rng.integers(5, 30)))) + "\n")
    out = tmp_path / name
    if quantize:  # the project's own training path (a fresh process, retried: see curation.quality.train._fit)
        _fit(dict(input=str(data), dim=8, bucket=3000, wordNgrams=2, minn=0, maxn=0, epoch=5, lr=0.2, thread=1,
                  seed=0, verbose=0), dict(input=str(data), qnorm=True, retrain=False, cutoff=500), str(out))
    else:  # dense training is the same in every process; a child keeps this process's memory out of it
        subprocess.run([sys.executable, "-c", _TRAIN, str(data), str(out), str(maxn)], check=True)
    return str(out)


@pytest.mark.parametrize("quantize", [False, True], ids=["dense", "quantized"])
def test_trained_models_match_fasttext(tmp_path, quantize):
    path = _train(tmp_path, "m.ftz" if quantize else "m.bin", maxn=0, quantize=quantize)
    model = load_fasttext(path)
    scorer = BatchScorer.load(model, path)
    assert scorer is not None and (scorer.ngram_row is None) == (not quantize)
    _, _, rows = read_model_file(path)
    assert np.array_equal(rows, _rows_by_api(model, len(rows)))
    views = ["的 一 是 the of", "加 微 信 buy now", "的 微 信 the now 好", "unknown words only", "", "的"]
    np.testing.assert_allclose(scorer.probabilities(views, POSITIVE), [_predict(model, v) for v in views],
                               rtol=0, atol=2e-6)


def test_subword_model_falls_back_to_fasttext(tmp_path):
    path = _train(tmp_path, "sub.bin", maxn=3, quantize=False)
    model = load_fasttext(path)
    assert BatchScorer.load(model, path) is None
    tagger = FastTextQualityTagger("sub", path)
    views = ["的 一 是 the of", "加 微 信 buy now"]
    assert tagger.score_norms(views) == [min(1.0, _predict(model, fasttext_input(v))) for v in views]


def test_lone_surrogates_get_a_score(shipped):
    """fastText's binding cannot take a lone surrogate at all; the scorer gives such text a score."""
    tagger = FastTextQualityTagger("default", DEFAULT_MODEL)
    scores = tagger.score_norms(["好\ud800好好", "ab\ud800 cd ef"])
    assert all(0.0 < s <= 1.0 for s in scores)
    # the word path reads a lone surrogate as U+FFFD
    assert scores[1] == tagger.score_norms(["ab\ufffd cd ef"])[0]


def test_a_file_that_does_not_read_as_fasttext_reads_it_falls_back(shipped, tmp_path):
    """No numpy scorer (the caller then uses fastText's `predict`) when the file cannot be parsed, or when
    its rows are not the rows fastText holds for the loaded model."""
    model, _ = shipped
    raw = open(resolve_model_path(DEFAULT_MODEL), "rb").read()
    short = tmp_path / "short.ftz"
    short.write_bytes(raw[:200])  # cut inside the dictionary
    assert read_model_file(str(short)) is None
    assert BatchScorer.load(model, str(short)) is None
    other = _train(tmp_path, "other.bin", maxn=0, quantize=False)  # a valid file of another model
    assert read_model_file(other) is not None
    assert BatchScorer.load(model, other) is None


def test_extreme_margins_give_0_and_1_without_overflow(shipped):
    _, scorer = shipped
    margins = scorer._margins.setdefault(0, scorer.row_logits[:, 0] - scorer.row_logits[:, 1])
    feats = np.array([int(np.argmax(margins)), int(np.argmin(margins))])
    saved = scorer._margins[0]
    scorer._margins[0] = margins * 1e4  # margins of +-1e4 and more: exp(-z) would overflow
    try:
        with np.errstate(over="raise"):
            p = scorer._predict(feats, np.array([0, 1]), 2, 0)
    finally:
        scorer._margins[0] = saved
    assert p[0] == 1.0 and p[1] == 0.0


# -- the C kernel (`view_probabilities`) against the numpy path ------------------------------------------------

NO_KERNEL = "the C kernel is not built (no compiler at install) or QINGLIU_NATIVE=0"
needs_kernel = pytest.mark.skipif(native_kernel() is None, reason=NO_KERNEL)

# Characters the views treat differently: Han inside and outside the word view's token class, counted Han
# beyond the BMP, ASCII, fastText separators, Unicode spaces (word-view separators only), lone surrogates and
# surrogate pairs (Arrow's conversion on the word path), emoji, kana, full-width forms, the largest code point.
ODD = list("的一是好数微信领红包") + ["㐀", "鿿", "豈", "﫿", "𠀀", "𲎯", "𪜀"] + \
    list("abcxyz019.,!?-'<>/_") + [" ", "\n", "\r", "\t", "\x0b", "\x0c", "\x00"] + \
    ["\u3000", "\u00a0", "\u2028", "\x1c", "\x85", "\u200b", "\ufeff"] + ["\ud800", "\udfff", "\ud83d\ude00"] + \
    ["😀", "🎉", "あ", "ア", "한", "Ａ", "ｚ", "，", "。", "\ufffd", "\U0010ffff", "\U000e0020"]
REAL = [
    "今天天气很好，我们一起去公园散步吧。研究表明，适量运动有益健康。",
    "The government said that the city school team was new, and the music group played later.",
    "我爱python编程, 也喜欢 machine learning 和 深度学习。",
    "加微信领红包★免费领取★点击进入官网★日赚千元★代开发票",
    "buy now click here free shipping best price casino bonus " * 3,
    "《现代食品工程》(contemporary food engineering)是一部由世界著名crc press出版的书",
    "</s> 的 </s> __label__hq",
    "数" * 1500,
    "word " * 400,
]
_HANS = set(ODD[:17])
EMPTY = ["", " ", "\u3000 \n\t", "\x00", "\x00 \x00", "\ud800", "好", "a"]


def _random_texts(seed: int, n: int = 300) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        # mostly-Han and mostly-other texts, and texts right at the half-Han line of `_every_char_a_token`
        han = rng.choice([0.3, 1.0, 8.0])
        weights = [rng.random() * (han if c in _HANS else 1.0) for c in ODD]
        out.append("".join(rng.choices(ODD, weights=weights, k=rng.choice([0, 1, 2, 3, 7, 40, 200, 1200]))))
    return out


def _score_both(tagger: FastTextQualityTagger, texts: list[str], monkeypatch) -> tuple[list[float], list[float]]:
    """(kernel, numpy path) scores of the same texts by the same tagger."""
    kernel = tagger.score_norms(texts)
    monkeypatch.setenv(native.ENV, "0")
    try:
        assert tagger.scorer.view_probabilities(texts, POSITIVE, view_classes(), tagger.max_chars) is None
        reference = tagger.score_norms(texts)
    finally:
        monkeypatch.delenv(native.ENV)
    return kernel, reference


@needs_kernel
@pytest.mark.parametrize("max_chars", [1000, 7])
@pytest.mark.parametrize("seed", range(4))
def test_kernel_scores_equal_the_numpy_path(monkeypatch, seed, max_chars):
    """The same scores, to the last bit, on random texts of odd characters, real-looking text and empty
    views; with a small `max_chars` the cut falls inside words, surrogate pairs and separator runs."""
    tagger = FastTextQualityTagger("default", DEFAULT_MODEL, max_chars=max_chars)
    texts = _random_texts(seed) + REAL + EMPTY + [normalize_text(t) for t in TEXTS]
    kernel, reference = _score_both(tagger, texts, monkeypatch)
    assert kernel == reference
    counts = han_counts([t[:max_chars] for t in texts])
    as_chars = [bool(t[:max_chars]) and 2 * h >= len(t[:max_chars]) for t, h in zip(texts, counts.tolist())]
    assert 60 < sum(as_chars) < len(texts) - 60  # both views are exercised
    empty = kernel[len(texts) - len(TEXTS) - len(EMPTY):][:4]
    assert len(set(kernel)) > 100 and empty[:3] == [0.0] * 3 and empty[3] > 0.0  # "\x00": a view of no token


@needs_kernel
def test_kernel_matches_fasttext_predict_and_the_tests_above(shipped):
    """The kernel's scores are fastText's own (to float32 rounding), empty views 0.0."""
    model, _ = shipped
    tagger = FastTextQualityTagger("default", DEFAULT_MODEL)
    norms = [normalize_text(t) for t in TEXTS + REAL]
    got = tagger.score_norms(norms + ["", "  "])
    assert got[-2:] == [0.0, 0.0]
    np.testing.assert_allclose(got[:-2], [min(1.0, _predict(model, fasttext_input(n))) for n in norms],
                               rtol=0, atol=2e-6)


@needs_kernel
@pytest.mark.parametrize("kind", ["dense", "quantized", "three labels"])
def test_kernel_equals_numpy_on_trained_models(tmp_path, monkeypatch, kind):
    """Models without pruning (all buckets), with pruning, and with more than two labels (a sum per label)."""
    if kind == "three labels":
        path = _train3(tmp_path)
    else:
        path = _train(tmp_path, "m.ftz" if kind == "quantized" else "m.bin", maxn=0, quantize=kind == "quantized")
    tagger = FastTextQualityTagger("t", path)
    assert tagger.scorer is not None and len(tagger.scorer.labels) == (3 if kind == "three labels" else 2)
    texts = ["的 一 是 the of", "加 微 信 buy now", "的微信the now 好", "unknown words only", "", "的", "的一是在了"] \
        + _random_texts(7, 100)
    kernel, reference = _score_both(tagger, texts, monkeypatch)
    assert kernel == reference and len(set(kernel)) > 5


def _train3(tmp_path) -> str:
    rng = np.random.default_rng(1)
    pools = {"hq": "的 一 是 在 了 the of and".split(), "lq": "加 微 信 领 buy now click".split(),
             "mid": "好 数 我 爱 python code".split()}
    data = tmp_path / "train3.txt"
    with open(data, "w", encoding="utf-8") as f:
        for i in range(300):
            label = ("hq", "lq", "mid")[i % 3]
            f.write(f"__label__{label} " + " ".join(rng.choice(pools[label], size=int(rng.integers(5, 20)))) + "\n")
    out = tmp_path / "m3.bin"
    subprocess.run([sys.executable, "-c", _TRAIN, str(data), str(out), "0"], check=True)
    return str(out)


def test_view_classes_are_the_views_own_rules():
    """Every code point: CLS_HAN where `han_counts` counts it, CLS_HAN_TOKEN where `_word_view` splits it
    out, CLS_SPACE where `\\s` matches."""
    table = view_classes()
    chars = [chr(c) for c in range(0x110000)]
    assert np.array_equal((table & CLS_HAN) > 0, han_counts(chars) == 1)
    token = np.zeros(0x110000, dtype=bool)
    token[[c for c in range(0x10000) if _HAN_TOKEN.match(chars[c])]] = True  # the class is BMP only
    assert np.array_equal((table & CLS_HAN_TOKEN) > 0, token)
    space = re.compile(r"\s")
    assert np.array_equal((table & CLS_SPACE) > 0, np.array([space.match(c) is not None for c in chars]))


def test_kernel_switch_and_input_checks(shipped, monkeypatch):
    """`QINGLIU_NATIVE=0` (or no build) means None and the numpy path; the kernel refuses arrays of the
    wrong type or size and indexes outside its tables instead of reading out of bounds."""
    _, scorer = shipped
    monkeypatch.setenv(native.ENV, "0")
    assert native_kernel() is None and scorer.view_probabilities(["好"], POSITIVE, view_classes(), 10) is None
    monkeypatch.delenv(native.ENV)
    assert scorer.view_probabilities(["好"], POSITIVE, view_classes(), 10, native=False) is None
    mod = native_kernel()
    if mod is None:
        pytest.skip(NO_KERNEL)
    wcps, woff, slots = scorer._word_table(mod)
    cls = scorer._classes(view_classes())
    weights = scorer._weights(0)

    def call(cps=np.array([0x597D], np.uint32), off=np.array([0, 1]), cp_word=scorer.cp_word, slots=slots,
             weights=weights, ngram_row=scorer.ngram_row, nwords=scorer.nwords, sums=None, counts=None):
        sums = np.zeros((len(off) - 1, 1)) if sums is None else sums
        counts = np.zeros(len(off) - 1, np.int64) if counts is None else counts
        mod.view_sums(cps, off, 1000, cls, cp_word, wcps, woff, slots, weights, ngram_row, nwords, scorer.bucket,
                      scorer.word_ngrams, scorer.eos[0], scorer.eos[1], sums, counts)
        return sums, counts

    sums, counts = call()
    assert counts[0] > 0 and sums[0, 0] != 0.0
    with pytest.raises(TypeError, match="cps"):
        call(cps=np.array([0x597D], np.int64))
    with pytest.raises(ValueError, match="offsets out of range"):
        call(off=np.array([0, 2]))
    with pytest.raises(ValueError, match="do not agree"):
        call(counts=np.zeros(2, np.int64))
    with pytest.raises(ValueError, match="beyond U"):
        call(cps=np.array([0x110000], np.uint32))
    with pytest.raises(ValueError, match="bad tables"):
        call(ngram_row=np.zeros(5, np.int64))
    with pytest.raises(ValueError, match="bad tables"):
        call(nwords=len(weights) + 1)
    with pytest.raises(ValueError, match="word id out of range"):
        call(cp_word=np.full(0x110000, scorer.nwords + 5, np.int32))
    with pytest.raises(ValueError, match="n-gram row out of range"):
        call(ngram_row=np.full(scorer.bucket, len(weights), np.int64))
    with pytest.raises(ValueError, match="word table entry"):
        call(cps=np.array([ord("x"), ord("y")], np.uint32), off=np.array([0, 2]), slots=np.full(16, 10**6, np.int32))
    with pytest.raises(ValueError, match="power of two"):
        mod.word_slots(wcps, woff, np.zeros(len(woff) + 3, np.int32))
    # a table with no free slot (every slot the word 0, which "xy" is not) ends its search: xy is no word
    full = call(cps=np.array([ord("x"), ord("y")], np.uint32), off=np.array([0, 2]), slots=np.zeros(16, np.int32))
    free = call(cps=np.array([ord("x"), ord("y")], np.uint32), off=np.array([0, 2]))
    assert np.array_equal(full[0], free[0]) and np.array_equal(full[1], free[1])
    with pytest.raises(ValueError, match="n-gram row out of range"):  # no signed overflow on the way
        call(ngram_row=np.full(scorer.bucket, np.iinfo(np.int64).max, np.int64))
