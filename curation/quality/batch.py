"""Rule features of a whole batch at once: the same numbers as the per-document taggers, computed with numpy.

    >>> from curation.quality.batch import tag_batch
    >>> out = tag_batch(("script_v1",), ["今天天气很好。", ""], ["zh", "zh"])
    >>> out["quality/han_ratio_v1"].tolist()
    [0.85714, 0.0]

The per-document taggers (`rules_*.py`, run by `registry.run_taggers` on a `view.TextView`) define every
feature and stay the oracle; `tag_batch` gives, for every document, exactly what
`run_taggers(taggers, make_view(text, lang, max_chars))` gives (tests/test_quality/test_batch_features.py
checks it on the demo corpus, on real corpora and on edge cases). What makes it fast on the short documents
of real Chinese corpora (~330 bytes each) is that almost nothing runs once per document:

- the batch's texts become one UTF-32 code-point array; a lookup table gives each code point a set of class
  bits (whitespace, \\w, digit, Han, stop character, replacement, control, rare Han ...), built once from the
  rules' own regexes so the classes cannot drift; every per-document count comes from one histogram of
  (document, class combination);
- the matching view is `normalize_many` (curation/text/batch_normalize.py): `normalize_text` on code-point
  arrays, the same strings;
- lines and paragraphs are ranges of that array (first and last non-space character); duplicates are found
  by one sort of (document, length, hash) keys, and every hash-equal pair is compared as text before it
  counts (so a hash collision cannot change a value);
- character n-grams are named by exact integer ids built by prefix doubling, grouped by hash tables in
  a C kernel (`curation/_native.c`) or, where it is not built, by radix sorts (`char_ngram_features`);
  word n-grams of other languages use the reference's own hashes, one sort per n
  for the batch (`word_ngram_features`);
- regex and multi-pattern rules (lexicon, mojibake, HTML, code lines, English stop words) scan the joined
  batch once, with separators that no match can cross; positions go back to documents with
  `np.searchsorted`. The lexicon automaton only sees the pieces of text that can hold a match.

What still runs per document: `normalize_text` for the texts its fast path does not take (a character
beyond the BMP, a multi-character image), `_CODE_ANY.search` on texts with a letter but no bracket, and
taggers without a batch form (any tagger registered outside the built-in rule modules, or one re-registered
under a built-in name, goes through its own function one view at a time).

Large batches are cut into chunks of about `CHUNK_CHARS` characters (numpy temporaries stay in cache).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import numpy as np

from curation.native import module as native_module
from curation.quality import rules_garbled, rules_lexicon, rules_repetition, rules_text
from curation.quality.registry import _NAME, get_tagger
from curation.quality.view import MAX_CHARS
from curation.text.batch_normalize import normalize_many
from curation.text.normalize import HAN_CLASS

# Class bits of a code point (one uint32 table over all of Unicode).
WS, WORD, DIGIT, HANC, HANF, ZHSTOP, REPL, CTRL, RARE, TERM, BULLET, LATIN_LEAD = (1 << i for i in range(12))
# single characters some rules count, and the code-trigger classes of `_code_lines`
NL, HASH, ELLIPSIS, UNDERSCORE, LT, AMP, CODE_SURE, CODE_MAYBE = (1 << i for i in range(12, 20))
_SINGLE = {NL: "\n", HASH: "#", ELLIPSIS: "…", UNDERSCORE: "_", LT: "<", AMP: "&"}
_HANF_RE = "[\u3400-\u9fff\uf900-\ufaff\U00020000-\U000323af]"  # what `count_han_fast` counts


@functools.lru_cache(maxsize=1)
def class_table() -> np.ndarray:
    """uint32 class bits for every code point, from the very regexes the per-document rules use."""
    allchars = np.arange(0x110000, dtype=np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
    table = np.zeros(0x110000, dtype=np.uint32)

    def mark(bit: int, pattern: str | re.Pattern) -> None:
        # Every pattern matches one character at a time, so `sub` keeps positions: the matched ones become
        # NUL (U+0000 itself is checked on its own). One C-speed pass, not a Python step per match.
        pat = re.compile(pattern) if isinstance(pattern, str) else pattern
        subbed = np.frombuffer(pat.sub("\0", allchars).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        assert len(subbed) == 0x110000, pattern
        hit = subbed == 0
        hit[0] = pat.match("\0") is not None
        table[hit] |= bit

    mark(WS, r"\s")
    mark(WORD, r"\w")
    mark(DIGIT, r"\d")
    mark(HANC, f"[{HAN_CLASS}]")
    mark(HANF, _HANF_RE)
    mark(ZHSTOP, rules_text._ZH_STOP)
    mark(REPL, rules_garbled._REPLACEMENT)
    mark(CTRL, rules_garbled._CONTROL)
    mark(RARE, rules_garbled._rare_han_re())
    for chars, bit in ((rules_text.TERMINAL, TERM), (rules_text._BULLET, BULLET)):
        assert all(len(ch) == 1 for ch in chars)  # endswith/startswith on one character
        table[[ord(ch) for ch in chars]] |= bit
    mark(LATIN_LEAD, "[\u00c2-\u00ef锟烫屯]")  # a mojibake match starts with one of these
    for bit, ch in _SINGLE.items():
        table[ord(ch)] |= bit
    mark(CODE_SURE, "[{}(]")
    mark(CODE_MAYBE, "[A-Za-z#=]")
    return table


@functools.lru_cache(maxsize=1)
def combo_table() -> tuple[np.ndarray, np.ndarray]:
    """(uint8 index of each code point's class-bit combination, the combinations): per-document counts of
    every class come from one histogram of (document, combination) instead of one pass per class."""
    table = class_table()
    combos = np.flatnonzero(np.bincount(table))  # the combinations present, ascending (as np.unique)
    assert len(combos) <= 256
    lut = np.zeros(int(combos[-1]) + 1, dtype=np.uint8)
    lut[combos] = np.arange(len(combos))
    return lut[table], combos.astype(table.dtype)


def _class_hist(cp: np.ndarray, lens: np.ndarray, native: bool | None = None) -> np.ndarray:
    """(documents x combinations) histogram of the strings' code points (see `combo_table`), in one pass of
    the C kernel where it is built (`native=False`: numpy)."""
    index, combos = combo_table()
    c = len(combos)
    mod = native_module() if native is not False else None
    if mod is not None and cp.dtype == np.uint32:
        off = np.zeros(len(lens) + 1, dtype=np.int64)
        np.cumsum(lens, out=off[1:])
        hist = np.zeros((len(lens), c), dtype=np.int64)
        mod.class_hist(cp, off, index, hist)
        return hist
    key = np.repeat(np.arange(len(lens), dtype=np.int64) * c, lens) + index[cp]
    return np.bincount(key, minlength=len(lens) * c).reshape(len(lens), c)


def _codes(strings: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(code points of the strings joined, as int64; offsets: string i is [off[i], off[i + 1]))."""
    lens = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
    off = np.zeros(len(strings) + 1, dtype=np.int64)
    np.cumsum(lens, out=off[1:])
    cp = np.frombuffer("".join(strings).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return cp, off


def _seg_count(mask: np.ndarray, off: np.ndarray) -> np.ndarray:
    """Per-string count of True in `mask` (strings are [off[i], off[i + 1])); empty strings give 0.

    `np.add.reduceat` over the non-empty strings (each segment then ends where the next non-empty one
    starts); it is ~10x faster here than differences of an int64 `cumsum`, whose accumulate loop is slow.
    """
    lens = off[1:] - off[:-1]
    out = np.zeros(len(lens), dtype=np.int64)
    nz = lens > 0
    if nz.any():
        out[nz] = np.add.reduceat(mask.view(np.uint8) if mask.dtype == bool else mask, off[:-1][nz], dtype=np.int64)
    return out


def _sizes(starts: np.ndarray, end: int) -> np.ndarray:
    """Lengths of the runs that begin at `starts` (ascending), the last ending at `end`."""
    out = np.empty(len(starts), dtype=np.int64)
    out[:-1] = starts[1:] - starts[:-1]
    if len(starts):
        out[-1] = end - starts[-1]
    return out


def _cumcount(mask: np.ndarray) -> np.ndarray:
    """Running count of True (int32 accumulation: much faster than int64 here; batches are < 2**31)."""
    return np.cumsum(mask, dtype=np.int32)


def _doc_of(pos: np.ndarray, off: np.ndarray) -> np.ndarray:
    """Index of the string each position falls in (positions inside a string, offsets as in `_codes`)."""
    return np.searchsorted(off, pos, side="right") - 1


def _div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den as Python's int / int gives it (exact operands below 2**53, so IEEE division is the same)."""
    return num.astype(np.float64) / den.astype(np.float64)


def _regex_counts(pattern: re.Pattern, strings: list[str], which: np.ndarray, k: int, sep: str,
                  weight: bool) -> np.ndarray:
    """Per-document number (or total length, `weight`) of `pattern.finditer` matches over the documents
    `which`, scanned as one string joined with `sep` (a separator no match of `pattern` can touch)."""
    out = np.zeros(k, dtype=np.int64)
    if not len(which):
        return out
    parts = [strings[i] for i in which]
    joined = sep.join(parts)
    spans = [m.span() for m in pattern.finditer(joined)]
    if not spans:
        return out
    sp = np.array(spans, dtype=np.int64)
    lens = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts)) + len(sep)
    starts = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum(lens, out=starts[1:])
    local = _doc_of(sp[:, 0], starts)
    np.add.at(out, which[local], sp[:, 1] - sp[:, 0] if weight else 1)
    return out


