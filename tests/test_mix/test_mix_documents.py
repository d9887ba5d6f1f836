"""Per-document mixer logic: the token estimate, seeded hashes, copy ids, routing reasons (no Beam)."""

from __future__ import annotations

import pytest

from curation import mix
from curation.mix_recipe import Recipe, SourceSpec


@pytest.mark.parametrize("text, expected", [
    ("", 0),
    ("a", 1),                                  # never 0 for visible text
    ("中华人民共和国成立了", 7),                 # 10 Han x 0.70
    ("The quick brown fox jumps over the lazy dog.", 12),   # 44 ASCII x 0.27
    ("你好，world！", 5),                        # 2 Han x 0.70 + 5 ASCII x 0.27 + 2 full-width punctuation
    ("up 26.7% in 2024", 9),                   # 7 digits, one token each, + 9 ASCII x 0.27
    ("😀😀", 2),
], ids=["empty", "one-char", "zh", "en", "mixed", "digits", "emoji"])
def test_estimate_tokens(text, expected):
    assert mix.estimate_tokens(text) == expected


def test_estimate_tracks_script_not_label():
    zh = "今天天气很好，我们一起去公园散步吧。" * 20
    en = "The weather is nice today, let us take a walk in the park. " * 20
    # Chinese costs ~2.9x more tokens per character than English under the reference tokenizer.
    assert mix.estimate_tokens(zh) / len(zh) > 2.5 * mix.estimate_tokens(en) / len(en)
    assert mix.estimate_tokens(zh + en) == pytest.approx(mix.estimate_tokens(zh) + mix.estimate_tokens(en), abs=1)


def test_hashes_are_stable_and_seeded():
    assert mix.sample_hash("doc-1", 0) == mix.sample_hash("doc-1", 0)
    assert mix.sample_hash("doc-1", 0) != mix.sample_hash("doc-1", 1)
    assert mix.sample_hash("doc-1", -1) == mix.sample_hash("doc-1", 2**64 - 1)  # negative seeds wrap
    assert mix.order_key("doc-1#e1", 0) != mix.order_key("doc-1", 0)
    assert 0 <= mix.hash_bin(mix.sample_hash("x", 3)) < 4096


def test_copy_ids():
    assert [mix.copy_id("abc", c) for c in range(3)] == ["abc", "abc#e1", "abc#e2"]


@pytest.mark.parametrize("lang, source, reason", [
    (None, "news", mix.REJECT_NO_LANG),
    ("other", "news", mix.REJECT_LANG),
    ("zh", "forum", mix.REJECT_SOURCE),
    ("zh", "news", None),
    ("en", "anything", None),   # no named sources for en: every source is mixed
], ids=["no-lang", "lang-not-asked", "source-not-in-recipe", "named-source", "any-source"])
def test_route_reasons(lang, source, reason):
    r = Recipe(shares={"zh": 0.8, "en": 0.2}, sources={"zh": {"news": SourceSpec(1.0)}})
    assert mix.route(lang, source, r) == reason


def test_merge_totals_is_order_independent():
    parts = [mix.bucket_summary(("zh", "s"), mix.sample_hash(f"d{i}", 0), i, i, 2 * i) for i in range(50)]
    a: dict = {}
    for p in parts:
        a = mix.merge_totals(a, p)
    b: dict = {}
    for p in reversed(parts):
        b = mix.merge_totals(b, p)
    assert a == b
    assert a[("zh", "s")]["units"] == sum(range(50)) and a[("zh", "s")]["docs"] == 50
    assert sum(d for _, d in a[("zh", "s")]["hist"].values()) == 50
