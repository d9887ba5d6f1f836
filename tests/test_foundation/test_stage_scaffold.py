"""The stage scaffold with a stage that makes its own documents: shard count from the documents' size,
stage stats merged into stats.json, and the accounting check that keeps _SUCCESS from being written."""

from __future__ import annotations

import os

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import DirectOptions

from curation.schema import Document
from curation.testing import read_stage_output
from pipelines.stage import StageSpec, pipeline_options, run_stage


def _docs(n):
    return [Document(id=f"d{i:03d}", text="文本" * 300, source="gen", source_file="gen", row=i) for i in range(n)]


def _spec(drop_silently: bool) -> StageSpec:
    def build(pipeline, docs, args):
        made = pipeline | "Make" >> beam.Create(_docs(40))
        kept, rejected = made | "Split" >> beam.Partition(lambda d, n: int(d.id.endswith("7")), 2)
        if drop_silently:  # a buggy stage that loses documents
            kept = kept | "Lose" >> beam.Filter(lambda d: not d.id.endswith("3"))
        rejected = rejected | "Stamp" >> beam.Map(lambda d: d.rejected("gen", "ends_in_7"))
        stats = pipeline | "Extra" >> beam.Create([{"made": 20}, {"made": 20}])
        return {"kept": kept, "rejected": rejected, "stats": [stats], "read": made}

    return StageSpec(name="gen", description="test stage", build=build, needs_input=False)


def test_stage_without_inputs_sizes_shards_from_its_documents(tmp_path):
    out = str(tmp_path / "out")
    stats = run_stage(_spec(False), ["--output", out, "--shard-size-mb", "0.004"])
    result = read_stage_output(out)
    assert result["complete"] and stats["accounting"]["ok"]
    assert stats["input_records"] == 40 and stats["kept"] == 36 and stats["rejected"]["by_reason"] == {"ends_in_7": 4}
    assert stats["stage_stats"] == {"made": 40}
    assert len(os.listdir(os.path.join(out, "data"))) == stats["shards"]["data"] > 1
    assert sorted(d.id for d in result["kept"] + result["rejected"]) == [f"d{i:03d}" for i in range(40)]


def test_documents_lost_by_a_stage_fail_the_run_without_success(tmp_path):
    out = str(tmp_path / "out")
    with pytest.raises(Exception, match="accounting check failed"):
        run_stage(_spec(True), ["--output", out])
    assert not os.path.exists(os.path.join(out, "_SUCCESS"))
    assert os.path.exists(os.path.join(out, "stats.json"))  # written for diagnosis, never marked complete


def test_in_process_grpc_workers_flush_by_size_only():
    """Beam's multi_threading workers flush output buffers from a timer thread that races the writer
    (elements lost; bench/beam_thread_flush_repro.py). Every stage's options turn that flush off."""
    from apache_beam.runners.portability.fn_api_runner import worker_handlers
    from apache_beam.runners.worker.data_plane import (
        ClosableOutputStream,
        TimeBasedBufferingClosableOutputStream,
    )

    options, runner = pipeline_options(["--direct_num_workers", "2"])
    assert runner is not None and options.view_as(DirectOptions).direct_running_mode == "multi_threading"
    stream = ClosableOutputStream.create(None, lambda data: None, worker_handlers.DATA_BUFFER_TIME_LIMIT_MS)
    assert not isinstance(stream, TimeBasedBufferingClosableOutputStream)


def _worker_main_module(_):
    import sys

    return os.path.basename(getattr(sys.modules["__main__"], "__file__", "") or "")


def test_multi_processing_workers_run_the_fast_exit_entry(tmp_path):
    """LocalRunner starts Beam's multi_processing workers as `python -m pipelines.beam_worker`."""
    from pipelines.stage import LocalRunner

    out = tmp_path / "mains.txt"
    options, runner = pipeline_options(["--direct_num_workers", "2", "--direct_running_mode", "multi_processing"])
    assert isinstance(runner, LocalRunner)
    with beam.Pipeline(runner=runner, options=options) as p:
        _ = (p | beam.Create(range(8)) | beam.Map(_worker_main_module) | beam.combiners.ToSet()
             | beam.Map(lambda names: out.write_text(",".join(sorted(names)))))
    assert out.read_text() == "beam_worker.py"


@pytest.mark.parametrize("outcome, status", [(None, 0), (RuntimeError("harness failed"), 1), (SystemExit(3), 3)])
def test_beam_worker_keeps_the_harness_exit_status(monkeypatch, outcome, status):
    from apache_beam.runners.worker import sdk_worker_main

    from pipelines import beam_worker

    def harness(argv):
        if outcome is not None:
            raise outcome

    class Exited(Exception):
        pass

    def fake_exit(code):
        raise Exited(code)

    monkeypatch.setattr(sdk_worker_main, "main", harness)
    monkeypatch.setattr(beam_worker.os, "_exit", fake_exit)
    with pytest.raises(Exited) as exc:
        beam_worker.run_harness()
    assert exc.value.args == (status,)
