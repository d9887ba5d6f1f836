"""Generate text from a checkpoint with the KV cache.

    curate model generate --ckpt runs/tiny/ckpt --tokenizer TOKENIZER_DIR --prompt "清流是" --max-new-tokens 50
    curate model generate --ckpt runs/tiny/ckpt --prompt-ids 5,17,9 --temperature 0     # greedy, ids in/out

Sampling: temperature 0 = greedy; otherwise softmax at `temperature`, restricted to the top-p nucleus.
"""

from __future__ import annotations

import os

import torch

from curation.errors import ConfigError
from model_ref.checkpoint import load_model


def load_tokenizer(tokenizer_dir: str):
    """The tokenizer stage's `tokenizer.json` (HF tokenizers), from a directory or the file itself."""
    from tokenizers import Tokenizer

    path = tokenizer_dir if tokenizer_dir.endswith(".json") else os.path.join(tokenizer_dir, "tokenizer.json")
    if not os.path.exists(path):
        raise ConfigError(f"{path}: tokenizer.json not found")
    return Tokenizer.from_file(path)


def generate_ids(
    ckpt: str,
    prompt_ids: list[int],
    max_new_tokens: int = 50,
    temperature: float = 0.8,
    top_p: float = 0.95,
    seed: int = 0,
    eos_id: int | None = None,
    device: str = "cpu",
) -> list[int]:
    """Token ids of the prompt followed by the continuation (stops at eos_id)."""
    model, info = load_model(ckpt, device)
    if not prompt_ids:
        raise ConfigError("empty prompt: give --prompt text or --prompt-ids")
    bad = [i for i in prompt_ids if not 0 <= i < model.cfg.vocab_size]
    if bad:
        raise ConfigError(f"prompt ids {bad[:5]} outside the model vocabulary ({model.cfg.vocab_size})")
    gen = torch.Generator(device=device).manual_seed(seed)
    idx = torch.tensor([prompt_ids], dtype=torch.long, device=device)
    out = model.generate(
        idx, max_new_tokens, temperature=temperature, top_p=top_p, eos_id=eos_id, generator=gen
    )
    return out[0].tolist()


def generate_text(ckpt: str, tokenizer_dir: str, prompt: str, **kwargs) -> str:
    """Encode prompt, generate, decode the continuation only."""
    tok = load_tokenizer(tokenizer_dir)
    ids = tok.encode(prompt, add_special_tokens=False).ids
    out = generate_ids(ckpt, ids, **kwargs)
    return tok.decode(out[len(ids) :])
