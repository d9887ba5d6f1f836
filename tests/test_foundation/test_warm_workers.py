"""Local multi_processing workers forked once the stage is imported (`pipelines.warm_workers`): which flags
ask for them, that a run on them writes the same bytes as on Beam's own workers, that a worker never taken
leaves at exit, and that a process which has run gRPC is never forked. Each run is a fresh interpreter, as
`beam run` is (this test process may hold gRPC threads from other tests, so it would not fork)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest

from curation.testing import read_stage_output
from pipelines.warm_workers import requested_workers

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MP = ["--direct_running_mode", "multi_processing"]


@pytest.mark.parametrize("argv, n", [
    ([], 0),
    (["--direct_num_workers", "2"], 0),  # multi_threading: in-process workers
    (["--direct_num_workers", "2", *MP], 2),
    (["--direct_num_workers=3", "--direct_running_mode=multi_processing"], 3),
    (MP, 1),
    (["--direct_num_workers", "0", *MP], os.cpu_count() or 1),
    (["--direct_num_workers", "2", *MP, "--runner", "DataflowRunner"], 0),
    (["--direct_num_workers", "2", *MP, "--environment_type", "DOCKER"], 0),
    (["--direct_num_workers", "two", *MP], 0),
])
def test_only_the_default_runners_subprocess_workers_are_made_ready(argv, n):
    assert requested_workers(["--input", "x", *argv]) == n


def _python(code: str, env: dict | None = None) -> dict:
    """Run `code` in a fresh interpreter at the repo root; its last stdout line is JSON."""
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                       env={**os.environ, "PYTHONPATH": ROOT, **(env or {})})
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout.strip().splitlines()[-1])


def _write_corpus(path):
    import random

    rng = random.Random(7)
    base = ["".join(chr(0x4E00 + rng.randrange(3000)) for _ in range(200)) for _ in range(40)]
    recs = [{"id": f"d{i:03d}", "text": t} for i, t in enumerate(base)]
    recs += [{"id": f"copy{i:03d}", "text": base[i] + "。"} for i in range(0, 40, 4)]  # near copies
    recs += [{"id": f"exact{i:03d}", "text": base[i]} for i in range(1, 40, 8)]
    for k in range(2):
        with open(os.path.join(path, f"part{k}.jsonl"), "w", encoding="utf-8") as f:
            f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in recs[k::2])


RUN = """
import json, sys
from pipelines import beam_cli, warm_workers
rc = beam_cli.main(["run", "pipelines/dedup.py", "--input", {inp!r}, "--output", {out!r},
                    "--direct_num_workers", "2", "--direct_running_mode", "multi_processing"])
print(json.dumps({{"rc": rc, **warm_workers.stats()}}))
"""


def test_forked_workers_write_what_beams_own_workers_write(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    _write_corpus(str(inp))
    runs = {}
    for mode in ("fork", "off"):
        out = str(tmp_path / mode)
        runs[mode] = _python(RUN.format(inp=str(inp), out=out), env={"QINGLIU_WARM_WORKERS": mode})
        assert runs[mode]["rc"] == 0
    assert runs["fork"]["forked"] == runs["fork"]["taken"] == 2 and runs["fork"]["ready"] == 0
    assert runs["off"]["forked"] == runs["off"]["taken"] == 0
    fork, off = read_stage_output(str(tmp_path / "fork")), read_stage_output(str(tmp_path / "off"))
    assert fork["complete"] and off["complete"]
    removed = {d.id: (d.reason, d.duplicate_of) for d in fork["rejected"]}
    assert removed == {d.id: (d.reason, d.duplicate_of) for d in off["rejected"]}
    assert len(removed) == 15 and {r for r, _ in removed.values()} == {"exact_duplicate", "near_duplicate"}
    for sub in ("data", "rejected"):
        names = sorted(os.listdir(tmp_path / "fork" / sub))
        assert names == sorted(os.listdir(tmp_path / "off" / sub))
        for name in names:
            assert (tmp_path / "fork" / sub / name).read_bytes() == (tmp_path / "off" / sub / name).read_bytes()


def test_workers_never_taken_leave_at_shutdown():
    res = _python("""
