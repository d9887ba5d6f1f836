"""The cheap part: which bits of a document can hold PII at all, and the view the engine analyses.

Most real text has no PII candidate: every structured identifier needs a run of at least five digits,
an `@` inside an ASCII run, a dotted quad, a colon-separated hex group, or (QQ, WeChat, passport) a
context word. A few compiled patterns find those (`candidate_spans`); a document with none skips the
engine and is returned as is. A document with candidates is cut into *windows*: each candidate plus `MARGIN` characters on
both sides (room for context words and the ASCII lookarounds), overlapping windows merged. Only the
windows go to presidio, so engine time follows the number of candidates, not the document length (a
10 MB document with three phone numbers costs three small windows).

`analysis_view` maps full-width ASCII (U+FF01-U+FF5E), the ideographic space and Unicode dashes onto
ASCII one character for one character, so recognizers need only ASCII classes and every offset in the
view is an offset in the original text.
"""

from __future__ import annotations

import re

MARGIN = 24  # characters of context kept on each side of a candidate (context words sit closer than that)
MAX_BARE_DIGITS = 32  # a longer unbroken digit run cannot be one identifier (the longest is 19 digits + cc)

_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_EXTRA = {0x3000: " ", 0x00A0: " ", 0x2002: " ", 0x2003: " ", 0x2009: " ", 0x202F: " ",
          0x2010: "-", 0x2011: "-", 0x2012: "-", 0x2013: "-", 0x2014: "-", 0x2015: "-", 0x2212: "-",
          0xFE63: "-"}
ANALYSIS_TABLE = {**{k: chr(v) for k, v in _FULLWIDTH.items()}, **_EXTRA}



def analysis_view(text: str) -> str:
    """Same length as `text`: full-width ASCII, odd spaces and dashes replaced by ASCII."""
    return text.translate(ANALYSIS_TABLE)


_D = "[0-9\uff10-\uff19]"
_S = "[ \t\\-\uff0d\u2010-\u2015\u2212.\uff0e()\uff08\uff09/\u3000\r\n]"
# Each trigger is its own pattern starting with a character class or a literal, so `re` skips ahead
# quickly; one alternation of them all ran at under 10 MB/s on short Chinese documents.
DIGITS = re.compile(rf"{_D}(?:{_S}{{0,2}}{_D}){{4,}}")  # five or more digits, separators allowed between them
DOTTED_QUAD = re.compile(rf"{_D}{{1,3}}[.\uff0e]{_D}{{1,3}}[.\uff0e]{_D}{{1,3}}[.\uff0e]{_D}{{1,3}}")
AT = re.compile("[@\uff20]")  # e-mail and URL credentials; expanded to the surrounding ASCII run below
COLONS = re.compile(r":[0-9A-Fa-f]{0,4}:")  # IPv6 ("::" or ":db8:")
# QQ numbers and passports hold five or more digits, so DIGITS finds them; a WeChat id may hold none,
# so its context words are triggers themselves.
WECHAT_WORDS = re.compile("微信|[Ww]e[Cc]hat|WECHAT|[Ww]eixin|[vV]信|[vVwW][xX](?![A-Za-z])")
# A window holding one of these also runs the recognizers that need a context word (QQ, WeChat, passport).
_WEAK = re.compile("(?i:qq|wechat|weixin|passport)|扣扣|微信|护照|[vV]信|(?<![A-Za-z])[vVwW][xX](?![A-Za-z])")
_ADDR_CHAR = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-:/")
_ADDR_RUN = re.compile(r"[A-Za-z0-9._%+\-:/\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uff0e]*")
_BARE = re.compile(r"[0-9\uff10-\uff19]+")


def _ascii_before(text: str, i: int, limit: int = 320) -> int:
    lo = max(0, i - limit)
    while i > lo and (text[i - 1] in _ADDR_CHAR or "\uff10" <= text[i - 1] <= "\uff5a"):
        i -= 1
    return i


def _maybe_wechat(text: str) -> bool:
    # Substring tests run at over 1 GB/s; the regex (about 10 MB/s) only runs when one of them hits.
    return ("微信" in text or "信" in text and ("v信" in text or "V信" in text) or "chat" in text or "CHAT" in text
            or "eixin" in text or "vx" in text or "wx" in text or "VX" in text or "WX" in text)


def candidate_spans(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, False) of every PII trigger in `text` (windows decide `weak` later)."""
    spans = []
    for m in DIGITS.finditer(text):
        s, e = m.span()
        if e - s > MAX_BARE_DIGITS and _BARE.fullmatch(text, s, e):
            continue  # one unbroken digit run longer than any identifier (e.g. a document of digits)
        spans.append((s, e, False))
    if "." in text or "\uff0e" in text:
        spans.extend((m.start(), m.end(), False) for m in DOTTED_QUAD.finditer(text))
    if "@" in text or "\uff20" in text:
        for m in AT.finditer(text):
            p = m.start()
            s, e = _ascii_before(text, p), _ADDR_RUN.match(text, p + 1).end()
            if s < p and e > p + 1:  # "@用户名" (a Weibo mention) has no address around it
                spans.append((s, e, False))
    if ":" in text:
        spans.extend((m.start(), m.end(), False) for m in COLONS.finditer(text))
    if _maybe_wechat(text):
        spans.extend((m.start(), m.end(), False) for m in WECHAT_WORDS.finditer(text))
    return spans


def candidate_windows(text: str, margin: int = MARGIN) -> list[tuple[int, int, bool]]:
    """Sorted, non-overlapping (start, end, weak) windows of `text` that may hold PII; [] when none can.

    `weak` is True when the window holds a QQ/WeChat/passport context word, so the engine must also run
    the recognizers that only count next to one.
    """
    spans = candidate_spans(text)
    if not spans:
        return []
    spans.sort()
    n = len(text)
    windows: list[tuple[int, int, bool]] = []
    for s, e, weak in spans:
        ws, we = max(0, s - margin), min(n, e + margin)
        if windows and ws <= windows[-1][1]:
            ps, pe, pw = windows[-1]
            windows[-1] = (ps, max(we, pe), pw or weak)
        else:
            windows.append((ws, we, weak))
    return [(ws, we, _WEAK.search(text, ws, we) is not None) for ws, we, _ in windows]


def has_candidate(text: str) -> bool:
    """True when `text` has at least one PII trigger (the engine is skipped otherwise)."""
    return bool(candidate_spans(text))
