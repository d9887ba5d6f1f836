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

from curation.native import module as native_module
from curation.text.normalize import _fast_tables, normalize_text

_SEP = 0  # NUL joins the texts: not whitespace, unchanged by the tables, and never composes in NFKC


@functools.lru_cache(maxsize=1)
def _tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Over all code points: (mapped code point, packed (case fold of it | slow << 30 | folded-is-space << 31),
    'needs normalize_text' flag, is-whitespace flag). 'slow' is set beyond the BMP (the definition's slow
    path), at NUL (the separator here), where either image is not one character, and where the image is a
    character NFKC's quick check cannot decide alone (`_maybe_nfkc`)."""
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
        # A character NFKC's quick check answers 'maybe' for (combining marks, conjoining jamo vowels and
        # finals) makes `is_normalized` normalize the whole joined batch (~30 ms a batch: ~0.9 CPU-s on the
        # zh corpus, where pinyin brings U+0301); texts with one go to `normalize_text` alone instead.
        if len(m) != 1 or len(f) != 1 or _maybe_nfkc(m):
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


def _maybe_nfkc(ch: str) -> bool:
    """Most characters whose NFKC quick check is 'maybe' (an approximation: one it misses only costs time)."""
    return bool(unicodedata.combining(ch)) or 0x1161 <= ord(ch) <= 0x1175 or 0x11A8 <= ord(ch) <= 0x11C2


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


def normalize_many(texts: list[str], native: bool | None = None) -> list[str]:
    """`[normalize_text(t) for t in texts]`, computed over the whole list at once.

    Args:
        texts: original texts (any content; lone surrogates allowed).
        native: False forces the numpy path (tests); by default the C kernel runs where it is built.

    Returns:
        The matching view of each text, equal to `normalize_text(text)`.
    """
    k = len(texts)
    if not k:
        return []
    lens = np.fromiter(map(len, texts), dtype=np.int64, count=k)
    cp = np.frombuffer("\x00".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    off = np.zeros(k + 1, dtype=np.int64)
    np.cumsum(lens + 1, out=off[1:])
    start = off[:-1]  # text i is cp[start[i]:start[i] + lens[i]]; a NUL follows it (except the last)
    mod = native_module() if native is not False else None
    per_char = _per_char_numpy if mod is None else functools.partial(_per_char_native, mod)
    mapped, mstart, mlen, joined, new_start, new_len, ok = per_char(cp, start, lens)
    # The definition checks the mapped text (before case folding) is NFKC: one check for the whole batch,
    # and one per text if that fails (an NFKC text cut at a NUL gives NFKC pieces: NUL is a starter that
    # composes with nothing, so normalization never looks across it). Texts sent to normalize_text have
    # 'a's in `mapped`, so they cannot fail the check for the others.
    _check_nfkc(mapped, mstart, mlen, 0, k, ok)
    out = [joined[s:s + n] for s, n in zip(new_start.tolist(), new_len.tolist())]
    for i in np.flatnonzero(~ok).tolist():
        out[i] = normalize_text(texts[i])
    return out


@functools.lru_cache(maxsize=1)
def _image_tables() -> tuple[np.ndarray, np.ndarray]:
    """For the C kernel: the BMP characters whose mapped or folded image is not one character (… -> ...,
    ㎡ -> m2, ß -> ss; NUL and images with combining marks excluded): img[cp] = (start, length) of the mapped image and of the folded image
    (its case fold) in `pool`, -1 elsewhere; a folded character has bit 31 set where it is whitespace."""
    mapping, _ = _fast_tables()
    _, _, slow, space = _tables()
    img = np.full((0x10000, 4), -1, dtype=np.int64)
    pool: list[int] = []
    for cp in np.flatnonzero(slow[:0x10000]).tolist():
        if cp == _SEP:
            continue
        m = mapping.get(chr(cp), chr(cp))
        if any(map(_maybe_nfkc, m)):  # ´ -> space + U+0301: to `normalize_text` alone (see `_tables`)
            continue
        f = m.casefold()
        img[cp] = (len(pool), len(m), len(pool) + len(m), len(f))
        pool += [ord(c) for c in m] + [ord(c) | (int(space[ord(c)]) << 31) for c in f]
    return img, np.array(pool, dtype=np.uint32)


def _per_char_native(mod, cp: np.ndarray, start: np.ndarray, lens: np.ndarray):
    """`_per_char_numpy` in one pass of the C kernel (`curation/_native.c` `normalize_codes`), which also
    maps the characters whose image is several characters (… in Chinese text: 16 % of the bytes of
    ../shared/corpora/zh would otherwise go through `normalize_text` one text at a time)."""
    mapped_t, packed_t, _, _ = _tables()
    img, pool = _image_tables()
    k = len(lens)
    room = len(cp) + len(cp) // 8 + 64
    mstart, mlen, ostart, olen = (np.empty(k, dtype=np.int64) for _ in range(4))
    ok = np.empty(k, dtype=bool)
    while True:
        mapped_cp, out_cp = np.empty(room, dtype=np.uint32), np.empty(room, dtype=np.uint32)
        used = mod.normalize_codes(cp, start, lens, mapped_t, packed_t, img, pool, mapped_cp, mstart, mlen, out_cp,
                                   ostart, olen, ok)
        if used >= 0:
            break
        room = -used  # the images need more room than guessed: the kernel said how much
    wm, wo = int(mstart[-1] + mlen[-1]), int(ostart[-1] + olen[-1])  # what each output holds
    return (mapped_cp[:wm].tobytes().decode("utf-32-le", "surrogatepass"), mstart, mlen,
            out_cp[:wo].tobytes().decode("utf-32-le", "surrogatepass"), ostart, olen, ok)


def _per_char_numpy(cp: np.ndarray, start: np.ndarray, lens: np.ndarray):
    """The per-character part over the NUL-joined code points: (mapped text for the NFKC check, start and
    length of each text in it; the folded texts with whitespace collapsed, joined, start and length of each
    text in it; False for the texts the tables cannot do: a character whose image is not one character,
    beyond the BMP, or NUL)."""
    mapped_t, packed_t, _, _ = _tables()
    # Texts the tables cannot do: a character whose image is not one character, an astral one, a NUL.
    packed = packed_t[cp]
    bad = (packed & (1 << 30)) != 0
    bad[start[1:] - 1] = False  # the joining NULs
    cs = np.zeros(len(cp) + 1, dtype=np.int32)  # int32 accumulation: much faster than int64 here
    np.cumsum(bad, out=cs[1:])
    ok = cs[start + lens] - cs[start] == 0
    mapped_cp = mapped_t[cp]
    if not ok.all():  # the texts going to normalize_text must not fail the check for the others
        mapped_cp[np.repeat(~ok, lens + 1)[:len(cp)] & ~sep_at(start, len(cp))] = 0x61
    mapped = mapped_cp.tobytes().decode("utf-32-le", "surrogatepass")
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
    return mapped, start, lens, joined, new_start, new_len, ok
