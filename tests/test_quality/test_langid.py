"""Language routing: zh | bilingual | en | other, and the bilingual definition."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from curation import native
from curation.errors import ConfigError
from curation.text import langid
from curation.text.langid import LanguageRouter, default_lid_path
from curation.text.script import line_scripts, script_counts


@pytest.fixture(scope="module")
def router():
    return LanguageRouter()


@pytest.mark.parametrize(
    "text, lang",
    [
        ("今天天气很好，我们去公园散步。", "zh"),
        ("這個問題很難，我們需要更多時間。", "zh"),
        ("我今天去了 Starbucks 买 coffee，然后学习 Python。", "zh"),
        ("ＡＩ时代来了，大家都在讨论ＧＰＴ。", "zh"),
        ("The weather is nice today, so we are going for a walk in the park.", "en"),
        ("U.S. TAX WRITERS SEEK ESTATE TAX CURBS, RAISING 6.7 BILLION DLRS THRU 1991", "en"),
        ("I love you.\n我爱你。", "bilingual"),
        ("Hi.\n嗨。", "bilingual"),
        ("It's 7:45.\n现在是七点四十五分。", "bilingual"),
        ("第一章 开始\n他走进了房间，看见桌上放着一封信。\nChapter one. He walked into the room and saw a letter.", "bilingual"),
        ("こんにちは、元気ですか。今日はいい天気ですね。", "other"),
        ("안녕하세요, 만나서 반갑습니다.", "other"),
        ("Bonjour tout le monde, comment allez-vous aujourd'hui ?", "other"),
        ("😀😀😀", "other"),
        ("。。。！！！", "other"),
        ("", "other"),
    ],
    ids=["zh", "zh-traditional", "zh-code-switch", "zh-fullwidth-latin", "en", "en-allcaps", "bi-pair",
         "bi-short-pair", "bi-numbers", "bi-chapter", "ja", "ko", "fr", "emoji", "punct-only", "empty"],
)
def test_route(router, text, lang):
    got, attrs = router.route(text)
    assert got == lang
    assert 0.0 <= attrs["lang/score_v1"] <= 1.0


def test_route_writes_scores(router):
    _, attrs = router.route("The weather is nice today.")
    assert attrs["lang/fasttext_en_v1"] > 0.9
    assert attrs["lang/latin_share_v1"] == 1.0


def test_line_scripts_weights_bytes():
    ls = line_scripts("It's 7:45.\n现在是七点四十五分。")
    assert ls.zh_lines == 1 and ls.en_lines == 1
    assert 0.2 < ls.minority_share < 0.3


def test_script_counts():
    sc = script_counts("漢字かなabc")
    assert (sc.han, sc.kana, sc.latin) == (2, 2, 3)


def test_router_pickles_without_model(router):
    import pickle

    router.predict("hello world")
    clone = pickle.loads(pickle.dumps(router))
    assert clone._model is None and clone.route("hello there, how are you?")[0] == "en"


def test_missing_model_is_config_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        LanguageRouter(model_path=str(tmp_path / "nope.ftz"))


def test_default_lid_path_is_in_wheel():
    assert default_lid_path().endswith("lid.176.ftz")


def test_han_counts_is_count_han_fast_per_text():
    from curation.text.script import count_han_fast, han_counts

    texts = ["", "abc", "中文abc", "\u3400\u9fff\uf900\ufaff\U00020000\U000323af", "\U000323b0\u33ff\ufb00",
             "𠀀x", "\ud800好", "の한", "繁體中文 and English 混合"] * 3
    assert han_counts(texts).tolist() == [count_han_fast(t) for t in texts]
    assert han_counts([]).tolist() == []


# -- route_batch's script statistics (C kernels and numpy) against `route` ------------------------------------

# Characters every class of `script_counts` holds, some counted twice (U+3400, "é", "Ａ": Han or Latin and
# another letter), with newlines and spaces for the per-line analysis.
ODD = list("中文的一是好数我爱") + ["\u3400", "\u4dc0", "\uf900", "\U00020000", "\U000323af"] + list("abcxyzABC") + \
    list("0123456789.,!?-'_ ") + ["\n", "\n", "\r", "\t", "\u3000", "\x00"] + ["é", "ß", "Ａ", "ｚ", "×", "\u024f"] + \
    ["あ", "カ", "ㇰ", "한", "ᄀ", "ㄱ", "α", "Ж", "ה", "ع", "ก"] + ["😀", "，", "。", "\ufffd", "\U0010ffff"]
# Lone surrogates cannot reach fastText's binding (nor Arrow, so not the stage): only in texts the script decides.
SURROGATES = ["中文\ud800好的", "\udfff" + "我爱中文" * 5 + "abc", "好\ud83d\ude00中\nab", "\ud800"]


def _random_texts(seed: int, n: int = 400) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        # Han-heavy, Latin-heavy and balanced texts; lines of one script and mixed lines
        han, latin = rng.choice([(8, 1), (1, 8), (3, 3), (1, 1)])
        weights = [han if c in ODD[:14] else latin if c.isascii() and c.isalpha() else rng.random() for c in ODD]
        if rng.random() < 0.3:  # whole lines of one script: bilingual candidates and Han lines with a little English
            lines = ["".join(rng.choices(ODD[:9] if rng.random() < 0.5 else list("abc xyz "), k=rng.randint(1, 40)))
                     for _ in range(rng.randint(1, 8))]
            out.append("\n".join(lines))
        else:
            out.append("".join(rng.choices(ODD, weights=weights, k=rng.choice([0, 1, 3, 20, 200]))))
    return out


def _same_route(router: LanguageRouter, texts: list[str]) -> list[str]:
    langs, cols = router.route_batch(texts)
    for i, text in enumerate(texts):
        lang, attrs = router.route(text)
        got = {k: float(v[i]) for k, v in cols.items() if not math.isnan(v[i])}
        assert (langs[i], got) == (lang, attrs), repr(text[:60])
    return langs


@pytest.mark.parametrize("native_on", [True, False], ids=["C", "numpy"])
@pytest.mark.parametrize("seed", range(3))
def test_route_batch_equals_route_on_odd_characters(router, monkeypatch, seed, native_on):
    """Every script class, surrogates, code points counted twice, lines of one script: `route_batch` gives
    `route`'s language and attributes for each text, with the C kernels and without (QINGLIU_NATIVE=0),
    from a fresh class table (code points classified as they come) and from a filled one."""
    if not native_on:
        monkeypatch.setenv(native.ENV, "0")
    monkeypatch.setattr(langid, "_CLASSES", None)
    texts = _random_texts(seed) + SURROGATES
    langs = _same_route(router, texts)
    assert set(langs) == {"zh", "bilingual", "en", "other"}
    _same_route(router, texts[::-1])


@pytest.mark.skipif(native.module() is None, reason="the C kernel is not built or QINGLIU_NATIVE=0")
def test_line_weights_kernel_equals_numpy(router):
    texts = [t for t in _random_texts(5) if t] + SURROGATES + ["\n", "a\n", "\n中", "中文\n\nabc def\n", "好" * 3000 + "\n" * 2100]
    langid._script_hist(np.zeros(0, np.uint32), np.zeros(1, np.int64))  # the tables exist
    lengths = np.array([len(t) for t in texts])
    cps = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    langid._classify(np.unique(cps))
    for native_on in (None, False):
        shares, settled = router._line_shares(cps, lengths, native=native_on)
        if native_on is None:
            want_shares, want_settled = shares, settled
    assert np.array_equal(shares, want_shares) and np.array_equal(settled, want_settled)
    starts = np.concatenate([[0], np.cumsum(lengths)])
    stats = np.zeros((len(texts), 5), np.int64)
    native.module().line_weights(cps, starts, langid._CLASSES, stats)
    assert np.array_equal(stats.T, np.array(router._line_weights_numpy(cps, starts)))
    for i in range(0, len(texts), 7):  # the weights of `line_scripts` itself
        if stats[i, 4] < 2000:
            ls = line_scripts(texts[i])
            assert stats[i, :4].tolist() == [ls.zh_weight, ls.en_weight, ls.zh_lines, ls.en_lines]
    mod = native.module()
    with pytest.raises(ValueError, match="offsets out of range"):
        mod.line_weights(cps, np.array([0, len(cps) + 1]), langid._CLASSES, np.zeros((1, 5), np.int64))
    with pytest.raises(ValueError, match="sizes do not agree"):
        mod.line_weights(cps, np.array([0, 1]), langid._CLASSES, np.zeros((2, 5), np.int64))
    with pytest.raises(ValueError, match="beyond U"):
        mod.line_weights(np.array([0x110000], np.uint32), np.array([0, 1]), langid._CLASSES, np.zeros((1, 5), np.int64))
    with pytest.raises(TypeError, match="cps"):
        mod.line_weights(cps.astype(np.int64), np.array([0, 1]), langid._CLASSES, np.zeros((1, 5), np.int64))


def test_round4_is_pythons_round():
    rng = np.random.default_rng(0)
    h = rng.integers(0, 5000, 20000)
    lat = rng.integers(1, 5000, 20000)
    x = np.concatenate([h / (h + lat), rng.random(20000), np.arange(0, 20001) / 20000, (np.arange(10000) + 0.5) / 1e4,
                        [0.0, 1.0, -0.00005, 0.00005, 0.12345, 2.5e-5, 1e300, np.inf, -np.inf, np.nan]])
    got = langid._round4(x)
    want = [round(v, 4) if math.isfinite(v) else v for v in x.tolist()]
    assert all(g == w or (math.isnan(g) and math.isnan(w)) for g, w in zip(got.tolist(), want))
