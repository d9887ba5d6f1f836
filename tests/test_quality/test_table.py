"""The columnar fast path (`QualityTagger.process_table`, `LanguageRouter.route_batch`) gives exactly the
per-document path's languages, reasons, attributes and stats (`process_batch` + `StatsAccumulator`)."""

from __future__ import annotations

import math
import os
import random

import numpy as np
import pyarrow as pa
import pytest

from curation.demo.corpus import build
from curation.quality.tagger import QualityConfig, QualityTagger, StatsAccumulator
from curation.schema import ARROW_SCHEMA, Document, attributes_column, to_table
from curation.testing import corpus_path, iter_corpus
from curation.text.langid import LanguageRouter
from tests.test_quality.test_rules import BI_CLEAN, CASES, EN_CLEAN, ZH_CLEAN

EDGE = [
    "", " ", "\n", "\n\n\n", "\t\u3000", "😀😂", "。。。", "Ａｂｃ全角字母混合中文内容。", "𠀀𠀁𠀂古字", "㐀㐁扩展A",
    "我在学 Python 和 JavaScript，觉得很有意思。", "NBA 总决赛今晚开打，湖人对阵凯尔特人。",
    "Hello.\n你好。", "Hi.\n嗨。", "It's 7:45.\n现在是七点四十五分。", ZH_CLEAN + "\n" + EN_CLEAN, BI_CLEAN,
    "\n".join(["第一行中文内容", "second line english text here", "第三行"] * 5),
    "English first line.\r\n中文第二行。\r\n", "Ελληνικά και 中文", "한국어 텍스트와 中文", "カタカナと漢字の文章です。",
    "\u4dc0\u4dc1 易经卦象", "中文" * 10 + "a" * 19, "中文" * 10 + "a" * 21, "中" + "\n" * 2500 + "english words " * 5,
    "Café crème brûlée 中文", "x" * 50 + "\n" + "中" * 10, "\x00\x01控制字符中文", "\ufffd\ufffd替换字符",
]


def _mixes(seed: int, n: int) -> list[str]:
    """Random zh / en line mixes around the bilingual and 3% boundaries."""
    rng = random.Random(seed)
    zh = ["今天天气很好。", "我们去公园散步吧。", "经济增长速度加快", "记者 张三"]
    en = ["The weather is nice today.", "Let us go for a walk.", "GDP", "a b c", "OK"]
    out = []
    for _ in range(n):
        lines = [rng.choice(zh if rng.random() < 0.6 else en) * rng.randint(1, 4) for _ in range(rng.randint(1, 6))]
        sep = rng.choice(["\n", "\n\n", " ", ""])
        out.append(sep.join(lines))
    return out


def _corpus_texts(per_file: int) -> list[str]:
    texts = []
    for lang in ("zh", "en", "bilingual"):
        folder = corpus_path(lang)
        if folder is None:
            continue
        for name in sorted(os.listdir(folder)):
            if name.endswith(".jsonl.gz"):
                texts.extend(r["text"] for r in iter_corpus(f"{lang}/{name}", limit=per_file))
    return texts


def _demo_texts() -> list[str]:
    return [d.text for d in build(0, 0.3)]


def _same_route(router: LanguageRouter, texts: list[str]) -> None:
    langs, cols = router.route_batch(texts)
    for i, text in enumerate(texts):
        lang, attrs = router.route(text)
        got = {k: float(v[i]) for k, v in cols.items() if not math.isnan(v[i])}
        assert (langs[i], got) == (lang, attrs), text[:60]


def test_route_batch_equals_route():
    router = LanguageRouter()
    _same_route(router, [t for t, _ in CASES] + EDGE + _mixes(0, 400))
    _same_route(router, _demo_texts())
    _same_route(LanguageRouter(scan_chars=40), EDGE)  # texts past scan_chars go one by one
    langs, cols = router.route_batch([])
    assert langs == [] and all(len(v) == 0 for v in cols.values())


@pytest.mark.skipif(corpus_path("zh") is None, reason="../shared/corpora not on this machine")
def test_route_batch_equals_route_on_real_text():
    _same_route(LanguageRouter(), _corpus_texts(400))


