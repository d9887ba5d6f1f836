"""End-to-end ingest: the canonical layout, the accounting invariant on bad input, determinism, errors."""

from __future__ import annotations

import filecmp
import gzip
import json
import os
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from curation.errors import ConfigError
from curation.schema import ARROW_SCHEMA, REJECTED_SCHEMA
from curation.testing import read_stage_output, write_jsonl
from pipelines import ingest

ROUND_TRIP_TEXTS = [
    "CJK Extension B: 𠀀𠀁𪚥 and 𰻞𰻞面",
    "emoji: 👩‍👩‍👧‍👦 🇨🇳 👍🏽 ❤️",
    "NUL inside: a\x00b",
    "RTL: مرحبا بالعالم — שלום עולם",
    "全角：ＡＢＣ１２３，。！？「」",
]


def make_bad_inputs(root) -> dict:
    """A directory with every kind of bad input the foundation issue names, and the expected counts."""
    d = root / "raw"
    d.mkdir()
    write_jsonl(str(d / "good.jsonl"), [{"id": f"g{i}", "text": f"good document {i}"} for i in range(5)])
    (d / "mixed.jsonl").write_bytes(
        b"\xef\xbb\xbf" + json.dumps({"text": "after BOM"}).encode() + b"\n"
        + b"\n\n"  # blank lines: not records
        + b"{broken json\n"  # unreadable
        + b'{"text": "bad \xff utf8"}\n'  # unreadable
        + b'{"title": "no text"}\n'  # unreadable
        + b'{"text": null}\n'  # unreadable
        + b'{"text": 12}\n'  # unreadable
        + json.dumps({"text": "   \n\t"}).encode() + b"\n"  # rejected: empty_text
        + json.dumps({"id": "g1", "text": "same id as good.jsonl's g1"}).encode() + b"\n"  # made unique
    )
    (d / "empty.jsonl").write_bytes(b"")
    payload = b"".join(json.dumps({"text": f"zipped {i} " * 30}).encode() + b"\n" for i in range(400))
    blob = gzip.compress(payload, mtime=0)
    (d / "truncated.jsonl.gz").write_bytes(blob[: len(blob) * 2 // 3])
    (d / "binary.jsonl").write_bytes(bytes(range(256)) * 8)
    (d / "gbk.jsonl").write_bytes(json.dumps({"text": "中文内容"}, ensure_ascii=False).encode("gbk") + b"\n")
    return {"dir": str(d)}


def test_bad_inputs_are_counted_and_nothing_is_lost(tmp_path):
    inputs = make_bad_inputs(tmp_path)
    out = str(tmp_path / "out")
    stats = ingest.run(["--input", inputs["dir"], "--output", out])
    result = read_stage_output(out)
    assert result["complete"]
    s = result["stats"]
    assert s["input_records"] == s["kept"] + s["rejected"]["total"] + s["unreadable"]["count"]
    assert s["accounting"]["ok"] and stats == s
    assert len(result["kept"]) == s["kept"] and len(result["rejected"]) == s["rejected"]["total"]
    assert s["rejected"]["by_reason"] == {"empty_text": 1}
    assert result["rejected"][0].stage == "ingest" and result["rejected"][0].reason == "empty_text"
    examples = s["unreadable"]["examples"]
    by_file = {}
    for e in examples:
        by_file.setdefault(os.path.basename(e["file"]), []).append(e)
    assert sorted(e["line"] for e in by_file["mixed.jsonl"]) == [4, 5, 6, 7, 8]
    assert "truncated" in by_file["truncated.jsonl.gz"][0]["error"]
    assert "GBK" in by_file["gbk.jsonl"][0]["error"]
    assert "binary.jsonl" in by_file
    texts = {d.text for d in result["kept"]}
    assert "after BOM" in texts and "same id as good.jsonl's g1" in texts
    ids = [d.id for d in result["kept"]]
    assert len(ids) == len(set(ids)), "repeated ids must be made unique, never merged"
    assert s["duplicate_ids"] == 1
    assert sum(1 for t in texts if t.startswith("zipped")) > 100  # records before the break survive


def test_schema_round_trip_jsonl_parquet(tmp_path):
    src = write_jsonl(str(tmp_path / "in" / "rt.jsonl"),
                      [{"id": f"r{i}", "text": t} for i, t in enumerate(ROUND_TRIP_TEXTS)])
    out = str(tmp_path / "out")
    ingest.run(["--input", src, "--output", out])
    shards = sorted(os.listdir(os.path.join(out, "data")))
    assert shards == ["part-00000-of-00001.parquet"]
    table = pq.read_table(os.path.join(out, "data", shards[0]))
    assert table.schema.equals(ARROW_SCHEMA, check_metadata=False)
    assert pq.read_schema(os.path.join(out, "rejected", os.listdir(os.path.join(out, "rejected"))[0])).equals(
        REJECTED_SCHEMA, check_metadata=False)
    kept = {d.id: d for d in read_stage_output(out)["kept"]}
    assert [kept[f"r{i}"].text for i in range(len(ROUND_TRIP_TEXTS))] == ROUND_TRIP_TEXTS
    assert kept["r0"].source_file == src
    assert kept["r0"].row == 0 and kept["r0"].source == "rt"
    # The output reads back as an input: a second stage sees the same documents.
    out2 = str(tmp_path / "out2")
    ingest.run(["--input", out, "--output", out2])
    again = {d.id: d for d in read_stage_output(out2)["kept"]}
    assert again == kept


def _same_tree(a: str, b: str) -> bool:
    for sub in ("data", "rejected"):
        names = sorted(os.listdir(os.path.join(a, sub)))
        if names != sorted(os.listdir(os.path.join(b, sub))):
            return False
        match, mismatch, errors = filecmp.cmpfiles(os.path.join(a, sub), os.path.join(b, sub), names, shallow=False)
        if mismatch or errors:
            return False
    return True


def test_determinism_same_bytes_in_process_and_two_worker_processes(tmp_path):
    inputs = make_bad_inputs(tmp_path)
    runs = {}
    for name, extra in {
        "a": [],
        "b": [],
        "multi": ["--direct_num_workers", "2", "--direct_running_mode", "multi_processing"],
    }.items():
        out = str(tmp_path / name)
        ingest.run(["--input", inputs["dir"], "--output", out, "--shard-size-mb", "0.002", *extra])
        runs[name] = out
    assert len(os.listdir(os.path.join(runs["a"], "data"))) > 1  # several shards, all deterministic
    assert _same_tree(runs["a"], runs["b"])
    assert _same_tree(runs["a"], runs["multi"])
    sa, sm = (read_stage_output(runs[k])["stats"] for k in ("a", "multi"))
    assert sa["kept"] == sm["kept"] and sa["unreadable"] == sm["unreadable"]


def test_missing_input_is_a_config_error_before_any_work(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(ConfigError, match="does not exist"):
        ingest.run(["--input", str(tmp_path / "nope"), "--output", str(out)])
    with pytest.raises(ConfigError, match="matches no"):
        ingest.run(["--input", str(tmp_path / "*.jsonl"), "--output", str(out)])
    assert not out.exists()


def test_incomplete_stage_output_is_never_taken_as_input(tmp_path):
    src = write_jsonl(str(tmp_path / "in.jsonl"), [{"text": "x"}])
    out = tmp_path / "out"
    ingest.run(["--input", src, "--output", str(out)])
    (out / "_SUCCESS").unlink()
    with pytest.raises(ConfigError, match="incomplete stage output"):
        ingest.run(["--input", str(out), "--output", str(tmp_path / "next")])


def test_rerun_replaces_old_shards(tmp_path):
    src = write_jsonl(str(tmp_path / "in.jsonl"), [{"text": f"doc {i}"} for i in range(50)])
    out = str(tmp_path / "out")
    ingest.run(["--input", src, "--output", out, "--shard-size-mb", "0.0002"])
    assert len(os.listdir(os.path.join(out, "data"))) > 1
    ingest.run(["--input", src, "--output", out])
    assert os.listdir(os.path.join(out, "data")) == ["part-00000-of-00001.parquet"]


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_cli_exit_codes_and_beam_run(tmp_path):
    src = write_jsonl(str(tmp_path / "in.jsonl"), [{"text": "你好"}, {"text": ""}])
    r = _cli("curation.cli", "ingest", "--input", str(tmp_path / "missing"), "--output", str(tmp_path / "o"))
    assert r.returncode == 2 and "does not exist" in r.stderr
    r = _cli("curation.cli", "nonsense")
    assert r.returncode == 2
    r = _cli("pipelines.beam_cli", "run", "pipelines/ingest.py", "--input", src, "--output", str(tmp_path / "b"),
             cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    assert r.returncode == 0, r.stderr[-2000:]
    assert "ingest" in r.stdout and read_stage_output(str(tmp_path / "b"))["stats"]["kept"] == 1
    r = _cli("pipelines.ingest", "--input", src, "--output", str(tmp_path / "m"))
    assert r.returncode == 0 and read_stage_output(str(tmp_path / "m"))["complete"]


def test_two_stage_outputs_with_the_same_ids_are_made_unique(tmp_path):
    """Ids are unique inside one stage output, not across two: reading both together runs the id check."""
    from pipelines.io import ids_known_unique

    outs = []
    for name in ("a", "b"):
        src = write_jsonl(str(tmp_path / name / "in.jsonl"), [{"id": "1", "text": f"{name} one"},
                                                              {"id": "2", "text": f"{name} two"}])
        outs.append(str(tmp_path / f"out_{name}"))
        ingest.run(["--input", src, "--output", outs[-1]])
    shards = [os.path.join(o, "data", f) for o in outs for f in os.listdir(os.path.join(o, "data"))]
    assert ids_known_unique(shards[:1]) and not ids_known_unique(shards)
    res = ingest.run(["--input", outs[0], "--input", outs[1], "--output", str(tmp_path / "both")])
    kept = read_stage_output(str(tmp_path / "both"))["kept"]
    assert res["duplicate_ids"] == 2 and len({d.id for d in kept}) == 4


def test_same_provenance_different_text_is_renamed_and_true_repeats_are_counted(tmp_path):
    """A stage output read together with the raw file it came from: same ids and provenance. Copies whose
    text differs get new ids; copies of the very same record are counted as repeated_records."""
    src = write_jsonl(str(tmp_path / "raw" / "in.jsonl"), [{"id": "1", "text": "first"}, {"id": "2", "text": "second"}])
    ingest.run(["--input", src, "--output", str(tmp_path / "out")])
    edited = write_jsonl(str(tmp_path / "raw2" / "in.jsonl"),
                         [{"id": "1", "text": "first, edited", "provenance": {"source_file": src, "row": 0}}])
    res = ingest.run(["--input", str(tmp_path / "out"), "--input", src, "--input", edited,
                      "--output", str(tmp_path / "both")])
    kept = read_stage_output(str(tmp_path / "both"))["kept"]
    by_text = {}
    for d in kept:
        by_text.setdefault(d.text, set()).add(d.id)
    # the same record read twice keeps one id (both rows are that record); the edited copy gets its own
    assert len(by_text["first"]) == 1 and by_text["second"] == {"2"}
    assert len(by_text["first, edited"]) == 1 and by_text["first, edited"] != by_text["first"]
    assert {i.split("~")[0] for i in by_text["first"] | by_text["first, edited"]} == {"1"}
    assert res["duplicate_ids"] == 1 and res["repeated_records"] == 2


def test_shards_of_is_shard_of_per_id():
    import pyarrow as pa

    from pipelines.io import shard_of, shards_of

    ids = ["a", "doc-1", "文档-7", "😀", "", "x" * 500] + [f"id{i}" for i in range(200)]
    for n in (1, 2, 7, 64):
        got = shards_of(pa.chunked_array([pa.array(ids[:3]), pa.array(ids[3:])]), n).tolist()
        assert got == [shard_of(i, n) for i in ids]
    assert len(set(shards_of(pa.array(ids), 7).tolist())) == 7  # the ids spread over every shard
