"""fastText quality classifier: lazy loading, the model's input view, and scoring.

The input view is the matching view cut to `max_chars` with every Han character as its own token, so
word bigrams are character bigrams for Chinese and word bigrams for English. Mostly-Han text is split
into single characters with `" ".join` (a regex replacement per Han character costs ~2 us each, more than
the prediction itself). Training (`curation.quality.train`) and scoring use the same `fasttext_input`,
so they cannot drift. A model's score is the probability of `__label__hq`, written to
`quality/fasttext_<name>_v1`; it is computed for a whole batch by `fasttext_batch.BatchScorer` (the same
tokens and model, in numpy) where the model allows, else by fastText's `predict`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from curation.quality.fasttext_batch import BatchScorer
from curation.text.langid import load_fasttext
from curation.text.normalize import normalize_text
from curation.text.script import count_han_fast, han_counts

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
    if _every_char_a_token(sample, count_han_fast(sample)):
        return " ".join(sample)  # every character a token; fastText splits on any run of spaces
    return _word_view(sample)


def _every_char_a_token(sample: str, n_han: int) -> bool:
    """Mostly-Han samples (at least half Han characters) are split into single characters."""
    return 2 * n_han >= len(sample)


def _word_view(sample: str) -> str:
    """The other samples: every Han character its own token, other text split on whitespace."""
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
    _scorer: object = field(default=False, repr=False, compare=False)  # False: not built yet

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_model"] = None
        state["_scorer"] = False
        return state

    @property
    def attribute(self) -> str:
        return attribute_name(self.name)

    @property
    def model(self):
        if self._model is None:
            self._model = load_fasttext(resolve_model_path(self.path))
        return self._model

    @property
    def scorer(self) -> BatchScorer | None:
        """The numpy scorer for this model (None: a model kind it does not cover; fastText predicts)."""
        if self._scorer is False:
            self._scorer = BatchScorer.load(self.model, resolve_model_path(self.path))
        return self._scorer

    def score_norm(self, norm: str) -> float:
        """P(high quality) of a normalized text (0.0 for empty text)."""
        return self.score_norms([norm])[0]

    def score_norms(self, norms: list[str]) -> list[float]:
        """P(high quality) of many normalized texts: fastText's `predict` probability of `__label__hq`
        (0.0 for empty text), computed by `BatchScorer` over the whole batch where the model allows.

        A mostly-Han sample goes to the scorer as it is (every character a token: the same tokens as its
        space-joined `fasttext_input`, without building that string); other samples as their input view.
        """
        out = [0.0] * len(norms)
        texts, char_tokens, todo = [], [], []
        samples = [norm[: self.max_chars] for norm in norms]
        for i, (sample, n_han) in enumerate(zip(samples, han_counts(samples).tolist())):
            if sample and _every_char_a_token(sample, n_han):  # fasttext_input's cases, Han counted per batch
                texts.append(sample)
                char_tokens.append(True)
            else:
                view = _word_view(sample)
                if not view:
                    continue
                texts.append(view)
                char_tokens.append(False)
            todo.append(i)
        if not todo:
            return out
        if self.scorer is not None:
            probs = self.scorer.probabilities(texts, POSITIVE, char_tokens)
        else:
            views = [" ".join(t) if c else t for t, c in zip(texts, char_tokens)]
            all_labels, all_probs = self.model.predict(views, k=-1)
            probs = [dict(zip(labels, p)).get(POSITIVE, 0.0) for labels, p in zip(all_labels, all_probs)]
        for i, prob in zip(todo, probs):
            out[i] = float(min(1.0, prob))
        return out

    def score(self, text: str) -> float:
        """P(high quality) of an original text."""
        return self.score_norm(normalize_text(text[: self.max_chars * 2]))
