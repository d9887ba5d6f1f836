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

from curation.quality.registry import register_batch_prepare, register_tagger
from curation.quality.view import TextView
from curation.text.normalize import HAN_CLASS

MIN_UNITS = 100
_TOKEN = re.compile(f"[{HAN_CLASS}]|[^\\s{HAN_CLASS}]+")
_P = np.uint64(1_000_003)


def _units(view: TextView) -> tuple[np.ndarray, np.ndarray]:
    """(unit codes as uint64, unit lengths in characters).

    zh: every non-space character is a unit, straight from the UTF-32 code units (no Python loop).
    Other languages: every Han character is a unit and so is every run of other non-space characters
    (an English word with its punctuation).
    """
    if view.lang == "zh":
        chars = view.norm.replace(" ", "")
        codes = np.frombuffer(chars.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)
        return codes, np.ones(len(codes), dtype=np.int64)
    tokens = _TOKEN.findall(view.norm)
    codes = np.array([hash(t) for t in tokens], dtype=np.int64).view(np.uint64)
    return codes, np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))


def _repeated(h: np.ndarray, cand: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sort the hashes at candidate positions; return (positions sorted, is-repeat-of-left-neighbour,
    group starts, full-length mask of positions whose n-gram occurs more than once)."""
    pos = np.arange(len(h)) if cand is None else np.flatnonzero(cand)
    order = pos[np.argsort(h[pos])]
    s = h[order]
    later = s[1:] == s[:-1]
    mask = np.zeros(len(h), dtype=bool)
    if later.any():
        mask[order[1:][later]] = True
        mask[order[:-1][later]] = True
    starts = np.flatnonzero(np.concatenate(([True], ~later))) if len(s) else np.zeros(0, dtype=np.int64)
    return order, later, starts, mask


def ngram_stats(codes: np.ndarray, lengths: np.ndarray, top_ns=(2, 3, 4), dup_ns=(5, 10)) -> dict[str, float]:
    """Top and duplicate n-gram character fractions of a unit sequence.

    Args:
        codes: one integer per unit (character or word).
        lengths: characters per unit.
        top_ns: N for `top_ngram_N`: characters in all occurrences of the most frequent N-gram / all.
        dup_ns: N for `dup_ngram_N`: characters covered by N-grams that repeat an earlier occurrence of
            themselves (every occurrence but the first of each distinct N-gram, as in datatrove) / all.

    Only the 2-grams are sorted in full. An N-gram can repeat only where its (N-1)-gram prefix repeats
    (and, for the long ones, where both halves repeat), so each longer N sorts just those candidates,
    usually a few percent of the positions.
    """
    out = {f"top_ngram_{n}": 0.0 for n in top_ns} | {f"dup_ngram_{n}": 0.0 for n in dup_ns}
    total = int(lengths.sum())
    wanted = set(top_ns) | set(dup_ns)
    if len(codes) < MIN_UNITS or total == 0 or not wanted:
        return out
    cum = np.concatenate(([0], np.cumsum(lengths)))
    hashes = {1: codes}
    h = codes
    for n in range(2, max(wanted) + 1):
        if len(h) < 2:
            break
        h = h[:-1] * _P + codes[n - 1:]
        hashes[n] = h
    repeats: dict[int, np.ndarray] = {}
    for n in sorted(set(range(2, min(max(wanted), 5) + 1)) | wanted):
        if n not in hashes:
            break
        h = hashes[n]
        if n == 2:
            cand = None
        elif n <= 5:
            cand = repeats[n - 1][: len(h)]
        else:  # both halves must repeat: the n-gram at i = the k-gram at i followed by the one at i + n - k
            k = max(m for m in repeats if m <= n // 2 + 1) if n // 2 + 1 >= 5 else 5
            k = min(k, n - 1)
            cand = repeats[k][: len(h)] & repeats[k][n - k: n - k + len(h)]
        if cand is not None and not cand.any():
            repeats[n] = np.zeros(len(h), dtype=bool)
            continue
        order, later, starts, mask = _repeated(h, cand)
        repeats[n] = mask
        if not later.any():
            continue
        if n in top_ns:
            # The most frequent n-gram; among equally frequent ones the one that occurs first (as
            # `Counter.most_common` orders them). Never the sort order: word codes are Python's
            # `hash`, salted per process, and tied word n-grams can differ in length.
            runs = np.diff(np.append(starts, len(order)))
            first = np.minimum.reduceat(order, starts)
            tied = np.flatnonzero(runs == runs.max())
            best = int(tied[np.argmin(first[tied])])
            i = int(first[best])
            out[f"top_ngram_{n}"] = float(runs[best] * (cum[i + n] - cum[i]) / total)
        if n in dup_ns:
            # Every occurrence but the first (by position) of each repeated n-gram, as in datatrove.
            repeat = mask.copy()
            runs = np.diff(np.append(starts, len(order)))
            repeat[np.minimum.reduceat(order, starts)[runs > 1]] = False
            repeat_pos = np.flatnonzero(repeat)
            delta = np.zeros(len(lengths) + 1, dtype=np.int64)
            np.add.at(delta, repeat_pos, 1)
            np.add.at(delta, repeat_pos + n, -1)
            covered = np.cumsum(delta[:-1]) > 0
            out[f"dup_ngram_{n}"] = float(lengths[covered].sum() / total)
    return out


_SHORT = {"top_ngram_2": 0.0, "top_ngram_3": 0.0, "top_ngram_4": 0.0, "dup_ngram_5": 0.0, "dup_ngram_10": 0.0,
          "dup_char13": 0.0}
_CHAR_ZERO = {"top_ngram_2": 0.0, "top_ngram_3": 0.0, "top_ngram_4": 0.0, "dup_ngram_5": 0.0, "dup_ngram_10": 0.0,
              "dup_ngram_13": 0.0}


def _char_codes(norm: str) -> np.ndarray:
    chars = norm.replace(" ", "")
    return np.frombuffer(chars.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)


def char_ngram_stats_batch(seqs: list[np.ndarray], top_ns=(2, 3, 4), dup_ns=(5, 10, 13)) -> list[dict[str, float]]:
    """`ngram_stats(codes, ones, top_ns, dup_ns)` of many character sequences at once (the same numbers).

    One set of numpy calls for a whole batch instead of ~60 per document (their fixed cost dominated on
    the short documents of real zh corpora). The sequences are concatenated; an n-gram belongs to the
    document it starts in and must end in it; repeats are grouped by (document, hash) with `lexsort`.
    Every sequence must have at least `MIN_UNITS` units.
    """
    k = len(seqs)
    if not k:
        return []
    lens = np.fromiter(map(len, seqs), dtype=np.int64, count=k)
    codes = np.concatenate(seqs)
    doc = np.repeat(np.arange(k, dtype=np.int64), lens)
    end = np.repeat(np.cumsum(lens), lens)  # exclusive end of each position's document
    idx = np.arange(len(codes), dtype=np.int64)
    out = [{f"top_ngram_{n}": 0.0 for n in top_ns} | {f"dup_ngram_{n}": 0.0 for n in dup_ns} for _ in range(k)]
    wanted = set(top_ns) | set(dup_ns)
    h = codes
    repeats: dict[int, np.ndarray] = {}
    for n in range(2, max(wanted) + 1):
        h = h[:-1] * _P + codes[n - 1:]
        if n not in wanted and n > 5:
            continue
        m = len(h)
        valid = idx[:m] + n <= end[:m]
        if n == 2:
            cand = valid
        elif n <= 5:
            cand = repeats[n - 1][:m] & valid
        else:  # as in ngram_stats: both halves (5-grams at i and i + n - 5) must repeat
            cand = repeats[5][:m] & repeats[5][n - 5: n - 5 + m] & valid
        pos = np.flatnonzero(cand)
        order = pos[np.lexsort((h[pos], doc[pos]))]
        sh, sd = h[order], doc[order]
        later = (sh[1:] == sh[:-1]) & (sd[1:] == sd[:-1])
        mask = np.zeros(m, dtype=bool)
        mask[order[1:][later]] = True
        mask[order[:-1][later]] = True
        repeats[n] = mask
        if not later.any() or n not in wanted:
            continue
        starts = np.flatnonzero(np.concatenate(([True], ~later)))
        runs = np.diff(np.append(starts, len(order)))
        if n in top_ns:
            best = np.zeros(k, dtype=np.int64)
            np.maximum.at(best, sd[starts], runs)
            for i in np.flatnonzero(best > 1):
                out[i][f"top_ngram_{n}"] = float(best[i] * n / lens[i])
        if n in dup_ns:
            repeat = mask.copy()
            repeat[np.minimum.reduceat(order, starts)[runs > 1]] = False
            rp = np.flatnonzero(repeat)
            delta = np.bincount(rp, minlength=len(codes) + 1) - np.bincount(rp + n, minlength=len(codes) + 1)
            covered = np.bincount(doc[np.cumsum(delta[:-1]) > 0], minlength=k)
            for i in np.flatnonzero(covered):
                out[i][f"dup_ngram_{n}"] = float(covered[i] / lens[i])
    return out


@register_batch_prepare("repetition_v1")
def prepare_batch(views: list[TextView]) -> None:
    """Character n-gram statistics of a batch of views, into `view.cache` (read by `repetition`)."""
    todo, seqs = [], []
    for v in views:
        if len(v.norm) >= MIN_UNITS:
            codes = _char_codes(v.norm)
            if len(codes) >= MIN_UNITS:
                todo.append(v)
                seqs.append(codes)
    for v, stats in zip(todo, char_ngram_stats_batch(seqs)):
        v.cache["char_ngrams"] = stats
    for v in views:
        v.cache.setdefault("char_ngrams", None)


def _dup_items(items: list[str]) -> tuple[float, float]:
    """(fraction of items that repeat an earlier one, fraction of characters in them) (Gopher)."""
    if not items:
        return 0.0, 0.0
    if len(set(items)) == len(items):
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
    out = {"dup_line_frac": line_frac, "dup_line_char_frac": line_chars,
           "dup_para_frac": para_frac, "dup_para_char_frac": para_chars}
    if len(view.norm) < MIN_UNITS:  # fewer characters than MIN_UNITS: fewer units too, nothing to count
        return out | _SHORT
    chars = view.cache.get("char_ngrams", False)  # from `prepare_batch`: None = too few characters
    if chars is False:
        codes = _char_codes(view.norm)
        chars = (ngram_stats(codes, np.ones(len(codes), dtype=np.int64), dup_ns=(5, 10, 13))
                 if len(codes) >= MIN_UNITS else None)
    chars = dict(chars) if chars else dict(_CHAR_ZERO)
    out["dup_char13"] = chars.pop("dup_ngram_13")
    if view.lang == "zh":  # character units: the character statistics are the n-gram features
        return out | chars
    codes, lengths = _units(view)
    if lengths.size and int(lengths.max()) == 1:  # one-character words only: the same units as characters
        return out | chars
    out.update(ngram_stats(codes, lengths))
    return out
