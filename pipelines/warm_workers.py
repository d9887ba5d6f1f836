"""Beam's local SDK worker processes, made ready before the runner asks for them.

With `--direct_running_mode multi_processing` the local runner starts each worker when the first stage
runs, as `python -m ...sdk_worker_main`, and waits for it to connect. Each such process imports Beam,
gRPC, numpy, pyarrow and the stage's modules before it can take work: 1.6-2.3 CPU-s each on the dev box
(Beam's own import is most of it), paid again for every worker on the same two cores as the runner.

`run_stage` (so `beam run`, `python -m pipelines.<stage>` and `curate <stage>`) calls `start(argv)` once
the stage's module is imported; `curate <stage>` calls it earlier too, before its progress thread starts
(a second Python thread makes forking unsafe). When the Beam flags ask for local subprocess workers, that many children of this process
are forked at once: they have everything imported already, so a worker costs no import at all (50k zh
dedup bench, 2 workers: 8.7 -> 7.0 s). Forking is done only while it is safe: this process runs one
Python thread, has not run a pipeline, and no gRPC core thread exists (a gRPC server or channel starts
them, and they stay after it closes); fork-aware native threads (jemalloc's, OpenBLAS's) may run. Where
it is not safe (not Linux, a second pipeline in one process, a test runner's threads), or with
`QINGLIU_WARM_WORKERS=off`, Beam starts its workers as usual. Starting fresh interpreters early instead
was tried and dropped: they compete with this process's own import for the same cores (8.5-8.9 s).

Each child blocks reading one line on a pipe. When the runner wants a worker,
`pipelines.stage.WarmSubprocessWorkerHandler` takes one from here and writes it what Beam would have put
in a fresh worker's environment (control and logging endpoints, pipeline options); from then on it runs
Beam's own worker harness (`pipelines.beam_worker.run_harness`). A run that needs more workers than are
ready starts the rest as Beam does. A process never taken reads end-of-file (closed at exit, or when
this process dies) and leaves.

This module imports nothing of Beam.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import warnings

from curation.errors import ConfigError

_lock = threading.Lock()
_ready: list[_Forked] = []  # each blocked on its pipe
_stats = {"taken": 0, "forked": 0}
_pipeline_ran = False  # set by the runner: from then on this process may hold gRPC state, so no fork


def _flag(argv: list[str], name: str) -> str | None:
    """The last value of a Beam flag given as `--name value` or `--name=value`, else None."""
    value = None
    for i, a in enumerate(argv):
        if a == name and i + 1 < len(argv):
            value = argv[i + 1]
        elif a.startswith(name + "="):
            value = a.split("=", 1)[1]
    return value


def requested_workers(argv: list[str]) -> int:
    """How many local subprocess workers these Beam flags make `pipelines.stage.LocalRunner` start.

    Only the default runner's multi_processing mode starts them: any `--runner`, or an environment the
    user chose (`--environment_type`), is left to Beam. `--direct_num_workers 0` means one per CPU, as in
    Beam.
    """
    if _flag(argv, "--runner") or _flag(argv, "--environment_type"):
        return 0
    if _flag(argv, "--direct_running_mode") != "multi_processing":
        return 0
    try:
        n = int(_flag(argv, "--direct_num_workers") or 1)
    except ValueError:
        return 0  # Beam reports the bad value itself
    return n if n > 0 else (os.cpu_count() or 1)


def enabled() -> bool:
    """Whether `start` forks workers now: `QINGLIU_WARM_WORKERS` is not `off`, and forking is safe."""
    chosen = os.environ.get("QINGLIU_WARM_WORKERS", "fork")
    if chosen not in ("fork", "off"):
        raise ConfigError(f"QINGLIU_WARM_WORKERS must be fork or off, not {chosen!r}")
    return chosen == "fork" and _fork_safe()


def _fork_safe() -> bool:
    """One Python thread, no pipeline run yet, and no gRPC core thread (a server or channel made one)."""
    if not hasattr(os, "fork") or threading.active_count() != 1 or _pipeline_ran:
        return False
    try:
        names = []
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/comm") as f:
                names.append(f.read())
    except OSError:  # not Linux: the thread check cannot be made
        return False
    return not any(n.startswith("grpc") for n in names)


def start(argv: list[str]) -> int:
    """Fork the workers these Beam flags ask for, less those already ready. Returns how many it forked.

    Args:
        argv: the command line (stage flags are ignored; only Beam's are read).
    """
    want = requested_workers(argv)
    if want <= 0 or not enabled():
        return 0
    made = 0
    with _lock:
        _ready[:] = [p for p in _ready if p.poll() is None]
        for _ in range(want - len(_ready)):
            _ready.append(_fork())
            _stats["forked"] += 1
            made += 1
    return made


def take():
    """A ready worker process for the runner, or None when none is left (then Beam starts one)."""
    with _lock:
        while _ready:
            proc = _ready.pop(0)
            if proc.poll() is None:
                _stats["taken"] += 1
                return proc
    return None


def hand_over(proc, env: dict[str, str]) -> None:
    """Give a ready worker the environment Beam would have started it with, and let it run."""
    proc.stdin.write((json.dumps({"env": env, "cwd": os.getcwd()}) + "\n").encode())
    proc.stdin.close()


def pipeline_started() -> None:
    """Called by the runner as a pipeline starts: this process is no longer safe to fork."""
    global _pipeline_ran
    _pipeline_ran = True


def stats() -> dict[str, int]:
    """Counts so far: workers forked, taken by a runner, and still ready (tests and benchmarks read them)."""
    with _lock:
        return dict(_stats, ready=sum(1 for p in _ready if p.poll() is None))


@atexit.register
def shutdown(timeout: float = 5.0) -> None:
    """Let every worker that was never taken leave (end-of-file on its pipe); kill one that hangs."""
    with _lock:
        procs, _ready[:] = list(_ready), []
    for p in procs:
        try:
            p.stdin.close()
        except OSError:
            pass
    for p in procs:
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


# ------------------------------------------------------------------------------------ the worker side
def _serve_when_handed_over(pipe) -> None:
    """In a ready worker: wait for the hand-over and take on its environment (the caller then runs the
    harness). Leaves the process, status 0, when the pipe ends first."""
    line = pipe.readline()
    if not line.strip():
        os._exit(0)
    work = json.loads(line)
    os.environ.clear()
    os.environ.update(work["env"])
    os.chdir(work["cwd"])


class _Forked:
    """The parent's handle on a forked worker: the `subprocess.Popen` calls this module and the runner use."""

    def __init__(self, pid: int, write_fd: int):
        self.pid, self.stdin, self.returncode = pid, os.fdopen(write_fd, "wb"), None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if timeout is None and self.returncode is None:
            self.returncode = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
        deadline = time.monotonic() + (timeout or 0)
        while self.poll() is None:
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout)
            time.sleep(0.01)
        return self.returncode

    def kill(self) -> None:
        if self.returncode is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _fork() -> _Forked:
    read_fd, write_fd = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    with warnings.catch_warnings():  # 3.12+ warns about any other OS thread; `_fork_safe` checked them
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid:
        os.close(read_fd)
        return _Forked(pid, write_fd)
    try:  # the child: never returns into the parent's code
        os.close(write_fd)
        for sibling in _ready:  # their pipes' write ends: held here, they would never see end-of-file
            sibling.stdin.close()
        _ready.clear()
        atexit.unregister(shutdown)
        for handler in list(logging.getLogger().handlers):  # as in a fresh worker: Beam adds its own
            logging.getLogger().removeHandler(handler)
        _serve_when_handed_over(os.fdopen(read_fd, "rb"))
        from pipelines.beam_worker import run_harness

        run_harness()
    finally:
        os._exit(1)
