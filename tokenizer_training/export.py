"""Write a trained tokenizer as a Hugging Face tokenizer directory and load it back.

    OUT/tokenizer.json           the `tokenizers` model (BPE, pre-tokenizer, decoder, special tokens)
    OUT/tokenizer_config.json    PreTrainedTokenizerFast config + ChatML-like chat template
    OUT/special_tokens_map.json  bos / eos / pad / chat-role tokens
    OUT/training_meta.json       how it was trained (inputs, seed, held-out fraction, report)

`transformers.AutoTokenizer.from_pretrained(OUT)` gives the same ids as `tokenizers` (tested). No
BOS/EOS is added by `encode`: documents are joined with EOS by `tokenizer_training.encode` instead.
"""

from __future__ import annotations

import json
import os

from tokenizers import Tokenizer

from tokenizer_training.train_bpe import ASSISTANT, BOS, END_OF_TURN, EOS, PAD, SPECIAL_TOKENS, SYSTEM, USER

# One turn = role token, newline, content, end-of-turn token, newline. An unknown role is an error.
CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ '" + SYSTEM + "' }}"
    "{% elif message['role'] == 'user' %}{{ '" + USER + "' }}"
    "{% elif message['role'] == 'assistant' %}{{ '" + ASSISTANT + "' }}"
    "{% else %}{{ raise_exception('unknown chat role: ' + message['role']) }}{% endif %}"
    "{{ '\\n' + message['content'] + '" + END_OF_TURN + "' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '" + ASSISTANT + "' + '\\n' }}{% endif %}"
)
ROLE_TOKENS = [SYSTEM, USER, ASSISTANT, END_OF_TURN]


def load_tokenizer(path: str) -> Tokenizer:
    """A `tokenizers.Tokenizer` from an export directory or a tokenizer.json file."""
    if os.path.isdir(path):
        path = os.path.join(path, "tokenizer.json")
    return Tokenizer.from_file(path)


def special_ids(tok: Tokenizer) -> dict[str, int]:
    """Ids of every special token, by token string."""
    return {t: tok.token_to_id(t) for t in SPECIAL_TOKENS}


def _write_json(path: str, obj: dict) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=2)
        f.write("\n")


def export_tokenizer(tok: Tokenizer, out_dir: str, training_meta: dict | None = None,
                     model_max_length: int = 4096) -> dict[str, str]:
    """Write the tokenizer directory.

    Args:
        tok: trained tokenizer (special tokens as in train_bpe.SPECIAL_TOKENS).
        out_dir: created if missing; existing files are overwritten.
        training_meta: saved as training_meta.json (inputs, seed, holdout_frac, report).
        model_max_length: the context length transformers warns beyond (the reference model's).

    Returns:
        file kind -> path.
    """
    os.makedirs(out_dir, exist_ok=True)
    paths = {name: os.path.join(out_dir, f"{name}.json")
             for name in ("tokenizer", "tokenizer_config", "special_tokens_map", "training_meta")}
    tok.save(paths["tokenizer"])
    added = {
        str(tok.token_to_id(t)): {"content": t, "lstrip": False, "rstrip": False, "normalized": False,
                                  "single_word": False, "special": True}
        for t in SPECIAL_TOKENS
    }
    _write_json(paths["tokenizer_config"], {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": BOS,
        "eos_token": EOS,
        "pad_token": PAD,
        "unk_token": None,
        "additional_special_tokens": ROLE_TOKENS,
        "added_tokens_decoder": added,
        "add_bos_token": False,
        "add_eos_token": False,
        "clean_up_tokenization_spaces": False,  # decode must give back the exact text
        "model_max_length": model_max_length,
        "chat_template": CHAT_TEMPLATE,
    })
    _write_json(paths["special_tokens_map"], {
        "bos_token": BOS, "eos_token": EOS, "pad_token": PAD, "additional_special_tokens": ROLE_TOKENS,
    })
    _write_json(paths["training_meta"], training_meta or {})
    return paths
