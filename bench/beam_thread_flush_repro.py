"""Beam alone: elements lost under `--direct_running_mode multi_threading` (time-based buffer flush race).

    python bench/beam_thread_flush_repro.py --runs 8            # Beam's defaults: some runs lose elements
    python bench/beam_thread_flush_repro.py --runs 8 --fixed    # pipelines.stage.size_flushed_embedded_workers()

The pipeline has the dedup stage's shape and nothing of Qingliu: strings of ~2 KB are batched 1,024 at a
time by a DoFn into pickled `bytes` (one keyed output and one tagged output per batch), both grouped by
key, and the elements inside the groups are counted. Every run must count `--docs` on both outputs.
With 2 in-process gRPC workers, Beam 2.77's `TimeBasedBufferingClosableOutputStream` flushes each output
buffer from a timer thread every second while the processing thread keeps writing into it; what is
written between the timer's `get()` and `_clear()` is gone (docs/bench_dedup.md, "multi_threading").
The race needs the writing thread to be descheduled mid-write, so the bench keeps `--load` busy
processes running beside the pipeline (the shared 2-core machine's usual state; on an idle machine
runs rarely lose anything). Each run is a fresh process (~10 s); nothing is written outside a
temporary directory.
"""

from __future__ import annotations

import argparse
import os
import pickle
import random
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BATCH = 1024


def _one_run(docs: int, mode: str, fixed: bool, out: str) -> tuple[int, int]:
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions
    from apache_beam.transforms.window import GlobalWindow
    from apache_beam.utils.windowed_value import WindowedValue

    if fixed:
        sys.path.insert(0, ROOT)
        from pipelines.stage import size_flushed_embedded_workers

        size_flushed_embedded_workers()

    class Batch(beam.DoFn):
        def setup(self):
            self.rng = random.Random(int.from_bytes(os.urandom(8), "little"))

        def start_bundle(self):
            self.buf = []

        def process(self, x):
            self.buf.append(x)
            if len(self.buf) >= BATCH:
                yield from self.flush()

        def finish_bundle(self):
            for o in self.flush():
                if isinstance(o, beam.pvalue.TaggedOutput):
                    yield beam.pvalue.TaggedOutput(o.tag, WindowedValue(o.value, -1, [GlobalWindow()]))
                else:
                    yield WindowedValue(o, -1, [GlobalWindow()])

        def flush(self):
            b, self.buf = self.buf, []
            if b:
                yield beam.pvalue.TaggedOutput("side", (hash(b[0]) % 16, pickle.dumps(b)))
                yield self.rng.getrandbits(63), pickle.dumps(b)

    def count(kv):
        return sum(len(pickle.loads(x)) for x in kv[1])

    def save(name):
        def write(total):
            with open(os.path.join(out, name), "w") as f:
                f.write(str(total))
        return write

    opts = PipelineOptions(["--runner", "FnApiRunner", "--direct_num_workers", "2", "--direct_running_mode", mode])
    with beam.Pipeline(options=opts) as p:
        r = (p | beam.Create(list(range(4)))
             | beam.Reshuffle()
             | beam.FlatMap(lambda f: (f"{f}-{i}" + "中文字符" * 160 for i in range(docs // 4)))
             | beam.ParDo(Batch()).with_outputs("side", main="work"))
        for name, pc in (("work", r.work), ("side", r.side)):
            (pc | f"Group{name}" >> beam.GroupByKey() | f"Count{name}" >> beam.Map(count)
             | f"Sum{name}" >> beam.CombineGlobally(sum) | f"Save{name}" >> beam.Map(save(name)))
    return tuple(int(open(os.path.join(out, n)).read()) for n in ("work", "side"))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--runs", type=int, default=8)
    p.add_argument("--docs", type=int, default=50_000, help="a multiple of 4")
    p.add_argument("--mode", default="multi_threading")
    p.add_argument("--fixed", action="store_true", help="apply pipelines.stage.size_flushed_embedded_workers()")
    p.add_argument("--load", type=int, default=2, help="busy processes running beside the pipeline")
    p.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.one:
        with tempfile.TemporaryDirectory() as out:
            print(*_one_run(args.docs, args.mode, args.fixed, out))
        return
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.load)]
    try:
        lost_runs = _runs(args)
    finally:
        for b in burners:
            b.kill()
    print(f"{lost_runs} of {args.runs} runs lost elements ({args.mode}, fixed={args.fixed}, load={args.load})")


def _runs(args) -> int:
    lost_runs = 0
    for i in range(args.runs):
        cmd = [sys.executable, __file__, "--one", "--docs", str(args.docs), "--mode", args.mode]
        res = subprocess.run(cmd + (["--fixed"] if args.fixed else []), capture_output=True, text=True, check=True)
        work, side = map(int, res.stdout.split()[-2:])
        lost = work != args.docs or side != args.docs
        lost_runs += lost
        print(f"run {i + 1}: counted {work} / {side} of {args.docs}{'  LOST' if lost else ''}", flush=True)
    return lost_runs


if __name__ == "__main__":
    main()
