"""House rules that keep the layers apart, and the stats merge every stage relies on."""

from __future__ import annotations

import pathlib
import re

from curation.stats import MAX_EXAMPLES, finalize, merge_stats

ROOT = pathlib.Path(__file__).resolve().parents[2]
BEAM_IMPORT = re.compile(r"^\s*(import apache_beam|from apache_beam)", re.M)


def test_curation_never_imports_beam():
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "curation").rglob("*.py") if BEAM_IMPORT.search(p.read_text())]
    assert offenders == [], f"curation/ must stay Beam-free (pure logic): {offenders}"


def test_fixed_top_level_exists():
    for name in ("curation", "tokenizer_training", "model_ref", "pipelines", "notebooks", "tests", "setup.cfg",
                 "README.md", ".ci/run"):
        assert (ROOT / name).exists(), name


def test_merge_stats_is_order_independent_and_bounded():
    parts = [{"kept": 1, "by_lang": {"zh": {"docs": 1}}, "unreadable": {"count": 1, "examples": [{"file": f"f{i}", "line": i}]}}
             for i in range(MAX_EXAMPLES + 5)]
    forward, backward = {}, {}
    for p in parts:
        forward = merge_stats(forward, p)
    for p in reversed(parts):
        backward = merge_stats(backward, p)
    assert forward == backward
    assert forward["kept"] == MAX_EXAMPLES + 5 and forward["by_lang"]["zh"]["docs"] == MAX_EXAMPLES + 5
    assert len(forward["unreadable"]["examples"]) == MAX_EXAMPLES


def test_finalize_checks_the_accounting_invariant():
    ok = finalize({"kept": 3, "rejected": {"total": 1, "by_reason": {"x": 1}}, "unreadable": {"count": 2, "examples": []}}, read=4)
    assert ok["input_records"] == 6 and ok["accounting"]["ok"]
    bad = finalize({"kept": 2}, read=4)
    assert not bad["accounting"]["ok"]
    upsampled = finalize({"kept": 6, "rejected": {"total": 0, "by_reason": {}}}, read=4, extra_copies=2)
    assert upsampled["accounting"]["ok"]
