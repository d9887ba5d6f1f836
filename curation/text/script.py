"""Script statistics: how much of a text (and of each line) is Han, Latin, kana or Hangul.

Counting is done with `re.sub` on one-character classes (`count_matches`), which runs at C speed; no
per-character Python loop. These numbers drive language routing (`curation.text.langid`) and the
`bilingual` definition documented in docs/quality.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from curation.text.normalize import HAN_CLASS, count_matches

HAN_RE = re.compile(f"[{HAN_CLASS}]")
LATIN_RE = re.compile(r"[A-Za-z\u00c0-\u024f\uff21-\uff3a\uff41-\uff5a]")
KANA_RE = re.compile("[\u3040-\u30ff\u31f0-\u31ff]")
HANGUL_RE = re.compile("[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
# Any letter of any script: \w minus digits and underscore.
LETTER_RE = re.compile(r"[^\W\d_]")
# Letters outside ASCII, Han (U+4000-U+9FFF), kana and Hangul: rare in zh/en text, so a regex pass is cheap.
_OTHER_LETTER_RE = re.compile(r"[^\W\d_A-Za-z\u4000-\u9fff\u3040-\u30ff\u31f0-\u31ff\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_NON_ASCII_LATIN_RE = re.compile(r"[\u00c0-\u024f\uff21-\uff3a\uff41-\uff5a]")

# Byte-level counting: `bytes.translate(None, delete)` keeps only the wanted bytes at memory speed, where a
# regex pass costs ~0.2 us per *match* (most characters of a Chinese text are Han). In UTF-8, U+4000-U+9FFF
# (CJK Extension A's tail and the URO) are exactly the characters whose lead byte is E4-E9.
_ALL = bytes(range(256))
_KEEP_HAN_LEAD = bytes(b for b in _ALL if not 0xE4 <= b <= 0xE9)
_KEEP_ASCII_LETTER = bytes(b for b in _ALL if not (65 <= b <= 90 or 97 <= b <= 122))


def count_han_fast(text: str) -> int:
    """Han characters in U+4000-U+9FFF plus any elsewhere (Extension A head, B+, compatibility)."""
    raw = text.encode("utf-8", "surrogatepass")
    n = len(raw.translate(None, _KEEP_HAN_LEAD))
    if not raw.isascii() and re.search("[\u3400-\u3fff\uf900-\ufaff\U00020000-\U000323af]", text):
        n += len(re.findall("[\u3400-\u3fff\uf900-\ufaff\U00020000-\U000323af]", text))
    return n


# The code points `count_han_fast` counts as Han, as inclusive (first, last) ranges.
HAN_RANGES = ((0x3400, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x323AF))


def han_counts(texts: list[str]) -> np.ndarray:
    """`count_han_fast` of each text (int64 array), for a whole batch in one numpy pass over code points."""
    cps = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype="<u4")
    is_han = np.zeros(len(cps), dtype=bool)
    for lo, hi in HAN_RANGES:
        is_han |= (cps >= lo) & (cps <= hi)
    doc = np.repeat(np.arange(len(texts)), [len(t) for t in texts])
    return np.bincount(doc[is_han], minlength=len(texts))


def count_latin_fast(text: str) -> int:
    raw = text.encode("utf-8", "surrogatepass")
    n = len(raw.translate(None, _KEEP_ASCII_LETTER))
    return n if raw.isascii() else n + count_matches(_NON_ASCII_LATIN_RE, text)


@dataclass(frozen=True)
class ScriptCounts:
    """Character counts of one text.

    Args:
        han, latin, kana, hangul: letters of each script.
        letters: letters of any script (Han included).
    """

    han: int
    latin: int
    kana: int
    hangul: int
    letters: int

    @property
    def han_share(self) -> float:
        """Han among letters (0 when there are no letters)."""
        return self.han / self.letters if self.letters else 0.0

    @property
    def latin_share(self) -> float:
        return self.latin / self.letters if self.letters else 0.0

    @property
    def zh_bytes(self) -> int:
        """UTF-8 weight of the Han side (3 bytes a character): a sentence and its translation weigh about the same."""
        return 3 * self.han

    @property
    def en_bytes(self) -> int:
        return self.latin


# A superset of every class counted below except ASCII letters and U+4000-U+9FFF: when it does not occur
# (most zh and en text), one scan settles kana, Hangul, other letters and the non-ASCII Latin and rare Han
# corrections, instead of five.
_RARE_SCRIPTS_RE = re.compile(
    "[^\\W\\d_A-Za-z\u4000-\u9fff]|[\u00c0-\u024f\uff21-\uff3a\uff41-\uff5a\u3040-\u30ff\u31f0-\u31ff"
    "\uac00-\ud7af\u1100-\u11ff\u3130-\u318f\u3400-\u3fff\uf900-\ufaff\U00020000-\U000323af]"
)


def script_counts(text: str) -> ScriptCounts:
    """Count the letters of each script in `text`."""
    if text.isascii():
        latin = count_latin_fast(text)
        return ScriptCounts(han=0, latin=latin, kana=0, hangul=0, letters=latin)
    if not _RARE_SCRIPTS_RE.search(text):
        raw = text.encode("utf-8", "surrogatepass")
        han, latin = len(raw.translate(None, _KEEP_HAN_LEAD)), len(raw.translate(None, _KEEP_ASCII_LETTER))
        return ScriptCounts(han=han, latin=latin, kana=0, hangul=0, letters=han + latin)
    han, latin = count_han_fast(text), count_latin_fast(text)
    kana, hangul = count_matches(KANA_RE, text), count_matches(HANGUL_RE, text)
    return ScriptCounts(han=han, latin=latin, kana=kana, hangul=hangul,
                        letters=han + latin + kana + hangul + count_matches(_OTHER_LETTER_RE, text))


@dataclass(frozen=True)
class LineScripts:
    """Per-line script balance of a document.

    Args:
        zh_weight: UTF-8 bytes (spaces excluded) of lines whose letters are mostly Han.
        en_weight: the same for lines whose letters are mostly Latin.
        zh_lines, en_lines: how many lines of each kind.
        en_text: the Latin-majority lines joined (what fastText checks is English).
    """

    zh_weight: int
    en_weight: int
    zh_lines: int
    en_lines: int
    en_text: str

    @property
    def minority_share(self) -> float:
        """The smaller side's share of the script-bearing weight (0.5 = perfectly balanced)."""
        total = self.zh_weight + self.en_weight
        return min(self.zh_weight, self.en_weight) / total if total else 0.0


def line_scripts(text: str, max_lines: int = 2000) -> LineScripts:
    """Classify each non-empty line as Han-majority or Latin-majority and weigh both sides.

    A line is Han-majority when 3 x its Han letters >= its Latin letters (byte weights, so "我爱 Python"
    stays a Chinese line) and it has at least one Han letter; Latin-majority otherwise when it has Latin
    letters. A line weighs its UTF-8 bytes without spaces ("It's 7:45." next to "现在是七点四十五分。"
    holds 23% of the weight). Only the first `max_lines` lines are looked at (bounded time on huge documents).
    """
    zh_w = en_w = zh_n = en_n = 0
    en_parts: list[str] = []
    for i, line in enumerate(text.split("\n")):
        if i >= max_lines:
            break
        h = count_han_fast(line)
        lat = count_latin_fast(line)
        if h and 3 * h >= lat:
            zh_w += len(line.encode("utf-8", "surrogatepass")) - line.count(" ")
            zh_n += 1
        elif lat:
            en_w += len(line.encode("utf-8", "surrogatepass")) - line.count(" ")
            en_n += 1
            en_parts.append(line)
    return LineScripts(zh_w, en_w, zh_n, en_n, " ".join(en_parts))
