"""Hugging Face export: transformers loads the directory offline and gives the same logits; CLI commands."""

from __future__ import annotations

import json
import os

import pytest
import torch

from curation.cli import main as curate
from model_ref.checkpoint import load_model
from model_ref.export import export_hf


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory):
    """A byte-level BPE tokenizer.json with <|endoftext|> = id 0 and fewer than 512 tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400, special_tokens=["<|endoftext|>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator(
        ["清流是一个中文数据引擎。", "The quick brown fox jumps over the lazy dog."] * 50, trainer
    )
    out = tmp_path_factory.mktemp("tok")
    tok.save(str(out / "tokenizer.json"))
    return str(out)


def test_export_loads_in_transformers_with_same_logits(tiny_ckpt, tokenizer_dir, tmp_path, monkeypatch):
    from transformers import AutoTokenizer, LlamaForCausalLM

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    out = export_hf(tiny_ckpt, str(tmp_path / "hf"), tokenizer_dir)
    files = set(os.listdir(out))
    assert {
        "config.json",
        "model.safetensors",
        "generation_config.json",
        "tokenizer.json",
        "tokenizer_config.json",
    } <= files
    conf = json.loads((tmp_path / "hf" / "config.json").read_text())
    assert conf["architectures"] == ["LlamaForCausalLM"] and conf["num_key_value_heads"] == 1
    assert conf["rope_theta"] == conf["rope_parameters"]["rope_theta"] == 10000.0
    assert conf["eos_token_id"] == 0  # from the training data's meta.json

    hf = LlamaForCausalLM.from_pretrained(out).eval()
    ours, _ = load_model(tiny_ckpt)
    x = torch.randint(0, ours.cfg.vocab_size, (2, 33))
    with torch.no_grad():
        delta = (hf(x).logits - ours(x)[0]).abs().max().item()
    assert delta <= 1e-4
    assert hf.lm_head.weight.data_ptr() == hf.model.embed_tokens.weight.data_ptr()  # still tied

    tok = AutoTokenizer.from_pretrained(out)
    assert tok.eos_token == "<|endoftext|>"
    assert tok.decode(tok("清流 data")["input_ids"]) == "清流 data"


def test_export_bfloat16_and_missing_tokenizer_dir(tiny_ckpt, tmp_path):
    from safetensors import safe_open

    out = export_hf(tiny_ckpt, str(tmp_path / "bf16"), dtype="bfloat16")
    with safe_open(os.path.join(out, "model.safetensors"), "pt") as f:
        assert "lm_head.weight" not in f.keys()
        assert f.get_tensor("model.norm.weight").dtype == torch.bfloat16
    assert (
        curate(
            [
                "model",
                "export",
                "--ckpt",
                tiny_ckpt,
                "--out",
                str(tmp_path / "x"),
                "--tokenizer",
                str(tmp_path / "nope"),
            ]
        )
        == 2
    )


def test_cli_info_eval_generate(tiny_ckpt, token_dir, tokenizer_dir, capsys):
    assert curate(["model", "info", "--preset", "7b-mqa"]) == 0
    assert "7,080,251,392" in capsys.readouterr().out
    assert (
        curate(["model", "eval", "--ckpt", tiny_ckpt, "--data", token_dir, "--seq-len", "32", "--json"]) == 0
    )
    res = json.loads(capsys.readouterr().out)
    assert set(res) == {"zh", "en"} and res["zh"]["tokens"] > 0
    assert (
        curate(
            [
                "model",
                "generate",
                "--ckpt",
                tiny_ckpt,
                "--prompt-ids",
                "5,6,7",
                "--temperature",
                "0",
                "--max-new-tokens",
                "4",
            ]
        )
        == 0
    )
    ids = [int(t) for t in capsys.readouterr().out.strip().split(",")]
    assert ids[:3] == [5, 6, 7] and len(ids) == 7
    assert (
        curate(
            [
                "model",
                "generate",
                "--ckpt",
                tiny_ckpt,
                "--tokenizer",
                tokenizer_dir,
                "--prompt",
                "清流",
                "--max-new-tokens",
                "3",
                "--seed",
                "1",
            ]
        )
        == 0
    )
    assert capsys.readouterr().out.startswith("清流")


def test_cli_errors_exit_2_naming_the_file(token_dir, tmp_path, capsys):
    assert curate(["model", "eval", "--ckpt", str(tmp_path), "--data", token_dir]) == 2
    assert "config.json: not found" in capsys.readouterr().err
    assert curate(["model", "train", "--data", str(tmp_path), "--out", str(tmp_path / "r")]) == 2
    assert "meta.json: not found" in capsys.readouterr().err
    assert (
        curate(
            [
                "model",
                "train",
                "--data",
                token_dir,
                "--out",
                str(tmp_path / "r"),
                "--dry-run",
                "--model",
                "dim=64",
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)["model_overrides"] == {"dim": 64}


def test_export_takes_eos_from_the_tokenizer_when_the_data_is_gone(tiny_ckpt, tokenizer_dir, tmp_path, monkeypatch,
                                                                     caplog):
    """The checkpoint names its training data by path; when that meta.json is gone, the tokenizer's own
    special_tokens_map.json gives the ids, and with neither the export says so."""
    import shutil

    from model_ref import export

    monkeypatch.setattr(export, "_special_ids", lambda info: (None, None, None))
    tok = tmp_path / "tok"
    shutil.copytree(tokenizer_dir, tok)
    (tok / "special_tokens_map.json").write_text(json.dumps({"eos_token": "<|endoftext|>"}), encoding="utf-8")
    out = export_hf(tiny_ckpt, str(tmp_path / "hf"), str(tok))
    assert json.load(open(os.path.join(out, "config.json")))["eos_token_id"] == 0
    assert json.load(open(os.path.join(out, "generation_config.json")))["eos_token_id"] == 0
    out = export_hf(tiny_ckpt, str(tmp_path / "hf2"))
    assert json.load(open(os.path.join(out, "config.json")))["eos_token_id"] is None
    assert "no EOS id" in caplog.text
