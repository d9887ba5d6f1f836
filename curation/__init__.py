"""Qingliu (清流): a Chinese-first data engine for LLM pretraining.

`curation` is the pure library: plain Python on plain `Document` records, with no Beam import anywhere
below it (a test enforces that), so every rule is testable without a runner.
"""

__version__ = "0.1.0"
