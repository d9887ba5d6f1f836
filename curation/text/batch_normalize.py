"""`normalize_text` of many texts at once, on code-point arrays: the same strings, without a regex pass per text.

    >>> normalize_many(["這是　ＡＢＣ，  測試。", "  Hello\\n\\tWorld "])
    ['这是 abc, 测试。', 'hello world']

`normalize_text`'s fast path maps every character on its own (its NFKC image, case fold and
Traditional->Simplified), checks that the mapped text is NFKC-normalized, then collapses whitespace. Each
step is per character, so it works on one code-point array for the whole batch: two lookup tables
(the mapped character, then its case fold), one `unicodedata.is_normalized` call on the joined mapped text,
and whitespace collapse with numpy. Texts the tables cannot do exactly go through `normalize_text` itself:
texts with a character beyond the BMP (its slow path), with a character whose image is not one character
(e.g. "㍿" -> "株式会社", "ß" -> "ss"), with a NUL (the separator here), or whose mapped text is not NFKC.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import numpy as np

from curation.text.normalize import _fast_tables, normalize_text

_SEP = 0  # NUL joins the texts: not whitespace, unchanged by the tables, and never composes in NFKC


@functools.lru_cache(maxsize=1)
def _tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Over all code points: (mapped code point, packed (case fold of it | slow << 30 | folded-is-space << 31),
    'needs normalize_text' flag, is-whitespace flag). 'slow' is set beyond the BMP (the definition's slow
    path), at NUL (the separator here) and where either image is not one character."""
    mapping, _ = _fast_tables()
    mapped = np.arange(0x110000, dtype=np.uint32)
    folded = np.arange(0x110000, dtype=np.uint32)
    slow = np.zeros(0x110000, dtype=bool)
    slow[0x10000:] = True
    slow[_SEP] = True
    for cp in range(0x10000):
        ch = chr(cp)
        m = mapping.get(ch, ch)
        f = m.casefold()
        if len(m) != 1 or len(f) != 1:
            slow[cp] = True
            continue
        mapped[cp], folded[cp] = ord(m), ord(f)
    allchars = np.arange(0x110000, dtype=np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
    space = np.zeros(0x110000, dtype=bool)
    space[[m.start() for m in re.finditer(r"\s", allchars)]] = True
    # one gather gives all three for the rest: the folded code point (21 bits), 'slow' (bit 30) and
    # 'the folded character is whitespace' (bit 31)
    packed = folded | (slow.astype(np.uint32) << 30) | (space[folded].astype(np.uint32) << 31)
    return mapped, packed, slow, space


def sep_at(start: np.ndarray, n: int) -> np.ndarray:
    """True at the joining NULs (one before every text but the first)."""
    sep = np.zeros(n, dtype=bool)
    sep[start[1:] - 1] = True
    return sep


def _check_nfkc(mapped: str, start: np.ndarray, lens: np.ndarray, lo: int, hi: int, ok: np.ndarray) -> None:
    """Clear `ok` for the texts lo..hi-1 whose mapped text is not NFKC: one check for the range (a NUL-joined
    run of texts), halves only where it fails, so a batch with one bad text costs ~2 log2(k) checks."""
    if not unicodedata.is_normalized("NFKC", mapped[start[lo]:start[hi - 1] + lens[hi - 1]]):
        if hi - lo == 1:
            ok[lo] = False
        else:
            mid = (lo + hi) // 2
            _check_nfkc(mapped, start, lens, lo, mid, ok)
            _check_nfkc(mapped, start, lens, mid, hi, ok)


def normalize_many(texts: list[str]) -> list[str]:
    """`[normalize_text(t) for t in texts]`, computed over the whole list at once.

    Args:
        texts: original texts (any content; lone surrogates allowed).

    Returns:
        The matching view of each text, equal to `normalize_text(text)`.
    """
    k = len(texts)
    if not k:
        return []
    mapped_t, packed_t, _, _ = _tables()
    lens = np.fromiter(map(len, texts), dtype=np.int64, count=k)
    cp = np.frombuffer("\x00".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    off = np.zeros(k + 1, dtype=np.int64)
    np.cumsum(lens + 1, out=off[1:])
    start = off[:-1]  # text i is cp[start[i]:start[i] + lens[i]]; a NUL follows it (except the last)
    # Texts the tables cannot do: a character whose image is not one character, an astral one, a NUL.
    packed = packed_t[cp]
    bad = (packed & (1 << 30)) != 0
    bad[start[1:] - 1] = False  # the joining NULs
    cs = np.zeros(len(cp) + 1, dtype=np.int32)  # int32 accumulation: much faster than int64 here
    np.cumsum(bad, out=cs[1:])
    ok = cs[start + lens] - cs[start] == 0
    # The definition checks the mapped text (before case folding) is NFKC: one check for the whole batch,
    # and one per text if that fails (an NFKC text cut at a NUL gives NFKC pieces: NUL is a starter that
    # composes with nothing, so normalization never looks across it). Texts sent to normalize_text keep
    # NUL-separated garbage here that is never read.
    mapped_cp = mapped_t[cp]
    if not ok.all():  # the texts going to normalize_text must not fail the check for the others
        mapped_cp[np.repeat(~ok, lens + 1)[:len(cp)] & ~sep_at(start, len(cp))] = 0x61
    mapped = mapped_cp.tobytes().decode("utf-32-le", "surrogatepass")
    _check_nfkc(mapped, start, lens, 0, k, ok)
    folded = packed & 0x1FFFFF
    # Whitespace: every run becomes one space; runs touching either end of a text go (strip).
    ws = packed >= (1 << 31)
    sep = cp == _SEP  # the joining NULs, and NULs inside texts (which sent those to normalize_text)
    prev_ws = np.zeros(len(cp), dtype=bool)
    prev_ws[1:] = ws[:-1]
    prev_edge = np.ones(len(cp), dtype=bool)  # the character before is a separator or there is none
    prev_edge[1:] = sep[:-1]
    run_start = ws & ~prev_ws & ~prev_edge
    # a run also goes when the next non-space character is a separator or the end
    nonws = np.flatnonzero(~ws)
    rs = np.flatnonzero(run_start)
    nxt = np.searchsorted(nonws, rs)
    trailing = nxt == len(nonws)
    trailing[~trailing] = sep[nonws[nxt[~trailing]]]
    keep = ~ws
    keep[rs[~trailing]] = True
    out_cp = np.where(ws, np.uint32(32), folded)
    # kept characters of each text: count them to cut the result back into texts
    kcs = np.zeros(len(cp) + 1, dtype=np.int32)
    np.cumsum(keep, out=kcs[1:])
    new_start = kcs[start]
    new_len = kcs[start + lens] - new_start
    joined = out_cp[keep].tobytes().decode("utf-32-le", "surrogatepass")
    out = [joined[s:s + n] for s, n in zip(new_start.tolist(), new_len.tolist())]
    for i in np.flatnonzero(~ok).tolist():
        out[i] = normalize_text(texts[i])
    return out
