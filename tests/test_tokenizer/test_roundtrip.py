"""Bad and unusual input: encode and decode without error, exact round trip for valid Unicode."""

from __future__ import annotations

import pytest

from tokenizer_training.corpus import valid_unicode
from tokenizer_training.evaluate import han_split_counts
from tokenizer_training.export import load_tokenizer

CASES = {
    "empty": "",
    "nul": "a\x00b\x00\x00",
    "only-whitespace": " \t\r\n\u3000\u00a0  ",
    "emoji-zwj": "家庭👨‍👩‍👧‍👦 和 🏳️‍🌈 以及 👍🏽",
    "mixed-scripts": "Hello世界Привет مرحبا שלום नमस्ते 안녕하세요 こんにちは 123４５６",
    "not-nfc": "e\u0301 caf\u00e9 ﬁ ＡＢＣ，。",  # decomposed accent, ligature, full-width: kept as is
    "rare-han": "𠀀𪚥龘齉 鱻",  # CJK extension B and rare characters: byte tokens, still exact
    "control": "\x01\x07\x1b[31mred\x1b[0m\ufeff",
    "long-number": "3.14159265358979323846264338327950288419716939937510",
}


@pytest.mark.parametrize("text", CASES.values(), ids=CASES.keys())
def test_exact_roundtrip(trained, text):
    tok = load_tokenizer(trained)
    ids = tok.encode(text, add_special_tokens=False).ids
    assert tok.decode(ids, skip_special_tokens=False) == text
    assert all(0 <= i < 2048 for i in ids)


@pytest.mark.parametrize("ch", ["a", "好", " ", "\n", "😀"], ids=["latin", "han", "space", "newline", "emoji"])
def test_one_megabyte_of_one_character(trained, ch):
    """A 1 MB run (one pre-token) is encoded exactly as the tokenizer encodes a short one: nothing is
    truncated, chunked or dropped on the way.

    The fixture's training text never has two of these characters in a row, so no learned merge joins two
    copies; the `ch * 2` line checks that on the tokenizer itself. BPE then only ever merges inside a copy,
    every copy the same way, so the run must encode as the character's own encoding repeated n times
    (e.g. 333,333 tokens for 好, which has a token of its own; 4 byte tokens per never-seen emoji).
    """
    tok = load_tokenizer(trained)
    one = tok.encode(ch, add_special_tokens=False).ids
    assert tok.encode(ch * 2, add_special_tokens=False).ids == one * 2, "a merge joins two copies"
    n = 1_000_000 // len(ch.encode())
    text = ch * n
    ids = tok.encode(text, add_special_tokens=False).ids
    assert len(ids) == n * len(one), (len(ids), n, one)
    same = ids == one * n  # (not asserted directly: a failing 1M-element comparison would be diffed)
    assert same, next(i for i, (a, b) in enumerate(zip(ids, one * n)) if a != b)
    assert tok.decode(ids) == text


def test_lone_surrogate_is_replaced_then_encoded(trained):
    tok = load_tokenizer(trained)
    text, n = valid_unicode("前\ud800后")
    assert n == 1
    assert tok.decode(tok.encode(text).ids) == "前\ufffd后"


def test_special_token_text_roundtrips(trained):
    tok = load_tokenizer(trained)
    text = "literal <|endoftext|> in a document"
    ids = tok.encode(text, add_special_tokens=False).ids
    assert tok.decode(ids, skip_special_tokens=False) == text


@pytest.mark.parametrize("pieces, expected", [
    ([b"\xe4\xbd\xa0\xe5\xa5\xbd"], (2, 0)),
    ([b"\xe4\xbd", b"\xa0", b"\xe5\xa5\xbd"], (2, 1)),
    ([b"\xe4", b"\xbd", b"\xa0"], (1, 1)),
    ([b"ab", b"c"], (0, 0)),
    ([b" \xe4\xbd\xa0", b"!"], (1, 0)),
], ids=["whole", "first-split", "three-bytes", "no-han", "with-space"])
def test_han_split_counts(pieces, expected):
    assert han_split_counts(pieces) == expected
