"""Mix recipes and mix plans: target shares + per-source sizes -> how many copies of each source to take.

A `Recipe` is what was asked for: a share per language (`--zh 0.7 --bilingual 0.2 --en 0.1`), optionally
split over named sources with weights (a YAML `--recipe`), a unit (tokens, chars or docs), an optional
total and an epoch cap. `plan_mix(recipe, totals)` turns it, together with the measured size of every
(lang, source) bucket, into a `MixPlan`:

    share_b   = share(lang) * weight(source)        weight = recipe weight, or the source's natural
                                                    proportion of its language when the recipe names none
    T         = --total-tokens, else min_b cap_b * size_b / share_b   (the largest mix the caps allow)
    target_b  = share_b * T = k_b * size_b + r_b    k_b full epochs (every document k_b times) and a
                                                    partial epoch of r_b units

The partial epoch is an exact budget, not a Bernoulli rate (noisy on small sources): documents are
ranked by `hash(id, seed)` and taken in that order until `r_b` is reached, whole documents only. So
that no worker sorts a whole bucket, the 64-bit hash is cut into `HIST_BINS` bins; a histogram of units
and docs per bin (combined like any count) shows the bin where the budget runs out. Bins before it are
taken whole; it and the next bins up to `WINDOW_DOCS` docs form a window that one worker sorts and
fills (`curation.mix.choose_in_window`: take each doc that still fits, then one more if that lands
closer), so a bucket misses its target by less than its smallest window document. All sums are of
integers and all choices pure functions of (id, seed): the plan does not depend on runner or workers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from curation.errors import ConfigError
from curation.schema import LANGS

UNITS = ("tokens", "chars", "docs")
HIST_BITS = 12
HIST_BINS = 1 << HIST_BITS  # 4,096: the crossing bin holds ~1/4096 of a bucket
WINDOW_DOCS = 256  # documents the final fill may choose among (enough small ones to land close)
SHARE_TOLERANCE = 1e-6  # shares must sum to 1 within this, unless --normalize
CAP_SLACK = 1e-9  # relative float slack when comparing a target with its cap


class MixPlanError(ConfigError):
    """The request cannot be met by the data (known only after counting). The CLI exits with code 2."""

    MARKER = "mix plan error: "

    def __init__(self, message: str):
        # Runners may re-raise with `type(exc)(augmented message)`: add the marker once only.
        super().__init__(message if message.startswith(self.MARKER) else self.MARKER + message)


@dataclass(frozen=True)
class SourceSpec:
    """One named source of a language in a recipe.

    Args:
        weight: its share of the language's share (weights of a language sum to 1, or --normalize).
        max_epochs: cap on how many times it may be repeated (None: the recipe's `max_epochs`).
    """

    weight: float
    max_epochs: float | None = None


@dataclass
class Recipe:
    """What the mix should look like.

    Args:
        shares: lang -> requested share (> 0); languages left out are not mixed.
        sources: lang -> source name -> SourceSpec; a language absent here takes every source it has, in
            natural proportion (they all get the same sampling rate).
        unit: `tokens` | `chars` | `docs`: what shares and the total are measured in.
        total: size of the mix in `unit`; None = as large as the epoch caps allow.
        max_epochs: default cap on repetitions per source (1 = no upsampling; may be fractional).
        normalize: rescale shares (and source weights) that do not sum to 1 instead of failing.
    """

    shares: dict[str, float]
    sources: dict[str, dict[str, SourceSpec]] = field(default_factory=dict)
    unit: str = "tokens"
    total: float | None = None
    max_epochs: float = 1.0
    normalize: bool = False

    def __post_init__(self):
        if self.unit not in UNITS:
            raise ConfigError(f"--unit must be one of {', '.join(UNITS)}, got {self.unit!r}")
        if not self.shares:
            raise ConfigError("no language shares given (e.g. --zh 0.7 --bilingual 0.2 --en 0.1)")
        for lang, share in self.shares.items():
            if lang not in LANGS:
                raise ConfigError(f"unknown language {lang!r} in the recipe (one of {', '.join(LANGS)})")
            _check_positive(f"--{lang} share", share)
        self.shares = _normalized(self.shares, "language shares", self.normalize)
        for lang, specs in self.sources.items():
            if lang not in self.shares:
                raise ConfigError(f"recipe lists sources for {lang!r} but gives it no share")
            if not specs:
                raise ConfigError(f"recipe lists no sources for {lang!r}")
            for name, spec in specs.items():
                _check_positive(f"weight of source {lang}/{name}", spec.weight)
                if spec.max_epochs is not None:
                    _check_positive(f"max_epochs of source {lang}/{name}", spec.max_epochs)
            weights = {n: s.weight for n, s in specs.items()}
            weights = _normalized(weights, f"source weights of {lang}", self.normalize)
            self.sources[lang] = {n: SourceSpec(weights[n], s.max_epochs) for n, s in specs.items()}
        _check_positive("--max-epochs", self.max_epochs)
        if self.total is not None:
            _check_positive("--total-tokens", self.total)

    def cap(self, lang: str, source: str) -> float:
        spec = self.sources.get(lang, {}).get(source)
        return spec.max_epochs if spec and spec.max_epochs is not None else self.max_epochs


def _check_positive(what: str, value: Any) -> None:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not number or not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{what} must be a positive number, got {value!r}")


def _normalized(values: dict[str, float], what: str, normalize: bool) -> dict[str, float]:
    total = sum(values.values())
    if abs(total - 1.0) > SHARE_TOLERANCE and not normalize:
        listed = ", ".join(f"{k}={v:g}" for k, v in values.items())
        raise ConfigError(f"{what} sum to {total:g}, not 1 ({listed}); fix them or pass --normalize")
    return {k: v / total for k, v in values.items()}


def recipe_from_mapping(data: Any, where: str) -> tuple[dict[str, float], dict[str, dict[str, SourceSpec]]]:
    """Parse a recipe YAML mapping into (shares, sources).

    Format (a language maps to its share, or to {share, sources}; a source to its weight, or to
    {weight, max_epochs})::

        zh: {share: 0.7, sources: {news: 0.5, web: {weight: 0.5, max_epochs: 3}}}
        bilingual: 0.2
        en: 0.1
    """
    if isinstance(data, dict) and "langs" in data:
        data = data["langs"]
    if not isinstance(data, dict):
        raise ConfigError(f"recipe {where} must map languages to shares")
    shares: dict[str, float] = {}
    sources: dict[str, dict[str, SourceSpec]] = {}
    for lang, value in data.items():
        if isinstance(value, dict):
            if "share" not in value:
                raise ConfigError(f"recipe {where}: {lang} has no 'share'")
            shares[lang] = value["share"]
            specs = {}
            for name, spec in (value.get("sources") or {}).items():
                if isinstance(spec, dict):
                    unknown = set(spec) - {"weight", "max_epochs"}
                    if unknown or "weight" not in spec:
                        raise ConfigError(f"recipe {where}: source {lang}/{name} needs 'weight' "
                                          f"(and optionally 'max_epochs'); got {sorted(spec)}")
                    specs[str(name)] = SourceSpec(spec["weight"], spec.get("max_epochs"))
                else:
                    specs[str(name)] = SourceSpec(spec)
            if specs:
                sources[lang] = specs
        else:
            shares[lang] = value
    return shares, sources


@dataclass(frozen=True)
class BucketPlan:
    """The sample of one (lang, source) bucket. Sizes are in the recipe's unit.

    A document is taken `full_epochs` times, plus once more when it falls in the partial epoch: its hash
    bin is below `cut_bin`, or it is in the window `[cut_bin, cut_end)` and `mix.choose_in_window`
    picks it for `(cut_residual, cut_limit)`. `cut_bin = -1`: no partial epoch.
    """

    lang: str
    source: str
    size: int
    docs: int
    share: float
    target: float
    max_epochs: float
    full_epochs: int
    cut_bin: int
    cut_end: int
    cut_residual: float
    cut_limit: float


@dataclass
class MixPlan:
    """Plans for every bucket, the planned total and the warnings to report."""

    unit: str
    total: float
    total_requested: float | None
    buckets: dict[tuple[str, str], BucketPlan]
    warnings: list[str] = field(default_factory=list)


def plan_mix(recipe: Recipe, totals: dict[tuple[str, str], dict[str, Any]]) -> MixPlan:
    """Turn requested shares and measured bucket sizes into a sampling plan.

    Args:
        recipe: the validated request.
        totals: (lang, source) -> {"units": int, "docs": int, "hist": {bin: (units, docs)}} for every
            bucket that survived routing (see `curation.mix.bucket_summary`).

    Returns:
        The plan; `plan.warnings` lists sources that run out (repeated) or limit the total.

    Raises:
        MixPlanError: a requested language or source has no documents, or the request needs more
            epochs of a source than its cap allows.
    """
    shares = _bucket_shares(recipe, totals)
    caps = {key: recipe.cap(*key) for key in shares}
    room = {key: caps[key] * totals[key]["units"] / share for key, share in shares.items()}
    total = float(recipe.total) if recipe.total is not None else min(room.values())
    over = sorted(k for k in shares if shares[k] * total > caps[k] * totals[k]["units"] * (1 + CAP_SLACK))
    if over:
        details = "; ".join(f"{k[0]}/{k[1]} needs {shares[k] * total / totals[k]['units']:.3g} epochs, "
                            f"cap {caps[k]:g}" for k in over)
        raise MixPlanError(
            f"--total-tokens {total:,.0f} {recipe.unit} is more than the sources hold under the epoch cap "
            f"({details}); the largest mix these caps allow is {min(room.values()):,.0f} {recipe.unit}: "
            "lower the total or raise --max-epochs")
    buckets = {key: _bucket_plan(key, totals[key], share, share * total, caps[key])
               for key, share in sorted(shares.items())}
    limiting = {k for k in buckets if recipe.total is None and room[k] <= total * (1 + CAP_SLACK)}
    return MixPlan(recipe.unit, total, recipe.total, buckets, _warnings(recipe, buckets, limiting))


def _bucket_shares(recipe: Recipe, totals: dict[tuple[str, str], dict]) -> dict[tuple[str, str], float]:
    """(lang, source) -> requested share of the whole mix; fails on a language or source with nothing."""
    shares: dict[tuple[str, str], float] = {}
    for lang, lang_share in recipe.shares.items():
        present = {k: t for k, t in totals.items() if k[0] == lang}
        if not present or sum(t["docs"] for t in present.values()) == 0:
            raise MixPlanError(f"no documents for language '{lang}' (requested share {lang_share:.4g}; documents "
                               "without `lang` are rejected as no_lang: route them first, or use --input-<lang>)")
        named = recipe.sources.get(lang)
        if named:
            for source, spec in named.items():
                if totals.get((lang, source), {}).get("units", 0) == 0:
                    have = ", ".join(sorted(s for _, s in present))
                    raise MixPlanError(f"no documents for source '{source}' of '{lang}' (or only empty ones; "
                                       f"sources present: {have})")
                shares[(lang, source)] = lang_share * spec.weight
        else:
            lang_units = sum(t["units"] for t in present.values())
            if lang_units == 0:
                raise MixPlanError(f"language '{lang}' holds no {recipe.unit} (all its documents are empty)")
            for key, t in present.items():
                if t["units"] > 0:
                    shares[key] = lang_share * t["units"] / lang_units
    return shares


def _warnings(recipe: Recipe, buckets: dict[tuple[str, str], BucketPlan], limiting: set) -> list[str]:
    """Sources that limit the mix (used to their cap) or run out (repeated), one line per language
    where all its sources do."""
    warnings = []
    for lang in recipe.shares:
        keys = [k for k in buckets if k[0] == lang]
        caps = {buckets[k].max_epochs for k in keys}
        if len(keys) > 1 and all(k in limiting for k in keys) and len(caps) == 1:
            warnings.append(f"{lang} limits the mix: all its sources used to their cap of {caps.pop():g} "
                            "epochs")
            limiting = limiting - set(keys)
    for key, bp in buckets.items():
        if key in limiting:
            warnings.append(f"{key[0]}/{key[1]} limits the mix: used to its cap of {bp.max_epochs:g} epochs")
        elif bp.target / bp.size > 1 + CAP_SLACK:
            warnings.append(f"{key[0]}/{key[1]} runs out: repeated to {bp.target / bp.size:.3g} epochs "
                            f"(cap {bp.max_epochs:g})")
    return warnings


def _bucket_plan(key: tuple[str, str], t: dict, share: float, target: float, cap: float) -> BucketPlan:
    size = t["units"]
    ceiling = min(target, cap * size)  # plan_mix failed any target above its cap: this is float slack only
    full = int(math.floor(ceiling / size + CAP_SLACK))
    remainder = max(0.0, ceiling - full * size)
    limit = max(0.0, min(size, cap * size - full * size))  # the partial epoch never breaks the cap
    cut_bin, cut_end, before = -1, -1, 0
    if remainder > 0:
        hist = {int(b): v for b, v in t["hist"].items()}
        bins = sorted(hist)
        for i, b in enumerate(bins):
            if before + hist[b][0] > remainder:
                cut_bin, window_docs = b, 0
                for b2 in bins[i:]:  # the window: the cut bin and the next ones up to WINDOW_DOCS docs
                    cut_end, window_docs = b2 + 1, window_docs + hist[b2][1]
                    if window_docs >= WINDOW_DOCS:
                        break
                break
            before += hist[b][0]
        else:  # float edge: the remainder is the whole bucket
            cut_bin = cut_end = HIST_BINS
    return BucketPlan(lang=key[0], source=key[1], size=size, docs=t["docs"], share=share, target=target,
                      max_epochs=cap, full_epochs=full, cut_bin=cut_bin, cut_end=cut_end,
                      cut_residual=remainder - before, cut_limit=limit - before)
