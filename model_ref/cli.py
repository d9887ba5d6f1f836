"""`curate model train|eval|generate|export|info`.

    curate model info [--preset 7b-mqa]                         parameter counts and memory (meta device)
    curate model train --data DATA --out runs/tiny --preset tiny --max-steps 300 [--resume] [--dry-run]
    curate model eval --ckpt runs/tiny/ckpt --data DATA
    curate model generate --ckpt runs/tiny/ckpt --tokenizer TOK --prompt "清流" [--temperature 0]
    curate model export --ckpt runs/tiny/ckpt --out hf/tiny --tokenizer TOK

`train` flags are generated from the `TrainConfig` dataclass (dolma-style); `--model dim=256` overrides one
ModelConfig field of the preset. Errors in inputs (shards, checkpoints) exit with code 2 and name the file.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys

from curation.errors import ConfigError


def _add_dataclass_flags(parser: argparse.ArgumentParser, cls) -> None:
    for f in dataclasses.fields(cls):
        if f.name == "model_overrides":
            continue
        flag = "--" + f.name.replace("_", "-")
        help_ = f.metadata.get("help", "")
        if f.type in ("bool", bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=f.default, help=help_)
        else:
            typ = {"int": int, "float": float, "str": str}.get(str(f.type), str)
            parser.add_argument(flag, type=typ, default=f.default, help=f"{help_} (default: {f.default})")


def _parse_override(item: str) -> tuple[str, object]:
    key, sep, value = item.partition("=")
    if not sep:
        raise ConfigError(f"--model expects KEY=VALUE, got {item!r}")
    try:
        return key, json.loads(value.lower() if value.lower() in ("true", "false") else value)
    except json.JSONDecodeError:
        return key, value


def build_parser() -> argparse.ArgumentParser:
    from model_ref.config import PRESETS
    from model_ref.train import TrainConfig

    parser = argparse.ArgumentParser(prog="curate model", description="the Llama-style reference model")
    sub = parser.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("info", help="parameter counts and memory of the presets (meta device)")
    p.add_argument("--preset", choices=sorted(PRESETS), help="one preset (default: all)")

    p = sub.add_parser("train", help="train on uint16 token shards")
    _add_dataclass_flags(p, TrainConfig)
    p.add_argument(
        "--model", action="append", default=[], metavar="KEY=VALUE", help="override a ModelConfig field"
    )
    p.add_argument("--dry-run", action="store_true", help="print the resolved config and exit")

    p = sub.add_parser("eval", help="validation loss and bits per character per language")
    p.add_argument("--ckpt", "--checkpoint", dest="ckpt", required=True, help="checkpoint or run directory")
    p.add_argument("--data", required=True)
    p.add_argument("--seq-len", type=int, default=256)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--eval-tokens", type=int, default=0, help="max target tokens per split (0 = all)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")

    p = sub.add_parser("generate", help="sample a continuation with the KV cache")
    p.add_argument("--ckpt", "--checkpoint", dest="ckpt", required=True, help="checkpoint or run directory")
    p.add_argument("--tokenizer", help="directory with tokenizer.json (needed for --prompt)")
    p.add_argument("--prompt", help="prompt text")
    p.add_argument("--prompt-ids", help="comma-separated token ids instead of text")
    p.add_argument("--max-new-tokens", type=int, default=50)
    p.add_argument("--temperature", type=float, default=0.8, help="0 = greedy")
    p.add_argument("--top-p", type=float, default=0.95)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eos-id", type=int, default=None)

    p = sub.add_parser("export", help="write a Hugging Face LlamaForCausalLM directory")
    p.add_argument("--ckpt", "--checkpoint", dest="ckpt", required=True, help="checkpoint or run directory")
    p.add_argument("--out", required=True)
    p.add_argument("--tokenizer", help="tokenizer directory whose files are copied")
    p.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16"])
    p.add_argument("--eos-id", type=int, default=None)
    p.add_argument("--bos-id", type=int, default=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return _run(args)
    except ConfigError as exc:  # ShardError, CheckpointError: the message names the file
        print(f"curate model {args.cmd}: error: {exc}", file=sys.stderr)
        return 2


def _run(args) -> int:
    if args.cmd == "info":
        from model_ref.config import PRESETS, format_report

        for name in [args.preset] if args.preset else PRESETS:
            print(format_report(name, PRESETS[name]))
        return 0
    if args.cmd == "train":
        from model_ref.train import TrainConfig, train

        names = {f.name for f in dataclasses.fields(TrainConfig)} - {"model_overrides"}
        cfg = TrainConfig(
            **{k: getattr(args, k) for k in names},
            model_overrides=dict(_parse_override(m) for m in args.model),
        )
        if not cfg.data:
            raise ConfigError("--data is required")
        if args.dry_run:
            print(json.dumps(dataclasses.asdict(cfg), indent=2))
            return 0
        result = train(cfg)
        print(json.dumps({k: v for k, v in result.items()}, indent=2, default=str))
        return 0
    if args.cmd == "eval":
        from model_ref.checkpoint import load_model
        from model_ref.data import TokenData
        from model_ref.evaluate import evaluate, format_results

        model, _ = load_model(args.ckpt)
        data = TokenData(args.data, vocab_size=model.cfg.vocab_size)
        res = evaluate(model, data, args.seq_len, args.batch_size, args.eval_tokens or None)
        print(json.dumps(res, indent=2) if args.json else format_results(res))
        return 0
    if args.cmd == "generate":
        from model_ref import generate as g

        kw = {
            "max_new_tokens": args.max_new_tokens,
            "temperature": args.temperature,
            "top_p": args.top_p,
            "seed": args.seed,
            "eos_id": args.eos_id,
        }
        if args.prompt_ids:
            try:
                ids = [int(t) for t in args.prompt_ids.split(",") if t.strip()]
            except ValueError as exc:
                raise ConfigError(f"--prompt-ids: {exc}") from exc
            print(",".join(map(str, g.generate_ids(args.ckpt, ids, **kw))))
        elif args.prompt is not None and args.tokenizer:
            print(args.prompt + g.generate_text(args.ckpt, args.tokenizer, args.prompt, **kw))
        else:
            raise ConfigError("give --prompt with --tokenizer, or --prompt-ids")
        return 0
    if args.cmd == "export":
        from model_ref.export import export_hf

        out = export_hf(args.ckpt, args.out, args.tokenizer, args.dtype, args.eos_id, args.bos_id)
        print(f"wrote Hugging Face Llama model to {out}")
        return 0
    raise ConfigError(f"unknown command {args.cmd}")
