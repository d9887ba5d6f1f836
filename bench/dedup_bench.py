"""Dedup benchmark: quality on a labelled near-duplicate set, zh_sentence_pairs, speed and peak RSS.

Every method runs in its own subprocess (wall time and peak RSS measured there), on the same files,
in the same run:

- `qingliu`: `beam run pipelines/dedup.py` (FnApiRunner; `--workers 2` = multi_processing, 2 workers);
- `datasketch`: `MinHash` + `MinHashLSH` (threshold 0.7, 128 permutations), one process, the same
  shingles as Qingliu for the quality set and plain character 5-grams for the zh speed set;
- `datatrove`: its local 4-stage MinHash pipeline (signature, buckets, cluster, filter), default
  `MinhashConfig` (5-grams, 14 buckets x 8 hashes), `language` = en (its default) and zh (jieba).

    python bench/dedup_bench.py --parts quality,pairs,speed,rss --out /tmp/dedup_bench
    python bench/dedup_bench.py --parts speed --speed-docs 50000 --workers 2 --shards 4 --repeat 3

Needs ../shared/corpora (QINGLIU_CORPORA). Results: JSON under --out and a markdown summary on stdout.
"""

from __future__ import annotations

import argparse
import glob
import gzip
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from curation.dedup.shingles import shingle_strings  # noqa: E402
from curation.testing import corpus_path  # noqa: E402
from curation.text.normalize import normalize_text  # noqa: E402

ZH_HEADERS = ["【新华社北京电】", "本文来源：人民网 责任编辑：王磊\n", "转载请注明出处。\n", "原标题："]
ZH_FOOTERS = ["\n（完）", "\n更多精彩内容，请关注我们的微信公众号。", "\n声明：本文仅代表作者观点。", "\n责任编辑：李明"]
EN_HEADERS = ["BREAKING: ", "From our correspondent.\n", "Reuters - ", "UPDATE 1-"]
EN_FOOTERS = ["\nReuters", "\nAll rights reserved.", "\nClick here to subscribe to our newsletter.",
              "\n(Editing by John Smith)"]
WIDTH = str.maketrans({",": "，", "!": "！", "?": "？", ":": "：", ";": "；", "(": "（", ")": "）"})
_SENT = re.compile(r"(?<=[。！？.!?])\s*")


# ------------------------------------------------------------------------------------------ data
def read_jsonl(path: str, limit: int | None = None):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for i, line in enumerate(f):
            if limit is not None and i >= limit:
                return
            yield json.loads(line)


def write_jsonl(path: str, recs) -> str:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for r in recs:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return path


def pool(lang: str, min_chars: int, max_chars: int) -> list[dict]:
    out = []
    for path in sorted(glob.glob(os.path.join(corpus_path(lang), "*.jsonl.gz"))):
        for r in read_jsonl(path):
            if min_chars <= len(r["text"]) <= max_chars:
                source = os.path.basename(path)[: -len(".jsonl.gz")]
                out.append({"id": r["id"], "text": r["text"], "lang": lang, "source": source})
    return out


