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


def register_batch_prepare(name: str) -> Callable[[Callable], Callable]:
    """Decorator: `fn(views)` fills `view.cache` for a whole batch before tagger `name` runs on each view.

    Optional: a tagger must give the same features without it (one document at a time); the hook only
    amortizes fixed costs, such as numpy calls, over a batch.
    """
    def deco(fn: Callable) -> Callable:
        _PREPARE[name] = fn
        return fn

    return deco


_PREPARE: dict[str, Callable] = {}


def prepare_views(names: list[str] | tuple[str, ...], views: list) -> None:
    """Run the batch hooks of the taggers in `names` on `views`."""
    _load_builtin()
    for name in names:
        if name in _PREPARE:
            _PREPARE[name](views)


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
        feats = fn(view)
        if not keys.keys() >= feats.keys():
            for feature in feats:
                keys.setdefault(feature, f"quality/{feature}_v{version}")
        # round() is the costliest step per value; ints and zeros are already exact.
        out.update({keys[f]: float(v) if v == 0 or type(v) is int else round(float(v), 5) for f, v in feats.items()})
    return out
