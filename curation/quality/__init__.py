"""The quality stage's pure logic: rule taggers (registry), fastText scoring, selection, training.

See docs/quality.md. `curation.quality.tagger.QualityTagger` ties routing, tagging and selection together;
`pipelines/quality.py` wraps it in Beam.
"""