def clean_bases(docs: list[dict], jaccard_max: float = 0.3) -> list[dict]:
    """Drop base documents that already resemble an earlier one (natural duplicates in the corpora), found
    with datasketch LSH at 0.3 and confirmed by exact Jaccard, so labels are not wrong from the start."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=0.3, num_perm=64)
    kept, sets = [], {}
    for d in docs:
        s = shingle_strings(d["text"])
        m = MinHash(num_perm=64)
        m.update_batch([x.encode() for x in s])
        if any(len(s & sets[k]) / max(1, len(s | sets[k])) >= jaccard_max for k in lsh.query(m)):
            continue
        lsh.insert(d["id"], m)
        sets[d["id"]] = s
        kept.append(d)
    return kept


def sentences(text: str) -> list[str]:
    return [s for s in _SENT.split(text) if s]


def edit(rng: random.Random, text: str, lang: str, donor: str) -> tuple[str, str]:
    """One labelled edit of a document; returns (new text, edit name). Edits are mild by design (at most
    about 10% of the text), the kind of change that leaves a copy of the same document."""
    kind = rng.choice(["boilerplate", "delete_sentence", "replace_sentence", "punct_width", "whitespace",
                       "typos", "truncate"])
    zh = lang == "zh"
    if kind == "boilerplate":
        head = rng.choice(ZH_HEADERS if zh else EN_HEADERS)
        foot = rng.choice(ZH_FOOTERS if zh else EN_FOOTERS)
        return head + text + foot, kind
    if kind in ("delete_sentence", "replace_sentence"):
        sents = sentences(text)
        small = [i for i, s in enumerate(sents) if len(s) <= 0.1 * len(text)]
        if len(sents) < 3 or not small:
            kind = "truncate"
        else:
            i = rng.choice(small)
            if kind == "delete_sentence":
                del sents[i]
            else:
                d = sentences(donor)
                sents[i] = rng.choice(d)[: len(sents[i]) + 5] if d else sents[i]
            return ("" if zh else " ").join(sents), kind
    if kind == "punct_width":
        return text.translate(WIDTH), kind
    if kind == "whitespace":  # zh: spaces / newlines between characters; en: existing whitespace re-typed
        if zh:
            chars = list(text)
            for i in sorted(rng.sample(range(len(chars)), max(1, len(chars) // 50)), reverse=True):
                chars.insert(i, rng.choice([" ", "\n", "\u3000", "\t"]))
            return "".join(chars), kind
        return re.sub(r"\s+", lambda m: rng.choice([" ", "  ", "\n", " \n ", "\t"]), text), kind
    if kind == "typos":  # zh: 1% of the characters; en: one letter in 1% of the words
        chars = list(text)
        n = len(chars) // 100 if zh else len(text.split()) // 100
        for i in rng.sample(range(len(chars)), max(1, n)):
            chars[i] = rng.choice("的了是在和有人这中大" if zh else "etaoinshr")
        return "".join(chars), kind
    cut = int(len(text) * rng.uniform(0.9, 0.97))  # truncate: drop the last 3-10%
    return text[:cut], "truncate"


def labelled_set(out_dir: str, n_zh: int, n_en: int, seed: int = 0) -> dict:
    """Base documents + 0-3 edited copies each + hard negatives (half of one doc + half of another)."""
    rng = random.Random(seed)
    docs_out, labels, edits = [], {}, {}
    skipped_negs = 0
    for lang, n, lo, hi in (("zh", n_zh, 200, 3000), ("en", n_en, 600, 8000)):
        cand = pool(lang, lo, hi)
        rng.shuffle(cand)
        bases = clean_bases(cand[: int(n * 1.3)])[:n]
        for j, b in enumerate(bases):
            cluster = f"{lang}-{j}"
            docs_out.append({**b, "id": f"{cluster}-base"})
            labels[f"{cluster}-base"] = cluster
            donor = bases[(j + 1) % len(bases)]["text"]
            for k in range(rng.choice([0, 0, 1, 1, 1, 2, 2, 3])):
                text, name = edit(rng, b["text"], lang, donor)
                if rng.random() < 0.3:  # some copies carry two edits
                    text, name2 = edit(rng, text, lang, donor)
                    name = f"{name}+{name2}"
                vid = f"{cluster}-v{k}"
                docs_out.append({**b, "id": vid, "text": text})
                labels[vid] = cluster
                edits[vid] = name
            if rng.random() < 0.25:  # hard negative: shares half its text with this base doc
                other = bases[(j + 7) % len(bases)]["text"]
                sep = "" if lang == "zh" else " "
                neg = b["text"][: len(b["text"]) // 2] + sep + other[len(other) // 2:]
                # A donor that repeats itself (spam) can make "half" of it almost all of it: such a
                # negative is a real near-duplicate, so it is skipped and counted, not mislabelled.
                if max(_jaccard(neg, b["text"]), _jaccard(neg, other)) >= 0.5:
                    skipped_negs += 1
                    continue
                docs_out.append({**b, "id": f"{cluster}-neg", "text": neg})
                labels[f"{cluster}-neg"] = f"{cluster}-neg"
    rng.shuffle(docs_out)
    path = write_jsonl(os.path.join(out_dir, "labelled", "docs.jsonl.gz"), docs_out)
    with open(os.path.join(out_dir, "labelled", "labels.json"), "w") as f:
        json.dump({"labels": labels, "edits": edits}, f)
    return {"path": path, "labels": labels, "edits": edits, "docs": len(docs_out),
            "skipped_negatives": skipped_negs,
            "negatives": sum(1 for k in labels if k.endswith("-neg")),
            "should_remove": len(labels) - len(set(labels.values()))}


def _jaccard(a: str, b: str) -> float:
    sa, sb = shingle_strings(a), shingle_strings(b)
    return len(sa & sb) / max(1, len(sa | sb))


def score(removed: set[str], labels: dict[str, str]) -> dict:
    clusters: dict[str, list[str]] = {}
    for doc_id, c in labels.items():
        clusters.setdefault(c, []).append(doc_id)
    kept_by_cluster = {c: [d for d in ids if d not in removed] for c, ids in clusters.items()}
    right = sum(1 for d in removed if kept_by_cluster.get(labels.get(d), []))
    should = sum(len(ids) - 1 for ids in clusters.values())
    return {"removed": len(removed), "right": right, "should_remove": should,
            "precision": round(right / len(removed), 5) if removed else 1.0,
            "recall": round(right / should, 5) if should else 1.0,
            "clusters_without_survivor": sum(1 for ids in kept_by_cluster.values() if not ids)}


# ------------------------------------------------------------------------------------------ methods
def run_qingliu(inp: str, work: str, workers: int, extra: list[str], mode: str = "multi_processing") -> set[str]:
    import pyarrow.parquet as pq

    from pipelines import beam_cli

    args = ["--input", inp, "--output", work, *extra]
    if workers > 1:
        args += ["--direct_num_workers", str(workers), "--direct_running_mode", mode]
    if beam_cli.main(["run", "pipelines/dedup.py", *args]) != 0:  # the command users type: `beam run ...`
        raise SystemExit("beam run pipelines/dedup.py failed")
    ids = set()
    for p in glob.glob(os.path.join(work, "rejected", "*.parquet")):
        ids.update(pq.read_table(p, columns=["id"]).column("id").to_pylist())
    return ids


def run_datasketch(inp: str, work: str, shingles: str) -> set[str]:
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=0.7, num_perm=128)
    removed = set()
    for r in (r for path in sorted(glob.glob(inp)) for r in read_jsonl(path)):
        if shingles == "char5":
            norm = normalize_text(r["text"])
            s = {norm[i: i + 5] for i in range(max(1, len(norm) - 4))}
        else:
            s = shingle_strings(r["text"])
        if not s:
            continue
        m = MinHash(num_perm=128)
        m.update_batch([x.encode("utf-8", "surrogatepass") for x in s])
        if lsh.query(m):
            removed.add(r["id"])
        else:
            lsh.insert(r["id"], m)
    return removed


def run_datatrove(inp: str, work: str, language: str, tasks: int) -> set[str]:
    from datatrove.executor.local import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from datatrove.utils.hashing import HashConfig

    # datatrove's default hash (xxhash on str) fails with xxhash>=4 ("Strings must be encoded before
    # hashing"); sha1, its other built-in shingle hash, works: same config otherwise.
    cfg = MinhashConfig(hash_config=HashConfig(hash_fc="sha1"))
    src = os.path.dirname(inp)
    name = os.path.basename(inp)

    def reader():
        return JsonlReader(src, glob_pattern=name, text_key="text", id_key="id")

    stages = [
        ([reader(), MinhashDedupSignature(f"{work}/sigs", config=cfg, language=language)], tasks),
        ([MinhashDedupBuckets(f"{work}/sigs", f"{work}/buckets", config=cfg)], cfg.num_buckets),
        ([MinhashDedupCluster(f"{work}/buckets", f"{work}/remove_ids", config=cfg)], 1),
        ([reader(), MinhashDedupFilter(f"{work}/remove_ids",
                                       exclusion_writer=JsonlWriter(f"{work}/removed"))], tasks),
    ]
    for i, (steps, n) in enumerate(stages):
        LocalPipelineExecutor(pipeline=steps, tasks=n, workers=min(n, 2), logging_dir=f"{work}/logs{i}").run()
    removed = set()
    for p in glob.glob(f"{work}/removed/*"):
        opener = gzip.open if p.endswith(".gz") else open
        with opener(p, "rt", encoding="utf-8") as f:
            removed.update(json.loads(line)["id"] for line in f)
    return removed


def worker_main(spec: dict) -> None:
    """Child process: run one method, print {'wall_s', 'maxrss_mb', 'removed'} as the last line."""
    shutil.rmtree(spec["work"], ignore_errors=True)
    os.makedirs(spec["work"], exist_ok=True)
    t = time.time()
    m = spec["method"]
    if m == "qingliu":
        removed = run_qingliu(spec["input"], spec["work"], spec.get("workers", 1), spec.get("extra", []),
                              spec.get("mode", "multi_processing"))
    elif m == "datasketch":
        removed = run_datasketch(spec["input"], spec["work"], spec.get("shingles", "qingliu"))
    else:
        removed = run_datatrove(spec["input"], spec["work"], spec.get("language", "en"), spec.get("tasks", 2))
    wall = time.time() - t
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the runner (or the whole tool)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # largest worker process
    print(json.dumps({"wall_s": round(wall, 2), "maxrss_mb": round(max(own, kids), 1),
                      "runner_rss_mb": round(own, 1), "max_worker_rss_mb": round(kids, 1),
                      "removed": sorted(removed)}))


def measure(spec: dict, timeout: int) -> dict:
    try:
        p = subprocess.run([sys.executable, __file__, "--worker", json.dumps(spec)], capture_output=True,
                           text=True,
                           timeout=timeout, cwd=ROOT, env={**os.environ, "PYTHONPATH": ROOT})
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {timeout}s"}
    if p.returncode != 0:
        return {"error": p.stderr[-2000:]}
    out = json.loads(p.stdout.strip().splitlines()[-1])
    out["removed"] = set(out["removed"])
    return out


# ------------------------------------------------------------------------------------------ parts
def part_quality(args, res):
    data = labelled_set(args.out, args.quality_zh, args.quality_en)
    res["quality"] = {k: data[k] for k in ("docs", "negatives", "skipped_negatives", "should_remove")}
    res["quality"]["methods"] = {}
    runs = [("qingliu", {"method": "qingliu", "workers": 1}),
            ("datasketch (same shingles)", {"method": "datasketch", "shingles": "qingliu"}),
            ("datatrove (language=en)", {"method": "datatrove", "language": "en"}),
            ("datatrove (language=zh)", {"method": "datatrove", "language": "zh"})]
    for name, spec in runs:
        work = os.path.join(args.out, "q", name.split()[0])
        m = measure({**spec, "input": data["path"], "work": work}, args.timeout)
        if "error" in m:
            res["quality"]["methods"][name] = {"error": m["error"][-500:]}
            print(name, m["error"][-500:], flush=True)
            continue
        s = score(m["removed"], data["labels"])
        by_lang = {lang: score({d for d in m["removed"] if d.startswith(lang)},
                               {k: v for k, v in data["labels"].items() if k.startswith(lang)})
                   for lang in ("zh", "en")}
        kept_in = {}
        for d, c in sorted(data["labels"].items()):
            if d not in m["removed"]:
                kept_in.setdefault(c, []).append(d)
        # clusters that kept more than one copy: the edits of their kept variants
        missed = [d for ids in kept_in.values() if len(ids) > 1 for d in ids if not d.endswith("-base")]
        res["quality"]["methods"][name] = {**s, "wall_s": m["wall_s"], "by_lang": by_lang,
                                           "missed_edits": _count([data["edits"].get(d, "?")
                                                                   for d in missed])}
        print(name, json.dumps(res["quality"]["methods"][name]), flush=True)


def _count(xs):
    out: dict = {}
    for x in xs:
        out[x] = out.get(x, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def part_pairs(args, res):
    recs = []
    for r in read_jsonl(corpus_path("labelled", "zh_sentence_pairs.jsonl.gz")):
        recs.append(r)
    random.Random(1).shuffle(recs)
    recs = recs[: args.pairs]
    docs = []
    for i, r in enumerate(recs):
        docs.append({"id": f"p{i}-a", "text": r["meta"]["text_a"], "source": r["meta"]["dataset"]})
        docs.append({"id": f"p{i}-b", "text": r["meta"]["text_b"], "source": r["meta"]["dataset"]})
    path = write_jsonl(os.path.join(args.out, "pairs", "docs.jsonl.gz"), docs)
    m = measure({"method": "qingliu", "input": path, "work": os.path.join(args.out, "pairs", "out")},
                args.timeout)
    if "error" in m:
        res["pairs"] = {"error": m["error"][-500:]}
        return
    import pyarrow.parquet as pq

    root = {}
    for f in glob.glob(os.path.join(args.out, "pairs", "out", "rejected", "*.parquet")):
        for r in pq.read_table(f, columns=["id", "duplicate_of"]).to_pylist():
            root[r["id"]] = r["duplicate_of"]
    out = {"pairs": len(recs), "removed_docs": len(m["removed"])}
    for label in (1, 0):
        idx = [i for i, r in enumerate(recs) if r["meta"]["label"] == label]
        # merged = both sentences end in the same cluster (same survivor), whatever removed them
        merged = [i for i in idx if root.get(f"p{i}-a", f"p{i}-a") == root.get(f"p{i}-b", f"p{i}-b")]
        out[f"label_{label}"] = {"pairs": len(idx), "merged": len(merged),
                                 "share": round(len(merged) / len(idx), 4) if idx else 0.0,
                                 "examples": [[recs[i]["meta"]["text_a"], recs[i]["meta"]["text_b"]]
                                              for i in merged[:5]]}
    res["pairs"] = out
    print("pairs", json.dumps(out), flush=True)


def speed_set(args, n: int, name: str) -> tuple[str, float]:
    docs = pool("zh", 100, 10**9)
    if len(docs) < n:  # top up with shorter zh, then en documents (RSS runs at 100k)
        docs += pool("zh", 20, 99) + pool("en", 1, 10**9)
    docs = docs[:n]
    mb = sum(len(d["text"].encode("utf-8", "surrogatepass")) for d in docs) / 1e6
    shards = max(1, args.shards)
    if shards == 1:
        return write_jsonl(os.path.join(args.out, name, "docs.jsonl.gz"), docs), mb
    # Raw data comes as shards: contiguous slices (file order kept), read by every method as one glob.
    step = -(-len(docs) // shards)
    for i in range(shards):
        write_jsonl(os.path.join(args.out, name, f"docs-{i:05d}.jsonl.gz"), docs[i * step:(i + 1) * step])
    return os.path.join(args.out, name, "docs-*.jsonl.gz"), mb


def part_speed(args, res):
    path, mb = speed_set(args, args.speed_docs, "speed")
    res["speed"] = {"docs": args.speed_docs, "text_mb": round(mb, 2), "trust_ids": not args.check_ids,
                    "methods": {}}
    if args.only:
        res["speed"]["only"] = args.only
    # --trust-ids: the speed set's ids are unique, and both baselines assume so (datasketch's
    # MinHashLSH.insert raises on a repeated key; datatrove never checks), so the stage skips its
    # id-uniqueness shuffle here too (--check-ids measures it with that shuffle).
    extra = [] if args.check_ids else ["--trust-ids"]
    runs = [(f"qingliu ({args.workers} workers)", {"method": "qingliu", "workers": args.workers, "extra": extra}),
            (f"qingliu ({args.workers} worker threads)", {"method": "qingliu", "workers": args.workers,
                                                          "mode": "multi_threading", "extra": extra}),
            ("qingliu (in-process runner, 1 worker)", {"method": "qingliu", "workers": 1, "extra": extra}),
            ("datasketch (1 process, char 5-grams)", {"method": "datasketch", "shingles": "char5"}),
            ("datatrove (local 4-stage, 2 workers)", {"method": "datatrove", "language": "en", "tasks": 2})]
    runs = [(name, spec) for name, spec in runs if not args.only or name.startswith(args.only)]
    walls: dict[str, list[float]] = {name: [] for name, _ in runs}
    # --repeat N: N rounds, each running every method once in turn, so a change in the machine's load
    # (other sessions' jobs) falls on all methods of a round alike; ratios are taken within a round.
    for rnd in range(args.repeat):
        for name, spec in runs:
            work = os.path.join(args.out, "s", name.split()[0])
            m = measure({**spec, "input": path, "work": work}, args.timeout)
            if "error" in m:
                res["speed"]["methods"][name] = {"error": m["error"][-500:]}
                print(name, json.dumps(res["speed"]["methods"][name]), flush=True)
                continue
            walls[name].append(m["wall_s"])
            wall = statistics.median(walls[name])
            cores = spec.get("workers", 2 if "datatrove" in name else 1)
            res["speed"]["methods"][name] = {"wall_s": wall, "wall_s_runs": walls[name], "maxrss_mb": m["maxrss_mb"],
                                             "removed": len(m["removed"]), "mb_per_s_per_core":
                                             round(mb / wall / cores, 3),
                                             "docs_per_s_per_core": round(args.speed_docs / wall / cores, 1)}
            print(f"round {rnd + 1}/{args.repeat}", name, json.dumps(m["wall_s"]), flush=True)
    ours = walls.get(f"qingliu ({args.workers} workers)", [])
    targets = {}
    for base, key in (("datasketch (1 process, char 5-grams)", "time_vs_datasketch (<= 0.5)"),
                      ("datatrove (local 4-stage, 2 workers)", "speedup_vs_datatrove (>= 5)")):
        pairs = list(zip(ours, walls.get(base, [])))
        if pairs:
            per_round = [round(o / b, 3) if "datasketch" in base else round(b / o, 2) for o, b in pairs]
            targets[key] = {"per_round": per_round, "median": round(statistics.median(per_round), 3)}
    res["speed"]["targets"] = targets
    print("targets", json.dumps(targets), flush=True)


def part_rss(args, res):
    res["rss"] = {}
    for n in args.rss:
        path, mb = speed_set(args, n, f"rss{n}")
        # --rss-shard-mb: smaller output shards, to show that the largest worker follows the shard size
        # (the join holds one output shard), not the corpus
        extra = ["--shard-size-mb", str(args.rss_shard_mb)] if args.rss_shard_mb else []
        extra += [] if args.check_ids else ["--trust-ids"]  # as in the speed part (unique ids)
        for workers in sorted({1, args.workers}):
            m = measure({"method": "qingliu", "workers": workers, "input": path, "extra": extra,
                         "work": os.path.join(args.out, f"r{n}_{workers}")}, args.timeout)
            key = f"{n} docs, {workers} worker(s)" + (f", {args.rss_shard_mb} MB shards" if args.rss_shard_mb else "")
            res["rss"][key] = ({"error": m["error"][-300:]} if "error" in m else
                               {"text_mb": round(mb, 1), "wall_s": m["wall_s"], "maxrss_mb": m["maxrss_mb"],
                                "runner_rss_mb": m["runner_rss_mb"],
                                "max_worker_rss_mb": m["max_worker_rss_mb"]})
            print(key, json.dumps(res["rss"][key]), flush=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--parts", default="quality,pairs,speed,rss")
    p.add_argument("--out", default="/tmp/dedup_bench")
    p.add_argument("--quality-zh", type=int, default=2000, help="zh base documents in the labelled set")
    p.add_argument("--quality-en", type=int, default=1000, help="en base documents in the labelled set")
    p.add_argument("--pairs", type=int, default=20000, help="zh_sentence_pairs sampled")
    p.add_argument("--speed-docs", type=int, default=50000)
    p.add_argument("--rss", type=lambda s: [int(x) for x in s.split(",")], default=[10000, 50000, 100000])
    p.add_argument("--rss-shard-mb", type=float, default=None,
                   help="--shard-size-mb for the stage in the rss part (default: the stage's 64 MB)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--shards", type=int, default=1,
                   help="write the speed/RSS sets as this many .jsonl.gz shards (every method reads them all)")
    p.add_argument("--repeat", type=int, default=1,
                   help="speed: rounds of every method in turn; wall_s is the median, ratios are per round")
    p.add_argument("--only", default="", help="run only the speed methods whose name starts with this")
    p.add_argument("--check-ids", action="store_true",
                   help="speed, rss: keep the stage's id-uniqueness shuffle (default: --trust-ids, as the baselines)")
    p.add_argument("--timeout", type=int, default=1800, help="seconds per method run")
    args = p.parse_args(argv)
    if args.worker:
        return worker_main(json.loads(args.worker))
    if corpus_path() is None:
        sys.exit("../shared/corpora not found (set QINGLIU_CORPORA)")
    os.makedirs(args.out, exist_ok=True)
    res = {"command": " ".join(["python", "bench/dedup_bench.py", *(argv or sys.argv[1:])])}
    for part in args.parts.split(","):
        t = time.time()
        {"quality": part_quality, "pairs": part_pairs, "speed": part_speed, "rss": part_rss}[part](args, res)
        print(f"[{part} done in {time.time() - t:.0f}s]", flush=True)
        with open(os.path.join(args.out, "results.json"), "w") as f:
            json.dump(res, f, indent=2, ensure_ascii=False)
    print(json.dumps(res, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
