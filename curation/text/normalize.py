"""The matching view: one normalization used by quality rules and dedup alike, so they cannot drift.

`normalize_text` is never stored in place of `text`; it is the view rules and shingles look at:
NFKC (full-width ASCII and U+3000 become ASCII), case folded, every whitespace run collapsed to one
space, stripped. NFKC leaves `。` and curly quotes alone, so punctuation rules must accept both forms.
"""

from __future__ import annotations

import re
import unicodedata

_WS = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """NFKC + casefold + whitespace collapse: the matching view of `text`.

    Args:
        text: original document text.

    Returns:
        The normalized view (may be empty).
    """
    return _WS.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def is_han(ch: str) -> bool:
    """CJK Unified Ideographs, Extension A and the supplementary-plane extensions (B and later)."""
    cp = ord(ch)
    return 0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x323AF or 0xF900 <= cp <= 0xFAFF


_HAN_RE = re.compile("[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff\U00020000-\U000323af]")


def han_ratio(text: str) -> float:
    """Share of Han characters among all non-whitespace characters (0.0 for empty text)."""
    n = sum(1 for ch in text if not ch.isspace())
    return len(_HAN_RE.findall(text)) / n if n else 0.0
