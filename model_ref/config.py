"""Model presets and size arithmetic.

Two shapes from the design, to plan hardware with (instantiated on the meta device, never trained here):

- `7b-mqa`: 32 layers x 4096, 32 query heads of 128 sharing ONE key/value head (multi-query attention).
  MQA shrinks the KV cache 32x; the FFN is widened to 13,824 to keep ~7B parameters (Falcon-7B does the same).
- `13b-gqa8`: 40 layers x 5120, 40 query heads of 128 in 8 key/value groups (grouped-query attention, as in
  Llama-2-70B / BlueLM-style serving); FFN 16,384 restores the parameters GQA removes: ~13.3B.

Both use the project's 65,536-token vocabulary with untied embeddings (big models untie them).
Three trainable shapes, tied embeddings, head_dim 64:

- `tiny`  (~8.8M with the 65,536 vocab, 0.4M of it outside the embedding): CPU tests, seconds per step.
- `small` (~25M): a CPU / laptop run.
- `base`  (~125M): the GPU reference (GPT-2-small sized), for the tokens/s and MFU check.

    python -m model_ref.cli info --preset 13b-gqa8
"""

from __future__ import annotations

from dataclasses import replace

import torch

from model_ref.model import ModelConfig, ReferenceLM

VOCAB = 65536  # fits uint16 token shards exactly (STYLE.md P11)

PRESETS: dict[str, ModelConfig] = {
    "tiny": ModelConfig(
        vocab_size=VOCAB,
        dim=128,
        n_layers=2,
        n_heads=2,
        n_kv_heads=1,
        head_dim=64,
        ffn_dim=384,
        max_seq_len=512,
    ),
    "small": ModelConfig(
        vocab_size=VOCAB,
        dim=256,
        n_layers=10,
        n_heads=4,
        n_kv_heads=2,
        head_dim=64,
        ffn_dim=768,
        max_seq_len=1024,
    ),
    "base": ModelConfig(
        vocab_size=VOCAB,
        dim=768,
        n_layers=12,
        n_heads=12,
        n_kv_heads=4,
        head_dim=64,
        ffn_dim=2048,
        max_seq_len=2048,
    ),
    "7b-mqa": ModelConfig(
        vocab_size=VOCAB,
        dim=4096,
        n_layers=32,
        n_heads=32,
        n_kv_heads=1,
        head_dim=128,
        ffn_dim=13824,
        max_seq_len=4096,
        tie_embeddings=False,
    ),
    "13b-gqa8": ModelConfig(
        vocab_size=VOCAB,
        dim=5120,
        n_layers=40,
        n_heads=40,
        n_kv_heads=8,
        head_dim=128,
        ffn_dim=16384,
        max_seq_len=4096,
        tie_embeddings=False,
    ),
}


def get_preset(name: str, **overrides) -> ModelConfig:
    """A copy of preset `name` with fields replaced, e.g. get_preset("tiny", vocab_size=512)."""
    if name not in PRESETS:
        raise KeyError(f"unknown preset {name!r}; choose from {sorted(PRESETS)}")
    return replace(PRESETS[name], **{k: v for k, v in overrides.items() if v is not None})


def meta_model(cfg: ModelConfig) -> ReferenceLM:
    """The model on the meta device: shapes and parameter counts without allocating any memory."""
    with torch.device("meta"):
        return ReferenceLM(cfg)


def size_report(cfg: ModelConfig, seq_len: int | None = None, batch_size: int = 1) -> dict:
    """Parameter count, weight memory at bf16 / int8 / int4, and the bf16 KV cache for one sequence.

    int8 / int4 are weight-only quantisation sizes (1 and 0.5 bytes per parameter, scales ignored).
    """
    model = meta_model(cfg)
    n = model.num_params()
    emb = cfg.vocab_size * cfg.dim
    seq_len = seq_len or cfg.max_seq_len
    kv = 2 * cfg.n_layers * cfg.n_kv_heads * cfg.head_dim * seq_len * batch_size * 2  # K and V, bf16
    gib = 1024**3
    return {
        "params": n,
        "params_non_embedding": n - emb * (1 if cfg.tie_embeddings else 2),
        "bf16_gib": n * 2 / gib,
        "int8_gib": n / gib,
        "int4_gib": n * 0.5 / gib,
        "kv_cache_bf16_gib": kv / gib,
        "kv_cache_seq_len": seq_len,
        "train_flops_per_token": model.flops_per_token(seq_len),
    }


def format_report(name: str, cfg: ModelConfig) -> str:
    r = size_report(cfg)
    attn = (
        "MQA"
        if cfg.n_kv_heads == 1
        else ("MHA" if cfg.n_kv_heads == cfg.n_heads else f"GQA-{cfg.n_kv_heads}")
    )
    return (
        f"{name}: {cfg.n_layers} layers x {cfg.dim}, {cfg.n_heads} heads x {cfg.head_dim} ({attn}), "
        f"ffn {cfg.ffn_dim}, vocab {cfg.vocab_size:,}, tied={cfg.tie_embeddings}\n"
        f"  params {r['params']:,} ({r['params'] / 1e9:.2f}B; non-embedding {r['params_non_embedding']:,})\n"
        f"  weights: bf16 {r['bf16_gib']:.2f} GiB | int8 {r['int8_gib']:.2f} GiB | int4 {r['int4_gib']:.2f} GiB\n"
        f"  KV cache (bf16, 1 x {r['kv_cache_seq_len']} tokens): {r['kv_cache_bf16_gib'] * 1024:.1f} MiB\n"
        f"  training FLOPs/token at T={r['kv_cache_seq_len']}: {r['train_flops_per_token'] / 1e9:.2f} GFLOP"
    )