class _Batch:
    """Shared arrays of one batch (computed lazily, each at most once)."""

    def __init__(self, texts: list[str], langs: list[str], max_chars: int):
        self.k = len(texts)
        self.max_chars = max_chars
        self.texts = texts
        self.langs = [lang or "other" for lang in langs]
        self.truncated = np.fromiter(map(len, texts), dtype=np.int64, count=self.k) > max_chars
        self.cuts = texts if not self.truncated.any() else [t[:max_chars] for t in texts]
        self.norms = normalize_many(self.cuts)
        self.cp, self.off = _codes(self.cuts)
        self.lens = self.off[1:] - self.off[:-1]
        self.fl = class_table()[self.cp]
        self.lang = np.array(self.langs, dtype=object)
        self._cache: dict = {}

    def lazy(self, key: str, fn: Callable):
        if key not in self._cache:
            self._cache[key] = fn()
        return self._cache[key]

    def count(self, bits: int) -> np.ndarray:
        """Per-document count of cut characters with any of the class `bits`."""
        def build():
            hist = self.lazy("hist", lambda: _class_hist(self.cp, self.lens))
            return hist[:, (combo_table()[1] & bits) != 0].sum(axis=1)
        return self.lazy(f"count{bits}", build)

    # -- the normalized view -------------------------------------------------------------------------------
    @property
    def norm(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(code points, offsets, class bits) of the normalized views."""
        def build():
            cp, off = _codes(self.norms)
            return cp, off, class_table()[cp]
        return self.lazy("norm", build)

    def norm_count(self, bits: int) -> np.ndarray:
        """Per-document count of characters of the normalized views with any of the class `bits`."""
        def build():
            hist = self.lazy("nhist", lambda: _class_hist(self.norm[0], self.norm[1][1:] - self.norm[1][:-1]))
            return hist[:, (combo_table()[1] & bits) != 0].sum(axis=1)
        return self.lazy(f"ncount{bits}", build)

    # -- positions -----------------------------------------------------------------------------------------
    @property
    def first(self) -> np.ndarray:
        """True at the first position of every document."""
        def build():
            m = np.zeros(len(self.cp), dtype=bool)
            m[self.off[:-1][self.lens > 0]] = True
            return m
        return self.lazy("first", build)

    @property
    def n_nonspace(self) -> np.ndarray:
        return self.lens - self.count(WS)

    @property
    def n_han(self) -> np.ndarray:
        return self.count(HANF)

    @property
    def words(self) -> np.ndarray:
        """`rules_text.n_words`: Han characters plus runs of other non-space characters."""
        def build():
            tok = (self.fl & (WS | HANC)) == 0
            start = tok.copy()
            start[1:] &= ~tok[:-1] | self.first[1:]
            self._cache["tok_chars"] = _seg_count(tok, self.off)
            self._cache["n_tokens"] = _seg_count(start, self.off)
            return self.n_han + self._cache["n_tokens"]
        return self.lazy("words", build)

    def ranges(self, key: str, boundary: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Stripped non-empty pieces of every document, the pieces separated where `boundary` is True
        (boundary characters must be whitespace): (doc, first, last) position arrays, in text order."""
        def build():
            seg = _cumcount(boundary | self.first)  # a new piece after each boundary and at each document
            q = np.flatnonzero((self.fl & WS) == 0)
            g = seg[q]
            new = np.ones(len(q), dtype=bool)
            new[1:] = g[1:] != g[:-1]
            first = q[new]
            last = q[np.concatenate((np.flatnonzero(new)[1:] - 1, [len(q) - 1]))] if len(q) else q
            return _doc_of(first, self.off), first, last
        return self.lazy(key, build)

    @property
    def lines(self):
        """`view.lines`: stripped non-empty lines, as (doc, first, last)."""
        return self.ranges("lines", self.cp == 10)

    @property
    def paras(self):
        """Stripped non-empty pieces of `text.split("\\n\\n")`: pieces between runs of two or more newlines
        (the odd newline a run of three leaves is stripped away)."""
        def boundary():
            nl = self.cp == 10
            both = np.zeros(len(nl), dtype=bool)  # a newline next to a newline of the same document
            pair = nl[1:] & nl[:-1] & ~self.first[1:]
            both[1:] |= pair
            both[:-1] |= pair
            return both
        return self.ranges("paras", boundary())


# -- per-tagger batch forms --------------------------------------------------------------------------------
def _length(b: _Batch) -> dict[str, np.ndarray]:
    words = b.words
    n_chars = b.n_nonspace.copy()
    for i in np.flatnonzero(b.truncated):  # the whole text's count (the cut is all the arrays hold)
        n_chars[i] = len(b.texts[i]) - _n_space(b.texts[i])
    doc, first, last = b.lines
    n_lines = np.bincount(doc, minlength=b.k)
    line_chars = np.bincount(doc, weights=(last - first + 1), minlength=b.k)
    ntok, tchars = b._cache["n_tokens"], b._cache["tok_chars"]
    return {
        "n_chars": n_chars,
        "n_words": np.where(b.truncated, np.maximum(words, n_chars // 2), words),
        "n_lines": n_lines,
        "mean_line_len": np.where(n_lines > 0, line_chars / np.maximum(n_lines, 1), 0.0),
        "mean_word_len": np.where(ntok > 0, _div(tchars, np.maximum(ntok, 1)), 0.0),
        "newline_word_ratio": _div(b.count(NL), np.maximum(words, 1)),
    }


def _n_space(text: str) -> int:
    return len(text) - len(rules_text._SPACE.sub("", text))


def _script(b: _Batch) -> dict[str, np.ndarray]:
    n = b.n_nonspace
    words = b.words
    non_alnum = b.lens - b.count(WORD | WS)  # neither \w nor \s: [^\w\s]
    dots = _dot_triples(b)
    sym = b.count(HASH) + b.count(ELLIPSIS) + dots
    has = n > 0
    n1 = np.maximum(n, 1)
    return {
        "letters": np.where(has, n - non_alnum - b.count(UNDERSCORE), 0),
        "han_ratio": np.where(has, _div(b.n_han, n1), 0.0),
        "digit_ratio": np.where(has, _div(b.count(DIGIT), n1), 0.0),
        "non_alnum_ratio": np.where(has, _div(non_alnum, n1), 0.0),
        "symbol_word_ratio": np.where(has, _div(sym, np.maximum(words, 1)), 0.0),
    }


def _dot_triples(b: _Batch) -> np.ndarray:
    """Per document, non-overlapping '...' matches: len // 3 of every run of full stops."""
    dot = b.cp == ord(".")
    pos = np.flatnonzero(dot)
    if not len(pos):
        return np.zeros(b.k, dtype=np.int64)
    new = np.ones(len(pos), dtype=bool)
    new[1:] = (pos[1:] != pos[:-1] + 1) | b.first[pos[1:]]
    run = _cumcount(new) - 1
    run_len = np.bincount(run)
    run_doc = _doc_of(pos[new], b.off)
    return np.bincount(run_doc, weights=run_len // 3, minlength=b.k).astype(np.int64)


def _punctuation(b: _Batch) -> dict[str, np.ndarray]:
    doc, first, last = b.lines
    n = np.bincount(doc, minlength=b.k)
    short = np.array([10 if lang in ("zh", "bilingual") else 30 for lang in b.langs], dtype=np.int64)
    length = last - first + 1
    lc, fc = b.cp[last], b.fl[first]
    ell = (lc == ord("…")) | ((length >= 3) & (lc == 46) & (b.cp[np.maximum(last - 1, 0)] == 46)
                             & (b.cp[np.maximum(last - 2, 0)] == 46))
    multi = n >= 2
    n1 = np.maximum(n, 1)

    def frac(mask, neutral):
        return np.where(multi, _div(np.bincount(doc[mask], minlength=b.k), n1), neutral)

    return {
        "line_punct_end": frac((b.fl[last] & TERM) != 0, 1.0),
        "short_line_ratio": frac(length <= short[doc], 0.0),
        "bullet_lines": frac((fc & BULLET) != 0, 0.0),
        "ellipsis_lines": frac(ell, 0.0),
    }


def _stopwords(b: _Batch) -> dict[str, np.ndarray]:
    not_zh = np.flatnonzero(b.lang != "zh")
    # \b...\b: a match is a whole \w run, and the separator (a space) is not \w, so none crosses it
    en = _regex_counts(rules_text._EN_STOP, b.norms, not_zh, b.k, " ", weight=False)
    zh = np.where(b.lang != "en", b.norm_count(ZHSTOP), 0)
    count = en + zh
    return {"stop_words": count, "stop_word_ratio": _div(count, np.maximum(b.words, 1))}


def _dup_pieces(b: _Batch, doc: np.ndarray, first: np.ndarray, last: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`rules_repetition._dup_items` of every document's pieces (doc, first, last): (fraction of pieces that
    repeat an earlier one, fraction of characters in them).

    Pieces are grouped by (document, length, 64-bit polynomial hash); the members of every group are then
    compared as strings, so a hash collision (odds ~2**-64 a pair, but polynomial hashes mod 2**64 have
    known adversarial inputs) sends that document to the per-document function instead of changing it.
    """
    k = b.k
    zero = np.zeros(k)
    n = np.bincount(doc, minlength=k)
    multi = n[doc] >= 2  # a document with one piece repeats nothing
    if not multi.any():
        return zero, zero.copy()
    length = last - first + 1
    chars = np.bincount(doc, weights=length, minlength=k)
    doc, first, last, length = doc[multi], first[multi], last[multi], length[multi]
    h = _range_hash(b.cp, first, length)
    order = np.lexsort((h, length, doc))
    sd, sl, sh = doc[order], length[order], h[order]
    same = (sd[1:] == sd[:-1]) & (sl[1:] == sl[:-1]) & (sh[1:] == sh[:-1])
    if not same.any():
        return zero, zero.copy()
    # verify: each repeat equals its group's first member as text
    starts = np.flatnonzero(np.concatenate(([True], ~same)))
    head = order[starts[_cumcount(np.concatenate(([True], ~same))) - 1]]
    rep = np.flatnonzero(np.concatenate(([False], same)))
    bad = set()
    for i in rep:
        j, j0 = order[i], head[i]
        d = int(doc[j])
        if d in bad:
            continue
        t, o = b.cuts[d], int(b.off[d])
        if t[first[j] - o: last[j] + 1 - o] != t[first[j0] - o: last[j0] + 1 - o]:
            bad.add(d)
    dup = np.bincount(sd[rep], minlength=k)
    dup_chars = np.bincount(sd[rep], weights=sl[rep], minlength=k)
    frac = np.where(n > 0, _div(dup, np.maximum(n, 1)), 0.0)
    cfrac = np.where(dup > 0, dup_chars / np.maximum(chars, 1), 0.0)
    frac[dup == 0] = 0.0
    for d in bad:
        sel = doc == d
        t, o = b.cuts[d], int(b.off[d])
        items = [t[f - o: e + 1 - o] for f, e in zip(first[sel].tolist(), last[sel].tolist())]
        frac[d], cfrac[d] = rules_repetition._dup_items(items)
    return frac, cfrac


_B = np.uint64(0x9E3779B97F4A7C15)  # odd: a polynomial hash mod 2**64 with it is a decent mixer
_POW = [np.ones(1, dtype=np.uint64)]


def _powers(n: int) -> np.ndarray:
    """B**j mod 2**64 for j < n (cached, grown on demand)."""
    if len(_POW[0]) < n:
        p = np.full(max(n, 2 * len(_POW[0])), _B, dtype=np.uint64)
        p[0] = 1
        with np.errstate(over="ignore"):
            _POW[0] = np.cumprod(p)
    return _POW[0]


def _range_hash(cp: np.ndarray, start: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Polynomial hash mod 2**64 of every range cp[start:start + length] (lengths >= 1): sum of
    cp[start + j] * B**j, one `reduceat` over the ranges' code points gathered end to end."""
    cl = np.zeros(len(start) + 1, dtype=np.int64)
    np.cumsum(length, out=cl[1:])
    within = np.arange(int(cl[-1]), dtype=np.int64) - np.repeat(cl[:-1], length)
    pw = _powers(int(length.max()))
    with np.errstate(over="ignore"):
        terms = cp[np.repeat(start, length) + within].astype(np.uint64) * pw[within]
        return np.add.reduceat(terms, cl[:-1])


_CHAR_KEYS = ("top_ngram_2", "top_ngram_3", "top_ngram_4", "dup_ngram_5", "dup_ngram_10", "dup_ngram_13")


def _pair_order(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """A stable order of the positions by the pair (x, y) of non-negative ints: LSD radix sort, one stable
    `argsort` per 16-bit digit (numpy radix-sorts 16-bit keys, several times faster than a 64-bit sort),
    or one stable 64-bit `argsort` when the values need more than 21 bits each."""
    if not len(x):
        return np.zeros(0, dtype=np.int64)
    top = max(int(x.max()), int(y.max()))
    if top > 0x1FFFFF:
        return np.argsort((x << 32) | y, kind="stable")
    order = np.argsort((y & 0xFFFF).astype(np.uint16), kind="stable")
    order = order[np.argsort((x[order] & 0xFFFF).astype(np.uint16), kind="stable")]
    if top > 0xFFFF:  # one more digit: the high 5 bits of both
        hi = ((x >> 16) << 5 | (y >> 16)).astype(np.uint16)
        order = order[np.argsort(hi[order], kind="stable")]
    return order


def _max_per_doc(doc: np.ndarray, value: np.ndarray, k: int) -> np.ndarray:
    """Per document, the largest `value` (0 where none)."""
    best = np.zeros(k, dtype=np.int64)
    if len(doc):
        order = np.argsort(doc.astype(np.uint16) if k <= 0x10000 else doc, kind="stable")
        d = doc[order]
        first = np.flatnonzero(np.concatenate(([True], d[1:] != d[:-1])))
        best[d[first]] = np.maximum.reduceat(value[order], first)
    return best


def _sequences(codes: np.ndarray, off: np.ndarray) -> tuple[int, int, np.ndarray, np.ndarray]:
    """(number of sequences, number of units, length of each sequence, sequence of each unit) of the
    sequences codes[off[i]:off[i + 1]]."""
    lens = off[1:] - off[:-1]
    return len(lens), len(codes), lens, np.repeat(np.arange(len(lens), dtype=np.int64), lens)


def _ngram_rounds(top_ns, dup_ns) -> list[tuple[int, int, int]]:
    """The rounds of the prefix doubling shared by both paths: (n, head, tail) for n in 2..5 and every
    wanted n, ascending. An n-gram at p is named by (the id of the `head`-gram at p, the `tail` at p + n -
    tail): code points (tail 1) up to n = 5, then the 5-gram id (tail 5) behind a 5- or 10-gram head."""
    wanted = set(top_ns) | set(dup_ns)
    rounds, done = [], set()
    for n in sorted(set(range(2, 6)) | wanted):
        if n <= 5:
            rounds.append((n, n - 1, 1))
        else:
            head = 10 if n > 10 and 10 in done else 5
            if head + 5 < n:
                raise ValueError(f"dup_ns: {n}-grams need the 10-grams (n <= 15) or n <= 10")
            rounds.append((n, head, 5))
        done.add(n)
    return rounds


def char_ngram_features(codes: np.ndarray, off: np.ndarray, top_ns=(2, 3, 4), dup_ns=(5, 10, 13),
                        native: bool | None = None) -> dict[str, np.ndarray]:
    """`char_ngram_stats_batch` (rules_repetition.py) of the sequences codes[off[i]:off[i + 1]], as arrays:
    the C kernel (`curation/_native.c` `char_ngram_counts`: the same exact ids from hash tables, ~4x
    faster) when it is built, else `_char_ngram_numpy`. `native=False` forces numpy (tests)."""
    rounds = _ngram_rounds(top_ns, dup_ns)
    mod = native_module() if native is not False else None
    if mod is None:
        return _char_ngram_numpy(codes, off, top_ns, dup_ns)
    k, m = len(off) - 1, len(rounds)
    rn, rhead, rtail = (np.array(col, dtype=np.int64) for col in zip(*rounds))
    best, cover = np.zeros((k, m), dtype=np.int64), np.zeros((k, m), dtype=np.int64)
    mod.char_ngram_counts(np.ascontiguousarray(codes, dtype=np.int64), np.ascontiguousarray(off, dtype=np.int64),
                          rn, rhead, rtail, best, cover)
    lens = off[1:] - off[:-1]
    out = {f"top_ngram_{n}": np.zeros(k) for n in top_ns} | {f"dup_ngram_{n}": np.zeros(k) for n in dup_ns}
    for r, (n, _, _) in enumerate(rounds):
        if n in top_ns:
            out[f"top_ngram_{n}"] = np.where(best[:, r] > 1, _div(best[:, r] * n, lens), 0.0)
        if n in dup_ns:
            out[f"dup_ngram_{n}"] = _div(cover[:, r], lens)
    return out


def _char_ngram_numpy(codes: np.ndarray, off: np.ndarray, top_ns=(2, 3, 4), dup_ns=(5, 10, 13)
                      ) -> dict[str, np.ndarray]:
    """`char_ngram_stats_batch` (rules_repetition.py) of the sequences codes[off[i]:off[i + 1]], as arrays.

    The reference groups n-grams by a rolling hash mod 2**64 (base P = 1,000,003) and sorts (document, hash)
    pairs with `lexsort` for every n. Here an n-gram is named by exact integers instead, by prefix doubling:
    a 2-gram by its two code points (and its document); an n-gram (n = 3..5) by (the id of its (n-1)-gram
    prefix, its last code point); a 10-gram by (5-gram id, 5-gram id 5 further); a 13-gram by (10-gram id,
    5-gram id 8 further). Ids number the repeated groups of the previous step (they include the document),
    so they stay small and each step is a radix sort of a pair. Only n-grams whose prefix repeats are
    sorted, as in the reference (the same candidates).

    The groups are the reference's groups whenever its hash does not collide: with code points below P
    (checked by the caller, which otherwise runs the reference), 2- and 3-gram hashes are below 2**64 and
    injective; from n = 4 the hash wraps, and two different n-grams of one document get the same hash with
    probability ~2**-64 per pair of candidates (about 1e-10 for a 100k-character document).

    Args:
        codes: int64 code points (below 0x110000) of every sequence, joined; each sequence has at least
            `MIN_UNITS` of them.
        off: sequence i is codes[off[i]:off[i + 1]].
        top_ns, dup_ns: as in `ngram_stats`.

    Returns:
        `top_ngram_N` / `dup_ngram_N` -> float64 array, one value per sequence.
    """
    k, n_all, lens, doc = _sequences(codes, off)
    end = off[1:]
    out = {f"top_ngram_{n}": np.zeros(k) for n in top_ns} | {f"dup_ngram_{n}": np.zeros(k) for n in dup_ns}
    wanted = set(top_ns) | set(dup_ns)
    ids: dict[int, np.ndarray] = {}  # n -> id of the repeated n-gram at each position, -1 where it does not repeat
    rpos: dict[int, np.ndarray] = {}  # n -> positions (ascending) whose n-gram repeats in its sequence
    for n, head, _ in _ngram_rounds(top_ns, dup_ns):
        if n == 2:
            inner = np.ones(n_all, dtype=bool)
            inner[end[lens > 0] - 1] = False  # the last character of a sequence starts no 2-gram
            pos = np.flatnonzero(inner)
            x, y = codes[pos], codes[pos + 1]
        elif n <= 5:
            prev = rpos[n - 1]
            pos = prev[end[doc[prev]] - prev >= n]
            x, y = ids[n - 1][pos], codes[pos + n - 1]
        else:  # both 5-gram halves must repeat, as in the reference; the rest of the n-gram is named by ids
            prev = rpos[head]
            pos = prev[end[doc[prev]] - prev >= n]
            pos = pos[(ids[5][pos + n - 5] >= 0) & (ids[5][pos] >= 0)]
            x, y = ids[head][pos], ids[5][pos + n - 5]
        order = _pair_order(x, y)  # stable: positions stay ascending inside a group
        sp = pos[order]
        key = (x << 21) | y if n == 2 else (x << 32) | y  # x, y < 2**21 at n = 2; ids < 2**31
        sk = key[order]
        new = np.ones(len(sp), dtype=bool)
        new[1:] = sk[1:] != sk[:-1]
        if n == 2:  # equal pairs are in text order, so one document's are adjacent
            sd = doc[sp]
            new[1:] |= sd[1:] != sd[:-1]
        starts = np.flatnonzero(new)
        size = _sizes(starts, len(sp))
        gid = _cumcount(new) - 1
        many = size[gid] > 1
        g = np.full(n_all, -1, dtype=np.int64)
        # number the repeated groups 0, 1, ... (small ids keep the next keys within radix digits)
        g[sp[many]] = (_cumcount(new & many) - 1)[many]
        ids[n] = g
        repeated = np.empty(len(pos), dtype=bool)
        repeated[order] = many
        rpos[n] = pos[repeated]  # still ascending
        if n not in wanted or not many.any():
            continue
        if n in top_ns:
            multi = size > 1
            best = _max_per_doc(doc[sp[starts[multi]]], size[multi], k)
            out[f"top_ngram_{n}"] = np.where(best > 1, _div(best * n, lens), 0.0)
        if n in dup_ns:
            # Every occurrence but the first of a repeated n-gram covers [p, p + n). An n-gram never runs past
            # its sequence, so the union length is the sum of min(n, gap to the next such position).
            rp = np.sort(sp[many & ~new])
            step = np.minimum(_sizes(rp, n_all + n), n)
            out[f"dup_ngram_{n}"] = _div(np.bincount(doc[rp], weights=step, minlength=k).astype(np.int64), lens)
    return out


def word_ngram_features(codes: np.ndarray, lengths: np.ndarray, off: np.ndarray, top_ns=(2, 3, 4), dup_ns=(5, 10)
                        ) -> dict[str, np.ndarray]:
    """`ngram_stats(codes, lengths)` (rules_repetition.py) of every unit sequence codes[off[i]:off[i + 1]].

    The same algorithm on the same hashes (the rolling hash of `ngram_stats` over the units' codes; a
    window inside one sequence has the same hash in the joined array), with (sequence, hash) sorted once
    per n for the whole batch: the same candidates and groups, and the same most frequent n-gram per
    sequence (of equally frequent ones, the one that occurs first: never the hash order, which Python's
    salted `hash` changes from process to process). The one thing left to chance is which member of a group
    measures the n-gram's characters, as in the reference: members share a 64-bit hash, so they differ only
    under a collision.

    Args:
        codes: uint64 code of every unit (the reference uses Python's `hash` of the token).
        lengths: characters of every unit.
        off: sequence i is [off[i], off[i + 1]); shorter than `MIN_UNITS` units gives zeros.
        top_ns, dup_ns: as in `ngram_stats`.

    Returns:
        `top_ngram_N` / `dup_ngram_N` -> float64 array, one value per sequence.
    """
    k, n_all, lens, doc = _sequences(codes, off)
    rem = off[1:][doc] - np.arange(n_all)
    total = np.bincount(doc, weights=lengths, minlength=k).astype(np.int64)
    cum = np.zeros(n_all + 1, dtype=np.int64)
    np.cumsum(lengths, out=cum[1:])
    live = (lens >= rules_repetition.MIN_UNITS) & (total > 0)
    out = {f"top_ngram_{n}": np.zeros(k) for n in top_ns} | {f"dup_ngram_{n}": np.zeros(k) for n in dup_ns}
    wanted = set(top_ns) | set(dup_ns)
    if not live.any() or not wanted:
        return out
    hashes = {1: codes}
    h = codes
    with np.errstate(over="ignore"):
        for n in range(2, max(wanted) + 1):
            h = h[:-1] * rules_repetition._P + codes[n - 1:]  # h[i]: the n units from i (padded below)
            hashes[n] = np.concatenate((h, np.zeros(n - 1, dtype=np.uint64)))
    repeats: dict[int, np.ndarray] = {}
    for n in sorted(set(range(2, min(max(wanted), 5) + 1)) | wanted):
        valid = (rem >= n) & live[doc]
        if n == 2:
            cand = valid
        elif n <= 5:
            cand = repeats[n - 1] & valid
        else:  # as in ngram_stats: both halves (k-grams at i and i + n - k) must repeat
            kk = max(m for m in repeats if m <= n // 2 + 1) if n // 2 + 1 >= 5 else 5
            kk = min(kk, n - 1)
            shifted = np.zeros(n_all, dtype=bool)
            shifted[: n_all - (n - kk)] = repeats[kk][n - kk:]
            cand = repeats[kk] & shifted & valid
        pos = np.flatnonzero(cand)
        hv = hashes[n][pos]
        order = np.lexsort((hv, doc[pos]))  # stable: positions ascend inside a group
        sp, sh, sd = pos[order], hv[order], doc[pos][order]
        new = np.ones(len(sp), dtype=bool)
        new[1:] = (sh[1:] != sh[:-1]) | (sd[1:] != sd[:-1])
        starts = np.flatnonzero(new)
        size = _sizes(starts, len(sp))
        many = size[_cumcount(new) - 1] > 1
        mask = np.zeros(n_all, dtype=bool)
        mask[sp[many]] = True
        repeats[n] = mask
        if n not in wanted or not many.any():
            continue
        if n in top_ns:  # of the largest groups of a sequence, the one that occurs first
            gdoc = sd[starts]
            best = _max_per_doc(gdoc, size, k)
            top = np.flatnonzero((size == best[gdoc]) & (size > 1))
            top = top[np.lexsort((sp[starts[top]], gdoc[top]))]
            _, first = np.unique(gdoc[top], return_index=True)
            g = top[first]
            i = sp[starts[g]]
            out[f"top_ngram_{n}"][gdoc[g]] = _div(size[g] * (cum[i + n] - cum[i]), total[gdoc[g]])
        if n in dup_ns:  # every occurrence but the first covers its n units
            rp = sp[many & ~new]
            delta = np.bincount(rp, minlength=n_all + 1) - np.bincount(rp + n, minlength=n_all + 1)
            covered = np.flatnonzero(np.cumsum(delta[:-1]) > 0)
            chars = np.bincount(doc[covered], weights=lengths[covered], minlength=k).astype(np.int64)
            hit = chars > 0
            out[f"dup_ngram_{n}"][hit] = _div(chars[hit], total[hit])
    return out


def _repetition(b: _Batch) -> dict[str, np.ndarray]:
    k = b.k
    line_frac, line_chars = _dup_pieces(b, *b.lines)
    para_frac, para_chars = _dup_pieces(b, *b.paras)
    out = {"dup_line_frac": line_frac, "dup_line_char_frac": line_chars,
           "dup_para_frac": para_frac, "dup_para_char_frac": para_chars}
    feats = {key: np.zeros(k) for key in _CHAR_KEYS}
    ncp, noff, _ = b.norm
    nlen = noff[1:] - noff[:-1]
    nspace = b.norm_count(WS)  # the views' only whitespace is the space
    todo = np.flatnonzero((nlen >= rules_repetition.MIN_UNITS) & (nlen - nspace >= rules_repetition.MIN_UNITS))
    if len(todo):
        # the views of `todo` without their spaces, one array
        keep = (ncp != 32) & np.repeat(np.isin(np.arange(b.k), todo), nlen)
        codes = ncp[keep]
        off = np.zeros(len(todo) + 1, dtype=np.int64)
        np.cumsum((nlen - nspace)[todo], out=off[1:])
        if int(codes.max()) < int(rules_repetition._P):
            stats = char_ngram_features(codes.astype(np.int64), off)
            for key in _CHAR_KEYS:
                feats[key][todo] = stats[key]
        else:  # see `char_ngram_features`: the reference's own algorithm, one document list
            seqs = [codes[off[j]:off[j + 1]].astype(np.uint64) for j in range(len(todo))]
            for i, st in zip(todo, rules_repetition.char_ngram_stats_batch(seqs)):
                for key in _CHAR_KEYS:
                    feats[key][i] = st[key]
    out["dup_char13"] = feats.pop("dup_ngram_13")
    out.update(feats)
    # Other languages count word units (runs of non-space characters), unless every unit is one character.
    other = np.flatnonzero((b.lang != "zh") & (nlen >= rules_repetition.MIN_UNITS))
    if len(other):
        tokens = rules_repetition._TOKEN.findall(" ".join([b.norms[i] for i in other]))  # no token holds a space
        lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
        # a token starts at every Han character and where a run of other non-space characters starts
        nfl = b.norm[2][np.repeat(np.isin(np.arange(b.k), other), nlen)]
        han, word = (nfl & HANC) != 0, (nfl & (WS | HANC)) == 0
        vlen = nlen[other]
        vfirst = np.zeros(len(nfl), dtype=bool)
        vfirst[np.cumsum(vlen) - vlen] = True
        start = han | (word & ~np.concatenate(([False], word[:-1]))) | (word & vfirst)
        per_view = _seg_count(start, np.concatenate(([0], np.cumsum(vlen))))
        toff = np.concatenate(([0], np.cumsum(per_view)))
        assert toff[-1] == len(tokens)
        longest = np.zeros(len(other), dtype=np.int64)
        nz = per_view > 0
        longest[nz] = np.maximum.reduceat(lengths, toff[:-1][nz])
        words = longest != 1  # views with a unit of two or more characters (or none: zeros, as the reference)
        if words.any():
            sel = np.repeat(words, per_view)
            codes = np.fromiter(map(hash, tokens), dtype=np.int64, count=len(tokens)).view(np.uint64)[sel]
            stats = word_ngram_features(codes, lengths[sel], np.concatenate(([0], np.cumsum(per_view[words]))))
            for key, v in stats.items():
                out[key][other[words]] = v
    return out


@functools.lru_cache(maxsize=4)
def _lexicon_tables(path: str) -> tuple[np.ndarray, np.ndarray] | None:
    """(in-some-word table over code points, sorted (first << 21 | second) keys of the words); None when a
    word is shorter than two characters (then every view is scanned whole)."""
    words = list(rules_lexicon.automaton(path).keys())
    if any(len(w) < 2 for w in words):
        return None
    in_word = np.zeros(0x110000, dtype=bool)
    in_word[[ord(ch) for w in words for ch in w]] = True
    return in_word, np.unique(np.array([(ord(w[0]) << 21) | ord(w[1]) for w in words], dtype=np.int64))


def _lexicon(b: _Batch) -> dict[str, np.ndarray]:
    """`lexicon_density` of every view, scanning only the pieces of text where a match can be.

    A character that is in no lexicon word sends `iter_long` back to the root (emitting any pending match
    and rescanning before it, never across it), so views split at such characters into pieces scanned
    independently with the same result. A match starts with the first two characters of a word, so only
    pieces holding such a pair are scanned, joined with newlines (in no word either). The whole-word check
    of ASCII entries looks at the characters around the match in the whole view, as the reference does.
    """
    k = b.k
    cats = rules_lexicon.CATEGORIES
    counts = np.zeros((len(cats), k), dtype=np.int64)
    ncp, noff, _ = b.norm
    n = noff[1:] - noff[:-1]
    tables = _lexicon_tables(rules_lexicon.LEXICON)
    first = np.zeros(len(ncp), dtype=bool)
    first[noff[:-1][n > 0]] = True
    if tables is None:  # scan every view whole
        pstart, plen = noff[:-1][n > 0], n[n > 0]
    else:
        in_word, bigrams = tables
        w = in_word[ncp]
        p = np.flatnonzero(w[:-1] & w[1:] & ~first[1:])  # pairs of word characters inside one view
        key = (ncp[p].astype(np.int64) << 21) | ncp[p + 1]
        at = np.minimum(np.searchsorted(bigrams, key), max(len(bigrams) - 1, 0))
        p = p[bigrams[at] == key]
        run_start = np.flatnonzero(w & (first | ~np.concatenate(([False], w[:-1]))))
        last = np.zeros(len(ncp), dtype=bool)
        last[noff[1:][n > 0] - 1] = True
        run_end = np.flatnonzero(w & (last | ~np.concatenate((w[1:], [False])))) + 1
        piece = np.unique(np.searchsorted(run_start, p, side="right") - 1)
        pstart, plen = run_start[piece], run_end[piece] - run_start[piece]
    if len(pstart):
        text, jstart = _gather(ncp, pstart, plen, (10,))
        auto = rules_lexicon.automaton()
        hits = [(end, ci, length, ascii_word) for end, (ci, length, ascii_word) in auto.iter_long(text)]
        if hits:
            h = np.array(hits, dtype=np.int64)
            which = np.searchsorted(jstart, h[:, 0], side="right") - 1
            end = pstart[which] + h[:, 0] - jstart[which]  # position in the views' code points
            start = end - h[:, 2] + 1
            doc = _doc_of(end, noff)
            ok = np.ones(len(h), dtype=bool)
            for j in np.flatnonzero(h[:, 3]):  # ASCII entries: whole words only, judged in the whole view
                lo, hi = noff[doc[j]], noff[doc[j] + 1]
                ok[j] = not ((start[j] > lo and _word_cp(ncp[start[j] - 1])) or
                             (end[j] + 1 < hi and _word_cp(ncp[end[j] + 1])))
            np.add.at(counts, (h[ok, 1], doc[ok]), h[ok, 2])
    out = {f"{c}_ratio": np.where(n > 0, _div(counts[ci], np.maximum(n, 1)), 0.0) for ci, c in enumerate(cats)}
    out["flagged_ratio"] = out["gambling_ratio"] + out["adult_ratio"]
    return out


def _word_cp(cp) -> bool:
    """`rules_lexicon._is_word_char` of a code point."""
    return rules_lexicon._is_word_char(chr(int(cp)))


def _gather(cp: np.ndarray, start: np.ndarray, length: np.ndarray, sep: tuple[int, ...]) -> tuple[str, np.ndarray]:
    """The ranges cp[start:start + length] as one string, each followed by the code points `sep`, and where
    each range starts in it."""
    m = len(start)
    out_start = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(length + len(sep), out=out_start[1:])
    joined = np.zeros(int(out_start[-1]), dtype=np.uint32)
    for j, c in enumerate(sep):
        joined[out_start[:-1] + length + j] = c
    cl = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(length, out=cl[1:])
    within = np.arange(int(cl[-1]), dtype=np.int64) - np.repeat(cl[:-1], length)  # offset inside the range
    joined[np.repeat(out_start[:-1], length) + within] = cp[np.repeat(start, length) + within]
    return joined.tobytes().decode("utf-32-le", "surrogatepass"), out_start[:-1]


def _garbled(b: _Batch) -> dict[str, np.ndarray]:
    n = np.maximum(b.lens, 1)
    cand = np.flatnonzero(b.count(LATIN_LEAD) > 0)  # a match starts with one of these characters
    # the separator (a newline) is in neither character class nor in the GBK markers
    moji = _regex_counts(rules_garbled._MOJIBAKE, b.cuts, cand, b.k, "\n", weight=True)
    n_han = b.norm_count(HANF)
    rare = b.norm_count(RARE)
    return {
        "replacement_ratio": _div(b.count(REPL), n),
        "control_ratio": _div(b.count(CTRL), n),
        "mojibake_ratio": _div(moji, n),
        "rare_han_ratio": np.where(n_han > 0, np.minimum(1.0, _div(rare, np.maximum(n_han, 1))), 0.0),
    }


def _markup(b: _Batch) -> dict[str, np.ndarray]:
    k = b.k
    cand = np.flatnonzero((b.count(LT) + b.count(AMP)) > 0)
    # A match starts with `<` or `&`, has no `<` after its start and ends in `>` or `;`: after "<>", a match
    # begun in the previous document cannot continue and none can start at the separator.
    html = _regex_counts(rules_garbled._HTML, b.cuts, cand, k, "<>", weight=True)
    doc, first, last = b.lines
    n_lines = np.bincount(doc, minlength=k)
    code = _code_lines(b, doc, first, last, n_lines)
    return {"html_ratio": _div(html, np.maximum(b.lens, 1)),
            "code_line_ratio": np.where(n_lines > 0, _div(code, np.maximum(n_lines, 1)), 0.0)}


# `_CODE_LINE` over all candidate lines at once: lines joined with "\n\x00\n" and ^ / $ matching at line
# ends (MULTILINE). No alternative can cross the separator: the only pieces that can consume a newline are
# `\s*`, and every one is followed by a fixed character, `$` or nothing that NUL satisfies (`\S+` stops at
# the newline); `^` also matches before the NUL, where no alternative can start. Lines are stripped, so
# `$` and `^` mean exactly what they mean on one line.
_CODE_LINE_M = re.compile(rules_garbled._CODE_LINE.pattern, re.MULTILINE)


# `_CODE_ANY`'s alternatives but its first, `[{}(]`: plain strings (checked), so `str.find` can look for them
_CODE_WORDS = tuple(rules_garbled._CODE_ANY.pattern.split("|")[1:])
assert rules_garbled._CODE_ANY.pattern.split("|")[0] == "[{}(]" and not any(
    set(w) & set("\\.^$*+?{}[]|()") for w in _CODE_WORDS), "_CODE_ANY is no longer [{}(] + plain strings"


def _holding_any(words: tuple[str, ...], texts: list[str]) -> np.ndarray:
    """Indices of the texts holding at least one of `words` (no word holds a NUL, so no hit spans two
    texts): one `str.find` scan per word over the NUL-joined texts, jumping to the next text after a hit
    (~5x faster than a regex alternation `search` per text)."""
    joined = "\x00".join(texts)
    starts = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum([len(t) + 1 for t in texts], out=starts[1:])
    found = np.zeros(len(texts), dtype=bool)
    for w in words:
        at = joined.find(w)
        while at >= 0:
            i = int(np.searchsorted(starts, at, side="right")) - 1
            found[i] = True
            at = joined.find(w, int(starts[i + 1]))
    return np.flatnonzero(found)


def _code_lines(b: _Batch, doc: np.ndarray, first: np.ndarray, last: np.ndarray, n_lines: np.ndarray) -> np.ndarray:
    """Per document, lines where `_CODE_LINE` matches, for documents where `_CODE_ANY` matches (markup)."""
    k = b.k
    code = np.zeros(k, dtype=np.int64)
    has = n_lines > 0
    # `[{}(]` is an alternative of _CODE_ANY; its other alternatives all hold an ASCII letter, '#' or '='.
    sure = has & (b.count(CODE_SURE) > 0)
    maybe = has & ~sure & (b.count(CODE_MAYBE) > 0)
    cand = sure
    idx = np.flatnonzero(maybe)
    if len(idx):
        cand[idx[_holding_any(_CODE_WORDS, [b.cuts[i] for i in idx])]] = True
    sel = cand[doc]
    if not sel.any():
        return code
    ldoc, f, e = doc[sel], first[sel], last[sel]
    text, out_start = _gather(b.cp, f, e - f + 1, (10, 0, 10))
    starts = np.fromiter((m.start() for m in _CODE_LINE_M.finditer(text)), dtype=np.int64)
    if len(starts):
        line = np.unique(np.searchsorted(out_start, starts, side="right") - 1)
        code += np.bincount(ldoc[line], minlength=k)
    return code


BATCH_FORMS: dict[str, Callable[[_Batch], dict[str, np.ndarray]]] = {
    "length_v1": _length, "script_v1": _script, "punctuation_v1": _punctuation, "stopwords_v1": _stopwords,
    "repetition_v1": _repetition, "lexicon_v1": _lexicon, "garbled_v1": _garbled, "markup_v1": _markup,
}
# The functions each batch form reproduces: a tagger re-registered under the same name (tests do this) runs
# per document instead.
_REFERENCE = {"length_v1": rules_text.length, "script_v1": rules_text.script,
              "punctuation_v1": rules_text.punctuation, "stopwords_v1": rules_text.stopwords,
              "repetition_v1": rules_repetition.repetition, "lexicon_v1": rules_lexicon.lexicon,
              "garbled_v1": rules_garbled.garbled, "markup_v1": rules_garbled.markup}


def round5(x: np.ndarray) -> np.ndarray:
    """Python's `round(v, 5)` of every value, vectorised.

    `np.round(x, 5)` is rint(x * 1e5) / 1e5; the division is exact-then-rounded like Python's, so the two
    differ only when x * 1e5 (itself rounded) lands next to a half: those few values go through `round`.
    """
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        y = x * 1e5
        out = np.rint(y) / 1e5
        near = np.abs(y - np.floor(y) - 0.5) < 1e-6
        near |= ~np.isfinite(out) | (np.abs(x) >= 2.0**52 / 1e5)
    flat_x, flat_out = x.reshape(-1), out.reshape(-1)
    for i in np.flatnonzero(near & ~np.isnan(x)):
        flat_out[i] = round(float(flat_x[i]), 5)
    return out


def _per_document(name: str, b: _Batch) -> dict[str, np.ndarray]:
    """Fallback: run a tagger one view at a time; NaN where a document gets no value for a feature."""
    from curation.quality.view import make_view

    fn = get_tagger(name)
    feats: dict[str, np.ndarray] = {}
    for i, text in enumerate(b.texts):
        for f, v in fn(make_view(text, b.langs[i], b.max_chars)).items():
            if f not in feats:
                feats[f] = np.full(b.k, np.nan)
            feats[f][i] = v
    return feats



def tag_batch(taggers: tuple[str, ...], texts: list[str], langs: list[str], max_chars: int = MAX_CHARS,
              norms: list[str] | None = None) -> dict[str, np.ndarray]:
    """Rule features of a batch of documents.

    Args:
        taggers: registered tagger names (e.g. `DEFAULT_TAGGERS`).
        texts: document texts.
        langs: routed language of each document (zh | bilingual | en | other; None = other).
        max_chars: characters the costly features look at (as `make_view`).
        norms: if given, the matching view of every text (`make_view(...).norm`: `normalize_text` of the
            first `max_chars` characters) is appended to it, so a caller scoring with fastText does not
            normalize twice.

    Returns:
        attribute name (e.g. 'quality/han_ratio_v1') -> float64 array of len(texts), the values of
        `run_taggers(taggers, make_view(text, lang, max_chars))` (rounded to 5 decimals the same way); NaN
        where the per-document path writes no value for that document.
    """
    if len(texts) != len(langs):
        raise ValueError(f"{len(texts)} texts but {len(langs)} langs")
    texts, langs = list(texts), list(langs)
    if not texts:  # the same attribute names, no rows
        return {a: v[:0] for a, v in tag_batch(taggers, [""], ["zh"], max_chars).items()}
    if norms is None:
        norms = []
    # Numpy temporaries of a few hundred thousand characters stay in cache; much larger batches run slower
    # per character, so they are cut into chunks of about CHUNK_CHARS characters.
    sizes = np.minimum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)), max_chars)
    cuts = np.flatnonzero(np.diff(np.cumsum(sizes) // CHUNK_CHARS)) + 1
    if len(cuts):
        parts = [_tag_chunk(taggers, texts[i:j], langs[i:j], max_chars, norms)
                 for i, j in zip([0, *cuts.tolist()], [*cuts.tolist(), len(texts)])]
        names = list(dict.fromkeys(a for part in parts for a in part))
        return {a: np.concatenate([part.get(a, np.full(n, np.nan)) for part, n in
                                   zip(parts, np.diff([0, *cuts.tolist(), len(texts)]))]) for a in names}
    return _tag_chunk(taggers, texts, langs, max_chars, norms)


CHUNK_CHARS = 100_000


def _tag_chunk(taggers: tuple[str, ...], texts: list[str], langs: list[str], max_chars: int, norms: list[str]
               ) -> dict[str, np.ndarray]:
    b = _Batch(texts, langs, max_chars)
    norms.extend(b.norms)
    names: list[str] = []
    values: list[np.ndarray] = []
    for name in taggers:
        version = _NAME.match(name).group(1)
        form = BATCH_FORMS.get(name)
        feats = _per_document(name, b) if form is None or get_tagger(name) is not _REFERENCE[name] else form(b)
        for f, v in feats.items():
            names.append(f"quality/{f}_v{version}")
            values.append(np.asarray(v, dtype=np.float64))
    rounded = round5(np.stack(values)) if values else values  # one call for every feature
    return dict(zip(names, rounded))