import json, os, time
from pipelines import warm_workers
made = warm_workers.start(["--direct_num_workers", "3", "--direct_running_mode", "multi_processing"])
again = warm_workers.start(["--direct_num_workers", "3", "--direct_running_mode", "multi_processing"])
procs = list(warm_workers._ready)
t = time.time()
warm_workers.shutdown()
print(json.dumps({"made": made, "again": again, "codes": [p.returncode for p in procs],
                  "seconds": time.time() - t}))
""")
    assert res["made"] == 3 and res["again"] == 0  # the second call finds them ready
    assert res["codes"] == [0, 0, 0]  # end-of-file on the pipe: a clean exit, not a kill
    assert res["seconds"] < 4  # shutdown kills only after 5 s


def test_a_process_that_ran_grpc_is_not_forked():
    res = _python("""
import json
from concurrent import futures
import grpc
from pipelines import warm_workers
argv = ["--direct_num_workers", "2", "--direct_running_mode", "multi_processing"]
before = warm_workers.enabled()
server = grpc.server(futures.ThreadPoolExecutor(1))
server.add_insecure_port("[::]:0")
server.start()
server.stop(0).wait()
print(json.dumps({"before": before, "after": warm_workers.enabled(), "made": warm_workers.start(argv)}))
""")
    assert res == {"before": True, "after": False, "made": 0}


def _provision():
    """The one field of Beam's ExtendedProvisionInfo the hand-over reads (`provision_info.pipeline_options`)."""
    from apache_beam.portability.api import beam_provision_api_pb2

    return SimpleNamespace(provision_info=beam_provision_api_pb2.ProvisionInfo())


class _DeadProc:
    """A ready worker that died after `take` saw it alive: writing to its pipe fails."""

    pid, returncode = 4242, 1

    class stdin:  # noqa: N801
        @staticmethod
        def write(data):
            raise BrokenPipeError(32, "Broken pipe")

    def wait(self, timeout=None):
        return 1

    def poll(self):
        return 1


class _ExitsWith:
    """A ready worker that takes the hand-over, then exits with `code`."""

    def __init__(self, code):
        import io

        self.pid, self.returncode, self.code, self.stdin = 4243, None, code, io.BytesIO()
        self.stdin.close = lambda: None  # keep what was written readable

    def wait(self, timeout=None):
        self.returncode = self.code
        return self.code

    def poll(self):
        return self.returncode


def test_a_worker_gone_before_the_hand_over_is_replaced_by_a_fresh_one(monkeypatch):
    from apache_beam.runners.portability import local_job_service

    from pipelines.stage import _WarmWorker

    started = []

    class FreshWorker:
        def __init__(self, command, control_address, provision_info, worker_id):
            started.append((command, control_address, worker_id))

        def run(self):
            started.append("ran")

    monkeypatch.setattr(local_job_service, "SubprocessSdkWorker", FreshWorker)
    _WarmWorker(_DeadProc(), b"python -m pipelines.beam_worker", "localhost:1", _provision(), "worker_7").run()
    assert started == [(b"python -m pipelines.beam_worker", "localhost:1", "worker_7"), "ran"]


def test_the_hand_over_names_the_endpoints_and_a_failed_worker_fails_the_run():
    from pipelines.stage import _WarmWorker

    ok = _ExitsWith(0)
    _WarmWorker(ok, b"unused", "localhost:5", _provision(), "worker_3").run()
    work = json.loads(ok.stdin.getvalue())
    assert 'url: "localhost:5"' in work["env"]["CONTROL_API_SERVICE_DESCRIPTOR"]
    assert "localhost:" in work["env"]["LOGGING_API_SERVICE_DESCRIPTOR"]
    assert work["env"]["WORKER_ID"] == "worker_3" and "PIPELINE_OPTIONS" in work["env"]
    assert work["cwd"] == os.getcwd()
    with pytest.raises(RuntimeError, match="exited with return code 3"):
        _WarmWorker(_ExitsWith(3), b"unused", "localhost:5", _provision(), "worker_4").run()


def test_a_bad_switch_value_is_a_config_error(monkeypatch):
    from curation.errors import ConfigError
    from pipelines import warm_workers

    monkeypatch.setenv("QINGLIU_WARM_WORKERS", "spawn")
    with pytest.raises(ConfigError, match="fork or off"):
        warm_workers.start(["--direct_num_workers", "2", *MP])
    monkeypatch.setenv("QINGLIU_WARM_WORKERS", "off")
    assert warm_workers.start(["--direct_num_workers", "2", *MP]) == 0 and not warm_workers.enabled()
