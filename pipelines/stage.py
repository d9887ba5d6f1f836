"""The scaffold every stage runs in, so a stage author only writes the stage.

A stage module defines a `StageSpec` (its name, its own flags, and `build(pipeline, docs, args)` which
returns the kept and rejected collections) and a `run(argv)` that calls `run_stage(SPEC, argv)`.
`run_stage` does the rest, the same way for every stage:

    parse flags (common + stage) -> Beam options pass through (--runner, --direct_num_workers, Dataflow's ...)
    expand inputs (a missing path is a ConfigError, exit code 2, before any work)
    ReadDocuments -> stage.build -> WriteStageOutput (data/, rejected/, stats.json, _SUCCESS last)

The default runner is Beam's in-process FnApiRunner: it is what the DirectRunner runs batch pipelines
on, named explicitly so the DirectRunner does not first try to download the Prism binary. Any
`--runner` given on the command line is used as given.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import apache_beam as beam
import grpc
from apache_beam.options.pipeline_options import DirectOptions, PipelineOptions, SetupOptions, StandardOptions
from apache_beam.portability import python_urns
from apache_beam.runners.portability.fn_api_runner import fn_runner, worker_handlers

from curation.errors import ConfigError
from curation.readers import ReadConfig
from curation.yamlio import YAMLError, load_yaml
from pipelines import warm_workers
from pipelines.io import (
    DEFAULT_SHARD_MB,
    ReadDocuments,
    WriteStageOutput,
    delete_spill,
    estimate_num_shards,
    expand_inputs,
    ids_known_unique,
    prepare_output,
    read_stats,
    spill_root,
)
from pipelines.io_tables import ReadTables, WriteTableStageOutput

LOG = logging.getLogger(__name__)


@dataclass
class StageSpec:
    """What a stage provides.

    Args:
        name: stage name (`ingest`, `quality`, ...): written as `stage` on rejected rows and in stats.
        description: one line for `--help`.
        build: `(pipeline, docs, args) -> dict(kept=..., rejected=..., stats=[...] optional, data_sort_key=
            optional picklable doc -> key for the in-shard order of kept docs, default by id)`; a stage that
            writes its own shards returns `written=` in place of kept / rejected (`io_tables.write_own_table_shard`).
        add_arguments: adds the stage's own flags to the parser.
        validate: checks parsed args, raising ConfigError before any work starts.
        needs_input: False for stages that read their inputs themselves (e.g. per-language mix inputs).
        unique_ids: make ids repeated across inputs unique while reading (needs a key-only shuffle).
        tables: `build` gets and returns Arrow tables of documents (`pipelines.io_tables.ReadTables`,
            `WriteTableStageOutput`) instead of one `Document` per element.
    """

    name: str
    description: str
    build: Callable[..., dict[str, Any]]
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None
    validate: Callable[[argparse.Namespace], None] | None = None
    needs_input: bool = True
    unique_ids: bool = True
    tables: bool = False


def make_parser(spec: StageSpec, prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog or f"curate {spec.name}", description=spec.description,
        epilog="Unknown flags are Beam pipeline options (e.g. --runner DataflowRunner --project P "
        "--region R --temp_location gs://..., or --direct_num_workers 2 --direct_running_mode multi_processing).",
    )
    parser.add_argument("--input", "-i", action="append", default=[], required=spec.needs_input,
                        help="input file, directory, glob or stage output (repeatable); .jsonl[.gz|.zst] or .parquet")
    parser.add_argument("--output", "-o", required=True, help="output directory (local or gs://...)")
    parser.add_argument("--config", "-c", help="YAML file of flag values (flags given on the command line win)")
    parser.add_argument("--text-key", default="text", help="field holding the text in raw records")
    parser.add_argument("--id-key", default="id", help="field holding the id (derived from file and row if absent)")
    parser.add_argument("--source", default=None, help="source name for every record (default: field or file name)")
    parser.add_argument("--lang", default=None, choices=["zh", "bilingual", "en", "other"],
                        help="force this lang on every record")
    parser.add_argument("--encoding", default="utf-8", help="text encoding of JSONL inputs")
    parser.add_argument("--shard-size-mb", type=float, default=DEFAULT_SHARD_MB,
                        help="target text megabytes per output shard")
    parser.add_argument("--trust-ids", action="store_true",
                        help="skip the check that ids are unique across raw inputs (saves a shuffle; a repeated "
                        "id then goes undetected)")
    if spec.add_arguments:
        spec.add_arguments(parser)
    return parser


def parse_args(spec: StageSpec, argv: list[str] | None) -> tuple[argparse.Namespace, list[str]]:
    """Stage flags + Beam flags. A `--config` YAML supplies defaults that command-line flags override."""
    parser = make_parser(spec)
    argv = list(sys.argv[1:] if argv is None else argv)
    cfg_path = _config_path(argv)
    if cfg_path:
        try:
            with open(cfg_path, encoding="utf-8") as f:
                values = load_yaml(f) or {}
        except (OSError, YAMLError) as exc:
            raise ConfigError(f"cannot read --config {cfg_path}: {exc}") from exc
        if not isinstance(values, dict):
            raise ConfigError(f"--config {cfg_path} must hold a mapping of flag names to values")
        known = {a.dest for a in parser._actions}
        defaults = {}
        for key, value in values.items():
            dest = key.replace("-", "_")
            if dest not in known:
                raise ConfigError(f"--config {cfg_path}: unknown key '{key}'")
            defaults[dest] = value
        parser.set_defaults(**defaults)
        for action in parser._actions:  # a required flag given in the file is no longer required
            if action.dest in defaults:
                action.required = False
    args, beam_args = parser.parse_known_args(argv)
    return args, beam_args


def _config_path(argv: list[str]) -> str | None:
    for i, a in enumerate(argv):
        if a in ("--config", "-c") and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--config="):
            return a.split("=", 1)[1]
    return None


def pipeline_options(beam_args: list[str]) -> tuple[PipelineOptions, Any]:
    """Beam options from the pass-through flags, and the runner to use (None = as the options say)."""
    options = PipelineOptions(beam_args)
    options.view_as(SetupOptions).save_main_session = False
    size_flushed_embedded_workers()
    runner = None
    if not options.view_as(StandardOptions).runner:
        runner = LocalRunner()
        direct = options.view_as(DirectOptions)
        if direct.direct_num_workers and direct.direct_num_workers != 1 and direct.direct_running_mode == "in_memory":
            direct.direct_running_mode = "multi_threading"
    return options, runner


class LocalRunner(fn_runner.FnApiRunner):
    """Beam's FnApiRunner (what the DirectRunner runs batch pipelines on), with its multi_processing
    workers taken from those `pipelines.warm_workers` forked (`WarmSubprocessWorkerHandler`), or else
    started as `python -m pipelines.beam_worker`: Beam's worker main, then an exit that skips interpreter
    teardown (0.5 s a worker, paid one worker after another at the end of every run). Only Beam's own
    default worker environment is replaced; an environment given any other way is kept."""

    def run_via_runner_api(self, pipeline_proto, options):
        beam_default = f"{sys.executable} -m apache_beam.runners.worker.sdk_worker_main".encode()
        for env in pipeline_proto.components.environments.values():
            if env.urn == python_urns.SUBPROCESS_SDK and env.payload == beam_default:
                env.urn = WARM_SUBPROCESS_URN
                env.payload = f"{sys.executable} -m pipelines.beam_worker".encode()
        warm_workers.pipeline_started()  # gRPC servers from here on: no more forking this process
        return super().run_via_runner_api(pipeline_proto, options)


WARM_SUBPROCESS_URN = "qingliu:env:warm_subprocess:v1"


@worker_handlers.WorkerHandler.register_environment(WARM_SUBPROCESS_URN, bytes)
class WarmSubprocessWorkerHandler(worker_handlers.SubprocessSdkWorkerHandler):
    """Beam's subprocess worker handler, handed a process `pipelines.warm_workers` forked ahead of time.

    When none is waiting, the worker starts as in Beam (the payload's command, `pipelines.beam_worker`).
    """

    def start_worker(self):
        proc = warm_workers.take()
        if proc is None:
            return super().start_worker()
        self.worker = _WarmWorker(proc, self._worker_command_line, self.control_address, self.provision_info,
                                  self.worker_id)
        self.worker_thread = threading.Thread(name="run_worker", target=self.worker.run)
        self.worker_thread.start()


class _WarmWorker:
    """What Beam's `local_job_service.SubprocessSdkWorker.run` does for a process it starts (a logging
    server for the worker, the environment naming the control and logging endpoints and the pipeline
    options, wait for the exit, fail on a non-zero status), for a process that is already running. If
    that process is gone before it is handed over, a worker is started as Beam starts one."""

    def __init__(self, proc, command: bytes, control_address, provision_info, worker_id):
        self.proc, self.command, self.control_address = proc, command, control_address
        self.provision_info, self.worker_id = provision_info, worker_id

    def run(self):
        from apache_beam.portability.api import beam_fn_api_pb2_grpc, endpoints_pb2
        from apache_beam.runners.portability import local_job_service
        from apache_beam.utils import thread_pool_executor
        from google.protobuf import json_format, text_format

        logging_server = grpc.server(thread_pool_executor.shared_unbounded_instance(),
                                     options=[("grpc.http2.max_pings_without_data", 0),
                                              ("grpc.http2.max_ping_strikes", 0)])
        port = logging_server.add_insecure_port("[::]:0")
        logging_server.start()
        beam_fn_api_pb2_grpc.add_BeamFnLoggingServicer_to_server(local_job_service.BeamFnLoggingServicer(),
                                                                  logging_server)
        env = dict(
            os.environ,
            CONTROL_API_SERVICE_DESCRIPTOR=text_format.MessageToString(
                endpoints_pb2.ApiServiceDescriptor(url=self.control_address)),
            LOGGING_API_SERVICE_DESCRIPTOR=text_format.MessageToString(
                endpoints_pb2.ApiServiceDescriptor(url=f"localhost:{port}")),
            PIPELINE_OPTIONS=json_format.MessageToJson(self.provision_info.provision_info.pipeline_options))
        if self.worker_id:
            env["WORKER_ID"] = self.worker_id
        try:
            warm_workers.hand_over(self.proc, env)
        except OSError:  # it died after `take` saw it alive (its pipe is closed): a fresh one instead
            logging_server.stop(0)
            self.proc.wait()
            LOG.warning("a forked Beam worker (pid %d) was gone before it was handed over; starting one",
                        self.proc.pid)
            local_job_service.SubprocessSdkWorker(self.command, self.control_address, self.provision_info,
                                                  self.worker_id).run()
            return
        try:
            self.proc.wait()
            if self.proc.returncode:
                raise RuntimeError(f"Worker subprocess exited with return code {self.proc.returncode}")
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            logging_server.stop(0)


def size_flushed_embedded_workers() -> None:
    """Make Beam's in-process gRPC workers (`--direct_running_mode multi_threading`) flush by size only.

    Those workers (`EmbeddedGrpcWorkerHandler`) default to a 1 s time-based flush of each output buffer
    (`worker_handlers.DATA_BUFFER_TIME_LIMIT_MS`). The flush runs on a timer thread: it takes the buffer's
    bytes and then clears the buffer, while the processing thread keeps encoding elements into it without
    a lock, so an element written between the two is silently dropped. Found through the dedup stage
    (Beam 2.77: 1 in 3 runs of the 50k zh bench lost a 1,024-document batch, or a few decisions) and shown
    with Beam alone by `bench/beam_thread_flush_repro.py` (4 of 8 runs lost elements; 0 of 8 with this).
    The subprocess workers of multi_processing and Dataflow's workers never time-flush, and the in-process
    runner never creates these workers, so this changes nothing else. A config value of 0 falls back to
    the module default (`config.get(...) or DATA_BUFFER_TIME_LIMIT_MS`), hence the module default is set.
    """
    from apache_beam.runners.portability.fn_api_runner import worker_handlers

    worker_handlers.DATA_BUFFER_TIME_LIMIT_MS = 0


def resolved_config(args: argparse.Namespace) -> dict[str, Any]:
    out = {}
    for k, v in sorted(vars(args).items()):
        if dataclasses.is_dataclass(v):
            v = dataclasses.asdict(v)
        out[k] = v if isinstance(v, (str, int, float, bool, list, dict, type(None))) else str(v)
    return out


def run_stage(spec: StageSpec, argv: list[str] | None = None) -> dict[str, Any]:
    """Parse, read, run the stage, write the canonical layout. Returns the stage's stats.json content.

    Raises:
        ConfigError: bad flags or inputs, before any work starts.
    """
    args, beam_args = parse_args(spec, argv)
    if spec.validate:
        spec.validate(args)
    files = expand_inputs(args.input) if args.input else []
    warm_workers.start(beam_args)  # forks local workers for multi_processing where that is safe
    args.input_files = files
    options, runner = pipeline_options(beam_args)
    prepare_output(args.output)
    read_cfg = ReadConfig(text_key=args.text_key, id_key=args.id_key, source=args.source, lang=args.lang,
                          encoding=args.encoding)
    config = resolved_config(args)
    config.pop("input_files", None)
    LOG.info("%s: %d input files -> %s", spec.name, len(files), args.output)
    try:
        return _build_and_run(spec, args, files, read_cfg, config, options, runner)
    finally:  # a failed run leaves no spill files (a second copy of its output); a finished one has none
        delete_spill(spill_root(args.output))


def _build_and_run(spec: StageSpec, args, files, read_cfg, config, options, runner) -> dict[str, Any]:
    """Build the stage's pipeline, run it to the end, return its stats.json content."""
    with beam.Pipeline(runner=runner, options=options) as p:
        # Ids in one previous stage output are unique already: the check (a shuffle) is for raw inputs and
        # for several outputs read together.
        unique_ids = spec.unique_ids and not args.trust_ids and not ids_known_unique(files)
        if files and spec.tables:
            read = p | "ReadTables" >> ReadTables(files, read_cfg, spec.name, unique_ids=unique_ids)
            read["docs"] = read["tables"]
        elif files:
            read = p | "ReadDocuments" >> ReadDocuments(files, read_cfg, spec.name, unique_ids=unique_ids)
        else:
            read = {"docs": p | "NoDocuments" >> beam.Create([]), "unreadable": p | "NoUnreadable" >> beam.Create([]),
                    "duplicate_ids": None}
        out = spec.build(p, read["docs"], args)
        stats = list(out.get("stats") or [])
        if read["duplicate_ids"] is not None:
            stats.append(read["duplicate_ids"])
        parts = {
            "kept": out.get("kept"),
            "rejected": (out.get("rejected") if out.get("rejected") is not None or out.get("written")
                         else p | "NoRejected" >> beam.Create([])),
            "written": out.get("written"),
            "unreadable": (
                (read["unreadable"], out["unreadable"]) | "FlattenUnreadable" >> beam.Flatten()
                if out.get("unreadable") is not None else read["unreadable"]
            ),
            "read": out.get("read", read["docs"]),
            # A tuple (Beam takes a tuple's PCollections as inputs; a list would be made a Create of them):
            # flattened with the write step's own counts, one combine for all.
            "stats": tuple(stats),
        }
        shard_bytes = max(1, int(args.shard_size_mb * 1024 * 1024))
        # A stage may size its own output (e.g. mix upsampling); by default the count comes from the input
        # size, so documents stream into the shuffle without waiting for their total.
        num_shards = out.get("num_shards") or (estimate_num_shards(files, shard_bytes) if files else None)
        if spec.tables:
            write = WriteTableStageOutput(args.output, spec.name, num_shards or 1, config)
        else:
            write = WriteStageOutput(args.output, spec.name, config, args.shard_size_mb,
                                     data_sort_key=out.get("data_sort_key"), num_shards=num_shards)
        _ = {k: v for k, v in parts.items() if v is not None} | "WriteStageOutput" >> write
    return read_stats(args.output)


def main_for(spec: StageSpec, run: Callable[[list[str] | None], dict]) -> None:
    """`python -m pipelines.<stage>` entry: INFO logging, ConfigError -> message + exit code 2."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        run(None)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
