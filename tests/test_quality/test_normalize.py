"""The matching view: NFKC, casefold, Traditional->Simplified, whitespace; fast path == definition."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.text.normalize import _slow_normalize, han_ratio, normalize_text, to_simplified


@pytest.mark.parametrize(
    "text, expected",
    [
        ("這個問題很難", "这个问题很难"),
        ("臺灣的頭髮", "台湾的头发"),
        ("ＡＢＣ１２３，你好！", "abc123,你好!"),
        ("你好\u3000世界", "你好 世界"),
        ("  多个\n\n空白\t字符  ", "多个 空白 字符"),
        ("句号。和“引号”不变", "句号。和“引号”不变"),
        ("Hello WORLD", "hello world"),
        ("ｶﾞｷﾞ", "ガギ"),
        ("e\u0301cole", "école"),
        ("𠮷野家 😀", "𠮷野家 😀"),
        ("", ""),
        ("   ", ""),
    ],
    ids=["traditional", "traditional-variants", "fullwidth", "ideographic-space", "whitespace", "cjk-punct-kept",
         "ascii-case", "halfwidth-kana", "combining-accent", "astral", "empty", "whitespace-only"],
)
def test_normalize_text(text, expected):
    assert normalize_text(text) == expected


def test_traditional_and_simplified_match():
    assert normalize_text("軟體開發，資料庫與網絡") == normalize_text("软体开发，资料库与网络")


def test_to_simplified_leaves_other_text():
    assert to_simplified("abc 123 简体") == "abc 123 简体"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60))
def test_fast_path_equals_definition(text):
    assert normalize_text(text) == _slow_normalize(text)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40))
def test_idempotent(text):
    once = normalize_text(text)
    assert normalize_text(once) == once or normalize_text(normalize_text(once)) == normalize_text(once)


def test_han_ratio():
    assert han_ratio("你好 ab") == 0.5
    assert han_ratio("") == 0.0
