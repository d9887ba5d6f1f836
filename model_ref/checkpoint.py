"""Checkpoints without pickle: safetensors for tensors, JSON for everything else.

    <dir>/config.json            {"model": ModelConfig, "train": TrainConfig, "step": int, "optimizer": param_groups}
    <dir>/model.safetensors      LlamaForCausalLM-named weights (a tied lm_head is stored once, as embed_tokens)
    <dir>/optimizer.safetensors  AdamW state flattened to "state.<param index>.<exp_avg|exp_avg_sq|step>"

A checkpoint is written to `<dir>.tmp` and renamed, so a crash never leaves a half-written one behind.
Loading checks every tensor name and shape against the config and names the file on any mismatch.
"""

from __future__ import annotations

import json
import os
import shutil

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from curation.errors import ConfigError
from model_ref.model import ModelConfig, ReferenceLM


class CheckpointError(ConfigError):
    """A checkpoint cannot be used: missing, corrupt, or from a different model config."""


def model_tensors(model: ReferenceLM) -> dict[str, torch.Tensor]:
    sd = model.state_dict()
    if model.cfg.tie_embeddings:
        sd.pop("lm_head.weight")  # the same storage as model.embed_tokens.weight; HF re-ties it on load
    return {k: v.detach().contiguous().cpu() for k, v in sd.items()}


def save_checkpoint(
    path: str,
    model: ReferenceLM,
    optimizer: torch.optim.Optimizer | None,
    step: int,
    train_config: dict | None = None,
    extra: dict | None = None,
) -> str:
    """Write model + optimizer + configs to `path` atomically. Returns path."""
    model = getattr(model, "_orig_mod", model)  # unwrap torch.compile
    tmp = path.rstrip("/") + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    save_file(model_tensors(model), os.path.join(tmp, "model.safetensors"), metadata={"format": "pt"})
    info = {"model": model.cfg.to_dict(), "train": train_config or {}, "step": step, **(extra or {})}
    if optimizer is not None:
        osd = optimizer.state_dict()
        flat = {
            f"state.{i}.{k}": v.contiguous().cpu()
            for i, st in osd["state"].items()
            for k, v in st.items()
            if torch.is_tensor(v)
        }
        save_file(flat, os.path.join(tmp, "optimizer.safetensors"))
        info["optimizer"] = osd["param_groups"]
    with open(os.path.join(tmp, "config.json"), "w", encoding="utf-8") as f:  # written last: marks tmp complete
        json.dump(info, f, indent=2)
    old = path.rstrip("/") + ".old"
    shutil.rmtree(old, ignore_errors=True)
    if os.path.exists(path):
        os.replace(path, old)  # a crash from here on leaves a complete checkpoint in .old or .tmp (`recover`)
    os.replace(tmp, path)
    shutil.rmtree(old, ignore_errors=True)
    return path


def recover(path: str) -> None:
    """After a crash inside `save_checkpoint`: put the newest complete checkpoint back at `path`."""
    if os.path.exists(os.path.join(path, "config.json")):
        return
    for side in (".tmp", ".old"):  # .tmp holds config.json only once it is complete, and is newer
        cand = path.rstrip("/") + side
        if os.path.exists(os.path.join(cand, "config.json")):
            shutil.rmtree(path, ignore_errors=True)
            os.replace(cand, path)
            return


def resolve(path: str) -> str:
    """A checkpoint directory, or a run directory holding one in ckpt/."""
    recover(path)
    recover(os.path.join(path, "ckpt"))
    if not os.path.exists(os.path.join(path, "config.json")) and os.path.exists(
        os.path.join(path, "ckpt", "config.json")
    ):
        return os.path.join(path, "ckpt")
    return path


def read_info(path: str) -> dict:
    cfg_path = os.path.join(path, "config.json")
    if not os.path.exists(cfg_path):
        raise CheckpointError(f"{cfg_path}: not found (not a model_ref checkpoint directory?)")
    try:
        with open(cfg_path, encoding="utf-8") as f:
            info = json.load(f)
        info["model"] = ModelConfig.from_dict(info["model"])
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{cfg_path}: unreadable checkpoint config ({exc})") from exc
    return info


def _load_tensors(file: str) -> dict[str, torch.Tensor]:
    if not os.path.exists(file):
        raise CheckpointError(f"{file}: not found")
    try:
        return load_file(file)  # safetensors: no code execution, unlike torch.load on a pickle
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{file}: corrupt or not a safetensors file ({exc})") from exc


def load_weights(model: ReferenceLM, file: str) -> None:
    """Load model.safetensors into model, checking names and shapes. Raises CheckpointError naming file."""
    tensors = _load_tensors(file)
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    if model.cfg.tie_embeddings:
        expected.pop("lm_head.weight")
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    wrong = [
        f"{k}: file {tuple(v.shape)} vs model {expected[k]}"
        for k, v in tensors.items()
        if k in expected and tuple(v.shape) != expected[k]
    ]
    if missing or unexpected or wrong:
        raise CheckpointError(
            f"{file}: weights do not fit this model config (a checkpoint from a different config?): "
            f"missing {missing[:3]}, unexpected {unexpected[:3]}, shape mismatch {wrong[:3]}"
        )
    model.load_state_dict(tensors, strict=False)


def load_model(path: str, device: str = "cpu") -> tuple[ReferenceLM, dict]:
    """Model from a checkpoint directory. Returns (model in eval mode, info dict from config.json)."""
    path = resolve(path)
    info = read_info(path)
    model = ReferenceLM(info["model"])
    load_weights(model, os.path.join(path, "model.safetensors"))
    return model.to(device).eval(), info


def load_optimizer(optimizer: torch.optim.Optimizer, path: str, info: dict) -> None:
    """Restore AdamW state saved by save_checkpoint (same parameter order)."""
    file = os.path.join(path, "optimizer.safetensors")
    flat = _load_tensors(file)
    state: dict[int, dict] = {}
    for key, value in flat.items():
        _, idx, name = key.split(".", 2)
        state.setdefault(int(idx), {})[name] = value
    groups = info.get("optimizer")
    if groups is None:
        raise CheckpointError(f"{os.path.join(path, 'config.json')}: no optimizer param_groups")
    n_params = sum(len(g["params"]) for g in optimizer.param_groups)
    if sum(len(g["params"]) for g in groups) != n_params:
        raise CheckpointError(f"{file}: optimizer state for a different number of parameters")
    try:
        optimizer.load_state_dict({"state": state, "param_groups": groups})
    except (ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{file}: optimizer state does not fit this model ({exc})") from exc
