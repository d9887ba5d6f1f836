"""fastText quality classifier: lazy loading, the model's input view, and scoring.

The input view is the matching view with every Han character as its own token (so word bigrams are
character bigrams for Chinese and word bigrams for English), cut to `max_chars`. Training
(`curation.quality.train`) and scoring use the same `fasttext_input`, so they cannot drift.
A model's score is the probability of `__label__hq`, written to `quality/fasttext_<name>_v1`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from curation.text.langid import load_fasttext
from curation.text.normalize import HAN_CLASS, normalize_text

MODELS_DIR = os.path.join(os.path.dirname(__file__), "models")
DEFAULT_MODEL = os.path.join(MODELS_DIR, "quality_default_v1.ftz")
POSITIVE, NEGATIVE = "__label__hq", "__label__lq"
_HAN_TOKEN = re.compile(f"([{HAN_CLASS}])")
_SPACES = re.compile(r"\s+")


def fasttext_input(norm: str, max_chars: int = 2000) -> str:
    """The classifier's view of an already normalized text: Han characters split into tokens, one line."""
    return _SPACES.sub(" ", _HAN_TOKEN.sub(r" \1 ", norm[:max_chars])).strip()


def attribute_name(name: str) -> str:
    return f"quality/fasttext_{name}_v1"


@dataclass
class FastTextQualityTagger:
    """Scores documents with one fastText quality model (loaded on first use, never pickled).

    Args:
        name: model name used in the attribute (`quality/fasttext_<name>_v1`).
        path: the `.ftz` / `.bin` file.
        max_chars: characters of the matching view given to the model.
    """

    name: str
    path: str
    max_chars: int = 2000
    _model: object = field(default=None, repr=False, compare=False)

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_model"] = None
        return state

    @property
    def attribute(self) -> str:
        return attribute_name(self.name)

    @property
    def model(self):
        if self._model is None:
            self._model = load_fasttext(self.path)
        return self._model

    def score_norm(self, norm: str) -> float:
        """P(high quality) of a normalized text (0.0 for empty text)."""
        sample = fasttext_input(norm, self.max_chars)
        if not sample:
            return 0.0
        labels, probs = self.model.predict(sample, k=2)
        for label, prob in zip(labels, probs):
            if label == POSITIVE:
                return float(min(1.0, prob))
        return 0.0

    def score(self, text: str) -> float:
        """P(high quality) of an original text."""
        return self.score_norm(normalize_text(text[: self.max_chars * 2]))
