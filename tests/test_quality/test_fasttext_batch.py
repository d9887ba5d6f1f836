"""`BatchScorer` (numpy) against fastText's own `predict` on the same models and texts."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from curation.quality.fasttext_batch import BatchScorer, codepoint_hashes, fnv1a, read_model_file
from curation.quality.fasttext_tagger import (
    DEFAULT_MODEL,
    POSITIVE,
    FastTextQualityTagger,
    fasttext_input,
    resolve_model_path,
)
from curation.quality.train import _fit
from curation.text.langid import load_fasttext
from curation.text.normalize import normalize_text

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
