"""Registry of quality taggers with versioned names (dolma's `register_tagger`).

A tagger is a function `TextView -> dict[str, float]` registered under a versioned name such as
`repetition_v1`. It returns features without prefix; `run_taggers` writes them as
`quality/<feature>_v<version>`, so a behaviour change gets `_v2` and old attribute columns keep their
meaning. Adding a rule = one function in a `rules_*.py` module + one test.

    >>> sorted(list_taggers())[:2]
    ['garbled_v1', 'length_v1']
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from curation.errors import ConfigError

Tagger = Callable[[Any], dict[str, float]]
_TAGGERS: dict[str, Tagger] = {}
_NAME = re.compile(r"^[a-z][a-z0-9_]*_v(\d+)$")


def register_tagger(name: str) -> Callable[[Tagger], Tagger]:
    """Decorator: register `fn` under `name` (must end in `_vN`)."""
    if not _NAME.match(name):
        raise ValueError(f"tagger name must look like 'family_v1', got {name!r}")

    def deco(fn: Tagger) -> Tagger:
        if name in _TAGGERS and _TAGGERS[name] is not fn:
            raise ValueError(f"tagger {name} registered twice")
        _TAGGERS[name] = fn
        return fn

    return deco


def _load_builtin() -> None:
    # Importing the rule modules registers their taggers.
    from curation.quality import rules_garbled, rules_lexicon, rules_repetition, rules_text  # noqa: F401


def list_taggers() -> list[str]:
    """Names of every registered tagger."""
    _load_builtin()
    return sorted(_TAGGERS)


def get_tagger(name: str) -> Tagger:
    _load_builtin()
    if name not in _TAGGERS:
        raise ConfigError(f"unknown quality tagger '{name}' (known: {', '.join(sorted(_TAGGERS))})")
    return _TAGGERS[name]


def _resolve(names: tuple[str, ...]) -> list[tuple[Tagger, dict[str, str], str]]:
    """(function, feature -> attribute-name cache, version) per tagger; looked up once per name list."""
    got = _RESOLVED.get(names)
    if got is None:
        got = _RESOLVED[names] = [(get_tagger(n), {}, _NAME.match(n).group(1)) for n in names]
    return got


_RESOLVED: dict[tuple[str, ...], list] = {}


def run_taggers(names: list[str] | tuple[str, ...], view) -> dict[str, float]:
    """Run taggers on one view; returns `quality/<feature>_vN` -> value (rounded to 5 decimals)."""
    out: dict[str, float] = {}
    for fn, keys, version in _resolve(tuple(names)):
        for feature, value in fn(view).items():
            key = keys.get(feature)
            if key is None:
                key = keys[feature] = f"quality/{feature}_v{version}"
            out[key] = round(float(value), 5)
    return out
