"""fastText supervised prediction for a whole batch in numpy: `model.predict`'s scores, several times cheaper.

Why not `model.predict(list)`: on the quality stage's zh input fastText's C++ loop costs about 400 ns per
token (a string hash, an open-addressing dictionary probe, a `std::unordered_map` lookup for every pruned
word bigram, and a product-quantization decode of every row it adds), and the caller first builds one
space-joined string per document in Python. Together that was 45 % of the stage's tagging time (about
120 ms per MB of zh text). Here the same model is evaluated over a whole batch with table lookups and
`bincount`s (about 35 ms per MB; `python bench/quality_bench.py --part features`), or, where the optional C
kernel is built (`_fasttext_native.c`, `BatchScorer.view_probabilities`), per document in one pass over its
code points that also makes the input view (about 8 ms per MB, the same sums to the bit). The numpy path
stays the reference; `QINGLIU_NATIVE=0` switches the kernel off.

What is re-implemented, and only this: `Dictionary::getLine` for a supervised model without subwords
(`maxn == 0`): tokens split on fastText's separators (space, `\\n \\r \\t \\v \\f \\0`), an end-of-sentence
token `</s>` at the end (the Python binding appends a newline), word ids for in-vocabulary tokens, and word
n-gram ids (`h = h * 116049371 + hash(next)` over sign-extended 32-bit FNV-1a hashes, modulo `bucket`,
through a quantized model's `pruneidx`); then `Model::predict` with softmax loss: the output layer applied to
the mean of the input rows, softmax, and the `exp(log(p + 1e-5))` the Python binding returns. Because the
output layer is linear, each input row's logits are computed once at load and a document sums one number
per label and feature (in float64: fastText sums 16-dim float32 vectors, so the two differ by float32
rounding, at most ~1e-6 on real text; tests compare both).

The input rows and the `pruneidx` table (bucket -> kept row), which the Python binding does not expose,
are read from the model file (`read_model_file`; product-quantized rows decoded with numpy, ~20x faster
than `get_input_vector` row by row) and checked against `get_input_vector` on load. Models this does not
cover (subword n-grams, hierarchical softmax, quantized output, another file version) and files that do
not read as fastText reads them make `BatchScorer.load` return None, and the caller uses `model.predict`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from types import ModuleType

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curation.native import (
    module as native_kernel,  # view_sums, word_slots: curation/quality/_fasttext_native.c
)

EOS = "</s>"
_MAGIC, _VERSION = 793712314, 12
_SEP_CHARS = " \n\r\t\x0b\x0c\x00"  # fastText `Dictionary::readWord` separators (ASCII only)
_SEP_RE2 = "[" + "".join(f"\\x{ord(c):02x}" for c in _SEP_CHARS) + "]+"  # the same set, for Arrow's RE2
_NGRAM_MUL = 116049371
_CP_TABLE = 0x40000  # planes 0-3: every assigned Han character; rarer code points are hashed on the fly
_MAX_ROWS = 1 << 18  # features gathered at once (a few arrays of this length per chunk)
# Bits of the code point class table of the C kernel (`BatchScorer.view_probabilities`)
CLS_SEP = 1  # a fastText separator (_SEP_CHARS)
CLS_HAN = 2  # counted as Han by the mostly-Han test (`_every_char_a_token`)
CLS_SPACE = 4  # whitespace to the word view (a run of it is one space; nothing else left: an empty view)
CLS_HAN_TOKEN = 8  # a token of its own in the word view


def fnv1a(token: str) -> int:
    """fastText's `Dictionary::hash`: 32-bit FNV-1a over the UTF-8 bytes, each byte sign-extended."""
    h = 2166136261
    for b in token.encode("utf-8", "surrogatepass"):
        h = ((h ^ (b | 0xFFFFFF00 if b >= 0x80 else b)) * 16777619) & 0xFFFFFFFF
    return h


