"""`TextView`: everything the rule taggers share, computed once per document.

The expensive parts (normalization, n-grams) look at most at `max_chars` characters, so a 10 MB document
is tagged in bounded time; counts that are cheap at C speed (`n_chars`) use the whole text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from curation.text.normalize import count_matches, normalize_text

_SPACE = re.compile(r"\s")
MAX_CHARS = 100_000  # features that cost more than a regex pass look at the first 100k characters


@dataclass
class TextView:
    """The shared inputs of the rule taggers.

    Args:
        text: the original text, cut to `max_chars`.
        norm: `normalize_text(text)` (NFKC, casefold, Traditional->Simplified, whitespace collapsed).
        lang: the routed language (zh | bilingual | en | other).
        lines: non-empty lines of `text`, stripped.
        n_chars: non-whitespace characters of the whole (uncut) text.
        truncated: True when `text` was cut.
    """

    text: str
    norm: str
    lang: str
    lines: list[str]
    n_chars: int
    truncated: bool = False
    cache: dict = field(default_factory=dict)


def make_view(text: str, lang: str | None, max_chars: int = MAX_CHARS) -> TextView:
    """Build the view of one document (cut to `max_chars` for the costly features)."""
    n_chars = len(text) - count_matches(_SPACE, text)
    cut = text[:max_chars]
    lines = [ln.strip() for ln in cut.split("\n")]
    return TextView(text=cut, norm=normalize_text(cut), lang=lang or "other", lines=[ln for ln in lines if ln],
                    n_chars=n_chars, truncated=len(text) > max_chars)
