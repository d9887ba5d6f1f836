"""Build the presidio `AnalyzerEngine` without downloading any model.

NLP-engine choice: presidio 2.2.366's `NoOpNlpEngine`. Every Qingliu recognizer is a regex plus a
validator and needs no tokens, lemmas or NER, so a spaCy pipeline would only cost time: presidio's
default `AnalyzerEngine()` loads `en_core_web_lg` (and downloads it when missing), a blank spaCy
pipeline saved to disk avoids the download but still tokenizes every text, and jieba tokenization makes
Chinese several times slower again. With the no-op engine nothing is loaded from disk or network.

What presidio's `LemmaContextAwareEnhancer` would do with tokens (raise a score when a context word is
near) `CharContextEnhancer` does on characters, which is what Chinese needs: `手机号13800138000` has no
token boundary between the word and the number. It is plugged in through presidio's own
`context_aware_enhancer` hook, so the recognizers' `context` lists are the ones presidio reports.
"""

from __future__ import annotations

import logging

from presidio_analyzer import AnalyzerEngine, RecognizerRegistry, RecognizerResult
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer
from presidio_analyzer.nlp_engine import NoOpNlpEngine

from curation.pii.recognizers import CONTEXT_WINDOW, all_recognizers

LOG = logging.getLogger(__name__)

LANGUAGES = ("zh", "en")
DOC_SEPARATOR = "\n\x00\n"  # between windows joined into one analyze() call; no pattern crosses a NUL


class CharContextEnhancer(ContextAwareEnhancer):
    """Raise a result's score when one of its recognizer's context words is within a few characters.

    Args:
        context_similarity_factor: added to the score when a context word is found (presidio default 0.35).
        min_score_with_context_similarity: the score is at least this after a hit (presidio default 0.4).
        prefix_chars: characters before the match searched for context words.
        suffix_chars: characters after the match searched.
    """

    def __init__(self, context_similarity_factor: float = 0.35, min_score_with_context_similarity: float = 0.4,
                 prefix_chars: int = 20, suffix_chars: int = 8):
        super().__init__(context_similarity_factor, min_score_with_context_similarity, prefix_chars, suffix_chars)

    def enhance_using_context(self, text, raw_results, nlp_artifacts, recognizers, context=None):
        by_id = {r.id: r for r in recognizers}
        for result in raw_results:
            meta = result.recognition_metadata or {}
            rec = by_id.get(meta.get(RecognizerResult.RECOGNIZER_IDENTIFIER_KEY))
            words = getattr(rec, "context", None)
            if not words or meta.get(RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY):
                continue
            entity = result.entity_type
            before_n = CONTEXT_WINDOW.get(entity, self.context_prefix_count)
            before = text[max(0, result.start - before_n):result.start]
            after = text[result.end:result.end + self.context_suffix_count]
            before = before[before.rfind("\x00") + 1:].lower()
            cut = after.find("\x00")
            after = (after if cut < 0 else after[:cut]).lower()
            if entity in CONTEXT_WINDOW:
                after = ""  # weak entities: the word must come first (微信: abc123, QQ 12345678)
            if any(w in before or w in after for w in words):
                result.score = min(self.MAX_SCORE, max(result.score + self.context_similarity_factor,
                                                       self.min_score_with_context_similarity))
                meta[RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY] = True
                result.recognition_metadata = meta
        return raw_results


def build_analyzer(languages: tuple[str, ...] = LANGUAGES, score_threshold: float = 0.5) -> AnalyzerEngine:
    """presidio AnalyzerEngine with Qingliu's recognizers for each language and no NLP model.

    Args:
        languages: presidio language codes to register every recognizer for (zh and en by default).
        score_threshold: minimum score a result needs (after context) to be reported.
    """
    nlp = NoOpNlpEngine(models=[{"lang_code": lang, "model_name": "none"} for lang in languages])
    registry = RecognizerRegistry(supported_languages=list(languages))
    for lang in languages:
        for rec in all_recognizers(lang):
            registry.add_recognizer(rec)
    return AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=list(languages),
                          context_aware_enhancer=CharContextEnhancer(), default_score_threshold=score_threshold)


def build_presidio_default_analyzer() -> AnalyzerEngine:
    """presidio's own predefined English recognizer set on the no-op NLP engine (the bench baseline:
    what presidio finds with regex recognizers only, since no spaCy model may be downloaded)."""
    nlp = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=nlp)
    return AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=["en"])
