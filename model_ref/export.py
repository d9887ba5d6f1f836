"""Export a checkpoint as a Hugging Face Llama model directory (what transformers and vLLM load).

    curate model export --ckpt runs/tiny/ckpt --out hf/tiny --tokenizer TOKENIZER_DIR [--dtype bfloat16]

Writes OUT/config.json (`LlamaForCausalLM`, `num_key_value_heads`, `head_dim`, both the legacy `rope_theta` and
transformers 5's `rope_parameters`), OUT/model.safetensors (our parameter names already are HF's, so this is a
plain save; a tied `lm_head` is stored once), OUT/generation_config.json, and the tokenizer files copied
from the tokenizer directory (a minimal `tokenizer_config.json` is written when it has only tokenizer.json).
"""

from __future__ import annotations

import json
import logging
import os
import shutil

import torch
from safetensors.torch import save_file

from curation.errors import ConfigError
from model_ref.checkpoint import load_model, model_tensors

log = logging.getLogger(__name__)

TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "tokenizer.model",
    "vocab.json",
    "merges.txt",
)


def hf_config(cfg, bos_id: int | None, eos_id: int | None, dtype: str, pad_id: int | None = None) -> dict:
    """The LlamaConfig dict for a ModelConfig."""
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": cfg.vocab_size,
        "hidden_size": cfg.dim,
        "intermediate_size": cfg.ffn_dim,
        "num_hidden_layers": cfg.n_layers,
        "num_attention_heads": cfg.n_heads,
        "num_key_value_heads": cfg.n_kv_heads,
        "head_dim": cfg.head_dim,
        "hidden_act": "silu",
        "max_position_embeddings": cfg.max_seq_len,
        "rms_norm_eps": cfg.norm_eps,
        "rope_theta": cfg.rope_theta,  # transformers < 5 and vLLM read this
        "rope_parameters": {"rope_type": "default", "rope_theta": cfg.rope_theta},  # transformers >= 5
        "rope_scaling": None,
        "attention_bias": False,
        "attention_dropout": 0.0,
        "mlp_bias": False,
        "tie_word_embeddings": cfg.tie_embeddings,
        "initializer_range": cfg.init_std,
        "bos_token_id": bos_id,
        "eos_token_id": eos_id,
        "pad_token_id": pad_id,
        "use_cache": True,
        "torch_dtype": dtype,
        "dtype": dtype,
    }


def hf_llama(cfg, **config_overrides):
    """A `transformers.LlamaForCausalLM` with the same shape as `cfg` (built from `hf_config`, the dict the
    export writes), for parity tests and side-by-side benchmarks."""
    from transformers import LlamaConfig, LlamaForCausalLM

    values = hf_config(cfg, bos_id=None, eos_id=None, dtype="float32")
    for key in ("architectures", "model_type", "torch_dtype", "dtype"):
        values.pop(key)
    values.update(config_overrides)
    return LlamaForCausalLM(LlamaConfig(**values))


def _special_ids(info: dict) -> tuple[int | None, int | None, int | None]:
    """bos / eos / pad ids from the training data's meta.json (None when it is gone)."""
    data_dir = (info.get("train") or {}).get("data")
    meta_path = os.path.join(data_dir, "meta.json") if data_dir else None
    if meta_path and os.path.exists(meta_path):
        with open(meta_path, encoding="utf-8") as f:
            meta = json.load(f)
        return meta.get("bos_id"), meta.get("eos_id"), meta.get("pad_id")
    return None, None, None


def _tokenizer_special_ids(tokenizer_dir: str | None) -> tuple[int | None, int | None, int | None]:
    """bos / eos / pad ids named by the tokenizer directory's special_tokens_map.json (None when absent)."""
    if not tokenizer_dir:
        return None, None, None
    names_path, tok_path = (os.path.join(tokenizer_dir, n) for n in ("special_tokens_map.json", "tokenizer.json"))
    if not (os.path.exists(names_path) and os.path.exists(tok_path)):
        return None, None, None
    from tokenizers import Tokenizer

    names = json.load(open(names_path, encoding="utf-8"))
    tok = Tokenizer.from_file(tok_path)

    def one(key):
        name = names.get(key)
        name = name.get("content") if isinstance(name, dict) else name
        return tok.token_to_id(name) if isinstance(name, str) else None

    return one("bos_token"), one("eos_token"), one("pad_token")


