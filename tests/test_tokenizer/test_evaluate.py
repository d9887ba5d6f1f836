"""Eval: metrics with known answers, the CLI report files, and (when present) reference tokenizers."""

from __future__ import annotations

import json

import pytest

from curation.testing import write_jsonl
from tests.test_tokenizer.conftest import EN, ZH
from tokenizer_training import references
from tokenizer_training.evaluate import USAGE_CLASSES, classify_token, measure, target_checks, usage_class
from tokenizer_training.export import load_tokenizer


@pytest.mark.parametrize("token, kind", [
    ("我们".encode(), "cjk"), (" the".encode(), "latin"), (b"2", "digit"), ("，".encode(), "punct"),
    (b"\n\n", "whitespace"), ("，我们".encode(), "mixed"), (b"\xe4\xbd", "byte"), (b"\xe4", "byte"),
])
def test_classify_token(token, kind):
    assert classify_token(token) == kind


@pytest.mark.parametrize("token, kind", [
    ("我".encode(), "cjk1"), (" 我们".encode(), "cjk2"), ("北京市".encode(), "cjk3"), ("中华人民共和国".encode(), "cjk4+"),
    (" the".encode(), "latin"), ("，我们".encode(), "mixed"), (b"\xe4\xbd", "byte"),
])
def test_usage_class_splits_han_by_length(token, kind):
    assert usage_class(token) == kind


def test_measure_counts(trained):
    tok = references.HFByteLevel("q", load_tokenizer(trained))
    m = measure(tok, ["今天北京的天气很好", "hello"])
    assert m["docs"] == 2 and m["chars"] == 14 and m["bytes"] == 9 * 3 + 5
    assert m["tokens"] == len(tok.encode("今天北京的天气很好")) + len(tok.encode("hello"))
    assert m["han_chars"] == 9 and m["han_split"] == 0 and m["roundtrip_share"] == 1.0
    assert m["tokens_per_1k_chars"] == round(1000 * m["tokens"] / 14, 1)
    usage = m["tokens_by_class"]
    assert set(usage) == set(USAGE_CLASSES) and sum(usage.values()) == m["tokens"]
    han_tokens = [b for b in tok.token_bytes(tok.encode("今天北京的天气很好"))]
    assert sum(usage[c] for c in ("cjk1", "cjk2", "cjk3", "cjk4+")) == len(han_tokens)
    assert usage["latin"] == len(tok.encode("hello")) and usage["digit"] == usage["punct"] == 0


def test_eval_cli_writes_report(trained, tmp_path):
    from tokenizer_training.cli import main

    ood = write_jsonl(str(tmp_path / "ood.jsonl.gz"), [{"id": str(i), "text": t} for i, t in enumerate(ZH + EN)])
    out = tmp_path / "eval"
    assert main(["eval", "--tokenizer", trained, "--refs", "none", "--ood", f"zh={ood}", "--output", str(out)]) == 0
    res = json.load(open(out / "eval.json", encoding="utf-8"))
    assert set(res["sets"]) == {"heldout/zh", "heldout/bilingual", "heldout/en", "ood/zh"}
    q = res["results"]["qingliu"]
    assert all(v["roundtrip_share"] == 1.0 for v in q.values())
    assert res["vocab"]["qingliu"]["special"] == 7 and res["vocab"]["qingliu"]["max_token_bytes"] <= 32
    assert res["targets"]["roundtrip"]["ok"] and "zh_vs_chatglm2" not in res["targets"]  # no reference: no ratio
    assert (out / "eval.png").stat().st_size > 1000
    md = (out / "eval.md").read_text(encoding="utf-8")
    assert "### Tokens per 1,000 characters" in md and "#### ood/zh\n| tokenizer | cjk1 |" in md


def test_target_checks_ratios():
    res = {"results": {"q": {"ood/zh": {"tokens_per_1k_chars": 600.0, "han_byte_split_share": 0.001,
                                        "roundtrip_share": 1.0}},
                       "chatglm2": {"ood/zh": {"tokens_per_1k_chars": 750.0}}}}
    checks = target_checks(res, "q")
    assert checks["zh_vs_chatglm2"] == {"set": "ood/zh", "ratio": 0.8, "limit": 0.85, "ok": True}
    assert checks["han_byte_split"]["ok"] and checks["roundtrip"]["ok"]


def test_unknown_reference_is_config_error(trained, capsys):
    from tokenizer_training.cli import main

    assert main(["eval", "--tokenizer", trained, "--refs", "gpt5"]) == 2
    assert "unknown reference tokenizer" in capsys.readouterr().err


@pytest.mark.skipif(not references.available_references(("llama2", "chatglm2")),
                    reason="../shared/ref_tokenizers not found (set QINGLIU_REF_TOKENIZERS)")
def test_reference_known_answers():
    text = "人工智能技术正在改变我们的生活和工作方式。"
    llama2, glm = references.load_reference("llama2"), references.load_reference("chatglm2")
    m2, mg = measure(llama2, [text]), measure(glm, [text])
    assert m2["han_split"] > 0 and mg["han_split"] == 0  # LLaMA-2 has ~700 Han pieces, byte-falls back the rest
    assert mg["tokens"] < m2["tokens"] / 1.5
    assert b"".join(glm.token_bytes(glm.encode(text))).strip() == text.encode()
