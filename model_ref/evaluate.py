"""Validation loss and bits per character, per language.

    curate model eval --ckpt runs/tiny/ckpt --data DATA_DIR [--eval-tokens 65536]

Loss is the mean next-token cross-entropy (nats) over consecutive windows of each `val_<lang>` split.
Bits per character = loss * tokens / chars / ln 2 with the split's token and character counts from
meta.json. Unlike loss per token, it does not depend on the tokenizer, so runs with different vocabularies
(or a reference tokenizer) can be compared.
"""

from __future__ import annotations

import contextlib
import logging
import math

import torch

from model_ref.data import TokenData, bits_per_char, eval_batches, unigram_entropy
from model_ref.model import ReferenceLM

log = logging.getLogger(__name__)


@torch.no_grad()
def evaluate(
    model: ReferenceLM,
    data: TokenData,
    seq_len: int,
    batch_size: int = 16,
    max_tokens: int | None = 65536,
    device: str = "cpu",
) -> dict[str, dict]:
    """Per validation language: {"loss", "bpc", "ppl", "tokens", "unigram_entropy"}.

    Args:
        model: the model (put in eval mode here).
        data: opened token shards.
        seq_len: window length (context per prediction is at most this).
        batch_size: windows per forward pass.
        max_tokens: evaluate at most this many target tokens per split (None: all).
        device: where the model lives.
    """
    model.eval()
    autocast = (
        torch.autocast("cuda", dtype=torch.bfloat16)
        if device.startswith("cuda")
        else contextlib.nullcontext()
    )
    out = {}
    for lang, split in data.val.items():
        # Summed on the device in float64 (as the Python float sum was) and read once per split below:
        # a .item() per batch would make the host wait for the GPU after every forward pass.
        total = torch.zeros((), dtype=torch.float64, device=device)
        n = 0
        for x, y in eval_batches(split, batch_size, min(seq_len, model.cfg.max_seq_len), max_tokens):
            with autocast:
                _, loss = model(x.to(device), y.to(device))
            total += loss.double() * y.numel()
            n += y.numel()
        if n == 0:  # a split shorter than one window, or max_tokens 0: said, not divided by zero
            log.warning("val split %s: no window of %d tokens to evaluate (%d tokens, max_tokens %s); skipped",
                        lang, seq_len, len(split.tokens), max_tokens)
            continue
        mean = total.item() / n
        out[lang] = {
            "loss": mean,
            "bpc": bits_per_char(mean, split),
            "ppl": math.exp(min(mean, 50.0)),
            "tokens": n,
            "unigram_entropy": _unigram_entropy(split, data.vocab_size),
        }
    return out


_ENTROPY: dict[tuple[str, int, int], float] = {}


def _unigram_entropy(split, vocab_size: int) -> float:
    """Unigram entropy of a validation split, computed once per (file, size) and not at every evaluation."""
    key = (split.path, len(split.tokens), vocab_size)
    if key not in _ENTROPY:
        _ENTROPY[key] = unigram_entropy(split.tokens, vocab_size)
    return _ENTROPY[key]


def format_results(results: dict[str, dict]) -> str:
    lines = [f"{'lang':<10} {'loss':>8} {'bpc':>8} {'ppl':>10} {'unigram H':>10} {'tokens':>10}"]
    for lang, r in results.items():
        bpc = f"{r['bpc']:.4f}" if r["bpc"] is not None else "-"
        lines.append(
            f"{lang:<10} {r['loss']:>8.4f} {bpc:>8} {r['ppl']:>10.2f} {r['unigram_entropy']:>10.4f} "
            f"{r['tokens']:>10,}"
        )
    return "\n".join(lines)
