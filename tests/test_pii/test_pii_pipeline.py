"""End-to-end `pipelines.pii.run([...])`: layout, drop reason, YAML config, and the demo corpus."""

import collections
import gzip
import json

import pytest

from curation.errors import ConfigError
from curation.testing import read_stage_output, write_jsonl
from pipelines import pii

SECRETS = ["13800138000", "zs@example.com", "11010519491231002X"]
RECORDS = [
    {"id": "a", "text": "手机13800138000，邮箱zs@example.com您好"},
    {"id": "b", "text": "今天天气不错，价格12元。"},
    {"id": "c", "text": "身份证11010519491231002X，请核对。"},
    {"id": "d", "text": "Server 8.8.8.8 is down; call (212) 555-0147."},
]


def _run(tmp_path, *flags):
    src = write_jsonl(str(tmp_path / "in.jsonl"), RECORDS)
    out = str(tmp_path / "out")
    stats = pii.run(["--input", src, "--output", out, *flags])
    return stats, read_stage_output(out)


def test_stage_scrubs_drops_and_counts(tmp_path):
    stats, out = _run(tmp_path, "--operators", "id_card=drop")
    assert out["complete"] and stats["input_records"] == 4
    kept = {d.id: d for d in out["kept"]}
    assert kept["a"].text == "手机<PHONE>，邮箱<EMAIL>您好"
    assert kept["a"].attributes["pii/n_phone_v1"] == 1.0 and kept["a"].attributes["pii/n_email_v1"] == 1.0
    assert kept["b"].text == RECORDS[1]["text"] and kept["b"].attributes == {"pii/n_spans_v1": 0.0}
    assert kept["d"].text == "Server <IP> is down; call <PHONE>."
    [rej] = out["rejected"]
    assert (rej.id, rej.stage, rej.reason, rej.text) == ("c", "pii", "pii_drop", "身份证<ID_CARD>，请核对。")
    assert stats["rejected"]["by_reason"] == {"pii_drop": 1}
    assert stats["stage_stats"]["found"] == {"phone": 2, "email": 1, "id_card": 1, "ip": 1}
    # The values never reach stats.json, the rejected shard or any output text.
    blob = json.dumps(stats, ensure_ascii=False) + "".join(d.text for d in out["kept"] + out["rejected"])
    assert not any(s in blob for s in SECRETS)


def test_yaml_config(tmp_path):
    cfg = tmp_path / "pii.yaml"
    cfg.write_text("operators: {phone: mask}\ntypes: [phone]\n", encoding="utf-8")
    _, out = _run(tmp_path, "--config", str(cfg))
    kept = {d.id: d for d in out["kept"]}
    assert kept["a"].text == "手机***********，邮箱zs@example.com您好"
    assert len(out["rejected"]) == 0


@pytest.mark.parametrize("flags, match", [
    (["--operators", "phone=burn"], "operator"), (["--operators", "phone"], "TYPE=OPERATOR"),
    (["--types", "dna"], "unknown PII type"),
], ids=["bad-operator", "no-equals", "bad-type"])
def test_bad_flags_fail_before_work(tmp_path, flags, match):
    with pytest.raises(ConfigError, match=match):
        pii.run(["--input", str(tmp_path), "--output", str(tmp_path / "out"), *flags])


STRUCTURED = {"phone_cn", "landline_cn", "id_card_cn", "bank_card_cn", "credit_card", "email", "ipv4", "ipv6",
              "qq", "us_phone", "us_ssn"}


@pytest.mark.slow
def test_demo_corpus_end_to_end(demo_corpus, tmp_path):
    """Every planted structured identifier is scrubbed, hard negatives survive, clean docs are unchanged."""
    out = str(tmp_path / "pii")
    pii.run(["--input", demo_corpus["dir"], "--output", out])
    result = read_stage_output(out)
    assert result["complete"] and not result["rejected"]
    raw = {}
    for path in demo_corpus["files"]:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                raw[r["id"]] = r["text"]
    truth = demo_corpus["truth"]["docs"]
    kept = {d.id: d for d in result["kept"]}
    assert set(kept) == set(raw)
    missed, total, negs_ok, negs = collections.Counter(), collections.Counter(), 0, 0
    for doc_id, doc in kept.items():
        t = truth[doc_id]
        planted = [p for p in t["pii"] if p["type"] in STRUCTURED]
        if not t["pii"] and not t.get("hard_negatives"):
            if doc.attributes.get("pii/n_spans_v1", 0) == 0:
                assert doc.text == raw[doc_id]
        for p in planted:
            total[p["type"]] += 1
            if p["value"] in doc.text:
                missed[p["type"]] += 1
        for n in t.get("hard_negatives", []):
            negs += 1
            negs_ok += n["value"] in doc.text
    assert sum(total.values()) > 100
    assert not missed, f"planted PII left in text: {dict(missed)} of {dict(total)}"
    assert negs and negs_ok / negs >= 0.97
    false_alarms = [i for i, d in kept.items() if d.attributes.get("pii/n_spans_v1", 0)
                    and not any(p["type"] in STRUCTURED for p in truth[i]["pii"])]
    assert len(false_alarms) <= 0.01 * len(kept)
