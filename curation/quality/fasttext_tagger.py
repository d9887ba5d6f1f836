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

import numpy as np

from curation.quality.fasttext_batch import CLS_HAN, CLS_HAN_TOKEN, CLS_SPACE, BatchScorer
from curation.text.langid import load_fasttext
from curation.text.normalize import normalize_text
from curation.text.script import HAN_RANGES, count_han_fast, han_counts

MODELS_DIR = os.path.join(os.path.dirname(__file__), "models")
# Models shipped in the package are named `pkg:<file>` and resolved where they load, so a pipeline
# launched on one machine finds them inside the installed package on a remote worker.
PKG = "pkg:"
DEFAULT_MODEL = PKG + "quality_default_v1.ftz"


def resolve_model_path(path: str) -> str:
    """`pkg:<file>` -> the file in this package's models/ folder; other paths unchanged."""
    return os.path.join(MODELS_DIR, path[len(PKG):]) if path.startswith(PKG) else path
POSITIVE, NEGATIVE = "__label__hq", "__label__lq"
_HAN_TOKEN_RANGES = ((0x3400, 0x9FFF), (0xF900, 0xFAFF))  # BMP only: astral members slow `re` down
_HAN_TOKEN = re.compile("[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _HAN_TOKEN_RANGES) + "]")
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


_VIEW_CLASSES = None


def view_classes() -> np.ndarray:
    """The input view's rules as a table for `BatchScorer.view_probabilities` (uint8 per code point):
    `CLS_HAN` what `_every_char_a_token` counts (`han_counts`), `CLS_HAN_TOKEN` what `_word_view` makes a
    token of its own (`_HAN_TOKEN`), `CLS_SPACE` what `_SPACES` matches (`\\s` is `str.isspace`; no code point
    beyond U+3000 is whitespace). Built once per process (~1 ms)."""
    global _VIEW_CLASSES
    if _VIEW_CLASSES is None:
        table = np.zeros(0x110000, dtype=np.uint8)
        for lo, hi in HAN_RANGES:
            table[lo: hi + 1] |= CLS_HAN
        for lo, hi in _HAN_TOKEN_RANGES:
            table[lo: hi + 1] |= CLS_HAN_TOKEN
        table[[c for c in range(0x3001) if chr(c).isspace()]] |= CLS_SPACE
        _VIEW_CLASSES = table
    return _VIEW_CLASSES


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

        Where the scorer's C kernel is built, it cuts the samples and makes their views itself (from
        `view_classes`, the same rules). Otherwise a mostly-Han sample goes to the numpy scorer as it is
        (every character a token: the same tokens as its space-joined `fasttext_input`, without building
        that string) and other samples as their input view.
        """
        scorer = self.scorer
        if scorer is not None:
            scores = scorer.view_probabilities(norms, POSITIVE, view_classes(), self.max_chars)
            if scores is not None:
                return np.minimum(scores, 1.0).tolist()
        samples = [norm[: self.max_chars] for norm in norms]
        out = np.zeros(len(samples))
        texts, char_tokens, todo = [], [], []
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
            return out.tolist()
        if scorer is not None:
            probs = scorer.probabilities(texts, POSITIVE, char_tokens)
        else:
            views = [" ".join(t) if c else t for t, c in zip(texts, char_tokens)]
            all_labels, all_probs = self.model.predict(views, k=-1)
            probs = [dict(zip(labels, p)).get(POSITIVE, 0.0) for labels, p in zip(all_labels, all_probs)]
        out[todo] = probs
        return np.minimum(out, 1.0).tolist()

    def score(self, text: str) -> float:
        """P(high quality) of an original text."""
        return self.score_norm(normalize_text(text[: self.max_chars * 2]))
