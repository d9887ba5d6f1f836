"""Language routing: zh | bilingual | en | other, and the bilingual definition."""

from __future__ import annotations

import pytest

from curation.errors import ConfigError
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
