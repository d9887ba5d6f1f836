"""Operators, counts, byte-for-byte untouched documents, and no PII in logs."""

import logging
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.errors import ConfigError
from curation.pii import PiiConfig, PiiScrubber, attributes

TEXT = "张三的手机138-0013-8000，另一个号码13800138000，邮箱zs@example.com，身份证11010519491231002X。"
VALUES = ["138-0013-8000", "13800138000", "zs@example.com", "11010519491231002X"]


@pytest.fixture(scope="module")
def default():
    s = PiiScrubber()
    s.setup()
    return s


def test_placeholders_and_counts(default):
    r = default.scrub(TEXT)
    assert r.text == "张三的手机<PHONE>，另一个号码<PHONE>，邮箱<EMAIL>，身份证<ID_CARD>。"
    assert r.counts == {"phone": 2, "email": 1, "id_card": 1}
    assert attributes(r) == {"pii/n_spans_v1": 4.0, "pii/n_phone_v1": 2.0, "pii/n_email_v1": 1.0,
                             "pii/n_id_card_v1": 1.0}


def test_mask_keeps_separators_and_last_digits():
    s = PiiScrubber(PiiConfig(default_operator="mask", mask_keep_last=4))
    assert s.scrub("手机138-0013-8000。").text == "手机***-****-8000。"


def test_hash_is_a_consistent_salted_pseudonym(monkeypatch):
    monkeypatch.setenv("QINGLIU_PII_SALT", "0123456789abcdef-test")
    r = PiiScrubber(PiiConfig(operators={"phone": "hash"})).scrub(TEXT)
    pseudonyms = re.findall(r"<PHONE_[0-9a-f]{10}>", r.text)
    assert len(pseudonyms) == 2 and pseudonyms[0] == pseudonyms[1]  # two spellings, one person
    assert "<EMAIL>" in r.text
    monkeypatch.setenv("QINGLIU_PII_SALT", "another-salt-0123456789")
    config = PiiConfig(operators={"phone": "hash"})
    other = PiiScrubber(config).scrub(TEXT)
    assert re.findall(r"<PHONE_[0-9a-f]{10}>", other.text)[0] != pseudonyms[0]
    # The salt travels with the pickled config but never shows in a config dump or repr.
    import dataclasses
    import pickle

    assert pickle.loads(pickle.dumps(config)).salt() == "another-salt-0123456789"
    assert "another-salt" not in repr(dataclasses.asdict(config)) + repr(config)


def test_hash_without_salt_is_a_config_error(monkeypatch):
    monkeypatch.delenv("QINGLIU_PII_SALT", raising=False)
    with pytest.raises(ConfigError, match="salt"):
        PiiConfig(operators={"phone": "hash"})


@pytest.mark.parametrize("kwargs, match", [
    ({"operators": {"phone": "burn"}}, "operator"), ({"types": ["phone", "dna"]}, "unknown PII type"),
    ({"score_threshold": 2.0}, "score_threshold"), ({"mask_char": "**"}, "mask_char"),
], ids=["bad-operator", "bad-type", "bad-threshold", "bad-mask-char"])
def test_bad_config(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        PiiConfig(**kwargs)


def test_drop_marks_document_and_scrubs_with_placeholders():
    r = PiiScrubber(PiiConfig(operators={"id_card": "drop"})).scrub(TEXT)
    assert r.drop and not any(v in r.text for v in VALUES)


def test_types_limit_what_is_found():
    r = PiiScrubber(PiiConfig(types=["email"])).scrub(TEXT)
    assert r.counts == {"email": 1} and "13800138000" in r.text


@pytest.mark.parametrize("text", [
    "", "   ", "今天天气不错。", "Prices rose 3.5 pct in 1987.", "🙂 emoji ok 👍", "繁體中文，沒有個人資訊。",
    "订单号202311150000000001", "a\u3000b\uff0c", "x" * 5000,
], ids=["empty", "spaces", "zh", "en", "emoji", "traditional", "order-number", "fullwidth-punct", "long"])
def test_documents_without_pii_unchanged(default, text):
    r = default.scrub(text)
    assert r.text.encode("utf-8") == text.encode("utf-8") and r.counts == {}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["手机", "13800138000", "，", "邮箱", "zs@example.com", " ", "\n", "价格12元",
                                 "身份证", "11010519491231002X", "８.８.８.８", "今天"]), max_size=12))
def test_scrub_is_idempotent_and_leaves_no_match(text_parts):
    s = _shared()
    once = s.scrub("".join(text_parts))
    twice = s.scrub(once.text)
    assert twice.text == once.text and twice.counts == {}


_SHARED = []


def _shared():
    if not _SHARED:
        _SHARED.append(PiiScrubber())
    return _SHARED[0]


def test_no_pii_in_logs(caplog, default):
    caplog.set_level(logging.DEBUG)
    default.scrub_batch([TEXT, "服务器8.8.8.8已经"] * 3)
    assert not any(v in caplog.text for v in VALUES + ["8.8.8.8"])


def test_scrubber_pickles_without_engines(default):
    import pickle

    clone = pickle.loads(pickle.dumps(default))
    assert clone._analyzer is None
    assert clone.scrub("手机13800138000").text == "手机<PHONE>"


def test_library_does_not_import_beam():
    import ast
    import pathlib

    import curation.pii

    for path in pathlib.Path(curation.pii.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(n.split(".")[0] in ("apache_beam", "spacy") for n in names), path.name


def test_engine_uses_the_no_op_nlp_engine(default):
    from presidio_analyzer.nlp_engine import NoOpNlpEngine

    assert isinstance(default._analyzer.nlp_engine, NoOpNlpEngine)
    assert set(default._analyzer.supported_languages) == {"zh", "en"}
