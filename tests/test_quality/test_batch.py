"""The batched hot path gives the same numbers and verdicts as the one-document functions."""

from __future__ import annotations

import random

import numpy as np
import pytest

from curation.quality.rules_repetition import MIN_UNITS, char_ngram_stats_batch, ngram_stats
from curation.quality.tagger import StatsAccumulator, doc_stats
from curation.schema import Document
from curation.stats import merge_stats
from tests.test_quality.test_rules import CASES


def _seq(rng: random.Random, alphabet: str, n: int) -> np.ndarray:
    return np.array([ord(rng.choice(alphabet)) for _ in range(n)], dtype=np.uint64)


@pytest.mark.parametrize("seed", range(4))
def test_char_ngram_batch_equals_per_document(seed):
    rng = random.Random(seed)
    seqs = [_seq(rng, rng.choice(["ab", "abc", "的是了在人", "天地玄黄宇宙洪荒日月盈昃辰宿列张"]), rng.randint(MIN_UNITS, 600))
            for _ in range(6)]
    seqs.append(np.tile(seqs[0][:20], 8))  # the same text repeated: the top n-grams win by count
    got = char_ngram_stats_batch(seqs)
    for s, g in zip(seqs, got):
        assert g == ngram_stats(s, np.ones(len(s), dtype=np.int64), dup_ns=(5, 10, 13))


def test_process_batch_matches_one_by_one(full):
    texts = [t for t, _ in CASES] + ["\n".join(["本帖最后由管理员于昨天编辑过。"] * 20)]
    batch = full.process_batch([Document(id=str(i), text=t) for i, t in enumerate(texts)])
    for i, (text, (doc, reason)) in enumerate(zip(texts, batch)):
        one = full.tag(full.route(Document(id=str(i), text=text)))
        assert (doc.lang, reason) == (one.lang, full.select(one)), text[:40]
        score = "quality/fasttext_default_v1"
        if reason is None or reason == "low_quality_score":
            assert doc.attributes == one.attributes
        else:  # rejected before the fastText rule: not scored, every other attribute the same
            assert score not in doc.attributes
            assert doc.attributes == {k: v for k, v in one.attributes.items() if k != score}


def test_fasttext_rule_first_still_scores(tmp_path):
    """A config that puts the fastText rule before others: docs are scored before any rule can skip them."""
    from curation.quality.tagger import QualityConfig, QualityTagger

    rules = {"low_quality_score": {"attr": "quality/fasttext_default_v1", "min": {"zh": 1.1}},
             "too_short": {"attr": "quality/n_chars_v1", "min": {"zh": 10**6}}}
    qt = QualityTagger(QualityConfig(rules=rules))
    [(doc, reason)] = qt.process_batch([Document(id="a", text=CASES[0][0])])
    assert reason == "low_quality_score" and "quality/fasttext_default_v1" in doc.attributes


def test_stats_accumulator_equals_merged_doc_stats(rules_only):
    texts = [t for t, _ in CASES]
    acc, ref = StatsAccumulator(), {}
    for doc, reason in rules_only.process_batch([Document(id=str(i), text=t) for i, t in enumerate(texts)]):
        acc.add(doc, reason)
        ref = merge_stats(ref, doc_stats(doc, reason))
    assert acc.result() == ref
    assert StatsAccumulator().result() == {}
