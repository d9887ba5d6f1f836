"""The README's main job, end to end on the demo corpus: every stage runs, every output is complete and
accounted for, and the planted duplicates, PII and junk are handled as the ground truth says."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from curation import e2e
from curation.testing import read_stage_output

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("e2e") / "run")
    code = e2e.main(["--demo", root, "--demo-scale", "0.6", "--vocab-size", "4096", "--model-steps", "40"])
    assert code == 0
    return root


def test_every_stage_is_complete_and_accounted_for(run_dir):
    for step in e2e.STEPS:
        if not step.data_stage:
            continue
        out = read_stage_output(os.path.join(run_dir, step.folder))
        s = out["stats"]
        assert out["complete"], step.name
        assert s["accounting"]["ok"], step.name
        assert s["input_records"] == s["kept"] - s["accounting"]["extra_copies"] + s["rejected"]["total"] + s["unreadable"]["count"]
    report = json.load(open(os.path.join(run_dir, "report.json")))
    assert [s["stage"] for s in report["stages"]] == ["ingest", "quality", "dedup", "pii", "mix"]


def test_planted_problems_are_removed(run_dir):
    truth = json.load(open(os.path.join(run_dir, "00-raw", "truth.json"), encoding="utf-8"))["docs"]
    dedup = read_stage_output(os.path.join(run_dir, "03-dedup"))
    removed = {d.id: d for d in dedup["rejected"]}
    # Exact duplicates that survived quality filtering are removed by dedup, with the survivor named.
    for doc_id, t in truth.items():
        if t["kind"] == "exact_dup" and doc_id in removed:
            assert removed[doc_id].reason == "exact_duplicate" and removed[doc_id].duplicate_of
    planted = [i for i, t in truth.items() if t["kind"] in ("exact_dup", "near_dup")]
    kept_after_quality = {d.id for d in read_stage_output(os.path.join(run_dir, "02-filter"))["kept"]}
    reachable = [i for i in planted if i in kept_after_quality and truth[i]["dup_of"] in kept_after_quality]
    caught = sum(1 for i in reachable if i in removed or truth[i]["dup_of"] in removed)
    assert reachable and caught / len(reachable) >= 0.95

    # Junk is rejected by the quality stage.
    quality_rejected = {d.id for d in read_stage_output(os.path.join(run_dir, "02-filter"))["rejected"]}
    junk = [i for i, t in truth.items() if t["kind"] == "low_quality"]
    assert sum(i in quality_rejected for i in junk) / len(junk) >= 0.9

    # No planted structured PII value survives into the mix.
    mixed_text = "\n".join(d.text for d in read_stage_output(os.path.join(run_dir, "05-mix"))["kept"])
    values = [p["value"] for t in truth.values() for p in t["pii"] if p["type"] not in ("person", "qq")]
    assert values and not [v for v in values if v in mixed_text]


def test_mix_shares_tokenizer_and_model(run_dir):
    report = json.load(open(os.path.join(run_dir, "05-mix", "mix_report.json"), encoding="utf-8"))
    assert report["max_share_error_pp"] <= 0.5
    meta = json.load(open(os.path.join(run_dir, "07-tokens", "meta.json")))
    assert meta["vocab_size"] == 4096 and meta["dtype"] == "uint16"
    train = np.fromfile(os.path.join(run_dir, "07-tokens", meta["splits"]["train"]["file"]), dtype="<u2")
    assert train.size == meta["splits"]["train"]["tokens"] and int(train.max()) < meta["vocab_size"]
    hf = os.path.join(run_dir, "08-model", "hf")
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        assert os.path.exists(os.path.join(hf, name)), name


def test_resume_skips_every_finished_step(run_dir, capsys):
    marker = os.path.join(run_dir, "08-model", "_SUCCESS")
    before = os.path.getmtime(os.path.join(run_dir, "08-model", "hf", "model.safetensors"))
    assert e2e.main(["--demo", run_dir, "--demo-scale", "0.6", "--resume"]) == 0
    out = capsys.readouterr().out
    assert out.count("complete, skipped (--resume)") == len(e2e.STEPS) and os.path.exists(marker)
    assert os.path.getmtime(os.path.join(run_dir, "08-model", "hf", "model.safetensors")) == before


@pytest.mark.parametrize("argv, vocab", [(["--demo", "r"], 8192), (["--demo", "r", "--vocab-size=4096"], 4096),
                                         (["--demo", "r", "--vocab", "4096"], 4096), (["r", "--input", "x"], 65536)])
def test_vocab_size_default_depends_on_demo_only_when_not_given(argv, vocab):
    assert e2e.parse_args(argv).vocab_size == vocab