def codepoint_hashes(cp: np.ndarray | None = None) -> np.ndarray:
    """`fnv1a(chr(c))` for the code points `cp` (default: all 0x110000), computed vectorized (uint32)."""
    cp = np.arange(0x110000, dtype=np.uint32) if cp is None else np.asarray(cp, dtype=np.uint32)
    nbytes = 1 + (cp >= 0x80) + (cp >= 0x800) + (cp >= 0x10000)
    lead = np.select([nbytes == 1, nbytes == 2, nbytes == 3], [cp, 0xC0 | (cp >> 6), 0xE0 | (cp >> 12)],
                     0xF0 | (cp >> 18))
    h = np.full(cp.shape, 2166136261, dtype=np.uint32)
    for k in range(4):
        if k == 0:
            byte = lead & 0xFF
        else:  # continuation byte k of an n-byte sequence carries bits 6*(n-1-k) .. +5
            shift = (6 * (nbytes.astype(np.int64) - 1 - k)).clip(0).astype(np.uint32)
            byte = 0x80 | ((cp >> shift) & 0x3F)
        signed = np.where(byte >= 0x80, byte | np.uint32(0xFFFFFF00), byte).astype(np.uint32)
        h = np.where(k < nbytes, (h ^ signed) * np.uint32(16777619), h)
    return h


def _sign_extend(h: np.ndarray) -> np.ndarray:
    """uint32 hashes as fastText's `uint64_t h = int32_t hash` (sign-extended to 64 bits)."""
    return h.astype(np.uint32).view(np.int32).astype(np.int64).view(np.uint64)


def _read_matrix(data: bytes, off: int) -> tuple[np.ndarray | None, int]:
    """A saved fastText matrix at `off` -> (rows as float32, offset after it); rows None if not decodable.

    `DenseMatrix::save`: int64 m, n, then m * n floats. `QuantMatrix::save`: bool qnorm, int64 m, n, int32
    codesize, the codes, the product quantizer (int32 dim, nsubq, dsub, lastdsub; dim * 256 centroids),
    then with qnorm a norm code per row and the norms' one-dimensional quantizer. A quantized row is its
    sub-vectors' centroids times its norm, the float32 product `QuantMatrix::addRowToVector` adds.
    """
    quant = data[off] != 0
    off += 1
    if not quant:
        m, n = struct.unpack_from("<2q", data, off)
        off += 16
        rows = np.frombuffer(data, "<f4", count=m * n, offset=off).reshape(m, n)
        return rows, off + 4 * m * n

    def pq(at: int) -> tuple[int, int, int, int, np.ndarray, int]:
        dim, nsubq, dsub, lastdsub = struct.unpack_from("<4i", data, at)
        centroids = np.frombuffer(data, "<f4", count=dim * 256, offset=at + 16)
        return dim, nsubq, dsub, lastdsub, centroids, at + 16 + 4 * dim * 256

    qnorm = data[off] != 0
    m, n = struct.unpack_from("<2q", data, off + 1)
    (codesize,) = struct.unpack_from("<i", data, off + 17)
    off += 21
    codes = np.frombuffer(data, np.uint8, count=codesize, offset=off)
    dim, nsubq, dsub, lastdsub, centroids, off = pq(off + codesize)
    if dim != n or codesize != m * nsubq:
        return None, off
    codes = codes.reshape(m, nsubq).astype(np.int64)
    rows = np.empty((m, n), dtype=np.float32)
    for j in range(nsubq):
        d = lastdsub if j == nsubq - 1 else dsub
        base = j * 256 * dsub  # the last sub-quantizer's centroids are `lastdsub` wide
        table = centroids[base: base + 256 * d].reshape(256, d)
        rows[:, j * dsub: j * dsub + d] = table[codes[:, j]]
    if qnorm:
        norm_codes = np.frombuffer(data, np.uint8, count=m, offset=off)
        _, _, _, _, norm_centroids, off = pq(off + m)
        rows *= norm_centroids[norm_codes.astype(np.int64)][:, None]
    return rows, off


