"""`curate tokenizer train | eval | encode`: the 65,536-token tokenizer from the mix to token shards.

    curate tokenizer train  --input OUT/mix/data --output OUT/tokenizer [--vocab-size 65536] [--max-mb 100]
                            [--shares zh=0.7,bilingual=0.1,en=0.2] [--seed 0] [--holdout-frac 0.01]
    curate tokenizer eval   --tokenizer OUT/tokenizer [--input ...] [--ood zh=FILE ...] [--refs chatglm2,llama2]
                            [--output OUT/tokenizer/eval]
    curate tokenizer encode --tokenizer OUT/tokenizer --input OUT/mix/data --output OUT/tokens [--threads 2]

A run whose text is too small for the requested vocabulary stops with a clear error that names the size
it reached (exit code 2); small runs (tests, the demo) pass `--vocab-size` explicitly.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from curation.errors import ConfigError

log = logging.getLogger(__name__)


def _shares(value: str) -> dict[str, float]:
    try:
        return {k.strip(): float(v) for k, v in (kv.split("=") for kv in value.split(","))}
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected lang=share,..., got {value!r}") from exc


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--text-key", default="text", help="JSONL field holding the text")
    p.add_argument("--lang", default=None, help="force this language for every input record")
    p.add_argument("--threads", type=int, default=None, help="Rust threads for tokenizers (default: all cores)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="curate tokenizer", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train the byte-level BPE on the mix")
    t.add_argument("--input", action="append", required=True, help="mix output dir / Parquet / JSONL (repeatable)")
    t.add_argument("--output", required=True, help="tokenizer directory to write")
    t.add_argument("--vocab-size", type=int, default=65536, help="entries incl. special tokens (<= 65,536)")
    t.add_argument("--max-mb", type=float, default=None, help="training text budget in MB (default: all)")
    t.add_argument("--shares", type=_shares, default=None, help="training byte shares, e.g. zh=0.7,en=0.3 "
                   "(default: the input's own shares)")
    t.add_argument("--upsample", action="store_true", help="repeat a language that cannot fill its share")
    t.add_argument("--han-min-count", type=int, default=2,
                   help="Han characters seen this often get their own token (0: off)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--holdout-frac", type=float, default=0.01, help="share of documents kept out of training")
    t.add_argument("--min-frequency", type=int, default=2)
    t.add_argument("--lexicon", action="append", default=None, metavar="NAME[=SHARE]",
                   help="word-frequency prior from a dependency's word list (jieba, wordfreq_zh, wordfreq_en), sized as "
                   "SHARE of the training bytes (repeatable; 'none' for no prior; see tokenizer_training/lexicon.py)")
    _common(t)
    e = sub.add_parser("eval", help="compare with reference tokenizers on held-out text")
    e.add_argument("--tokenizer", required=True)
    e.add_argument("--input", action="append", default=None, help="held-out source (default: training inputs)")
    e.add_argument("--ood", action="append", default=[], metavar="LANG=PATH",
                   help="documents from sources not used for training (repeatable)")
    e.add_argument("--refs", default="default", help="comma list of references, 'default', 'all' or 'none'")
    e.add_argument("--ref-dir", default=None, help="reference tokenizer directory (../shared/ref_tokenizers)")
    e.add_argument("--max-chars", type=int, default=1_000_000, help="characters per eval set (seeded sample)")
    e.add_argument("--output", default=None, help="where eval.json/.md/.png go (default: TOKENIZER/eval)")
    e.add_argument("--seed", type=int, default=None)
    e.add_argument("--holdout-frac", type=float, default=None)
    _common(e)
    c = sub.add_parser("encode", help="encode the mix into uint16 token shards")
    c.add_argument("--tokenizer", required=True)
    c.add_argument("--input", action="append", required=True)
    c.add_argument("--output", required=True)
    c.add_argument("--seed", type=int, default=None, help="validation split seed (default: the tokenizer's)")
    c.add_argument("--val-frac", type=float, default=None, help="default: the tokenizer's holdout fraction")
    c.add_argument("--batch-docs", type=int, default=512)
    _common(c)
    return parser


def cmd_train(args) -> int:
    from tokenizer_training.corpus import Corpus
    from tokenizer_training.export import export_tokenizer
    from tokenizer_training.lexicon import parse_lexicon_args
    from tokenizer_training.train_bpe import train_tokenizer

    corpus = Corpus(args.input, seed=args.seed, holdout_frac=args.holdout_frac, text_key=args.text_key, lang=args.lang)
    max_bytes = args.max_mb * 1e6 if args.max_mb else None
    texts = corpus.training_texts(max_bytes=max_bytes, shares=args.shares, upsample=args.upsample)
    lexicons = parse_lexicon_args([x for x in args.lexicon or [] if x != "none"])
    tok, report = train_tokenizer(texts, vocab_size=args.vocab_size, min_frequency=args.min_frequency,
                                  han_min_count=args.han_min_count or None, lexicons=lexicons)
    used = {k.split("/")[1]: v for k, v in corpus.stats.items() if k.startswith("train_bytes/")}
    report["train_bytes_by_lang"] = used
    report["train_byte_shares"] = {k: round(v / max(sum(used.values()), 1), 4) for k, v in used.items()}
    report["bad_records"] = corpus.stats.get("bad_records", 0)
    missing = {k.split("/")[1]: v for k, v in corpus.stats.items() if k.startswith("missing_share/")}
    if missing:
        report["missing_share_bytes"] = missing  # --shares asked for languages the input does not have
    meta = {"inputs": [os.path.abspath(p) for p in corpus.files], "seed": args.seed,
            "holdout_frac": args.holdout_frac, "shares": args.shares, "max_mb": args.max_mb,
            "upsample": args.upsample, "han_min_count": args.han_min_count, "lexicons": lexicons,
            "text_key": args.text_key, "lang": args.lang, "report": report,
            "bad_record_examples": corpus.bad_examples}
    export_tokenizer(tok, args.output, training_meta=meta)
    print(json.dumps(report, indent=2))
    return 0


def cmd_eval(args) -> int:
    from tokenizer_training import references
    from tokenizer_training.corpus import Corpus, doc_key
    from tokenizer_training.evaluate import evaluate, target_checks, vocab_composition
    from tokenizer_training.export import load_tokenizer, special_ids
    from tokenizer_training.plot import bar_chart

    tdir = args.tokenizer
    tmeta_path = os.path.join(tdir, "training_meta.json")
    tmeta = json.load(open(tmeta_path, encoding="utf-8")) if os.path.exists(tmeta_path) else {}
    seed = args.seed if args.seed is not None else tmeta.get("seed", 0)
    frac = args.holdout_frac if args.holdout_frac is not None else tmeta.get("holdout_frac", 0.01)
    inputs = args.input or tmeta.get("inputs") or []

    def capped(records) -> list[str]:  # a seeded sample of whole documents up to --max-chars
        out, n = [], 0
        for rec in sorted(records, key=lambda r: doc_key(seed, "eval", r.id)):
            if n >= args.max_chars:
                break
            out.append(rec.text)
            n += len(rec.text)
        return out

    sets: dict[str, list[str]] = {}
    if inputs:
        corpus = Corpus(inputs, seed=seed, holdout_frac=frac, text_key=args.text_key, lang=args.lang)
        by_lang: dict[str, list] = {}
        for rec in corpus.records():
            if corpus.is_heldout(rec):
                by_lang.setdefault(rec.lang, []).append(rec)
        sets.update({f"heldout/{lg}": capped(recs) for lg, recs in sorted(by_lang.items())})
    ood: dict[str, list[str]] = {}
    for item in args.ood:
        if "=" not in item:
            raise ConfigError(f"--ood expects LANG=PATH, got {item!r}")
        lg, path = item.split("=", 1)
        ood.setdefault(lg, []).append(path)
    for lg, paths in ood.items():
        sets[f"ood/{lg}"] = capped(list(Corpus(paths, seed=seed, holdout_frac=0.0, text_key=args.text_key,
                                               lang=lg).records()))
    sets = {k: v for k, v in sets.items() if v}
    if not sets:
        raise ConfigError("nothing to evaluate: no held-out documents in --input and no --ood sets")
    ref_dir = args.ref_dir or references.REF_DIR
    names = {"default": references.DEFAULT_REFERENCES, "all": tuple(references.REFERENCES),
             "none": ()}.get(args.refs, tuple(n for n in args.refs.split(",") if n))
    unknown = [n for n in names if n not in references.REFERENCES]
    if unknown:
        raise ConfigError(f"unknown reference tokenizer(s) {unknown}; known: {list(references.REFERENCES)}")
    found = references.available_references(names, ref_dir)
    if len(found) < len(names):
        log.warning("reference tokenizers not found under %s: %s", ref_dir, sorted(set(names) - set(found)))
    tok = load_tokenizer(tdir)
    tokenizers = {"qingliu": references.HFByteLevel("qingliu", tok)}
    tokenizers.update({n: references.load_reference(n, ref_dir) for n in found})
    results = evaluate(tokenizers, sets)
    ours_special = set(special_ids(tok).values())
    results["vocab"] = {n: vocab_composition(t, ours_special if n == "qingliu" else None)
                        for n, t in tokenizers.items()}
    results["vocab_size"] = {n: t.vocab_size for n, t in tokenizers.items()}
    results["targets"] = target_checks(results, "qingliu")
    out = args.output or os.path.join(tdir, "eval")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "eval.json"), "w", encoding="utf-8") as f:
        json.dump(results, f, ensure_ascii=False, indent=2)
    md = report_markdown(results)
    with open(os.path.join(out, "eval.md"), "w", encoding="utf-8") as f:
        f.write(md)
    bar_chart(os.path.join(out, "eval.png"), results)
    print(md)
    return 0


def report_markdown(results: dict) -> str:
    """The eval report: compression, Han split, round trip, vocabulary composition, targets."""
    from tokenizer_training.evaluate import markdown_table, usage_tables

    parts = ["### Tokens per 1,000 characters (lower is better)", markdown_table(results),
             "", "### Characters per token", markdown_table(results, "chars_per_token"),
             "", "### Bytes per token", markdown_table(results, "bytes_per_token"),
             "", "### Where the tokens go: tokens per 1,000 characters by token class",
             "cjkN: Han tokens of N characters; mixed: e.g. punctuation + Han, a space + digits.", "",
             usage_tables(results),
             "### Share of Han characters split into bytes", markdown_table(results, "han_byte_split_share"),
             "", "### Share of documents with an exact round trip", markdown_table(results, "roundtrip_share"),
             "", "### Eval sets", "| set | docs | chars |", "|---|---:|---:|"]
    parts += [f"| {s} | {v['docs']:,} | {v['chars']:,} |" for s, v in results["sets"].items()]
    cols = ["cjk", "cjk_multi_char", "latin", "digit", "punct", "whitespace", "mixed", "byte", "special",
            "max_token_bytes"]
    parts += ["", "### Vocabulary composition", "| tokenizer | vocab | " + " | ".join(cols) + " |",
              "|---|" + "---:|" * (len(cols) + 1)]
    parts += [f"| {n} | {results['vocab_size'][n]:,} | " + " | ".join(str(v[c]) for c in cols) + " |"
              for n, v in results["vocab"].items()]
    parts += ["", "### Targets", "| check | value | limit | ok |", "|---|---:|---:|---|"]
    for k, v in results["targets"].items():
        val = v.get("ratio", v.get("max_share", v.get("min_share")))
        parts.append(f"| {k} {v.get('set', '')} | {val} | {v['limit']} | {'yes' if v['ok'] else 'NO'} |")
    return "\n".join(parts) + "\n"


def cmd_encode(args) -> int:
    from tokenizer_training.encode import encode_corpus

    meta = encode_corpus(args.tokenizer, args.input, args.output, seed=args.seed, val_frac=args.val_frac,
                         text_key=args.text_key, lang=args.lang, batch_docs=args.batch_docs)
    summary = {k: {"docs": v["docs"], "tokens": v["tokens"]} for k, v in meta["splits"].items()}
    print(json.dumps({"output": args.output, "splits": summary, "seconds": meta["seconds"]}, indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of `curate tokenizer`. Returns the exit code (2 for a configuration error)."""
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    if args.threads:  # read by the Rust thread pool when tokenizers first runs in parallel
        os.environ["RAYON_NUM_THREADS"] = str(args.threads)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return {"train": cmd_train, "eval": cmd_eval, "encode": cmd_encode}[args.command](args)
    except ConfigError as exc:
        print(f"curate tokenizer {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
