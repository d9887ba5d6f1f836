"""Shared fixtures. Tests never need ../shared/corpora: those that use it skip with a clear reason."""

from __future__ import annotations

import os

import pytest

from curation.testing import corpus_path

# Workers and tests must never reach for a hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/data/expected from this run")


@pytest.fixture
def update_golden(request) -> bool:
    return request.config.getoption("--update-golden")


@pytest.fixture
def corpora():
    """Path to ../shared/corpora; skips the test when it is not on this machine."""
    path = corpus_path()
    if path is None:
        pytest.skip("../shared/corpora not found (set QINGLIU_CORPORA); real-text checks skipped")
    return path


@pytest.fixture(scope="session")
def demo_corpus(tmp_path_factory):
    """The embedded demo corpus written once per test session: {'dir': path, 'truth': ground truth dict}."""
    from curation import demo

    out = tmp_path_factory.mktemp("demo")
    return demo.write_demo_corpus(str(out))