def read_model_file(path: str) -> tuple[dict, np.ndarray, np.ndarray | None] | None:
    """(header numbers, the (bucket id, row) pruning pairs, the input matrix rows) of a fastText model file
    (format version 12); None if it is not one or does not read as one (the caller then uses fastText's
    own `predict`). The rows are None where the matrix kind is not decodable here."""
    with open(path, "rb") as fh:
        data = fh.read()
    if len(data) < 96:
        return None
    magic, version = struct.unpack_from("<ii", data, 0)
    if magic != _MAGIC or version != _VERSION:
        return None
    dim, _ws, _epoch, _min_count, _neg, word_ngrams, loss, model, bucket, minn, maxn = struct.unpack_from("<11i", data, 8)
    off = 8 + 12 * 4 + 8  # Args: 12 int32 and the double `t`
    size, nwords, nlabels = struct.unpack_from("<3i", data, off)
    off += 12
    _ntokens, prune_size = struct.unpack_from("<2q", data, off)
    off += 16
    try:
        for _ in range(size):  # entries: word bytes, NUL, int64 count, int8 type
            off = data.index(b"\0", off) + 1 + 8 + 1
        pairs = np.frombuffer(data, "<i4", count=2 * max(prune_size, 0), offset=off).reshape(-1, 2)
        off += 8 * max(prune_size, 0)
        rows, _ = _read_matrix(data, off)
    except (struct.error, ValueError, IndexError):
        return None
    if len(pairs) and not ((0 <= pairs[:, 0]).all() and (pairs[:, 0] < bucket).all()
                           and np.array_equal(np.sort(pairs[:, 1]), np.arange(len(pairs)))):
        return None
    head = dict(dim=dim, word_ngrams=word_ngrams, loss=loss, model=model, bucket=bucket, minn=minn, maxn=maxn,
                nwords=nwords, nlabels=nlabels, prune_size=prune_size)
    return head, pairs, rows


