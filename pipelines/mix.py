"""Mix: curated documents -> a training mix with the requested share of tokens per language and source.

    curate mix --input out/dedup --output out/mix --zh 0.7 --bilingual 0.2 --en 0.1
    curate mix --input-zh zh/ --input-bilingual bi/ --input-en en/ --output out/mix \\
        --zh 0.7 --bilingual 0.2 --en 0.1 --total-tokens 5e7 --max-epochs 3 --seed 1 --tokenizer tok/
    curate mix --input out/dedup --output out/mix --recipe recipe.yaml    # several sources per language
    beam run pipelines/mix.py ...   (same flags; Beam flags pass through, e.g. --direct_num_workers 2)

Two passes in one pipeline (the maths: curation/mix_recipe.py; per document: curation/mix.py):

    docs ─RouteDocuments─▶ MeasureDocuments ─▶ (doc, bucket, hash, units, tokens, chars)
      │                      ├─CountBuckets─▶ totals + hash histograms ─PlanMix─▶ plan (side input)
      ▼                      ├─FillWindows (only each bucket's cut window)─▶ chosen ids (side input)
    rejected: no_lang,       └─SampleDocuments(plan, chosen)─▶ kept copies │ rejected: not_sampled
    lang_not_in_mix, ...                          └─WriteMixReport─▶ mix_report.json, extra_copies

Kept copies are written in a seeded shuffled order (`curation.mix.order_key`); upsampled copies carry
ids `<id>#e<n>` and count as `extra_copies` in stats.json. A request the data cannot meet (a language
with no documents, more epochs than the cap) fails the pipeline before anything is written, so no
`_SUCCESS` appears; `run` turns that failure into a ConfigError (exit code 2).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import re
import sys

import apache_beam as beam
import yaml
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from curation import mix
from curation.errors import ConfigError
from curation.mix_recipe import MixPlanError, Recipe, plan_mix, recipe_from_mapping
from curation.readers import ReadConfig
from curation.schema import LANGS, Document
from curation.yamlio import load_yaml
from pipelines.io import MergeStatsFn, ReadDocuments, estimate_num_shards, expand_inputs
from pipelines.io import _RenameDuplicateIdsFn as RenameDuplicateIdsFn
from pipelines.stage import StageSpec, main_for, run_stage

STAGE = "mix"
REPORT = "mix_report.json"
LOG = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    for lang in LANGS:
        parser.add_argument(f"--{lang}", type=float, help=f"target share of {lang} (in --unit)")
        parser.add_argument(f"--input-{lang}", action="append", default=[],
                            help=f"input whose documents are all {lang} (repeatable; instead of --input)")
    parser.add_argument("--unit", default="tokens", choices=mix.MEASURES, help="what shares are measured in")
    parser.add_argument("--total-tokens", type=float,
                        help="size of the mix in --unit (default: as large as the epoch caps allow)")
    parser.add_argument("--max-epochs", type=float, default=1.0,
                        help="most times a source may be repeated (1 = no upsampling; fractions allowed)")
    parser.add_argument("--seed", type=int, default=0, help="sampling and shuffling seed")
    parser.add_argument("--normalize", action="store_true", help="rescale shares that do not sum to 1")
    parser.add_argument("--recipe", help="YAML: lang -> share or {share, sources: {name: weight}}; docs/mix.md")
    parser.add_argument("--tokenizer", help="directory holding tokenizer.json (HF tokenizers) to count "
                        "tokens with; default: a per-script estimate (docs/mix.md)")


def validate(args: argparse.Namespace) -> None:
    """Build the recipe and check inputs and tokenizer before any work (ConfigError -> exit code 2)."""
    shares, sources = {}, {}
    if args.recipe:
        try:
            with open(args.recipe, encoding="utf-8") as f:
                data = load_yaml(f)
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot read --recipe {args.recipe}: {exc}") from exc
        shares, sources = recipe_from_mapping(data, args.recipe)
    # Shares given as flags win over the recipe's.
    shares.update({lang: getattr(args, lang) for lang in LANGS if getattr(args, lang) is not None})
    args.mix_recipe = Recipe(shares=shares, sources=sources, unit=args.unit, total=args.total_tokens,
                             max_epochs=args.max_epochs, normalize=args.normalize)
    per_lang = {lang: getattr(args, f"input_{lang}") for lang in LANGS if getattr(args, f"input_{lang}")}
    if per_lang and args.input:
        raise ConfigError("give either --input (documents carry `lang`) or --input-<lang>, not both")
    if not per_lang and not args.input:
        raise ConfigError("no input: give --input, or --input-zh/--input-bilingual/--input-en/--input-other")
    missing = [lang for lang in args.mix_recipe.shares if per_lang and lang not in per_lang]
    if missing:
        raise ConfigError(f"a share is asked for {', '.join(missing)} but no --input-{missing[0]} is given")
    args.lang_input_files = {lang: expand_inputs(paths) for lang, paths in per_lang.items()}
    if args.tokenizer and not os.path.exists(os.path.join(args.tokenizer, "tokenizer.json")):
        raise ConfigError(f"--tokenizer {args.tokenizer}: no tokenizer.json there")


class RouteFn(beam.DoFn):
    """Mixable docs on the main output; docs the recipe does not ask for, stamped, on 'rejected'."""

    def __init__(self, recipe: Recipe):
        self.recipe = recipe

    def process(self, doc: Document):
        reason = mix.route(doc.lang, doc.source, self.recipe)
        if reason is None:
            yield doc
        else:
            Metrics.counter(STAGE, f"dropped/{reason}").inc()
            yield beam.pvalue.TaggedOutput("rejected", doc.rejected(STAGE, reason))


class MeasureFn(beam.DoFn):
    """doc -> (doc, bucket, hash, units, tokens, chars); the tokenizer loads once per worker."""

    def __init__(self, unit: str, seed: int, tokenizer_dir: str | None):
        self.unit, self.seed, self.tokenizer_dir = unit, seed, tokenizer_dir
        self._tok = None

    def setup(self):
        if self.tokenizer_dir:
            from tokenizers import Tokenizer

            self._tok = Tokenizer.from_file(os.path.join(self.tokenizer_dir, "tokenizer.json"))

    def process(self, doc: Document):
        if self._tok is not None:
            tokens = len(self._tok.encode(doc.text, add_special_tokens=False).ids)
        else:
            tokens = mix.estimate_tokens(doc.text)
        chars = len(doc.text)
        units = mix.unit_size(self.unit, tokens, chars)
        yield doc, (doc.lang, str(doc.source)), mix.sample_hash(doc.id, self.seed), units, tokens, chars


class SumTotalsFn(beam.CombineFn):
    """Bucket totals and hash histograms (`curation.mix.add_totals`, in place)."""

    def create_accumulator(self):
        return {}

    def add_input(self, acc, item):
        return mix.add_totals(acc, item)

    def merge_accumulators(self, accs):
        out: dict = {}
        for a in accs:
            mix.add_totals(out, a)
        return out

    def extract_output(self, acc):
        return acc


def _window_items(m, plan):
    doc, key, h, units, _, _ = m
    bp = plan.buckets.get(key)
    if bp is not None and mix.in_window(h, bp):
        yield key, (h, doc.id, units)


def _choose(kv, plan):
    key, items = kv
    bp = plan.buckets[key]
    return key, mix.choose_in_window(list(items), bp.cut_residual, bp.cut_limit)


class SampleFn(beam.DoFn):
    """Emit each document as many times as the plan says (copies get `#e<n>` ids), or reject it."""

    def process(self, m, plan, chosen):
        doc, key, h, _, tokens, chars = m
        bp = plan.buckets.get(key)
        n = mix.copies(h, doc.id, bp, chosen.get(key, frozenset())) if bp is not None else 0
        if n == 0:
            Metrics.counter(STAGE, f"dropped/{mix.REJECT_NOT_SAMPLED}").inc()
            yield beam.pvalue.TaggedOutput("rejected", doc.rejected(STAGE, mix.REJECT_NOT_SAMPLED))
        for c in range(n):
            attrs = {"mix/copy_v1": float(c), "mix/tokens_v1": float(tokens)}
            yield doc.copy(id=mix.copy_id(doc.id, c)).with_attributes(**attrs)
            yield beam.pvalue.TaggedOutput("achieved", mix.kept_summary(key, tokens, chars, c))


class WriteReportFn(beam.DoFn):
    """Writes mix_report.json, then yields the stage stats (Finalize waits on them: _SUCCESS comes last)."""

    def __init__(self, output: str, meta: dict):
        self.output, self.meta = output, meta

    def process(self, _, plan, totals, achieved):
        report = mix.build_report(plan, totals, achieved.get("achieved", {}), self.meta)
        with FileSystems.create(FileSystems.join(self.output, REPORT), mime_type="application/json") as f:
            f.write(json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8"))
        for w in report["warnings"]:
            LOG.warning("mix: %s", w)
        summary = {k: report[k] for k in ("unit", "total_planned", "max_share_error_pp")}
        yield {"extra_copies": int(achieved.get("extra_copies", 0)), "mix": summary}


class ShuffleKey:
    """Picklable in-shard sort key of output copies: seeded hash of the copy id, then the id."""

    def __init__(self, seed: int):
        self.seed = seed

    def __call__(self, doc: Document):
        return mix.order_key(doc.id, self.seed)


def read_per_language(pipeline, args) -> tuple:
    """--input-<lang> files -> (docs with `lang` set, unreadable records, repeated-id stats)."""
    fields = dict(text_key=args.text_key, id_key=args.id_key, source=args.source, encoding=args.encoding)
    docs, bad = [], []
    for lang, files in sorted(args.lang_input_files.items()):
        read = pipeline | f"Read{lang.capitalize()}" >> ReadDocuments(
            files, ReadConfig(lang=lang, **fields), STAGE, unique_ids=False)
        docs.append(read["docs"])
        bad.append(read["unreadable"])
    docs = tuple(docs) | "FlattenLanguages" >> beam.Flatten()
    # Ids repeated across the per-language inputs are made unique the way ReadDocuments does it.
    dups = (
        docs
        | "KeyById" >> beam.Map(lambda d: (d.id, (d.source_file, d.row)))
        | "GroupIds" >> beam.GroupByKey()
        | "KeepRepeated" >> beam.FlatMap(lambda kv: [(kv[0], sorted(kv[1]))] if len(kv[1]) > 1 else [])
    )
    docs = docs | "MakeIdsUnique" >> beam.ParDo(RenameDuplicateIdsFn(), beam.pvalue.AsDict(dups))
    dup_stats = dups | "CountRepeatedIds" >> beam.Map(lambda kv: {"duplicate_ids": len(kv[1]) - 1})
    return docs, tuple(bad) | "FlattenLanguageUnreadable" >> beam.Flatten(), dup_stats


def build(pipeline, docs, args):
    recipe: Recipe = args.mix_recipe
    out, stats = {}, []
    if args.lang_input_files:
        docs, unreadable, dup_stats = read_per_language(pipeline, args)
        out.update(read=docs, unreadable=unreadable)
        stats.append(dup_stats)
    report = FileSystems.join(args.output, REPORT)
    if FileSystems.exists(report):  # a stale report must never sit next to a new, failed run
        FileSystems.delete([report])
    side = beam.pvalue
    routed = docs | "RouteDocuments" >> beam.ParDo(RouteFn(recipe)).with_outputs("rejected", main="mixable")
    measure = MeasureFn(recipe.unit, args.seed, args.tokenizer)
    measured = routed.mixable | "MeasureDocuments" >> beam.ParDo(measure)
    totals = (
        measured
        | "BucketSummary" >> beam.Map(lambda m: mix.bucket_summary(m[1], m[2], m[3], m[4], m[5]))
        | "CountBuckets" >> beam.CombineGlobally(SumTotalsFn())
    )
    plan = side.AsSingleton(totals | "PlanMix" >> beam.Map(lambda t, r: plan_mix(r, t), recipe))
    chosen = (
        measured
        | "WindowDocs" >> beam.FlatMap(_window_items, plan)
        | "GroupWindows" >> beam.GroupByKey()
        | "FillWindows" >> beam.Map(_choose, plan)
    )
    sampled = measured | "SampleDocuments" >> beam.ParDo(SampleFn(), plan, side.AsDict(chosen)).with_outputs(
        "rejected", "achieved", main="kept")
    achieved = sampled.achieved | "SumAchieved" >> beam.CombineGlobally(MergeStatsFn())
    counter = f"tokenizer:{args.tokenizer}" if args.tokenizer else mix.ESTIMATE_NAME
    sources = {lang: {n: vars(s) for n, s in specs.items()} for lang, specs in recipe.sources.items()}
    meta = {"seed": args.seed, "token_counter": counter,
            "recipe": {"shares": recipe.shares, "sources": sources, "max_epochs": recipe.max_epochs}}
    stats.append(
        pipeline
        | "ReportTrigger" >> beam.Create([None])
        | "WriteMixReport" >> beam.ParDo(WriteReportFn(args.output, meta), plan, side.AsSingleton(totals),
                                         side.AsSingleton(achieved))
    )
    rejected = (routed.rejected, sampled.rejected) | "FlattenRejected" >> beam.Flatten()
    out.update(kept=sampled.kept, rejected=rejected, stats=stats, data_sort_key=ShuffleKey(args.seed),
               num_shards=_num_shards(args, recipe))
    return out


def _num_shards(args, recipe: Recipe) -> int:
    """The shard count is fixed when the pipeline is built: the input size times the largest epoch cap
    bounds the mix (a downsampled mix gets smaller shards, never larger ones)."""
    files = list(args.input_files) + [f for fs in args.lang_input_files.values() for f in fs]
    caps = [recipe.max_epochs] + [s.max_epochs for specs in recipe.sources.values() for s in specs.values()
                                  if s.max_epochs is not None]
    shard_bytes = max(1, int(args.shard_size_mb * 1024 * 1024))
    return max(1, math.ceil(estimate_num_shards(files, shard_bytes) * max(1.0, *caps)))


SPEC = StageSpec(name=STAGE, description="Mix languages and sources to target token shares (--zh 0.7 ...).",
                 build=build, add_arguments=add_arguments, validate=validate, needs_input=False)

_MARKER = re.compile(re.escape(MixPlanError.MARKER) + r"(.+?)(?: \[while running .*)?$", re.MULTILINE)


def run(argv: list[str] | None = None) -> dict:
    """Run the mix stage; prints the share table and returns the stats.json content.

    Raises:
        ConfigError: bad flags, or a request the data cannot meet (found after counting).
    """
    try:
        stats = run_stage(SPEC, argv)
    except Exception as exc:  # the plan failed inside the pipeline: report it as a config error (exit 2)
        match = _MARKER.search(str(exc))
        if match is None or (isinstance(exc, ConfigError) and not isinstance(exc, MixPlanError)):
            raise
        raise ConfigError(f"cannot mix: {match.group(1).strip()}") from None
    path = FileSystems.join(stats["config"]["output"], REPORT)
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        report = json.loads(f.read().decode("utf-8"))
    sys.stdout.write(mix.format_table(report) + "\n")
    return stats


if __name__ == "__main__":
    main_for(SPEC, run)
