"""fastText quality classifier: lazy loading, the model's input view, and scoring.

The input view is the matching view cut to `max_chars` with every Han character as its own token, so
word bigrams are character bigrams for Chinese and word bigrams for English. Mostly-Han text is split
into single characters with `" ".join` (a regex replacement per Han character costs ~2 us each, more than
the prediction itself). Training
(`curation.quality.train`) and scoring use the same `fasttext_input`, so they cannot drift.
A model's score is the probability of `__label__hq`, written to `quality/fasttext_<name>_v1`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from curation.text.langid import load_fasttext
from curation.text.normalize import normalize_text
from curation.text.script import count_han_fast

MODELS_DIR = os.path.join(os.path.dirname(__file__), "models")
# Models shipped in the package are named `pkg:<file>` and resolved where they load, so a pipeline
# launched on one machine finds them inside the installed package on a remote worker.
PKG = "pkg:"
DEFAULT_MODEL = PKG + "quality_default_v1.ftz"


def resolve_model_path(path: str) -> str:
    """`pkg:<file>` -> the file in this package's models/ folder; other paths unchanged."""
    return os.path.join(MODELS_DIR, path[len(PKG):]) if path.startswith(PKG) else path
POSITIVE, NEGATIVE = "__label__hq", "__label__lq"
_HAN_TOKEN = re.compile("[\u3400-\u9fff\uf900-\ufaff]")  # BMP only: astral members slow `re` down
_SPACES = re.compile(r"\s+")


def fasttext_input(norm: str, max_chars: int = 1000) -> str:
    """The classifier's view of an already normalized text: Han characters split into tokens, one line."""
    sample = norm[:max_chars]
    if 2 * count_han_fast(sample) >= len(sample):
        return " ".join(sample)  # every character a token; fastText splits on any run of spaces
    return _SPACES.sub(" ", _HAN_TOKEN.sub(lambda m: f" {m.group()} ", sample)).strip()


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
    max_chars: int = 1000
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
            self._model = load_fasttext(resolve_model_path(self.path))
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

    def score_norms(self, norms: list[str]) -> list[float]:
        """`score_norm` of many normalized texts with one batched prediction (the same numbers).

        One `predict(list)` call runs fastText's C++ loop over the batch: about 11 us a short document
        against 17 us one call each (bench, fewclue).
        """
        samples = [fasttext_input(n, self.max_chars) for n in norms]
        todo = [i for i, s in enumerate(samples) if s]
        out = [0.0] * len(norms)
        if todo:
            all_labels, all_probs = self.model.predict([samples[i] for i in todo], k=2)
            for i, labels, probs in zip(todo, all_labels, all_probs):
                for label, prob in zip(labels, probs):
                    if label == POSITIVE:
                        out[i] = float(min(1.0, prob))
                        break
        return out

    def score(self, text: str) -> float:
        """P(high quality) of an original text."""
        return self.score_norm(normalize_text(text[: self.max_chars * 2]))
