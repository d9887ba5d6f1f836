"""Lexicon tagger: density of gambling, adult, advertising and boilerplate words (multi-pattern matching).

One Aho-Corasick automaton (pyahocorasick) over every entry of `lexicon.yaml` finds all matches in a single
pass over the matching view, so the cost does not grow with the list. Density = matched characters /
characters of the view. `flagged_ratio` is the sum of the gambling and adult densities (the C4 /
ChineseWebText "bad words" signal); each category also has its own attribute so thresholds can differ.
"""

from __future__ import annotations

import functools
import os

from curation.quality.registry import register_tagger
from curation.quality.view import TextView
from curation.yamlio import load_yaml

LEXICON = os.path.join(os.path.dirname(__file__), "lexicon.yaml")
CATEGORIES = ("gambling", "adult", "ad", "boilerplate")


@functools.lru_cache(maxsize=4)
def automaton(path: str = LEXICON):
    """The Aho-Corasick automaton of a lexicon file: value = (category index, word length, is_ascii)."""
    try:
        import ahocorasick
    except ImportError as exc:
        raise ImportError("the lexicon rules need pyahocorasick: pip install '.[quality]'") from exc
    with open(path, encoding="utf-8") as f:
        lexicon = load_yaml(f)
    auto = ahocorasick.Automaton()
    for ci, cat in enumerate(CATEGORIES):
        for lang_words in (lexicon.get(cat) or {}).values():
            for word in lang_words:
                word = str(word).strip().lower()
                if word:
                    auto.add_word(word, (ci, len(word), word.isascii()))
    auto.make_automaton()
    return auto


def _is_word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def lexicon_density(norm: str, path: str = LEXICON) -> dict[str, float]:
    """Per-category matched-character density of a normalized text (longest non-overlapping matches)."""
    out = dict.fromkeys(CATEGORIES, 0)
    if not norm:
        return {f"{c}_ratio": 0.0 for c in CATEGORIES}
    n = len(norm)
    for end, (ci, length, ascii_word) in automaton(path).iter_long(norm):
        start = end - length + 1
        if ascii_word and ((start > 0 and _is_word_char(norm[start - 1])) or
                           (end + 1 < n and _is_word_char(norm[end + 1]))):
            continue  # "cheap" inside "cheaply", "bet" inside "better": whole words only
        out[CATEGORIES[ci]] += length
    return {f"{c}_ratio": v / n for c, v in out.items()}


@register_tagger("lexicon_v1")
def lexicon(view: TextView) -> dict[str, float]:
    """gambling_ratio, adult_ratio, ad_ratio, boilerplate_ratio, flagged_ratio (gambling + adult)."""
    out = lexicon_density(view.norm)
    out["flagged_ratio"] = out["gambling_ratio"] + out["adult_ratio"]
    return out
