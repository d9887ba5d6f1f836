"""Export: transformers loads the directory offline and gives identical ids; the chat template works."""

from __future__ import annotations

import json
import os

import pytest

from tokenizer_training.export import load_tokenizer
from tokenizer_training.train_bpe import ASSISTANT, BOS, END_OF_TURN, EOS, PAD, USER

TEXTS = ["今天北京的天气很好，我们一起去公园散步吧。", "Shares closed higher on Monday.\n\n  indented\tline",
         "混合 text 与 numbers 12345，还有 emoji 👨‍👩‍👧", "", "a\x00b", f"with {EOS} inside"]


@pytest.fixture(scope="module")
def hf(trained):
    transformers = pytest.importorskip("transformers")
    return transformers.AutoTokenizer.from_pretrained(trained, local_files_only=True)


def test_files_written(trained):
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "training_meta.json"):
        assert os.path.exists(os.path.join(trained, name)), name
    cfg = json.load(open(os.path.join(trained, "tokenizer_config.json"), encoding="utf-8"))
    assert (cfg["bos_token"], cfg["eos_token"], cfg["pad_token"]) == (BOS, EOS, PAD)
    assert "chat_template" in cfg


@pytest.mark.parametrize("text", TEXTS)
def test_transformers_gives_identical_ids(trained, hf, text):
    tok = load_tokenizer(trained)
    ours = tok.encode(text, add_special_tokens=False).ids
    assert hf(text, add_special_tokens=False)["input_ids"] == ours
    assert hf(text)["input_ids"] == ours  # no BOS/EOS added by default either
    assert hf.decode(ours) == text


def test_special_token_ids(trained, hf):
    tok = load_tokenizer(trained)
    assert hf.eos_token_id == tok.token_to_id(EOS) == 0
    assert hf.bos_token_id == tok.token_to_id(BOS) and hf.pad_token_id == tok.token_to_id(PAD)
    assert len(hf) == tok.get_vocab_size() == 2048


def test_chat_template(hf):
    msgs = [{"role": "system", "content": "你是助手。"}, {"role": "user", "content": "你好"}]
    text = hf.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
    assert text == f"{BOS}<|system|>\n你是助手。{END_OF_TURN}\n{USER}\n你好{END_OF_TURN}\n{ASSISTANT}\n"
    ids = hf.apply_chat_template(msgs, tokenize=True, add_generation_prompt=True)
    ids = ids["input_ids"] if isinstance(ids, dict) or hasattr(ids, "keys") else ids
    assert ids[0] == hf.bos_token_id and hf.convert_tokens_to_ids(USER) in ids
