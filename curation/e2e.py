"""`curate run`: the whole flow end to end, one stage output feeding the next.

    raw shards -> ingest -> filter (route + quality) -> dedup -> pii -> mix -> tokenizer -> tokens -> model

    curate run --demo runs/demo                 # the embedded demo corpus, every stage, a few minutes on 2 cores
    curate run --input raw/ runs/r1 --until mix # your own shards, the data stages only
    curate report runs/demo                     # the summary table again

Each step writes its own directory under the run directory (`01-ingest/`, `02-filter/`, ...). With
`--resume`, a step whose output is complete (`_SUCCESS`) is not run again. Beam options given after
`--` go to every data stage (e.g. `-- --direct_num_workers 2 --direct_running_mode multi_processing`).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from curation.errors import ConfigError
from curation.report import stage_highlights, summary_table

LOG = logging.getLogger(__name__)


@dataclass
class Step:
    name: str
    folder: str
    run: Callable[["RunContext"], dict | None]
    data_stage: bool = True


@dataclass
class RunContext:
    root: str
    raw: list[str]
    args: argparse.Namespace
    beam_args: list[str]

    def path(self, folder: str) -> str:
        return os.path.join(self.root, folder)


def _stage(module: str, ctx: RunContext, inputs: list[str], folder: str, extra: list[str] = ()) -> dict:
    run = importlib.import_module(module).run
    argv = [a for i in inputs for a in ("--input", i)] + ["--output", ctx.path(folder), *extra, *ctx.beam_args]
    return run(argv)


def _ingest(ctx):
    return _stage("pipelines.ingest", ctx, ctx.raw, "01-ingest")


def _filter(ctx):
    return _stage("pipelines.quality", ctx, [ctx.path("01-ingest")], "02-filter")


def _dedup(ctx):
    # The survivor of a duplicate cluster is the one the quality classifier likes best (then longest, then
    # smallest id): the attribute the filter step wrote with the shipped default model.
    return _stage("pipelines.dedup", ctx, [ctx.path("02-filter")], "03-dedup",
                  ["--keep-score", "quality/fasttext_default_v1"])


def _pii(ctx):
    return _stage("pipelines.pii", ctx, [ctx.path("03-dedup")], "04-pii")


def _mix(ctx):
    a = ctx.args
    shares = ["--zh", str(a.zh), "--bilingual", str(a.bilingual), "--en", str(a.en), "--seed", str(a.seed)]
    if a.max_epochs is not None:
        shares += ["--max-epochs", str(a.max_epochs)]
    return _stage("pipelines.mix", ctx, [ctx.path("04-pii")], "05-mix", shares)


def _command(module: str, argv: list[str]) -> None:
    code = importlib.import_module(module).main(argv)
    if code:
        raise RuntimeError(f"{module} {' '.join(argv[:1])} failed with exit code {code}")


def _tokenizer(ctx):
    a = ctx.args
    out = ctx.path("06-tokenizer")
    _clear_complete(out)
    _command("tokenizer_training.cli", ["train", "--input", ctx.path("05-mix"), "--output", out,
                                        "--vocab-size", str(a.vocab_size), "--seed", str(a.seed),
                                        "--holdout-frac", str(a.holdout_frac)])
    _command("tokenizer_training.cli", ["encode", "--input", ctx.path("05-mix"), "--tokenizer", out,
                                        "--output", ctx.path("07-tokens"), "--seed", str(a.seed)])
    _mark_complete(out)
    return None


def _clear_complete(folder: str) -> None:
    """A rerun that fails half way must not leave an earlier run's marker behind."""
    marker = os.path.join(folder, "_SUCCESS")
    if os.path.exists(marker):
        os.remove(marker)


def _mark_complete(folder: str) -> None:
    """`_SUCCESS` for a step that is not a Beam stage (tokenizer, model), written once all its commands
    finished, so `--resume` can skip it like the data stages."""
    with open(os.path.join(folder, "_SUCCESS"), "w", encoding="utf-8"):
        pass


def _model(ctx):
    a = ctx.args
    out = ctx.path("08-model")
    _clear_complete(out)
    _command("model_ref.cli", ["train", "--data", ctx.path("07-tokens"), "--out", out, "--preset", a.preset,
                               "--max-steps", str(a.model_steps), "--seed", str(a.seed)])
    _command("model_ref.cli", ["export", "--checkpoint", out, "--tokenizer", ctx.path("06-tokenizer"),
                               "--out", os.path.join(out, "hf")])
    _mark_complete(out)
    return None


