"""Pure mixer maths: recipe validation, the plan, the window fill, and the share property (no Beam)."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curation import mix
from curation.errors import ConfigError
from curation.mix_recipe import (
    MixPlanError,
    Recipe,
    SourceSpec,
    plan_mix,
    recipe_from_mapping,
)


# ------------------------------------------------------------------------------------ a pure simulator
def simulate(docs, recipe: Recipe, seed: int = 0):
    """Run the pipeline's logic in plain Python: docs = [(id, lang, source, units)] -> {id: copies}, plan."""
    measured = [(i, (lang, src), mix.sample_hash(i, seed), u) for i, lang, src, u in docs
                if mix.route(lang, src, recipe) is None]
    totals: dict = {}
    for i, key, h, u in measured:
        totals = mix.merge_totals(totals, mix.bucket_summary(key, h, u, u, u))
    plan = plan_mix(recipe, totals)
    windows: dict = {}
    for i, key, h, u in measured:
        if mix.in_window(h, plan.buckets[key]):
            windows.setdefault(key, []).append((h, i, u))
    chosen = {k: mix.choose_in_window(v, plan.buckets[k].cut_residual, plan.buckets[k].cut_limit)
              for k, v in windows.items()}
    copies = {i: mix.copies(h, i, plan.buckets[key], chosen.get(key, frozenset())) for i, key, h, u in measured}
    return copies, plan


def achieved(docs, copies):
    out: dict = {}
    for i, lang, src, u in docs:
        out[(lang, src)] = out.get((lang, src), 0) + u * copies.get(i, 0)
    return out


def corpus(n_per, sizes=(50, 2000), seed=0):
    rng = random.Random(seed)
    return [(f"{lang}-{src}-{k}", lang, src, rng.randint(*sizes))
            for lang, srcs in n_per.items() for src, n in srcs.items() for k in range(n)]


