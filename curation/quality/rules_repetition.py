"""Repetition taggers: duplicate lines and paragraphs, top and duplicate n-grams (Gopher, Rae et al. 2021,
appendix A, table A1), and character 13-gram repetition.

n-grams are over units: a Han character is one unit and so is every other run of non-space characters
(an English word). Chinese has no spaces; FineWeb-2 segments words with jieba first, we count characters
so that no segmenter is needed (thresholds in rules.yaml account for ~1.5 characters a word). Counting is
vectorised with numpy: each unit (character or word) gets an integer, n-grams get a rolling 64-bit hash,
`np.unique` finds the repeats. datatrove's `find_top_duplicate` / `find_all_duplicate` do the same work
in a Python loop over word tuples (about 10x slower on long documents), so they are not reused here.

- top_ngram_N (N = 2, 3, 4): characters covered by the most frequent N-gram / all characters.
- dup_ngram_N (N = 5, 10): characters covered by N-grams that occurred earlier in the document / all.
- dup_char13: the same over character 13-grams of the matching view, for every language (a language-
  independent repetition signal: boilerplate and copy-paste loops).
Documents with fewer than `MIN_UNITS` units get 0 for the n-gram features (too short to judge).
"""

from __future__ import annotations

import re

import numpy as np

from curation.quality.registry import register_tagger
from curation.quality.view import TextView
from curation.text.normalize import HAN_CLASS

MIN_UNITS = 100
_TOKEN = re.compile(f"[{HAN_CLASS}]|[^\\s{HAN_CLASS}]+")
_P = np.uint64(1_000_003)


def _units(view: TextView) -> tuple[np.ndarray, np.ndarray]:
    """(unit codes as uint64, unit lengths in characters): every Han character is a unit, and so is every
    run of other non-space characters (an English word with its punctuation)."""
    if not view.word_units and view.norm.isascii() is False and " " not in view.norm[:200]:
        # Chinese without spaces: one unit a character, straight from the UTF-32 code units (fast path).
        chars = view.norm.replace(" ", "")
        codes = np.frombuffer(chars.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)
        return codes, np.ones(len(codes), dtype=np.int64)
    tokens = _TOKEN.findall(view.norm)
    codes = np.array([hash(t) for t in tokens], dtype=np.int64).view(np.uint64)
    return codes, np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))


def ngram_stats(codes: np.ndarray, lengths: np.ndarray, top_ns=(2, 3, 4), dup_ns=(5, 10)) -> dict[str, float]:
    """Top and duplicate n-gram character fractions of a unit sequence.

    Args:
        codes: one integer per unit (character or word).
        lengths: characters per unit.
        top_ns: N for `top_ngram_N`: characters in all occurrences of the most frequent N-gram / all.
        dup_ns: N for `dup_ngram_N`: characters covered by N-grams that repeat an earlier-sorted occurrence
            of themselves (every occurrence but one per distinct N-gram, as in datatrove) / all.
    """
    out = {f"top_ngram_{n}": 0.0 for n in top_ns} | {f"dup_ngram_{n}": 0.0 for n in dup_ns}
    total = int(lengths.sum())
    if len(codes) < MIN_UNITS or total == 0:
        return out
    cum = np.concatenate(([0], np.cumsum(lengths)))
    h = codes.copy()
    for n in range(1, max((*top_ns, *dup_ns, 1)) + 1):
        if n > 1:
            if len(h) < 2:
                break
            h = h[:-1] * _P + codes[n - 1:]
        if n not in top_ns and n not in dup_ns:
            continue
        # One unstable sort per N (faster than np.unique's stable argsort + bookkeeping).
        order = np.argsort(h)
        s = h[order]
        later = s[1:] == s[:-1]  # sorted neighbours equal: the right one is a repeat
        if not later.any():
            continue
        if n in top_ns:
            starts = np.flatnonzero(np.concatenate(([True], ~later)))
            runs = np.diff(np.append(starts, len(s)))
            best = int(np.argmax(runs))
            i = int(order[starts[best]])
            out[f"top_ngram_{n}"] = float(runs[best] * (cum[i + n] - cum[i]) / total)
        if n in dup_ns:
            repeat_pos = order[1:][later]
            delta = np.zeros(len(lengths) + 1, dtype=np.int64)
            np.add.at(delta, repeat_pos, 1)
            np.add.at(delta, repeat_pos + n, -1)
            covered = np.cumsum(delta[:-1]) > 0
            out[f"dup_ngram_{n}"] = float(lengths[covered].sum() / total)
    return out


def _dup_items(items: list[str]) -> tuple[float, float]:
    """(fraction of items that repeat an earlier one, fraction of characters in them) (Gopher)."""
    if not items:
        return 0.0, 0.0
    seen: set[str] = set()
    dup = dup_chars = 0
    for it in items:
        if it in seen:
            dup += 1
            dup_chars += len(it)
        else:
            seen.add(it)
    return dup / len(items), dup_chars / max(sum(map(len, items)), 1)


@register_tagger("repetition_v1")
def repetition(view: TextView) -> dict[str, float]:
    """dup_line_frac, dup_line_char_frac, dup_para_frac, dup_para_char_frac (Gopher), top_ngram_2..4,
    dup_ngram_5 and dup_ngram_10 (Gopher, over characters for Chinese), dup_char13."""
    line_frac, line_chars = _dup_items(view.lines)
    paras = [p.strip() for p in view.text.split("\n\n") if p.strip()] if "\n\n" in view.text else []
    para_frac, para_chars = _dup_items(paras)
    codes, lengths = _units(view)
    out = {"dup_line_frac": line_frac, "dup_line_char_frac": line_chars,
           "dup_para_frac": para_frac, "dup_para_char_frac": para_chars}
    if lengths.size and int(lengths.max()) == 1:  # character units already: one pass gives all N
        stats = ngram_stats(codes, lengths, dup_ns=(5, 10, 13))
        out["dup_char13"] = stats.pop("dup_ngram_13")
        out.update(stats)
        return out
    out.update(ngram_stats(codes, lengths))
    chars = view.norm.replace(" ", "")
    codes = np.frombuffer(chars.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)
    out["dup_char13"] = ngram_stats(codes, np.ones(len(codes), dtype=np.int64), top_ns=(), dup_ns=(13,))["dup_ngram_13"]
    return out
