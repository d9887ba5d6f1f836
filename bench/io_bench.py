"""Ingest throughput: raw JSONL.gz -> canonical Parquet, and Parquet -> Parquet (what every later stage pays).

    python bench/io_bench.py [--files zh/fewclue.jsonl.gz ...] [--workers 2]

Reports wall time, CPU time of this process (the in-process runner) and MB/s of text per core, for the
in-process runner and for two worker processes. Uses ../shared/corpora; writes under a temp directory
that is removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import tempfile
import time

from curation.testing import corpus_path
from pipelines import ingest


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime + c.ru_utime + c.ru_stime


def timed(argv: list[str]) -> tuple[float, float, dict]:
    t0, c0 = time.time(), cpu_seconds()
    stats = ingest.run(argv)
    return time.time() - t0, cpu_seconds() - c0, stats


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--files", nargs="+", default=["zh/fewclue.jsonl.gz", "zh/weibo_rumor_ced.jsonl.gz", "en/reuters21578.jsonl.gz"])
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args()
    files = [corpus_path(f) for f in args.files]
    if not all(files):
        raise SystemExit("../shared/corpora not found")
    tmp = tempfile.mkdtemp(prefix="qingliu-io-bench-")
    rows = []
    try:
        wall, cpu, stats = timed([a for f in files for a in ("--input", f)] + ["--output", f"{tmp}/raw"])
        mb = sum(v["bytes"] for v in stats["by_lang"].values()) / 1e6
        rows.append(("jsonl.gz -> parquet", "in-process", stats["input_records"], mb, wall, cpu))
        wall, cpu, _ = timed(["--input", f"{tmp}/raw", "--output", f"{tmp}/again"])
        rows.append(("parquet -> parquet", "in-process", stats["input_records"], mb, wall, cpu))
        wall, cpu, _ = timed(["--input", f"{tmp}/raw", "--output", f"{tmp}/multi", "--direct_num_workers",
                              str(args.workers), "--direct_running_mode", "multi_processing"])
        rows.append(("parquet -> parquet", f"{args.workers} processes", stats["input_records"], mb, wall, cpu))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("| path | runner | docs | text MB | wall s | CPU s | MB/s per core (CPU) | MB/s wall |")
    print("|---|---|---|---|---|---|---|---|")
    for name, runner, docs, mb, wall, cpu in rows:
        print(f"| {name} | {runner} | {docs:,} | {mb:.1f} | {wall:.1f} | {cpu:.1f} | {mb / cpu:.2f} | {mb / wall:.2f} |")
    print(json.dumps({"files": args.files, "cores": os.cpu_count()}))


if __name__ == "__main__":
    main()
