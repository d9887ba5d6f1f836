"""Selection: apply thresholds to the attributes the taggers wrote; the first failing rule is the reason.

Rules come from the `rules:` mapping of a YAML file (default: `curation/quality/rules.yaml`, which is also
a valid `curate filter --config` file). Order in the file is the order of the checks. Each rule:

    too_short:                      # rule name = the rejection reason
      attr: quality/n_chars_v1      # attribute it reads
      min: {zh: 20, en: 100}        # and/or max:; per language, or one number for all
                                    # a language without a value is not checked by this rule

Three checks run before the file's rules, for every language: `empty_text` (no visible character),
`no_letters` (no letter or digit of any script: emoji only, punctuation only) and `lang_other` (routed to
a language not in `keep_langs`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from curation.errors import ConfigError
from curation.schema import LANGS, Document
from curation.yamlio import YAMLError, load_yaml

DEFAULT_RULES = os.path.join(os.path.dirname(__file__), "rules.yaml")
BUILTIN = ("empty_text", "no_letters", "lang_other")
LETTERS_ATTR = "quality/letters_v1"
NCHARS_ATTR = "quality/n_chars_v1"


@dataclass(frozen=True)
class Rule:
    """One threshold rule.

    Args:
        name: the reason written on rejected documents.
        attr: attribute it reads.
        min, max: per-language bounds (inclusive); a language missing from both is not checked.
    """

    name: str
    attr: str
    min: dict[str, float] = field(default_factory=dict)
    max: dict[str, float] = field(default_factory=dict)

    def fails(self, lang: str, attrs: dict[str, float]) -> bool:
        lo, hi = self.min.get(lang), self.max.get(lang)
        if lo is None and hi is None:
            return False
        value = attrs.get(self.attr)
        if value is None:
            return False  # the tagger did not run for this document (e.g. fastText disabled)
        return (lo is not None and value < lo) or (hi is not None and value > hi)


def _per_lang(value: Any, where: str) -> dict[str, float]:
    if value is None:
        return {}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {lang: float(value) for lang in LANGS}
    if isinstance(value, dict):
        bad = [k for k in value if k not in LANGS]
        if bad:
            raise ConfigError(f"{where}: unknown language(s) {bad}; use {list(LANGS)}")
        return {k: float(v) for k, v in value.items() if v is not None}
    raise ConfigError(f"{where}: expected a number or a {{lang: number}} mapping, got {value!r}")


def parse_rules(spec: Any, where: str = "rules") -> list[Rule]:
    """Rules from a `{name: {attr, min, max}}` mapping, or from a YAML file holding `rules:`.

    Raises:
        ConfigError: a malformed rule (unknown key, language or value).
    """
    if isinstance(spec, str):
        path = spec
        try:
            with open(path, encoding="utf-8") as f:
                loaded = load_yaml(f) or {}
        except (OSError, YAMLError) as exc:
            raise ConfigError(f"cannot read rules file {path}: {exc}") from exc
        spec = loaded.get("rules") if isinstance(loaded, dict) else None
        where = path
        if spec is None:
            raise ConfigError(f"{path}: no 'rules:' mapping")
    if not isinstance(spec, dict):
        raise ConfigError(f"{where}: 'rules' must be a mapping of rule name -> {{attr, min, max}}")
    rules = []
    for name, body in spec.items():
        if name in BUILTIN:
            raise ConfigError(f"{where}: '{name}' is a built-in check and cannot be redefined")
        if not isinstance(body, dict) or "attr" not in body:
            raise ConfigError(f"{where}: rule '{name}' needs 'attr' and 'min' and/or 'max'")
        extra = set(body) - {"attr", "min", "max"}
        if extra:
            raise ConfigError(f"{where}: rule '{name}' has unknown keys {sorted(extra)}")
        rules.append(Rule(str(name), str(body["attr"]), _per_lang(body.get("min"), f"{where}:{name}.min"),
                          _per_lang(body.get("max"), f"{where}:{name}.max")))
    return rules


@dataclass(frozen=True)
class Selector:
    """Decides keep / reject for tagged documents.

    Args:
        rules: threshold rules, in order.
        keep_langs: languages kept; others are rejected as `lang_other`.
    """

    rules: tuple[Rule, ...]
    keep_langs: tuple[str, ...] = ("zh", "bilingual", "en")

    def __post_init__(self):
        # Per language, the rules that check it as (index, name, attr, lo, hi): selection runs once per
        # document, and skipping the rules a language has no bound in halves its cost.
        table = {lang: tuple((i, r.name, r.attr, r.min.get(lang), r.max.get(lang)) for i, r in enumerate(self.rules)
                             if r.min.get(lang) is not None or r.max.get(lang) is not None) for lang in LANGS}
        object.__setattr__(self, "_table", table)

    def reason(self, doc: Document) -> str | None:
        """The first failing check's name, or None when the document is kept."""
        return self.first_failure(doc.lang, doc.text, doc.attributes)[0]

    def first_failure(self, lang: str | None, text: str, attrs: dict[str, float], only: frozenset | None = None,
                      before: int | None = None) -> tuple[str | None, int]:
        """(first failing check's name or None, its index in `rules`; -1 for a built-in check).

        A rule whose attribute is missing from `attrs` does not fail (its tagger did not run), so
        `QualityTagger` can call this before fastText scores exist and skip scoring documents that a rule
        placed before every fastText rule already rejects. `only` and `before` re-check just the rules
        reading those attributes, placed before that index (after the scores arrive).
        """
        if only is not None:
            for i, name, attr, lo, hi in self._table.get(lang or "other", ()):
                if before is not None and i >= before:
                    break
                if attr in only:
                    value = attrs.get(attr)
                    if value is not None and ((lo is not None and value < lo) or (hi is not None and value > hi)):
                        return name, i
            return None, len(self.rules)
        if attrs.get(NCHARS_ATTR, 1.0) == 0 or not text or text.isspace():  # == `not text.strip()`
            return "empty_text", -1
        if attrs.get(LETTERS_ATTR, 1.0) == 0:
            return "no_letters", -1
        lang = lang or "other"
        if lang not in self.keep_langs:
            return "lang_other", -1
        for i, name, attr, lo, hi in self._table.get(lang, ()):
            value = attrs.get(attr)
            if value is not None and ((lo is not None and value < lo) or (hi is not None and value > hi)):
                return name, i
        return None, len(self.rules)

    def first_failure_batch(self, langs: list[str | None], empty: np.ndarray, cols: dict[str, np.ndarray]
                            ) -> np.ndarray:
        """`first_failure` over a batch, vectorized: the index of each document's first failing check.

        Args:
            langs: routed language per document.
            empty: True where the text is empty or whitespace only (`not text.strip()`).
            cols: attribute -> float64 array over the batch, NaN where the document has no value (a rule
                whose attribute is NaN does not fail, as a missing attribute in `first_failure`).

        Returns:
            int array: -3, -2, -1 for the built-in checks (`BUILTIN` order), i for rule i,
            len(rules) where every check passes. `reason_names()[code + 3]` is the reason (None = kept).
        """
        n = len(langs)
        lang_names = sorted({lang or "other" for lang in langs})
        code_of = {lang: i for i, lang in enumerate(lang_names)}
        codes = np.fromiter((code_of[lang or "other"] for lang in langs), dtype=np.int64, count=n)
        out = np.full(n, len(self.rules), dtype=np.int64)
        nchars = cols.get(NCHARS_ATTR)
        letters = cols.get(LETTERS_ATTR)
        fail = empty | (nchars == 0) if nchars is not None else empty.copy()
        out[fail] = -3
        pending = ~fail
        if letters is not None:
            fail = pending & (letters == 0)
            out[fail] = -2
            pending &= ~fail
        other = np.array([lang not in self.keep_langs for lang in lang_names], dtype=bool)[codes]
        fail = pending & other
        out[fail] = -1
        pending &= ~fail
        nan = float("nan")
        for i, rule in enumerate(self.rules):
            value = cols.get(rule.attr)
            if value is None:
                continue
            lo = np.array([rule.min.get(lang, nan) for lang in lang_names])[codes]
            hi = np.array([rule.max.get(lang, nan) for lang in lang_names])[codes]
            fail = pending & ((value < lo) | (value > hi))  # NaN bound or value: no failure
            out[fail] = i
            pending &= ~fail
        return out

    def reason_names(self) -> tuple[str | None, ...]:
        """Reason per `first_failure_batch` code + 3 (the last entry, None, is "kept")."""
        return BUILTIN + tuple(r.name for r in self.rules) + (None,)

    def first_rule_reading(self, prefix: str) -> int:
        """Index of the first rule whose attribute starts with `prefix` (len(rules) when none does)."""
        return next((i for i, r in enumerate(self.rules) if r.attr.startswith(prefix)), len(self.rules))

    def attributes(self) -> set[str]:
        return {r.attr for r in self.rules}


def make_selector(rules: Any = None, keep_langs: list[str] | tuple[str, ...] = ("zh", "bilingual", "en")) -> Selector:
    """Selector from a rules spec (path, mapping or None for the shipped defaults)."""
    bad = [x for x in keep_langs if x not in LANGS]
    if bad:
        raise ConfigError(f"keep_langs: unknown language(s) {bad}; use {list(LANGS)}")
    return Selector(tuple(parse_rules(DEFAULT_RULES if rules is None else rules)), tuple(keep_langs))