# ------------------------------------------------------------------------------------ recipe validation
@pytest.mark.parametrize("shares, message", [
    ({"zh": 0.7, "bilingual": 0.2, "en": 0.0}, "--en share must be a positive number, got 0.0"),
    ({"zh": 1.2, "en": -0.2}, "--en share must be a positive number, got -0.2"),
    ({"zh": float("nan")}, "--zh share must be a positive number"),
    ({"zh": 0.7, "en": 0.2}, "language shares sum to 0.9, not 1"),
    ({"jp": 1.0}, "unknown language 'jp'"),
    ({}, "no language shares given"),
], ids=["zero", "negative", "nan", "sum", "unknown-lang", "empty"])
def test_bad_shares_are_config_errors(shares, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Recipe(shares=shares)


def test_normalize_rescales_shares_and_weights():
    r = Recipe(shares={"zh": 7, "en": 3}, sources={"zh": {"a": SourceSpec(1), "b": SourceSpec(3)}}, normalize=True)
    assert r.shares == pytest.approx({"zh": 0.7, "en": 0.3})
    assert r.sources["zh"]["b"].weight == pytest.approx(0.75)
    with pytest.raises(ConfigError, match="source weights of zh sum to 4"):
        Recipe(shares={"zh": 1.0}, sources={"zh": {"a": SourceSpec(1), "b": SourceSpec(3)}})


@pytest.mark.parametrize("kwargs, message", [
    (dict(unit="bytes"), "--unit must be one of"),
    (dict(max_epochs=0), "--max-epochs must be a positive number"),
    (dict(total=-5), "--total-tokens must be a positive number"),
    (dict(sources={"en": {"x": SourceSpec(1.0)}}), "lists sources for 'en' but gives it no share"),
    (dict(sources={"zh": {"x": SourceSpec(0.0)}}), "weight of source zh/x must be a positive number"),
], ids=["unit", "epochs", "total", "sources-no-share", "zero-weight"])
def test_bad_recipe_fields(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        Recipe(shares={"zh": 1.0}, **kwargs)


def test_recipe_yaml_mapping_forms():
    shares, sources = recipe_from_mapping(
        {"zh": {"share": 0.7, "sources": {"news": 0.5, "web": {"weight": 0.5, "max_epochs": 3}}},
         "bilingual": 0.2, "en": 0.1}, "r.yaml")
    assert shares == {"zh": 0.7, "bilingual": 0.2, "en": 0.1}
    assert sources == {"zh": {"news": SourceSpec(0.5), "web": SourceSpec(0.5, 3)}}
    r = Recipe(shares=shares, sources=sources)
    assert r.cap("zh", "web") == 3 and r.cap("zh", "news") == 1.0 and r.cap("en", "any") == 1.0
    with pytest.raises(ConfigError, match="source zh/web needs 'weight'"):
        recipe_from_mapping({"zh": {"share": 1, "sources": {"web": {"weigth": 1}}}}, "r.yaml")
    with pytest.raises(ConfigError, match="zh has no 'share'"):
        recipe_from_mapping({"zh": {"sources": {"web": 1}}}, "r.yaml")


# ------------------------------------------------------------------------------------ the plan
def totals_of(sizes: dict) -> dict:
    """(lang, source) -> units, as one-doc-per-unit buckets (hist is irrelevant for these checks)."""
    return {k: {"docs": u, "units": u, "tokens": u, "chars": u, "hist": {0: (u, u)}} for k, u in sizes.items()}


def test_plan_without_total_is_limited_by_the_scarcest_source():
    r = Recipe(shares={"zh": 0.7, "bilingual": 0.2, "en": 0.1})
    plan = plan_mix(r, totals_of({("zh", "a"): 7000, ("bilingual", "b"): 1000, ("en", "c"): 5000}))
    # room: zh 10,000, bilingual 5,000, en 50,000 -> T = 5,000; bilingual is taken whole.
    assert plan.total == pytest.approx(5000)
    assert plan.buckets[("bilingual", "b")].full_epochs == 1
    assert plan.buckets[("zh", "a")].target == pytest.approx(3500)
    assert plan.buckets[("zh", "a")].full_epochs == 0
    assert any("bilingual/b limits the mix" in w for w in plan.warnings)


def test_plan_upsamples_up_to_the_cap_and_warns():
    r = Recipe(shares={"zh": 0.5, "en": 0.5}, total=6000, max_epochs=3)
    plan = plan_mix(r, totals_of({("zh", "a"): 1200, ("en", "c"): 5000}))
    zh = plan.buckets[("zh", "a")]
    assert (zh.full_epochs, zh.target) == (2, pytest.approx(3000))  # 2 full epochs + 600 units
    assert zh.cut_residual == pytest.approx(600)
    assert any("zh/a runs out: repeated to 2.5 epochs (cap 3)" in w for w in plan.warnings)


def test_request_beyond_the_cap_names_the_source_and_the_limit():
    r = Recipe(shares={"zh": 0.5, "en": 0.5}, total=10_000, max_epochs=2)
    with pytest.raises(MixPlanError, match=r"zh/a needs 4.17 epochs, cap 2.*largest mix these caps allow is 4,800"):
        plan_mix(r, totals_of({("zh", "a"): 1200, ("en", "c"): 5000}))


def test_language_or_named_source_without_documents():
    with pytest.raises(MixPlanError, match="no documents for language 'en'"):
        plan_mix(Recipe(shares={"zh": 0.9, "en": 0.1}), totals_of({("zh", "a"): 10}))
    r = Recipe(shares={"zh": 1.0}, sources={"zh": {"news": SourceSpec(0.5), "web": SourceSpec(0.5)}})
    with pytest.raises(MixPlanError, match="no documents for source 'web' of 'zh'"):
        plan_mix(r, totals_of({("zh", "news"): 10}))


# ------------------------------------------------------------------------------------ the window fill
@pytest.mark.parametrize("items, residual, limit, expected", [
    ([(1, "a", 5), (2, "b", 5), (3, "c", 5)], 10, 15, {"a", "b"}),           # exact prefix
    ([(1, "a", 5), (2, "b", 50), (3, "c", 4)], 9, 59, {"a", "c"}),           # skips the big one, fills exactly
    ([(1, "a", 5), (2, "b", 8)], 11, 13, {"a", "b"}),                        # overshoot 2 < shortfall 6
    ([(1, "a", 5), (2, "b", 8)], 8, 13, {"a"}),                              # overshoot 5 > shortfall 3
    ([(1, "a", 5), (2, "b", 8)], 11, 10, {"a"}),                             # the cap forbids b
    ([], 3, 3, set()),
], ids=["prefix", "skip-big", "closer-over", "closer-under", "cap", "empty"])
def test_choose_in_window(items, residual, limit, expected):
    assert mix.choose_in_window(items, residual, limit) == expected


# ------------------------------------------------------------------------------------ end-to-end maths
def test_simulated_mix_hits_shares_and_depends_on_seed():
    docs = corpus({"zh": {"news": 400, "web": 900}, "bilingual": {"tatoeba": 300}, "en": {"bbc": 500}})
    r = Recipe(shares={"zh": 0.7, "bilingual": 0.2, "en": 0.1})
    copies, plan = simulate(docs, r, seed=0)
    got = achieved(docs, copies)
    total = sum(got.values())
    for lang, share in r.shares.items():
        assert abs(sum(v for k, v in got.items() if k[0] == lang) / total - share) < 0.005
    copies1, _ = simulate(docs, r, seed=1)
    picked0 = {i for i, c in copies.items() if c}
    picked1 = {i for i, c in copies1.items() if c}
    assert picked0 != picked1 and len(picked0 & picked1) > 0


@settings(max_examples=60, deadline=None)
@given(
    n=st.lists(st.integers(min_value=20, max_value=300), min_size=3, max_size=3),
    shares=st.lists(st.integers(min_value=1, max_value=20), min_size=3, max_size=3),
    epochs=st.sampled_from([1.0, 2.5, 4.0]),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_property_each_bucket_lands_within_one_small_doc_of_its_target(n, shares, epochs, seed):
    docs = corpus({"zh": {"s": n[0]}, "bilingual": {"s": n[1]}, "en": {"s": n[2]}}, sizes=(1, 400), seed=seed)
    r = Recipe(shares=dict(zip(("zh", "bilingual", "en"), shares)), normalize=True, max_epochs=epochs)
    copies, plan = simulate(docs, r, seed=seed)
    got = achieved(docs, copies)
    for key, bp in plan.buckets.items():
        sizes = sorted(u for i, lang, src, u in docs if (lang, src) == key)
        assert got[key] <= bp.max_epochs * bp.size + 1e-6  # never beyond the cap
        assert abs(got[key] - bp.target) <= sizes[-1] / 2 + 1e-6 or abs(got[key] - bp.target) <= sizes[0]
    assert all(c <= math.ceil(epochs) for c in copies.values())
