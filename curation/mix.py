"""The mixer's per-document logic and its report: sizes, seeded hashes, copies, achieved shares.

How a document is measured (`measure`):
- chars: `len(text)`; docs: 1.
- tokens with `--tokenizer DIR`: `len(Tokenizer.from_file(DIR/tokenizer.json).encode(text).ids)` (HF
  `tokenizers`, no special tokens).
- tokens without a tokenizer: `estimate_tokens`, a per-script estimate (`TOKENS_PER_CHAR`), so that a
  bilingual document is counted by what it holds rather than by its label. The rates were measured on
  `../shared/corpora` against the ChatGLM2-6B tokenizer (64,789 pieces, zh-first, the same size class as
  the project's 65,536 BPE); docs/mix.md has the per-language numbers and errors. Counts are integers,
  so bucket totals are exact sums whatever order Beam adds them in.

Sampling is a pure function of (id, seed): `sample_hash` ranks documents for the partial epoch and
`order_key` (hash of the output id, which carries the copy number, and the seed) orders the output
shards. Upsampled copies get distinct ids, `<id>#e<copy>`. No Beam import.
"""

from __future__ import annotations

import re
from typing import Any

import xxhash

from curation.mix_recipe import HIST_BITS, BucketPlan, MixPlan, Recipe
from curation.text.normalize import HAN_CLASS, count_matches

# Tokens per character by script, fitted on ../shared/corpora (every zh/bilingual/en file, a 5% sample
# of each, weighted by size) against the ChatGLM2-6B tokenizer, then Han nudged from the fitted 0.67 to
# 0.70 so that zh, bilingual and en are over-counted alike (3.5%, 6%, 5%): only relative errors move
# shares. Han: common words merge (~1.4 Han chars per token); ASCII letters, spaces and punctuation:
# ~3.7 chars per token; ASCII digits are one token each (as in ChatGLM2, LLaMA, DeepSeek); everything
# else (CJK punctuation, full-width forms, emoji) about one each. docs/bench_mix.md has the numbers.
TOKENS_PER_CHAR = {"han": 0.70, "ascii": 0.27, "digit": 1.0, "other": 1.0}
ESTIMATE_NAME = "estimate:script_v1"
_HAN_RE = re.compile(f"[{HAN_CLASS}]")
_DIGIT_RE = re.compile("[0-9]")
_MASK64 = (1 << 64) - 1
COPY_SEP = "#e"
REJECT_NOT_SAMPLED = "not_sampled"
REJECT_NO_LANG = "no_lang"
REJECT_LANG = "lang_not_in_mix"
REJECT_SOURCE = "source_not_in_recipe"
MEASURES = ("tokens", "chars", "docs")


def estimate_tokens(text: str) -> int:
    """Token count estimate from the script mix of `text` (at least 1 for non-empty text).

    Args:
        text: document text.

    Returns:
        round(0.70 han + 0.27 ascii (non-digit) + 1.0 digits + 1.0 other), see `TOKENS_PER_CHAR`.
    """
    if not text:
        return 0
    han = count_matches(_HAN_RE, text)
    digits = count_matches(_DIGIT_RE, text)
    ascii_ = len(text.encode("ascii", "ignore")) - digits
    other = len(text) - han - ascii_ - digits
    rate = TOKENS_PER_CHAR
    est = han * rate["han"] + ascii_ * rate["ascii"] + digits * rate["digit"] + other * rate["other"]
    return max(1, int(round(est)))


def sample_hash(doc_id: str, seed: int) -> int:
    """64-bit rank of a document in its bucket's partial epoch (uniform, stable, seed-dependent)."""
    return xxhash.xxh64_intdigest(doc_id.encode("utf-8", "surrogatepass"), seed=seed & _MASK64)


def hash_bin(h: int) -> int:
    return h >> (64 - HIST_BITS)


def order_key(doc_id: str, seed: int) -> tuple[int, str]:
    """Sort key of an output copy inside its shard: hash(id incl. copy number, seed), then id."""
    h = xxhash.xxh64_intdigest(doc_id.encode("utf-8", "surrogatepass"), seed=(seed ^ 0x5EED) & _MASK64)
    return h, doc_id


def copy_id(doc_id: str, copy: int) -> str:
    """Id of the `copy`-th copy (0 keeps the original id)."""
    return doc_id if copy == 0 else f"{doc_id}{COPY_SEP}{copy}"


def route(lang: str | None, source: str | None, recipe: Recipe) -> str | None:
    """None when the document can be mixed, else the reason it is rejected before counting."""
    if lang is None:
        return REJECT_NO_LANG
    if lang not in recipe.shares:
        return REJECT_LANG
    named = recipe.sources.get(lang)
    if named and str(source) not in named:
        return REJECT_SOURCE
    return None


def unit_size(unit: str, tokens: int, chars: int) -> int:
    return {"tokens": tokens, "chars": chars, "docs": 1}[unit]


def bucket_summary(key: tuple[str, str], h: int, units: int, tokens: int, chars: int) -> dict:
    """One measured document's contribution to its bucket's totals (merged with `merge_totals`)."""
    hist = {hash_bin(h): (units, 1)}
    return {key: {"docs": 1, "units": units, "tokens": tokens, "chars": chars, "hist": hist}}


def add_totals(acc: dict, item: dict) -> dict:
    """Add bucket totals `item` into `acc` in place (a CombineFn accumulator); returns `acc`.

    Integers only, so the result does not depend on the order of additions.
    """
    for key, t in item.items():
        mine = acc.get(key)
        if mine is None:
            mine = acc[key] = {"docs": 0, "units": 0, "tokens": 0, "chars": 0, "hist": {}}
        for f in ("docs", "units", "tokens", "chars"):
            mine[f] += t[f]
        hist = mine["hist"]
        for bin_, (u, d) in t["hist"].items():
            have = hist.get(bin_)
            hist[bin_] = (u, d) if have is None else (have[0] + u, have[1] + d)
    return acc


