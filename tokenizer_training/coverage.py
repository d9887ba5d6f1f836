"""Han character coverage: every Han character seen often enough in training gets a token of its own.

Byte-level BPE learns a character only when its byte pairs are frequent enough to win a merge, so
rarer characters (names, classical text) stay split into 2-3 byte tokens: the model never sees them as
characters and they cost 3 tokens. SentencePiece solves this with `character_coverage`; we do the same
after training. For every Han character with count >= `min_count` whose token is missing, the merges
that finish it from where BPE stops on its bytes (`b1 b2 -> b1b2`, `b1b2 b3 -> char`, or `b1 + b2b3` when
BPE made `b2b3` first) are appended at the end of the merge list, and the
same number of merges is dropped from the end (the least frequent pairs BPE learned), so the vocabulary
stays exactly `vocab_size`. Dropping from the tail is safe: a merge only ever uses tokens made by earlier
merges, and no merge that can fire inside a covered character is dropped.

    tok, added = ensure_han_coverage(tok, han_counts, min_count=2)
"""

from __future__ import annotations

import json
import logging
from collections import Counter

from tokenizers import Tokenizer

from curation.text.normalize import is_han
from tokenizer_training.references import byte_decoder

log = logging.getLogger(__name__)

MAX_SHARE = 0.1  # coverage replaces at most 10 % of the learned merges (65,536 entries: ~3k are needed)
_BYTE_ENCODER = {b: c for c, b in byte_decoder().items()}


def byte_level(text: str) -> str:
    """The ByteLevel alphabet spelling of `text` (one character per UTF-8 byte)."""
    return "".join(_BYTE_ENCODER[b] for b in text.encode("utf-8"))


def _substrings(chars: list[str]) -> set[str]:
    """Every multi-byte piece inside the characters' byte spellings: the merges BPE may apply there."""
    out: set[str] = set()
    for c in chars:
        b = byte_level(c)
        out.update(b[i:j] for i in range(len(b)) for j in range(i + 2, len(b) + 1))
    return out


def _bpe(word: str, ranks: dict[tuple[str, str], int]) -> list[str]:
    """What BPE makes of `word` (lowest-rank adjacent pair first, as `tokenizers` does)."""
    pieces = list(word)
    while len(pieces) > 1:
        pairs = [(ranks.get((pieces[i], pieces[i + 1]), 1 << 60), i) for i in range(len(pieces) - 1)]
        rank, i = min(pairs)
        if rank == 1 << 60:
            break
        pieces[i : i + 2] = [pieces[i] + pieces[i + 1]]
    return pieces


def _plan(vocab: dict[str, int], merges: list[tuple[str, str]], chars: list[str]):
    """(new merges, new tokens, keep flags) covering `chars`, or None when too few merges can be dropped.

    A character's new merges continue from where BPE stops on its bytes (it may have made `b2b3` first,
    so the last merge is then `b1 + b2b3`), and run after every learned merge.
    """
    ranks = {m: r for r, m in enumerate(merges)}
    new_merges: list[tuple[str, str]] = []
    new_tokens: dict[str, None] = {}
    for c in chars:
        pieces = _bpe(byte_level(c), ranks)
        while len(pieces) > 1:
            pair = (pieces[0], pieces[1])
            ranks[pair] = len(ranks)
            new_merges.append(pair)
            if pair[0] + pair[1] not in vocab:
                new_tokens.setdefault(pair[0] + pair[1])
            pieces[0:2] = [pair[0] + pair[1]]
    # Any learned merge that can fire inside these characters must stay, or BPE would take another path.
    protected = _substrings(chars)
    keep = [True] * len(merges)
    excess, i = len(new_tokens), len(merges) - 1
    while excess > 0 and i >= 0:
        if "".join(merges[i]) not in protected:
            keep[i] = False
            excess -= 1
        i -= 1
    return (new_merges, list(new_tokens), keep) if excess == 0 else None


def ensure_han_coverage(tok: Tokenizer, counts: Counter, min_count: int = 2,
                        max_share: float = MAX_SHARE) -> tuple[Tokenizer, dict]:
    """Give every Han character with `counts[c] >= min_count` its own token, keeping the vocab size.

    Args:
        tok: a trained byte-level BPE tokenizer (train_bpe.new_tokenizer layout).
        counts: Han character counts over the training text.
        min_count: characters seen fewer times are left to byte tokens.
        max_share: at most this share of the learned merges is replaced; when the characters need more
            (small vocabularies), only the most frequent ones that fit are covered.

    Returns:
        (new tokenizer, report with chars_considered, chars_covered, tokens_added, merges_dropped).
    """
    data = json.loads(tok.to_str())
    model = data["model"]
    vocab: dict[str, int] = model["vocab"]
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ", 1)) for m in model["merges"]]
    size = len(vocab)
    chars = [c for c, n in counts.most_common() if n >= min_count and is_han(c)]
    budget = int(max_share * len(merges))
    n, plan = len(chars), None
    while n > 0:
        plan = _plan(vocab, merges, chars[:n])
        if plan is not None and len(plan[1]) <= budget:
            break
        n = n * 9 // 10
    added, missing, keep = plan if n > 0 and plan is not None else ([], [], [True] * len(merges))
    dropped = {"".join(m) for m, k in zip(merges, keep) if not k}
    order = sorted(vocab.items(), key=lambda kv: kv[1])
    new_vocab = {t: j for j, t in enumerate(t for t, _ in order if t not in dropped)}
    for t in missing:
        new_vocab[t] = len(new_vocab)
    new_merges = [m for m, k in zip(merges, keep) if k] + added
    assert len(new_vocab) == size, (len(new_vocab), size)
    model["vocab"] = new_vocab
    model["merges"] = [list(m) for m in new_merges]
    for added in data.get("added_tokens", []):  # special tokens keep their ids (they come first)
        assert new_vocab[added["content"]] == added["id"]
    report = {"han_chars_considered": len(chars), "han_chars_covered": n, "han_min_count": min_count,
              "tokens_added": len(missing), "merges_dropped": len(dropped)}
    log.info("Han coverage: %d of %d characters with count >= %d covered, %d tokens added, %d tail merges dropped",
             n, len(chars), min_count, len(missing), len(dropped))
    return Tokenizer.from_str(json.dumps(data, ensure_ascii=False)), report
