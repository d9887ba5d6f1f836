"""Shared fixtures for the quality-stage tests: taggers built once per session."""

from __future__ import annotations

import pytest

from curation.quality.tagger import QualityConfig, QualityTagger
from curation.schema import Document


@pytest.fixture(scope="session")
def rules_only() -> QualityTagger:
    """Routing + rules, no fastText quality model (its rule is skipped)."""
    return QualityTagger(QualityConfig(quality_models={}))


@pytest.fixture(scope="session")
def full() -> QualityTagger:
    """Routing + rules + the shipped fastText quality model."""
    return QualityTagger(QualityConfig())


def verdict(qt: QualityTagger, text: str, lang: str | None = None) -> tuple[str | None, Document]:
    doc = qt.route(Document(id="t", text=text, lang=lang))
    doc = qt.tag(doc)
    return qt.select(doc), doc