def merge_totals(a: dict, b: dict) -> dict:
    """`a + b` for bucket totals, leaving both unchanged."""
    return add_totals(add_totals({}, a), b)


def in_window(h: int, bp: BucketPlan) -> bool:
    """Whether the document is one of its bucket's final-fill window (see `choose_in_window`)."""
    return bp.cut_bin <= hash_bin(h) < bp.cut_end


def copies(h: int, doc_id: str, bp: BucketPlan, chosen: frozenset[str]) -> int:
    """How many times a document goes into the mix: full epochs + 1 if it is in the partial epoch.

    Args:
        h: its `sample_hash`.
        doc_id: its id.
        bp: its bucket's plan.
        chosen: the ids `choose_in_window` took from the bucket's window.
    """
    b = hash_bin(h)
    partial = b < bp.cut_bin or (b < bp.cut_end and doc_id in chosen)
    return bp.full_epochs + int(partial)


def choose_in_window(items: list[tuple[int, str, int]], residual: float, limit: float) -> frozenset:
    """The ids of the window's documents to take so that their units land closest to `residual`.

    Greedy in (hash, id) order: a document is taken while it still fits; then the first remaining one
    that lands closer to `residual` than the shortfall (and within `limit`), if any. Deterministic.

    Args:
        items: (hash, id, units) of the documents in the bucket's window.
        residual: units still wanted from the window.
        limit: units the window may give at most (the epoch cap).

    Returns:
        The ids taken.
    """
    items = sorted(items)
    chosen, taken = set(), 0
    for _, doc_id, units in items:
        if taken + units <= min(residual, limit):
            chosen.add(doc_id)
            taken += units
    gap = residual - taken
    if gap > 0:
        for _, doc_id, units in items:
            if doc_id not in chosen and units - gap < gap and taken + units <= limit:
                chosen.add(doc_id)
                break
    return frozenset(chosen)


def kept_summary(key: tuple[str, str], tokens: int, chars: int, copy: int) -> dict:
    """One output copy's contribution to the achieved totals."""
    return {"achieved": {key: {"docs": 1, "tokens": tokens, "chars": chars}}, "extra_copies": int(copy > 0)}


def build_report(plan: MixPlan, totals: dict, achieved: dict, meta: dict[str, Any]) -> dict:
    """mix_report.json: requested vs achieved shares (tokens, chars, docs) per language and source.

    Args:
        plan: the plan the sample followed.
        totals: bucket totals before sampling (`merge_totals` result).
        achieved: (lang, source) -> {docs, tokens, chars} of the output copies.
        meta: run facts to record (seed, counter, unit...).
    """
    sums = {m: sum(a[m] for a in achieved.values()) for m in MEASURES}
    langs: dict[str, dict] = {}
    sources: dict[str, dict] = {}
    for key, bp in sorted(plan.buckets.items()):
        got = achieved.get(key, {"docs": 0, "tokens": 0, "chars": 0})
        have = totals[key]
        entry = {
            "lang": key[0], "source": key[1], "requested_share": bp.share,
            "achieved_share": {m: _ratio(got[m], sums[m]) for m in MEASURES},
            "achieved": dict(got), "available": {m: have[m] for m in MEASURES},
            "target": bp.target, "epochs_used": _ratio(got[plan.unit], bp.size),
            "max_epochs": bp.max_epochs,
        }
        sources[f"{key[0]}/{key[1]}"] = entry
        lang = langs.setdefault(key[0], {"requested_share": 0.0, "achieved": {m: 0 for m in MEASURES},
                                         "available": {m: 0 for m in MEASURES}})
        lang["requested_share"] += bp.share
        for m in MEASURES:
            lang["achieved"][m] += got[m]
            lang["available"][m] += have[m]
    for lang in langs.values():
        lang["achieved_share"] = {m: _ratio(lang["achieved"][m], sums[m]) for m in MEASURES}
    unit = plan.unit
    entries = list(langs.values()) + list(sources.values())
    err = max([abs(e["achieved_share"][unit] - e["requested_share"]) for e in entries] or [0.0])
    return {**meta, "unit": unit, "total_requested": plan.total_requested, "total_planned": plan.total,
            "achieved_total": sums, "max_share_error_pp": 100 * err, "langs": langs, "sources": sources,
            "warnings": list(plan.warnings)}


def _ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


def format_table(report: dict) -> str:
    """The table `curate mix` prints: one row per language, then one per source."""
    unit = report["unit"]
    header = ("lang/source", f"req % ({unit})", "got % tokens", "got % chars", "got % docs", "docs", "epochs")
    rows = [header]
    for lang, e in report["langs"].items():
        rows.append(_row(lang, e, ""))
        for name, s in report["sources"].items():
            if s["lang"] == lang:
                rows.append(_row(f"  {s['source']}", s, f"{s['epochs_used']:.2f}/{s['max_epochs']:g}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    got = report["achieved_total"]
    lines.append(f"total: {got['tokens']:,} tokens, {got['chars']:,} chars, {got['docs']:,} docs; max share "
                 f"error {report['max_share_error_pp']:.3f} pp ({report.get('token_counter', '')})")
    lines += [f"warning: {w}" for w in report["warnings"]]
    return "\n".join(lines)


def _row(name: str, e: dict, epochs: str) -> tuple[str, ...]:
    got = e["achieved_share"]
    pct = [f"{100 * x:.2f}" for x in (e["requested_share"], got["tokens"], got["chars"], got["docs"])]
    return (name[:48], *pct, f"{e['achieved']['docs']:,}", epochs)
