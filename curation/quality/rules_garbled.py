"""Garbled-text and markup taggers: mojibake, replacement and control characters, HTML and code remnants.

- replacement_ratio: U+FFFD and private-use characters (what a lossy decode leaves) per character.
- control_ratio: C0/C1 control characters other than tab, newline and carriage return.
- mojibake_ratio: characters in UTF-8-read-as-Latin-1/cp1252 pairs ("ä¸­æ–‡", "Ã©") plus the classic
  GBK markers 锟斤拷 / 烫烫烫 / 屯屯屯.
- rare_han_ratio: Han characters outside GB2312 level 1 (the 3,755 most common Simplified characters)
  among Han characters of the matching view (so Traditional text is not penalised). UTF-8 read as GBK
  ("浣犲ソ") and random CJK strings are mostly rare characters; modern prose is about 1-3% rare.
- html_ratio: characters inside HTML tags and entities; code_line_ratio: lines that look like code.
"""

from __future__ import annotations

import functools
import re

from curation.quality.registry import register_tagger
from curation.quality.view import TextView
from curation.text.normalize import count_matches
from curation.text.script import count_han_fast

_REPLACEMENT = re.compile("[\ufffd\ue000-\uf8ff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_REPLACEMENT_OR_CONTROL = re.compile("[\ufffd\ue000-\uf8ff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # one scan for both
# A UTF-8 lead byte (C2-EF) decoded as Latin-1, then a continuation byte (80-BF) decoded as Latin-1 or cp1252.
_MOJIBAKE = re.compile(
    "[\u00c2-\u00ef][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]|锟斤拷|烫烫烫|屯屯屯"
)
_HTML = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]{0,10}(?:\s[^<>]{0,300})?/?>|&(?:[a-zA-Z]{2,8}|#\d{2,6}|#x[0-9a-fA-F]{2,5});")
_CODE_LINE = re.compile(
    r"(?:[{}]\s*$)|^\s*(?:import |from \S+ import|def |class \S+[:(]|function\s*\(|function \w|var |let |const |"
    r"#include|public |private |return |if\s*\(|for\s*\()|=>|\)\s*\{|\w\(\)\s*;"
)  # `\w\(\)` finds the same lines as `\w+\(\)` without backtracking over every run of Han characters

# Every _CODE_LINE alternative contains one of these: no match anywhere in the text means no code line.
_CODE_ANY = re.compile(r"[{}(]|import |def |class |function |var |let |const |#include|public |private |return |=>")


@functools.lru_cache(maxsize=1)
def _rare_han_re() -> re.Pattern:
    """Regex of every Han character in U+3400-U+9FFF except the 3,755 GB2312 level-1 characters.

    Matching the rare ones (few in real text) is much faster than matching the common ones.
    """
    common = set()
    for b1 in range(0xB0, 0xD8):
        for b2 in range(0xA1, 0xFF):
            try:
                common.add(ord(bytes([b1, b2]).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    ranges, start = [], None
    for cp in list(range(0x3400, 0x4DC0)) + list(range(0x4E00, 0xA000)) + [-1]:
        rare = cp != -1 and cp not in common
        if rare and start is None:
            start = prev = cp
        elif rare and cp == prev + 1:
            prev = cp
        else:
            if start is not None:
                ranges.append(chr(start) if start == prev else f"{chr(start)}-{chr(prev)}")
            start = cp if rare else None
            prev = cp
    return re.compile("[" + "".join(ranges) + "\U00020000-\U000323af]")


def rare_han_ratio(norm: str) -> float:
    """Share of Han characters of a (Simplified) matching view that are not GB2312 level 1."""
    n_han = count_han_fast(norm)
    if not n_han:
        return 0.0
    return min(1.0, count_matches(_rare_han_re(), norm) / n_han)


@register_tagger("garbled_v1")
def garbled(view: TextView) -> dict[str, float]:
    """replacement_ratio, control_ratio, mojibake_ratio, rare_han_ratio (see the module docstring)."""
    text = view.text
    n = max(len(text), 1)
    moji = sum(len(m) for m in _MOJIBAKE.findall(text)) if not text.isascii() else 0
    bad = _REPLACEMENT_OR_CONTROL.search(text) is not None
    return {
        "replacement_ratio": count_matches(_REPLACEMENT, text) / n if bad else 0.0,
        "control_ratio": count_matches(_CONTROL, text) / n if bad else 0.0,
        "mojibake_ratio": moji / n,
        "rare_han_ratio": rare_han_ratio(view.norm),
    }


@register_tagger("markup_v1")
def markup(view: TextView) -> dict[str, float]:
    """html_ratio (characters in tags and entities), code_line_ratio (lines that look like code)."""
    text = view.text
    html = sum(len(m) for m in _HTML.findall(text)) if "<" in text or "&" in text else 0
    lines = view.lines
    code = sum(1 for ln in lines if _CODE_LINE.search(ln)) if lines and _CODE_ANY.search(text) else 0
    return {"html_ratio": html / max(len(text), 1), "code_line_ratio": code / len(lines) if lines else 0.0}