STEPS = [
    Step("ingest", "01-ingest", _ingest),
    Step("filter", "02-filter", _filter),
    Step("dedup", "03-dedup", _dedup),
    Step("pii", "04-pii", _pii),
    Step("mix", "05-mix", _mix),
    Step("tokenizer", "06-tokenizer", _tokenizer, data_stage=False),
    Step("model", "08-model", _model, data_stage=False),
]
STEP_NAMES = [s.name for s in STEPS]


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="curate run", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run_dir", help="run directory; every step writes a folder under it")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--demo", action="store_true", help="generate the embedded demo corpus and run on it")
    src.add_argument("--input", "-i", action="append", help="raw input shards (repeatable)")
    p.add_argument("--until", choices=STEP_NAMES, default=STEP_NAMES[-1], help="last step to run")
    p.add_argument("--from", dest="start", choices=STEP_NAMES, default=STEP_NAMES[0], help="first step to run")
    p.add_argument("--resume", action="store_true", help="skip steps whose output is already complete")
    p.add_argument("--zh", type=float, default=0.7)
    p.add_argument("--bilingual", type=float, default=0.2)
    p.add_argument("--en", type=float, default=0.1)
    p.add_argument("--max-epochs", type=float, default=None, help="mix upsampling cap per source")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--demo-scale", type=float, default=1.0, help="size of the demo corpus (1.0 = 2,500 documents)")
    p.add_argument("--vocab-size", type=int, default=None,
                   help="tokenizer size (the demo corpus is too small for 65,536 merges: --demo uses 8,192)")
    p.add_argument("--holdout-frac", type=float, default=None,
                   help="documents held out of tokenizer training for validation (default 0.01; --demo: 0.05)")
    p.add_argument("--preset", default="tiny", help="model_ref preset to train")
    p.add_argument("--model-steps", type=int, default=300, help="training steps of the reference model")
    return p


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Flags with the defaults that depend on --demo filled in."""
    args = make_parser().parse_args(argv)
    if args.vocab_size is None:
        args.vocab_size = 8192 if args.demo else 65536
    if args.holdout_frac is None:
        args.holdout_frac = 0.05 if args.demo else 0.01
    return args


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    beam_args: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, beam_args = argv[:cut], argv[cut + 1:]
    args = parse_args(argv)
    os.makedirs(args.run_dir, exist_ok=True)
    raw = args.input or []
    if args.demo:
        from curation import demo

        raw_dir = os.path.join(args.run_dir, "00-raw")
        info = demo.write_demo_corpus(raw_dir, seed=args.seed, scale=args.demo_scale)
        raw = [info["dir"]]
        print(f"demo corpus: {raw_dir}")
    ctx = RunContext(root=args.run_dir, raw=raw, args=args, beam_args=beam_args)
    names = STEP_NAMES[STEP_NAMES.index(args.start): STEP_NAMES.index(args.until) + 1]
    if not names:
        raise ConfigError("--from comes after --until")
    timings = {}
    for step in STEPS:
        if step.name not in names:
            continue
        done = os.path.exists(os.path.join(ctx.path(step.folder), "_SUCCESS"))
        if args.resume and done:
            print(f"[{step.name}] complete, skipped (--resume)")
            continue
        print(f"[{step.name}] running -> {ctx.path(step.folder)}", flush=True)
        t0 = time.time()
        step.run(ctx)
        timings[step.name] = round(time.time() - t0, 1)
        print(f"[{step.name}] done in {timings[step.name]}s", flush=True)
    print(report(args.run_dir, timings))
    return 0


def collect_stats(run_dir: str) -> list[dict]:
    out = []
    for step in STEPS:
        path = os.path.join(run_dir, step.folder, "stats.json")
        if step.data_stage and os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                out.append(json.load(f))
    return out


def report(run_dir: str, timings: dict | None = None) -> str:
    """Summary table of every data stage in a run directory; also written to `run_dir/report.json`."""
    stats = collect_stats(run_dir)
    with open(os.path.join(run_dir, "report.json"), "w", encoding="utf-8") as f:
        json.dump({"stages": [{k: s.get(k) for k in ("stage", "input_records", "kept", "rejected", "unreadable",
                                                        "by_lang")} for s in stats],
                   "seconds": timings or {}}, f, ensure_ascii=False, indent=2)
    if not stats:
        return "(no stage output found)"
    lines = [summary_table(stats), ""]
    for s in stats:
        lines += stage_highlights(s)
    lines += _model_lines(run_dir)
    return "\n".join(lines)


def _model_lines(run_dir: str) -> list[str]:
    """Tokenizer size and the reference model's last validation loss per language vs unigram entropy."""
    lines = []
    meta = os.path.join(run_dir, "07-tokens", "meta.json")
    if os.path.exists(meta):
        with open(meta, encoding="utf-8") as f:
            m = json.load(f)
        lines.append(f"tokenizer: vocab {m['vocab_size']:,}; train tokens {m['splits']['train']['tokens']:,}")
    metrics = os.path.join(run_dir, "08-model", "metrics.jsonl")
    if os.path.exists(metrics):
        from model_ref.metrics import read_metrics

        evals = [r for r in read_metrics(metrics) if "eval" in r]
        if evals:
            last = evals[-1]
            cells = ", ".join(f"{lang} {e['loss']:.2f} nats ({e['bpc']:.2f} bits/char; unigram entropy "
                              f"{e['unigram_entropy']:.2f})" for lang, e in last["eval"].items())
            lines.append(f"model step {last['step']}: validation loss {cells}")
    return lines


def report_main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="curate report", description="summarize the stage outputs of a run directory")
    p.add_argument("run_dir")
    args = p.parse_args(argv)
    if not os.path.isdir(args.run_dir):
        raise ConfigError(f"no such run directory: {args.run_dir}")
    print(report(args.run_dir))
    return 0
