"""Length, script, punctuation and stop-word taggers (Gopher, C4, FineWeb and ChineseWebText features).

Every threshold on these features lives in `rules.yaml` with its source; this module only measures.
"""

from __future__ import annotations

import re

from curation.quality.registry import register_tagger
from curation.quality.view import TextView
from curation.text.normalize import HAN_CLASS, count_matches
from curation.text.script import count_han_fast

try:  # reuse datatrove's list (it already holds the CJK 。！？ and full-width forms)
    from datatrove.utils.text import TERMINAL_PUNCTUATION as _DT_TERMINAL
except ImportError:  # datatrove is a bench extra, not a core dependency
    _DT_TERMINAL = {".", "!", "?", "。", "！", "？", "．", "｡"}

# Lines may end in a closing quote or bracket after the full stop (C4 counts `"` as terminal too);
# NFKC is not applied to lines, so both full-width and ASCII forms are listed.
TERMINAL = tuple(sorted(set(_DT_TERMINAL) | set("…\"'”’」』）)》〉】")))

_SPACE = re.compile(r"\s")
_NON_HAN_TOKEN = re.compile(f"[^\\s{HAN_CLASS}]+")
_DIGIT = re.compile(r"\d")
_NON_ALNUM = re.compile(r"[^\w\s]")
_ALNUM = re.compile(r"[^\W_]")  # letters and digits of any script  # punctuation, symbols, emoji (Han and letters are \w)
_BULLET = ("•", "●", "○", "■", "□", "▪", "◆", "◇", "►", "▶", "-", "*", "·", "★", "☆", "√")
_SYMBOLS = re.compile(r"#|\.\.\.|…")

# Gopher (Rae et al. 2021, appendix A): a document must contain >= 2 of these eight English words.
EN_STOP_WORDS = ("the", "be", "to", "of", "and", "that", "have", "with")
_EN_STOP = re.compile(r"\b(?:%s)\b" % "|".join(EN_STOP_WORDS))
# FineWeb-2's stop words for cmn_Hani (configs/cmn_Hani.yml), in their Simplified forms (the matching view is
# Simplified): 的 年 在 月 是 和 日 了 於 · 為 有 被 人 中 为 他 與 後 也 而 由. They are single characters, so
# they are counted as characters without a segmenter.
ZH_STOP_CHARS = "的年在月是和日了于·为有被人中他与后也而由"
_ZH_STOP = re.compile(f"[{ZH_STOP_CHARS}]")


def n_words(view: TextView) -> int:
    """Words: each Han character counts as one, plus every run of other non-space characters."""
    if "n_words" not in view.cache:
        n_han = count_han_fast(view.text)
        tokens = _NON_HAN_TOKEN.findall(view.text)
        view.cache["n_words"] = n_han + len(tokens)
        view.cache["n_han"] = n_han
        view.cache["latin_tokens"] = tokens
    return view.cache["n_words"]


@register_tagger("length_v1")
def length(view: TextView) -> dict[str, float]:
    """n_chars (non-space, whole doc), n_words, n_lines, mean_line_len (chars per non-empty line),
    mean_word_len over non-Han tokens (Gopher's 3..10 rule for English) and newline_word_ratio (FineWeb's
    list ratio: newlines per word)."""
    words = n_words(view)
    tokens = view.cache["latin_tokens"]
    lines = view.lines
    return {
        "n_chars": view.n_chars,
        "n_words": words if not view.truncated else max(words, view.n_chars // 2),
        "n_lines": len(lines),
        "mean_line_len": sum(map(len, lines)) / len(lines) if lines else 0.0,
        "mean_word_len": sum(map(len, tokens)) / len(tokens) if tokens else 0.0,
        "newline_word_ratio": view.text.count("\n") / max(words, 1),
    }


@register_tagger("script_v1")
def script(view: TextView) -> dict[str, float]:
    """letters (letters and digits of any script: 0 for emoji or punctuation only), and shares of
    non-space characters: han_ratio, digit_ratio, non_alnum_ratio (punctuation, symbols, emoji), and
    symbol_word_ratio (Gopher: `#`, `...`, `…` per word)."""
    text = view.text
    n = view.n_chars if not view.truncated else len(text) - count_matches(_SPACE, text)
    if not n:
        return {"letters": 0, "han_ratio": 0.0, "digit_ratio": 0.0, "non_alnum_ratio": 0.0, "symbol_word_ratio": 0.0}
    words = n_words(view)
    non_alnum = count_matches(_NON_ALNUM, text)
    return {
        "letters": n - non_alnum - text.count("_"),
        "han_ratio": view.cache["n_han"] / n,
        "digit_ratio": count_matches(_DIGIT, text) / n,
        "non_alnum_ratio": non_alnum / n,
        "symbol_word_ratio": len(_SYMBOLS.findall(text)) / max(words, 1),
    }


@register_tagger("punctuation_v1")
def punctuation(view: TextView) -> dict[str, float]:
    """Line shapes: line_punct_end (share of lines ending in terminal punctuation, CJK 。！？ included;
    FineWeb/C4), short_line_ratio (lines of <= 30 chars for Latin text, <= 10 for Han text; FineWeb uses
    30), bullet_lines and ellipsis_lines (Gopher).

    These describe line structure, which a one-line document does not have: it gets the neutral values
    (1, 0, 0, 0), so a headline or a one-sentence paragraph is judged by the other rules."""
    lines = view.lines
    if len(lines) < 2:
        return {"line_punct_end": 1.0, "short_line_ratio": 0.0, "bullet_lines": 0.0, "ellipsis_lines": 0.0}
    n = len(lines)
    short = 10 if view.lang in ("zh", "bilingual") else 30
    return {
        "line_punct_end": sum(1 for ln in lines if ln.endswith(TERMINAL)) / n,
        "short_line_ratio": sum(1 for ln in lines if len(ln) <= short) / n,
        "bullet_lines": sum(1 for ln in lines if ln.startswith(_BULLET)) / n,
        "ellipsis_lines": sum(1 for ln in lines if ln.endswith(("...", "…"))) / n,
    }


@register_tagger("stopwords_v1")
def stopwords(view: TextView) -> dict[str, float]:
    """stop_words: Gopher's eight English words (whole words) plus Chinese function characters;
    stop_word_ratio: that count per word."""
    en = len(_EN_STOP.findall(view.norm)) if view.lang != "zh" else 0
    zh = count_matches(_ZH_STOP, view.norm) if view.lang != "en" else 0
    count = en + zh
    return {"stop_words": count, "stop_word_ratio": count / max(n_words(view), 1)}
