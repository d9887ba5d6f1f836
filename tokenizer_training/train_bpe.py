"""Train the byte-level BPE: exactly `vocab_size` (default 65,536) entries, special tokens included.

Design (docs/tokenizer.md has the long form):

- No normalizer, byte-level model, byte-level decoder: every string round-trips exactly and nothing is
  ever unknown (the 256 byte tokens are always in the vocabulary).
- Pre-tokenizer = the Qwen2 split regex (Han runs stay one pre-token, digits are split one by one),
  then `ByteLevel(use_regex=False)`. The regex is copied character for character from Qwen2's
  tokenizer.json, so llama.cpp can run this tokenizer with its `qwen2` pre-tokenizer at GGUF export;
  changing one character here would silently break that.
- `max_token_length=32`: no token is longer than 32 bytes (the ByteLevel alphabet maps one byte to one
  character), because llama-cpp-python's detokenizer reads at most 32 bytes per token.
- 65,536 = 2**16: every id fits uint16 (the token shard dtype) and it is a multiple of 64.

    from tokenizer_training.train_bpe import train_tokenizer
    tok, report = train_tokenizer(texts, vocab_size=65536)
"""

from __future__ import annotations

import itertools
import logging
import resource
import time
from collections import Counter
from collections.abc import Iterable, Iterator

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

from curation.errors import ConfigError
from curation.text.normalize import is_han
from tokenizer_training.coverage import ensure_han_coverage
from tokenizer_training.lexicon import prior_texts

log = logging.getLogger(__name__)

DEFAULT_VOCAB_SIZE = 65536  # 2**16: ids fit uint16 exactly (STYLE.md P11)
MAX_TOKEN_BYTES = 32  # llama-cpp-python detokenizes at most 32 bytes per token
MIN_FREQUENCY = 2  # a pair seen once is noise, never a merge
# Han characters seen at least this often get their own token (coverage.py). 2 was measured on the bench
# (docs/bench_tokenizer.md): Han byte split on out-of-domain zh 0.82 % -> 0.15 %, zh compression unchanged.
HAN_MIN_COUNT = 2

# Qwen2 / Qwen1 pre-tokenizer regex, verbatim (llama.cpp LLAMA_VOCAB_PRE_TYPE_QWEN2). \p{L}+ keeps a Han
# run together (Chinese has no spaces, so BPE learns words inside it); \p{N} alone splits digits one by one.
SPLIT_REGEX = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)

# Special tokens take ids 0..len-1 in this order (the trainer puts them first). The shard format and
# the chat template depend on these names; add new ones at the end only.
EOS, BOS, PAD = "<|endoftext|>", "<|begin_of_text|>", "<|pad|>"
SYSTEM, USER, ASSISTANT, END_OF_TURN = "<|system|>", "<|user|>", "<|assistant|>", "<|end_of_turn|>"
SPECIAL_TOKENS = [EOS, BOS, PAD, SYSTEM, USER, ASSISTANT, END_OF_TURN]


def new_tokenizer() -> Tokenizer:
    """An untrained tokenizer with the project's pre-tokenizer and decoder (no normalizer)."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(SPLIT_REGEX), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    return tok


def han_counts_of(chars: Counter) -> Counter:
    """The Han characters of a character Counter."""
    return Counter({c: n for c, n in chars.items() if is_han(c)})


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports ru_maxrss in KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _Counting:
    """Wraps the text stream to count documents, UTF-8 bytes and characters as the trainer reads it."""

    def __init__(self, texts: Iterable[str]):
        self.texts, self.docs, self.bytes = texts, 0, 0
        self.chars: Counter = Counter()

    def __iter__(self) -> Iterator[str]:
        for text in self.texts:
            self.docs += 1
            self.bytes += len(text.encode("utf-8", "replace"))
            self.chars.update(text)  # C-speed counting; Han characters are picked out once at the end
            yield text


def train_tokenizer(
    texts: Iterable[str], vocab_size: int = DEFAULT_VOCAB_SIZE, min_frequency: int = MIN_FREQUENCY,
    han_min_count: int | None = HAN_MIN_COUNT, lexicons: dict[str, float] | None = None,
) -> tuple[Tokenizer, dict]:
    """Train the BPE on a stream of texts.

    Args:
        texts: training documents (streamed: only pre-token counts are held in memory).
        vocab_size: total entries including special tokens and the 256 byte tokens; at most 65,536.
        min_frequency: a pair must occur this often to become a merge.
        han_min_count: every Han character seen this often gets its own token (None: off).
        lexicons: word-frequency priors, name -> size as a share of the training bytes
            (`tokenizer_training.lexicon`); fed after the text, not counted as training text.

    Returns:
        (tokenizer, report) with docs, bytes, seconds, peak_rss_mb and the final vocab size.

    Raises:
        ConfigError: bad vocab_size, or the text is too small to learn `vocab_size` entries (the error
            names the size that was reached, so a small run can pass `--vocab-size` explicitly).
    """
    if not 256 + len(SPECIAL_TOKENS) < vocab_size <= 65536:
        raise ConfigError(f"--vocab-size must be in ({256 + len(SPECIAL_TOKENS)}, 65536] to fit uint16, got {vocab_size}")
    tok = new_tokenizer()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        max_token_length=MAX_TOKEN_BYTES,
        show_progress=False,
    )
    stream = _Counting(texts)
    lexicon_stats: dict = {}

    def priors() -> Iterator[str]:  # runs after the text: its size sets the priors' size
        for name, share in sorted((lexicons or {}).items()):
            yield from prior_texts(name, share * stream.bytes, lexicon_stats)

    start = time.time()
    tok.train_from_iterator(itertools.chain(stream, priors()), trainer=trainer)
    seconds = time.time() - start
    size = tok.get_vocab_size()
    report = {
        "docs": stream.docs,
        "bytes": stream.bytes,
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "vocab_size": size,
        "requested_vocab_size": vocab_size,
        "min_frequency": min_frequency,
    }
    if lexicons:
        report["lexicons"] = {name: {"share": share, **lexicon_stats.get(name, {})}
                              for name, share in sorted(lexicons.items())}
    log.info("trained %d entries on %d docs (%.1f MB) in %.1fs, peak RSS %.0f MB",
             size, stream.docs, stream.bytes / 1e6, seconds, report["peak_rss_mb"])
    if stream.docs == 0:
        raise ConfigError("no training text: the inputs held no documents after the held-out split")
    if size < vocab_size:
        suggestion = size // 64 * 64  # a multiple of 64 the text can fill
        if suggestion <= 256 + len(SPECIAL_TOKENS):
            raise ConfigError(f"training text too small: {stream.bytes:,} bytes learned no usable vocabulary")
        raise ConfigError(
            f"training text too small: {stream.bytes / 1e6:.1f} MB gave only {size:,} of the {vocab_size:,} "
            f"requested entries (no pair left with count >= {min_frequency}). Give more text, or pass "
            f"--vocab-size {suggestion} for a small run (demo, tests)."
        )
    if han_min_count:
        tok, report["han_coverage"] = ensure_han_coverage(tok, han_counts_of(stream.chars), han_min_count)
    report["seconds"] = round(time.time() - start, 1)
    report["peak_rss_mb"] = round(peak_rss_mb(), 1)
    assert tok.get_vocab_size() == vocab_size, (tok.get_vocab_size(), vocab_size)
    return tok, report
