"""`curate`: one command, a subcommand per stage. Each stage subcommand runs the same Beam pipeline
as `beam run pipelines/<stage>.py`, shows a progress line while it works and a summary table at the end.

    curate demo-data OUT                   write the embedded demo corpus (+ ground truth)
    curate ingest --input IN --output OUT  raw shards -> canonical Parquet
    curate filter | pii | dedup | mix ...  the curation stages (see `curate <cmd> --help`)
    curate run --demo OUT                  the whole flow end to end
    curate tokenizer train|eval|encode     the 65,536-token tokenizer
    curate model train|eval|generate|export
    curate train langid|quality            train the project's fastText models
    curate report OUT                      summarize a run directory

Subcommands are looked up lazily (`module:function`), so `curate --help` imports neither Beam nor torch.
"""

from __future__ import annotations

import importlib
import logging
import sys
import threading
import time

from curation.errors import ConfigError

# name -> (target, kind, help). kind "stage": target is a pipeline `run(argv) -> stats`;
# kind "command": target is a `main(argv) -> int` of its own.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "demo-data": ("curation.demo:main", "command", "write the embedded demo corpus and its ground truth"),
    "ingest": ("pipelines.ingest:run", "stage", "raw shards -> canonical Parquet layout"),
    "filter": ("pipelines.quality:run", "stage", "language routing + quality rules + fastText scores"),
    "pii": ("pipelines.pii:run", "stage", "find and scrub personal information"),
    "dedup": ("pipelines.dedup:run", "stage", "exact + MinHash-LSH near-duplicate removal"),
    "mix": ("pipelines.mix:run", "stage", "token-budget mix by language share (--zh 0.7 ...)"),
    "tokenizer": ("tokenizer_training.cli:main", "command", "train | eval | encode the 65,536-token tokenizer"),
    "model": ("model_ref.cli:main", "command", "train | eval | generate | export the reference model"),
    "train": ("curation.train_cli:main", "command", "train the project's fastText models (langid | quality)"),
    "run": ("curation.e2e:main", "command", "run the whole flow end to end (--demo for the embedded corpus)"),
    "report": ("curation.e2e:report_main", "command", "summarize the stage outputs of a run directory"),
}


def _resolve(target: str):
    module, func = target.split(":")
    return getattr(importlib.import_module(module), func)


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = ["usage: curate <command> [args]  (curate <command> --help for its flags)", "", "commands:"]
    lines += [f"  {name.ljust(width)}  {help_}" for name, (_, _, help_) in COMMANDS.items()]
    return "\n".join(lines)


class ProgressLine:
    """A one-line progress display on stderr while a stage runs (records read, elapsed time)."""

    def __init__(self, label: str, interval: float = 1.0):
        self.label, self.interval = label, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self.enabled = sys.stderr.isatty()

    def _loop(self):
        from curation import progress

        start = time.time()
        while not self._stop.wait(self.interval):
            snap = progress.snapshot()
            read = snap.get("records_read", 0)
            files = snap.get("files_read", 0)
            sys.stderr.write(f"\r{self.label}: {read:,} records from {files} files, {time.time() - start:,.0f}s ")
            sys.stderr.flush()

    def __enter__(self):
        if self.enabled:
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self.enabled:
            self._thread.join()
            sys.stderr.write("\n")


def run_stage_command(name: str, argv: list[str]) -> int:
    from curation.report import stage_highlights, summary_table
    from pipelines import warm_workers

    run = _resolve(COMMANDS[name][0])
    # Local subprocess workers (multi_processing), forked before the progress thread starts.
    warm_workers.start(argv)
    with ProgressLine(f"curate {name}"):
        stats = run(argv)
    print(summary_table([stats]))
    for line in stage_highlights(stats):
        print(line)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"curate: unknown command '{name}'\n\n{usage()}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING if "--quiet" in rest else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    rest = [a for a in rest if a != "--quiet"]
    target, kind, _ = COMMANDS[name]
    try:
        if kind == "stage":
            return run_stage_command(name, rest)
        return int(_resolve(target)(rest) or 0)
    except ConfigError as exc:
        print(f"curate {name}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
