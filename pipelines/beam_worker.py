"""SDK worker process for local `--direct_running_mode multi_processing` runs: Beam's own worker main,
then an immediate exit.

Beam starts each local worker as `python -m apache_beam.runners.worker.sdk_worker_main` and, when the
pipeline is done, closes the workers one after another, waiting for each process to end. After its
harness returns, such a process spends about 0.5 s in interpreter teardown (freeing Beam, gRPC, numpy,
pyarrow and every module the stage's functions imported): with 2 workers that was 1.2 s of a 9 s dedup
run (bench: `WorkerHandlerManager.close_all`). Here the harness runs as in Beam (`sdk_worker_main.main`
closes its log handler itself) and the process then leaves with `os._exit`, keeping the exit status: 0
when the harness returned, 1 when it raised (the traceback printed first). Every file a DoFn writes is
closed when its bundle ends, before the harness reports the bundle done, so nothing is left to flush.
`pipelines.stage.LocalRunner` points Beam's default worker command at this module.
`run_harness` is also what a worker forked ahead of time runs (`pipelines.warm_workers`).
"""

from __future__ import annotations

import os
import sys
import traceback


def run_harness() -> None:
    """Beam's worker harness (it reads its endpoints from the environment), then `os._exit`."""
    status = 0
    try:
        from apache_beam.runners.worker import sdk_worker_main

        sdk_worker_main.main(sys.argv)
    except SystemExit as exc:  # keep an explicit exit code
        status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - printed, then the non-zero status tells the runner
        traceback.print_exc()
        status = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - a closed stream cannot hold anything to flush
            pass
    os._exit(status)


if __name__ == "__main__":
    run_harness()