def _docs(texts: list[str], with_attrs: bool = False) -> list[Document]:
    return [Document(id=f"d{i:05d}", text=t, source=f"s{i % 3}", source_file="in.jsonl", row=i,
                     attributes={"pii/n_spans_v1": float(i % 4), "quality/han_ratio_v1": -1.0} if with_attrs and i % 5 == 0
                     else {})
            for i, t in enumerate(texts)]


def _same_verdicts(qt: QualityTagger, docs: list[Document]) -> tuple[pa.Table, pa.Table]:
    kept, rejected, stats = qt.process_table(to_table(docs))
    acc, want_kept, want_rej = StatsAccumulator(), [], []
    for doc, reason in qt.process_batch(docs):
        acc.add(doc, reason)
        if reason is None:
            want_kept.append(doc)
        else:
            want_rej.append(doc.rejected("quality", reason))
    assert kept.to_pylist() == to_table(want_kept).to_pylist()
    assert rejected.to_pylist() == to_table(want_rej, rejected=True).to_pylist()
    assert kept.equals(to_table(want_kept)) and rejected.equals(to_table(want_rej, rejected=True))
    assert stats == acc.result()
    return kept, rejected


@pytest.mark.parametrize("qt_name", ["rules_only", "full"])
def test_process_table_equals_process_batch(qt_name, request):
    qt = request.getfixturevalue(qt_name)
    texts = [t for t, _ in CASES] + EDGE + _mixes(1, 200)
    kept, rejected = _same_verdicts(qt, _docs(texts, with_attrs=True))
    assert kept.num_rows and rejected.num_rows
    assert dict(zip(rejected.column("id").to_pylist(), rejected.column("reason").to_pylist()))["d00004"] == "empty_text"
    _same_verdicts(qt, _docs(_demo_texts()))


def test_process_table_keep_lang_and_other_rules():
    rules = {"too_short": {"attr": "quality/n_chars_v1", "min": {"zh": 30, "en": 120}},
             "low_quality_score": {"attr": "quality/fasttext_default_v1", "min": {"zh": 0.5}},
             "han_share_low": {"attr": "quality/han_ratio_v1", "min": {"zh": 0.6}}}
    qt = QualityTagger(QualityConfig(rules=rules, keep_lang=True, keep_langs=("zh", "en")))
    docs = _docs([t for t, _ in CASES] + _demo_texts()[:300])
    for i, d in enumerate(docs):
        d.lang = ("zh", "en", None, "bilingual")[i % 4]
    _same_verdicts(qt, docs)


def test_process_table_empty(rules_only):
    kept, rejected, stats = rules_only.process_table(to_table([]))
    assert kept.num_rows == rejected.num_rows == 0 and stats == {} and kept.schema == ARROW_SCHEMA


@pytest.mark.slow
@pytest.mark.skipif(corpus_path("zh") is None, reason="../shared/corpora not on this machine")
def test_process_table_equals_process_batch_on_real_text(full):
    texts = _corpus_texts(100)
    for start in range(0, len(texts), 2048):
        _same_verdicts(full, _docs(texts[start:start + 2048]))


def test_attributes_column_merges_like_dicts():
    base_docs = [Document("a", "x", attributes={"z": 1.0, "b": 2.0}), Document("b", "y"),
                 Document("c", "y", attributes={"q": None, "b": 3.0}), Document("d", "w", attributes={"b": 4.0})]
    base = to_table(base_docs).column("attributes")
    cols = {"b": np.array([5.0, np.nan, np.nan, np.nan]), "c": np.array([np.nan, 1.5, np.nan, 0.0])}
    got = attributes_column(cols, 4, base)
    assert got.type == ARROW_SCHEMA.field("attributes").type
    want = [sorted({**d.attributes, **{k: float(v[i]) for k, v in cols.items() if not np.isnan(v[i])}}.items())
            for i, d in enumerate(base_docs)]
    assert got.to_pylist() == want
    assert attributes_column({"b": np.full(2, np.nan)}, 2, base.slice(1, 2)).to_pylist() == [
        [], sorted(base_docs[2].attributes.items())]
    assert attributes_column({}, 0).to_pylist() == [] and attributes_column({"a": np.array([np.nan])}, 1).to_pylist() == [[]]