@dataclass
class BatchScorer:
    """P(label) of many texts for one loaded supervised fastText model (see the module docstring).

    Build with `BatchScorer.load(model, path)`; `probabilities(texts, label)` is `model.predict(t, k=-1)`'s
    probability of `label` for each text (0.0 where fastText predicts nothing).
    """

    row_logits: np.ndarray  # (nwords + kept n-grams, nlabels) float64: input rows times the output matrix
    labels: list[str]
    word_ngrams: int
    bucket: int
    nwords: int
    ngram_row: np.ndarray | None  # bucket id -> row (-1: pruned); None: all buckets, row = nwords + id
    cp_word: np.ndarray  # word id of each one-character word, else -1
    words: dict[str, int]
    eos: tuple[int, int]
    _token_cache: dict = field(default_factory=dict, repr=False)
    _cp_hash: np.ndarray | None = field(default=None, repr=False)  # fnv1a of the code points below _CP_TABLE
    _margins: dict = field(default_factory=dict, repr=False)  # label column -> row logit margins (2 labels)
    _cls: tuple | None = field(default=None, repr=False)  # (the caller's class table, it with CLS_SEP set)
    _words_native: tuple | None = field(default=None, repr=False)  # the kernel's word table (`_word_table`)

    @classmethod
    def load(cls, model, path: str) -> "BatchScorer | None":
        parsed = read_model_file(path)
        if parsed is None:
            return None
        head, pairs, rows = parsed
        args = model.f.getArgs()
        words, labels = model.get_words(), model.get_labels()
        supported = (head["maxn"] <= 0 and str(args.loss).endswith("softmax") and str(args.model).endswith("supervised")
                     and not args.qout and head["nwords"] == len(words) and head["nlabels"] == len(labels)
                     and head["dim"] == model.get_dimension())
        if not supported:
            return None
        n_rows = head["nwords"] + (head["prune_size"] if head["prune_size"] >= 0 else head["bucket"])
        probe = sorted({0, n_rows // 2, n_rows - 1})
        if rows is None or rows.shape != (n_rows, head["dim"]) or not all(
                np.array_equal(rows[i], model.get_input_vector(i)) for i in probe):
            return None  # the file did not read as fastText reads it: let fastText predict
        if head["prune_size"] >= 0:
            ngram_row = np.full(head["bucket"], -1, dtype=np.int64)
            ngram_row[pairs[:, 0]] = pairs[:, 1]
        else:
            ngram_row = None
        word_id = {w: i for i, w in enumerate(words)}
        if len(word_id) != len(words):  # a word twice: ids would not be positions (the kernel assumes so)
            return None
        cp_word = np.full(0x110000, -1, dtype=np.int32)
        for w, i in word_id.items():
            if len(w) == 1:
                cp_word[ord(w)] = i
        out = np.asarray(model.f.getOutputMatrix(), dtype=np.float64)
        return cls(row_logits=rows.astype(np.float64) @ out.T, labels=list(labels),
                   word_ngrams=head["word_ngrams"], bucket=head["bucket"], nwords=head["nwords"], ngram_row=ngram_row,
                   cp_word=cp_word, words=word_id,
                   eos=(fnv1a(EOS), word_id.get(EOS, -1)))

    # -- tokens ------------------------------------------------------------------------------------------
    def _char_tokens(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every non-separator character a token (texts fastText would split into single characters)."""
        cps = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype="<u4")
        doc = np.repeat(np.arange(len(texts)), [len(t) for t in texts])
        keep = np.ones(len(cps), dtype=bool)
        for c in _SEP_CHARS:
            keep &= cps != ord(c)
        cps, doc = cps[keep], doc[keep]
        if self._cp_hash is None:  # the numpy path's table (~15 ms to build: not at load, the C kernel hashes itself)
            self._cp_hash = codepoint_hashes(np.arange(_CP_TABLE))
        hashes = self._cp_hash[np.minimum(cps, _CP_TABLE - 1)]
        big = cps >= _CP_TABLE
        if big.any():
            hashes[big] = codepoint_hashes(cps[big])
        return self._end_lines(hashes, self.cp_word[cps], doc, len(texts))

    def _end_lines(self, h: np.ndarray, w: np.ndarray, doc: np.ndarray, n_docs: int):
        """(hashes, word ids, documents) of the tokens with `</s>` after each document's last token: the
        newline the Python binding appends to every line."""
        counts = np.bincount(doc, minlength=n_docs)
        at = np.cumsum(counts)
        return (np.insert(h, at, self.eos[0]), np.insert(w.astype(np.int64), at, self.eos[1]),
                np.repeat(np.arange(n_docs), counts + 1))

    def _word_tokens(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Tokens split on fastText's separators (Arrow's regex split, in C++); the (hash, word id) of each
        distinct token is computed once and cached."""
        try:
            arr = pa.array(texts, pa.string())
        except UnicodeEncodeError:  # a lone surrogate (fastText's binding could not take it at all): U+FFFD
            arr = pa.array([t.encode("utf-16", "surrogatepass").decode("utf-16", "replace") for t in texts], pa.string())
        lists = pc.split_pattern_regex(arr, pattern=_SEP_RE2)
        flat = pc.list_flatten(lists)
        doc = np.repeat(np.arange(len(texts)), pc.list_value_length(lists).to_numpy(zero_copy_only=False))
        nonempty = pc.greater(pc.binary_length(flat), 0)
        flat, doc = flat.filter(nonempty), doc[nonempty.to_numpy(zero_copy_only=False)]
        enc = flat.dictionary_encode()
        cache = self._token_cache
        if len(cache) > 200_000:  # bounded (~30 MB): open-vocabulary text never stops bringing new tokens
            cache.clear()
        uniq_h, uniq_w = [], []
        for tok in enc.dictionary.to_pylist():
            hit = cache.get(tok)
            if hit is None:
                hit = cache[tok] = (fnv1a(tok), self.words.get(tok, -1))
            uniq_h.append(hit[0])
            uniq_w.append(hit[1])
        codes = enc.indices.to_numpy(zero_copy_only=False)
        return self._end_lines(np.array(uniq_h, dtype=np.uint32)[codes], np.array(uniq_w, dtype=np.int64)[codes],
                               doc, len(texts))

    # -- prediction --------------------------------------------------------------------------------------
    def _features(self, h: np.ndarray, w: np.ndarray, doc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Input row ids of every document's words and word n-grams, with the document of each.

        fastText adds a document's rows in order (words, then n-grams by start and length); here they are
        only summed per document (`bincount`), so they are left in the order they are made."""
        is_word = w >= 0
        feats, feat_doc = [w[is_word].astype(np.int64)], [doc[is_word]]
        sx = _sign_extend(h)
        n = len(h)
        acc = sx
        for j in range(1, min(self.word_ngrams, n)):
            acc = acc[: n - j] * np.uint64(_NGRAM_MUL) + sx[j:]  # uint64 wraps, as in C++
            bucket_id = (acc % np.uint64(self.bucket)).astype(np.int64)
            row = bucket_id if self.ngram_row is None else self.ngram_row[bucket_id]
            idx = np.flatnonzero((doc[: n - j] == doc[j:]) & (row >= 0))  # inside one document, not pruned
            feats.append(self.nwords + row[idx])
            feat_doc.append(doc[idx])
        return np.concatenate(feats), np.concatenate(feat_doc)

    def _weights(self, col: int) -> np.ndarray:
        """What a document sums per input row for label `col`: (rows,) logit margins of `col` over the other
        label where there are two labels, else (rows, labels) logits (C-contiguous, float64).

        The output layer is linear in the hidden vector, so `out @ mean(rows) = mean(rows @ out.T)`: each
        input row's logits are computed once (`row_logits`) and a document sums one number per label and
        feature, not `dim` of them. With two labels one number is enough: p = sigmoid(mean of the margins).
        """
        if self.row_logits.shape[1] != 2:
            return np.ascontiguousarray(self.row_logits)
        margins = self._margins.get(col)
        if margins is None:
            margins = self._margins[col] = self.row_logits[:, col] - self.row_logits[:, 1 - col]
        return margins

    def _predict(self, feats: np.ndarray, feat_doc: np.ndarray, n_docs: int, col: int) -> np.ndarray:
        """Softmax probability of label `col` per document; NaN for a document without features.

        Each document's weights are summed by `bincount`, in the order of `feats` (the C kernel adds the
        same numbers in the same order: see `char_view_probabilities`)."""
        counts = np.bincount(feat_doc, minlength=n_docs)
        weights = self._weights(col)
        if weights.ndim == 1:
            sums = np.bincount(feat_doc, weights=weights[feats], minlength=n_docs)[:, None]
        else:
            sums = np.stack([np.bincount(feat_doc, weights=weights[feats, k], minlength=n_docs)
                             for k in range(weights.shape[1])], axis=1)
        return self._probability(sums, counts, col)

    @staticmethod
    def _probability(sums: np.ndarray, counts: np.ndarray, col: int) -> np.ndarray:
        """Label `col`'s probability from each document's (documents, 1 or labels) weight sums and its
        number of features; NaN where it has none (count 0, or -1: not scored)."""
        safe = np.maximum(counts, 1)
        if sums.shape[1] == 1:
            z = sums[:, 0] / safe
            e = np.exp(-np.abs(z))  # the sigmoid without overflow for a large margin of either sign
            p = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        else:
            logits = sums / safe[:, None]
            e = np.exp(logits - logits.max(axis=1, keepdims=True))
            p = e[:, col] / e.sum(axis=1)
        p[counts <= 0] = np.nan
        return p

    @staticmethod
    def _as_binding_returns(p: np.ndarray) -> np.ndarray:
        """The probability as the Python binding returns it, exp(float(log(p + 1e-5))) (the log in double,
        stored as float); 0.0 where `p` is NaN (fastText predicts nothing)."""
        score = np.exp(np.log(p.astype(np.float64) + 1e-5).astype(np.float32).astype(np.float64))
        return np.where(np.isnan(score), 0.0, score)

    def probabilities(self, texts: list[str], label: str, char_tokens: list[bool] | None = None) -> list[float]:
        """`model.predict`'s probability of `label` for each text, as the Python binding returns it.

        Args:
            texts: one line each (fastText's input view).
            label: e.g. `__label__hq`.
            char_tokens: per text, True where every character of the text is a token (the text as it is,
                not space-joined: `fasttext_input`'s mostly-Han case), tokenized in numpy; False: the text
                is split on fastText's separators. None: all split.
        """
        col = self.labels.index(label)
        out = np.zeros(len(texts), dtype=np.float64)
        char_tokens = char_tokens or [False] * len(texts)
        groups = ([i for i, c in enumerate(char_tokens) if c], True), ([i for i, c in enumerate(char_tokens) if not c], False)
        for idx, as_chars in groups:
            for chunk in self._chunks(texts, idx):
                part = [texts[i] for i in chunk]
                h, w, doc = (self._char_tokens if as_chars else self._word_tokens)(part)
                feats, feat_doc = self._features(h, w, doc)
                out[chunk] = self._as_binding_returns(self._predict(feats, feat_doc, len(part), col))
        return out.tolist()

    def view_probabilities(self, texts: list[str], label: str, classes: np.ndarray, max_chars: int,
                           native: bool | None = None) -> np.ndarray | None:
        """`probabilities` of each text's input view, by the C kernel (`curation._native.view_sums`, in _fasttext_native.c).

        The kernel makes the view's tokens itself, from the text's first `max_chars` characters (its
        sample) as they are and a class table: a mostly-Han
        sample (not empty, at least half `CLS_HAN` characters) has every character but the separators as a
        token; another sample is split at `CLS_SPACE` and separator characters with every `CLS_HAN_TOKEN`
        character a token of its own, and is not scored (0.0) when nothing but `CLS_SPACE` characters is
        left. `fasttext_tagger.view_classes` fills the table from the view's own definitions. Then the
        hashes, word ids, n-gram rows and weight sums, per sample in one pass: the same float64 numbers
        added in the same order as `_char_tokens` / `_word_tokens` -> `_features` -> `_predict` (words in
        token order, then n-grams by length and start), so the scores are identical to the numpy path's,
        not merely close.

        Args:
            texts: the text of each document before its view is made (`fasttext_input`'s argument).
            label: e.g. `__label__hq`.
            classes: uint8 per code point (0x110000), `CLS_*` bits; `CLS_SEP` is set here.
            max_chars: characters of each text that make its sample.
            native: False forces None (tests); None or True use the kernel where it is built.

        Returns:
            The scores as `probabilities` returns them (0.0 for an empty view); None where the kernel is not
            built or is switched off (`QINGLIU_NATIVE=0`): the caller then builds the views for numpy.
        """
        mod = native_kernel() if native is not False else None
        if mod is None:
            return None
        n = len(texts)
        col = self.labels.index(label)
        weights = self._weights(col)
        sums = np.zeros((n, 1 if weights.ndim == 1 else weights.shape[1]))
        counts = np.zeros(n, dtype=np.int64)
        if n:
            # only the samples: the kernel reads no further, and whole long documents would be converted
            # for nothing (500 docs of 17k characters: 46 -> 5 ms a batch)
            samples = [t[:max_chars] for t in texts]
            cps = np.frombuffer("".join(samples).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
            off = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(np.fromiter(map(len, samples), dtype=np.int64, count=n), out=off[1:])
            ngram_row = self.ngram_row if self.ngram_row is not None else np.zeros(0, dtype=np.int64)
            wcps, woff, slots = self._word_table(mod)
            mod.view_sums(cps, off, max_chars, self._classes(classes), self.cp_word, wcps, woff, slots, weights, ngram_row,
                          self.nwords, self.bucket, self.word_ngrams, self.eos[0], self.eos[1], sums, counts)
        return self._as_binding_returns(self._probability(sums, counts, col))

    def _classes(self, classes: np.ndarray) -> np.ndarray:
        """`classes` with fastText's separators marked `CLS_SEP` (one copy per table, kept)."""
        cached = self._cls  # read once: another thread may replace it
        if cached is None or cached[0] is not classes:
            table = np.array(classes, dtype=np.uint8)
            if table.shape != (0x110000,):
                raise ValueError(f"classes: one uint8 per code point is needed, not shape {table.shape}")
            table[[ord(c) for c in _SEP_CHARS]] |= CLS_SEP
            cached = self._cls = (classes, table)
        return cached[1]

    def _word_table(self, mod: ModuleType) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The words as code points (word i is wcps[woff[i]:woff[i + 1]]) and the kernel's hash table of
        them (`word_slots`: word ids by fastText hash, open addressing), built on first use."""
        if self._words_native is None:
            words = sorted(self.words, key=self.words.__getitem__)  # by id
            wcps = np.frombuffer("".join(words).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
            woff = np.zeros(len(words) + 1, dtype=np.int64)
            np.cumsum(np.fromiter(map(len, words), dtype=np.int64, count=len(words)), out=woff[1:])
            slots = np.empty(1 << max(4, (2 * len(words)).bit_length()), dtype=np.int32)  # at most half full
            mod.word_slots(wcps, woff, slots)
            self._words_native = (wcps, woff, slots)
        return self._words_native

    @staticmethod
    def _chunks(texts: list[str], idx: list[int]):
        """Runs of `idx` whose texts hold at most ~`_MAX_ROWS` / 2 characters (two rows per token)."""
        chunk, size = [], 0
        for i in idx:
            chunk.append(i)
            size += len(texts[i]) + 1
            if size * 2 >= _MAX_ROWS:
                yield np.array(chunk)
                chunk, size = [], 0
        if chunk:
            yield np.array(chunk)
