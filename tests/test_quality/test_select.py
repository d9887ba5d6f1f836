"""Selection: rules config parsing, per-language thresholds, first failing rule wins."""

from __future__ import annotations

import pytest

from curation.errors import ConfigError
from curation.quality.select import DEFAULT_RULES, make_selector, parse_rules
from curation.testing import make_doc

RULES = {
    "too_short": {"attr": "quality/n_chars_v1", "min": {"zh": 20, "en": 100}},
    "dup_lines": {"attr": "quality/dup_line_frac_v1", "max": 0.3},
}


def _doc(text="内容" * 20, lang="zh", **attrs):
    doc = make_doc(text, lang=lang)
    doc.attributes.update({k.replace("__", "/"): v for k, v in attrs.items()})
    return doc


@pytest.mark.parametrize(
    "lang, attrs, reason",
    [
        ("zh", {"quality__n_chars_v1": 40, "quality__dup_line_frac_v1": 0.0}, None),
        ("zh", {"quality__n_chars_v1": 10, "quality__dup_line_frac_v1": 0.9}, "too_short"),
        ("zh", {"quality__n_chars_v1": 40, "quality__dup_line_frac_v1": 0.9}, "dup_lines"),
        ("en", {"quality__n_chars_v1": 40, "quality__dup_line_frac_v1": 0.0}, "too_short"),
        ("bilingual", {"quality__n_chars_v1": 5, "quality__dup_line_frac_v1": 0.0}, None),
        ("other", {"quality__n_chars_v1": 500}, "lang_other"),
        ("zh", {"quality__n_chars_v1": 0}, "empty_text"),
        ("zh", {"quality__n_chars_v1": 5, "quality__letters_v1": 0}, "no_letters"),
        ("zh", {"quality__n_chars_v1": 40}, None),
    ],
    ids=["kept", "first-failing-wins", "second-rule", "per-lang-threshold", "lang-without-threshold",
         "lang-other", "empty", "no-letters", "missing-attribute-not-checked"],
)
def test_reason(lang, attrs, reason):
    sel = make_selector(RULES)
    assert sel.reason(_doc(lang=lang, **attrs)) == reason


def test_whitespace_text_is_empty():
    assert make_selector(RULES).reason(make_doc(" \n ", lang="zh")) == "empty_text"


def test_keep_langs():
    sel = make_selector(RULES, keep_langs=["zh"])
    assert sel.reason(_doc(lang="en", quality__n_chars_v1=500)) == "lang_other"


def test_default_rules_file_parses_in_order():
    rules = parse_rules(DEFAULT_RULES)
    names = [r.name for r in rules]
    assert names[0] == "too_short" and names[-1] == "low_quality_score"
    assert len(names) == len(set(names)) > 25


@pytest.mark.parametrize(
    "spec, match",
    [
        ({"r": {"min": 1}}, "needs 'attr'"),
        ({"r": {"attr": "a", "min": {"jp": 1}}}, "unknown language"),
        ({"r": {"attr": "a", "minimum": 1}}, "unknown keys"),
        ({"r": {"attr": "a", "min": "x"}}, "expected a number"),
        ({"empty_text": {"attr": "a", "min": 1}}, "built-in"),
        (["not", "a", "mapping"], "must be a mapping"),
    ],
    ids=["no-attr", "bad-lang", "bad-key", "bad-value", "builtin-name", "not-mapping"],
)
def test_bad_rules_are_config_errors(spec, match):
    with pytest.raises(ConfigError, match=match):
        parse_rules(spec)


def test_rules_file_without_rules_key(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("keep_langs: [zh]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no 'rules:'"):
        parse_rules(str(path))


def test_malformed_rules_yaml_is_a_config_error(tmp_path):
    """A rules file that is not YAML names the file in a ConfigError (the CLI exits 2) instead of a YAML traceback."""
    bad = tmp_path / "rules.yaml"
    bad.write_text("rules: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot read rules file .*rules.yaml"):
        parse_rules(str(bad))