def export_hf(
    ckpt: str,
    out: str,
    tokenizer_dir: str | None = None,
    dtype: str = "float32",
    eos_id: int | None = None,
    bos_id: int | None = None,
) -> str:
    """Write a Hugging Face Llama directory for checkpoint `ckpt`. Returns out."""
    if dtype not in ("float32", "bfloat16", "float16"):
        raise ConfigError(f"--dtype must be float32, bfloat16 or float16, got {dtype!r}")
    model, info = load_model(ckpt)
    if tokenizer_dir and not os.path.isdir(tokenizer_dir):
        raise ConfigError(f"{tokenizer_dir}: tokenizer directory not found")
    # The training data's meta.json first, then the tokenizer's own special tokens (the data may have moved).
    meta_bos, meta_eos, pad_id = _special_ids(info)
    tok_bos, tok_eos, tok_pad = _tokenizer_special_ids(tokenizer_dir)
    bos_id = next((v for v in (bos_id, meta_bos, tok_bos) if v is not None), None)
    eos_id = next((v for v in (eos_id, meta_eos, tok_eos) if v is not None), None)
    pad_id = pad_id if pad_id is not None else tok_pad
    if eos_id is None:
        log.warning("export %s: no EOS id (training data meta.json not found at %s, no --tokenizer, no --eos-id): "
                    "generation in transformers / vLLM will not stop on its own",
                    out, (info.get("train") or {}).get("data"))
    os.makedirs(out, exist_ok=True)

    tensors = {k: v.to(getattr(torch, dtype)) for k, v in model_tensors(model).items()}
    save_file(tensors, os.path.join(out, "model.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(out, "config.json"), "w", encoding="utf-8") as f:
        json.dump(hf_config(model.cfg, bos_id, eos_id, dtype, pad_id), f, indent=2)
    gen = {
        "bos_token_id": bos_id,
        "eos_token_id": eos_id,
        "pad_token_id": pad_id,
        "do_sample": True,
        "temperature": 0.8,
        "top_p": 0.95,
    }  # no max_length: transformers warns when a caller's max_new_tokens meets it; config.json has the limit
    with open(os.path.join(out, "generation_config.json"), "w", encoding="utf-8") as f:
        json.dump({k: v for k, v in gen.items() if v is not None}, f, indent=2)

    if tokenizer_dir:
        copied = [name for name in TOKENIZER_FILES if os.path.exists(os.path.join(tokenizer_dir, name))]
        if "tokenizer.json" not in copied and "tokenizer.model" not in copied:
            raise ConfigError(f"{tokenizer_dir}: no tokenizer.json or tokenizer.model to export")
        for name in copied:
            shutil.copy2(os.path.join(tokenizer_dir, name), os.path.join(out, name))
        if "tokenizer_config.json" not in copied:
            with open(os.path.join(out, "tokenizer_config.json"), "w", encoding="utf-8") as f:
                json.dump(
                    _tokenizer_config(os.path.join(out, "tokenizer.json"), bos_id, eos_id, model.cfg),
                    f,
                    indent=2,
                    ensure_ascii=False,
                )
    return out


def _tokenizer_config(tokenizer_json: str, bos_id, eos_id, cfg) -> dict:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(tokenizer_json)
    conf = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": cfg.max_seq_len,
        "clean_up_tokenization_spaces": False,
    }
    if eos_id is not None and tok.id_to_token(eos_id) is not None:
        conf["eos_token"] = tok.id_to_token(eos_id)
    if bos_id is not None and tok.id_to_token(bos_id) is not None:
        conf["bos_token"] = tok.id_to_token(bos_id)
    return conf
