"""Reference tokenizers behind one small interface, for side-by-side evaluation.

Every adapter gives `encode(text) -> ids`, `decode(ids) -> text` and `token_bytes(ids) -> [bytes]` (the
bytes each token stands for, used to count Han characters split across tokens). The files live in
../shared/ref_tokenizers (its README.md says where each comes from); they are measurement references
only and are never copied into the repo. Loading follows that README:

- SentencePiece models (LLaMA-2, ChatGLM2, Baichuan): byte-fallback pieces `<0xE4>` are single bytes,
  `▁` is a space.
- tiktoken ranks (Qwen, cl100k) with their split regex.
- HF `tokenizers` JSON (LLaMA-3 gzipped, DeepSeek, Falcon) and GPT-2 vocab + merges: byte-level BPE.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Callable

from tokenizers import Tokenizer, decoders, models, pre_tokenizers

REF_DIR = os.environ.get(
    "QINGLIU_REF_TOKENIZERS",
    os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "shared", "ref_tokenizers"),
)

QWEN_PAT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|"
            r"\s+(?!\S)|\s+")
CL100K_PAT = (r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*|"""
              r"""\s*[\r\n]|\s+(?!\S)|\s+""")


def byte_decoder() -> dict[str, int]:
    """GPT-2's printable-character -> byte map (the inverse of `bytes_to_unicode`)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


class HFByteLevel:
    """A byte-level `tokenizers.Tokenizer` (ours, LLaMA-3, DeepSeek, Falcon, GPT-2)."""

    def __init__(self, name: str, tok: Tokenizer):
        self.name, self.tok = name, tok
        self.vocab_size = tok.get_vocab_size()
        self._bd = byte_decoder()
        self._cache: dict[int, bytes] = {}

    def encode(self, text: str) -> list[int]:
        return self.tok.encode(text, add_special_tokens=False).ids

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        return [e.ids for e in self.tok.encode_batch(texts, add_special_tokens=False)]

    def decode(self, ids: list[int]) -> str:
        return self.tok.decode(ids, skip_special_tokens=False)

    def piece_bytes(self, i: int) -> bytes:
        b = self._cache.get(i)
        if b is None:
            tok = self.tok.id_to_token(i) or ""
            try:
                b = bytes(self._bd[c] for c in tok)
            except KeyError:  # an added (special) token is stored as plain text
                b = tok.encode("utf-8")
            self._cache[i] = b
        return b

    def token_bytes(self, ids: list[int]) -> list[bytes]:
        return [self.piece_bytes(i) for i in ids]


class SentencePieceRef:
    """A SentencePiece model (byte fallback pieces map to single bytes)."""

    def __init__(self, name: str, path: str):
        import sentencepiece as spm

        self.name = name
        self.sp = spm.SentencePieceProcessor(model_file=path)
        self.vocab_size = self.sp.get_piece_size()
        self._cache: dict[int, bytes] = {}

    def encode(self, text: str) -> list[int]:
        return self.sp.encode(text)

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        return self.sp.encode(texts)

    def decode(self, ids: list[int]) -> str:
        return self.sp.decode(ids)

    def piece_bytes(self, i: int) -> bytes:
        b = self._cache.get(i)
        if b is None:
            piece = self.sp.id_to_piece(i)
            if self.sp.is_byte(i):
                b = bytes([int(piece[3:5], 16)])
            elif self.sp.is_control(i) or self.sp.is_unknown(i):
                b = b""
            else:
                b = piece.replace("\u2581", " ").encode("utf-8")
            self._cache[i] = b
        return b

    def token_bytes(self, ids: list[int]) -> list[bytes]:
        return [self.piece_bytes(i) for i in ids]


class TiktokenRef:
    """A tiktoken BPE-ranks file with its split regex."""

    def __init__(self, name: str, path: str, pat: str):
        import tiktoken
        from tiktoken.load import load_tiktoken_bpe

        self.name = name
        ranks = load_tiktoken_bpe(path)
        self.enc = tiktoken.Encoding(name=name, pat_str=pat, mergeable_ranks=ranks, special_tokens={})
        self.vocab_size = len(ranks)

    def encode(self, text: str) -> list[int]:
        return self.enc.encode_ordinary(text)

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        return self.enc.encode_ordinary_batch(texts)

    def decode(self, ids: list[int]) -> str:
        return self.enc.decode(ids)

    def piece_bytes(self, i: int) -> bytes:
        return self.enc.decode_single_token_bytes(i)

    def token_bytes(self, ids: list[int]) -> list[bytes]:
        return [self.enc.decode_single_token_bytes(i) for i in ids]


def _gpt2(d: str) -> HFByteLevel:
    vocab = json.load(open(os.path.join(d, "encoder.json"), encoding="utf-8"))
    with open(os.path.join(d, "vocab.bpe"), encoding="utf-8") as f:
        merges = [tuple(line.split()) for line in f.read().split("\n")[1:] if line.strip()]
    tok = Tokenizer(models.BPE(vocab, merges))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    return HFByteLevel("gpt2", tok)


# name -> (file inside REF_DIR, loader). Order = column order in reports.
REFERENCES: dict[str, tuple[str, Callable]] = {
    "chatglm2": ("chatglm2-6b/tokenizer.model", lambda p: SentencePieceRef("chatglm2", p)),
    "baichuan-7b": ("baichuan-7b/tokenizer.model", lambda p: SentencePieceRef("baichuan-7b", p)),
    "baichuan2": ("baichuan2-7b/tokenizer.model", lambda p: SentencePieceRef("baichuan2", p)),
    "qwen": ("qwen/qwen.tiktoken", lambda p: TiktokenRef("qwen", p, QWEN_PAT)),
    "llama2": ("llama2/tokenizer.model", lambda p: SentencePieceRef("llama2", p)),
    "llama3": ("llama3/tokenizer.json.gz",
               lambda p: HFByteLevel("llama3", Tokenizer.from_str(gzip.open(p, "rt", encoding="utf-8").read()))),
    "deepseek-llm": ("deepseek-llm/tokenizer.json", lambda p: HFByteLevel("deepseek-llm", Tokenizer.from_file(p))),
    "falcon": ("falcon/tokenizer.json", lambda p: HFByteLevel("falcon", Tokenizer.from_file(p))),
    "cl100k": ("cl100k_base/cl100k_base.tiktoken", lambda p: TiktokenRef("cl100k", p, CL100K_PAT)),
    "gpt2": ("gpt2/encoder.json", lambda p: _gpt2(os.path.dirname(p))),
}
DEFAULT_REFERENCES = ("chatglm2", "baichuan-7b", "qwen", "llama2", "llama3", "deepseek-llm")


def available_references(names: list[str] | tuple[str, ...] = DEFAULT_REFERENCES, ref_dir: str = REF_DIR) -> list[str]:
    """The names whose files exist under `ref_dir`."""
    return [n for n in names if n in REFERENCES and os.path.exists(os.path.join(ref_dir, REFERENCES[n][0]))]


def load_reference(name: str, ref_dir: str = REF_DIR):
    """Load one reference tokenizer by name (KeyError for an unknown name, OSError if missing)."""
    rel, loader = REFERENCES[name]
    path = os.path.join(ref_dir, rel)
    if not os.path.exists(path):
        raise FileNotFoundError(f"reference tokenizer {name!r} not found at {path}")
    return loader(path)
