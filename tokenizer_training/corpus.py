"""Stream seeded tokenizer text from stage outputs (Parquet with `text`, `lang`) or JSONL(.gz) files.

Memory stays bounded: files are read one record batch (Parquet) or one line (JSONL) at a time. Every
decision about a document is a pure function of (seed, document id), so it does not depend on file
order, batch size or how many processes read:

- held out: `key(seed, "heldout", id) < holdout_frac`. Held-out documents never reach training; eval
  and encode read the same split by passing the same seed and fraction (train saves both).
- sampled for training: `key(seed, "sample", id) < rate[lang]`, where `rate` makes the training text
  hit `max_bytes` with the requested language `shares` (default: the input's own shares, i.e. the mix).

    corpus = Corpus(["out/mix/data"], seed=0, holdout_frac=0.01)
    for text in corpus.training_texts(max_bytes=100e6): ...
"""

from __future__ import annotations

import glob
import gzip
import json
import logging
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow.compute as pc
import pyarrow.parquet as pq
import xxhash

from curation.errors import ConfigError

log = logging.getLogger(__name__)

LANGS = ("zh", "bilingual", "en", "other")
LANG_ALIASES = {"zh-en": "bilingual", "en-zh": "bilingual", "zh": "zh", "en": "en", "bilingual": "bilingual"}
EXTENSIONS = (".parquet", ".jsonl", ".jsonl.gz", ".json.gz", ".json")
BATCH_ROWS = 2048  # Parquet rows per batch: a few MB of text at most


@dataclass(frozen=True, slots=True)
class Record:
    """One input document as the tokenizer tools see it."""

    id: str
    text: str
    lang: str
    source_file: str
    row: int
    nbytes: int  # len(text.encode("utf-8")), from the one encode that validates the text (see utf8_text)


def canonical_lang(lang: object) -> str:
    """zh | bilingual | en | other (the corpora's `zh-en` is `bilingual`)."""
    return LANG_ALIASES.get(str(lang).lower(), "other") if lang else "other"


def valid_unicode(text: str) -> tuple[str, int]:
    """`text` made encodable as UTF-8: surrogate pairs are joined, lone surrogates become U+FFFD.

    Returns:
        (text, number of code points replaced). Arrow strings are always valid; JSON can carry
        `"\\ud800"`, which the Rust tokenizer cannot accept.
    """
    text, fixed, _ = utf8_text(text)
    return text, fixed


def utf8_text(text: str) -> tuple[str, int, int]:
    """`valid_unicode` plus the UTF-8 size of the result, taken from the encode that checks the text.

    The tokenizer corpus needs every document's byte count (sizing pass, `train_bytes` stats); counting
    it here means a document is UTF-8-encoded once, not once to check and again per count.

    Returns:
        (text, number of code points replaced, len(text.encode("utf-8"))).
    """
    try:
        return text, 0, len(text.encode("utf-8"))
    except UnicodeEncodeError:  # rare (lone surrogates from JSON): the repaired text is encoded to size it
        fixed = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
        replaced = sum(1 for c in fixed if c == "\ufffd") - text.count("\ufffd")
        return fixed, replaced, len(fixed.encode("utf-8"))


def doc_key(seed: int, salt: str, doc_id: str) -> float:
    """A uniform number in [0, 1) fixed by (seed, salt, id)."""
    return xxhash.xxh64_intdigest(f"{seed}:{salt}:{doc_id}".encode("utf-8", "surrogatepass")) / 2.0**64


def expand(inputs: list[str]) -> list[str]:
    """Files named by `inputs` (files, directories searched recursively, or globs), sorted.

    A stage output directory (one with a `data/` folder) contributes `data/` only, never `rejected/`.

    Raises:
        ConfigError: an input matches no readable file.
    """
    files: list[str] = []
    for item in inputs:
        if os.path.isdir(item) and os.path.isdir(os.path.join(item, "data")):
            # a stage output (OUT/data, OUT/rejected, stats.json): only its kept documents
            if not os.path.exists(os.path.join(item, "_SUCCESS")):
                log.warning("%s has no _SUCCESS marker: the stage that wrote it may not have finished", item)
            item = os.path.join(item, "data")
        if os.path.isdir(item):
            found = [p for p in glob.glob(os.path.join(item, "**", "*"), recursive=True)
                     if p.endswith(EXTENSIONS) and "rejected" not in os.path.relpath(p, item).split(os.sep)]
        else:
            found = [p for p in glob.glob(item) if os.path.isfile(p)]
        if not found:
            raise ConfigError(f"input {item!r} matches no {'/'.join(EXTENSIONS)} file")
        files.extend(sorted(found))
    return list(dict.fromkeys(files))


def fallback_id(path: str, row: int) -> str:
    """The id of a record without one: its file's real path and row, so the held-out split does not
    depend on how the path was typed (training, eval and encode may name the same file differently)."""
    return f"{os.path.realpath(path)}:{row}"


class Corpus:
    """Seeded, streaming view of the tokenizer's text.

    Args:
        inputs: Parquet stage outputs (e.g. OUT/mix/data) or JSONL(.gz) files / dirs / globs.
        seed: fixes the held-out split and the training sample.
        holdout_frac: share of documents (by id) never used for training.
        text_key: JSONL field holding the text.
        lang: force this language for every record (JSONL without a `lang` field).
    """

    def __init__(self, inputs: list[str], seed: int = 0, holdout_frac: float = 0.01, text_key: str = "text",
                 lang: str | None = None):
        if not 0.0 <= holdout_frac < 1.0:
            raise ConfigError(f"--holdout-frac must be in [0, 1), got {holdout_frac}")
        self.files = expand(inputs)
        self.seed, self.holdout_frac, self.text_key, self.lang = seed, holdout_frac, text_key, lang
        self.stats: Counter = Counter()
        self.bad_examples: list[str] = []

    # -- reading -------------------------------------------------------------------------------------
    def records(self) -> Iterator[Record]:
        """Every readable record of every file, in file then row order. Bad records are counted."""
        for path in self.files:
            yield from (self._parquet(path) if path.endswith(".parquet") else self._jsonl(path))

    def _bad(self, where: str, why: str) -> None:
        self.stats["bad_records"] += 1
        if len(self.bad_examples) < 20:
            self.bad_examples.append(f"{where}: {why}")
            log.warning("skipping bad record %s: %s", where, why)

    def _make(self, path: str, row: int, doc_id: object, text: object, lang: object) -> Record | None:
        if not isinstance(text, str):
            self._bad(f"{path}:{row + 1}", f"field {self.text_key!r} missing or not a string")
            return None
        text, fixed, nbytes = utf8_text(text)
        self.stats["replaced_surrogates"] += fixed
        lang = canonical_lang(self.lang or lang)
        doc_id = str(doc_id) if doc_id is not None else fallback_id(path, row)
        return Record(doc_id, text, lang, path, row, nbytes)

    def _parquet(self, path: str) -> Iterator[Record]:
        pf = pq.ParquetFile(path)
        columns = [c for c in ("id", self.text_key, "lang") if c in pf.schema_arrow.names]
        if self.text_key not in columns:
            raise ConfigError(f"{path}: no {self.text_key!r} column (columns: {pf.schema_arrow.names})")
        row = 0
        for batch in pf.iter_batches(batch_size=BATCH_ROWS, columns=columns):
            cols = batch.to_pydict()
            n = batch.num_rows
            ids, langs = cols.get("id", [None] * n), cols.get("lang", [None] * n)
            for i, text in enumerate(cols[self.text_key]):
                rec = self._make(path, row + i, ids[i], text, langs[i])
                if rec is not None:
                    yield rec
            row += n

    def _jsonl(self, path: str) -> Iterator[Record]:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8", errors="surrogateescape") as f:
            for row, line in enumerate(f):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    self._bad(f"{path}:{row + 1}", f"bad JSON ({exc.msg})")
                    continue
                if not isinstance(obj, dict):
                    self._bad(f"{path}:{row + 1}", "not a JSON object")
                    continue
                rec = self._make(path, row, obj.get("id"), obj.get(self.text_key), obj.get("lang"))
                if rec is not None:
                    yield rec

    # -- splits ----------------------------------------------------------------------------------------
    def is_heldout(self, rec: Record) -> bool:
        return doc_key(self.seed, "heldout", rec.id) < self.holdout_frac

    def lang_bytes(self) -> dict[str, int]:
        """UTF-8 bytes of training-split text per language (one cheap pass; Parquet lengths are vectorised)."""
        totals: Counter = Counter()
        for path in self.files:
            if not path.endswith(".parquet"):
                # A sizing pass: bad records and repairs are counted when the text is read for real.
                stats, examples = self.stats.copy(), list(self.bad_examples)
                for rec in self._jsonl(path):
                    if not self.is_heldout(rec):
                        totals[rec.lang] += rec.nbytes
                self.stats, self.bad_examples = stats, examples
                continue
            pf = pq.ParquetFile(path)
            names = pf.schema_arrow.names
            cols = [c for c in ("id", self.text_key, "lang") if c in names]
            row = 0
            for batch in pf.iter_batches(batch_size=65536, columns=cols):
                n = batch.num_rows
                lengths = pc.binary_length(batch.column(self.text_key)).to_pylist()
                langs = batch.column("lang").to_pylist() if "lang" in cols else [None] * n
                ids = batch.column("id").to_pylist() if "id" in cols else [None] * n
                for i in range(n):
                    doc_id = str(ids[i]) if ids[i] is not None else fallback_id(path, row + i)
                    if lengths[i] is not None and doc_key(self.seed, "heldout", doc_id) >= self.holdout_frac:
                        totals[canonical_lang(self.lang or langs[i])] += lengths[i]
                row += n
        return dict(totals)

    def sample_rates(self, max_bytes: float | None, shares: dict[str, float] | None,
                     upsample: bool = False) -> dict[str, float]:
        """Per-language keep rates so the sample has about `max_bytes` split by `shares`.

        Args:
            max_bytes: training text budget (None: everything).
            shares: lang -> share of training bytes (None: the input's own shares).
            upsample: a language that cannot fill its share is repeated (rate > 1: each document is
                used floor(rate) times, plus once more with probability frac(rate)). Otherwise it is kept
                whole and the shortfall is logged.
        """
        if max_bytes is None and not shares:
            return {lang: 1.0 for lang in LANGS}
        totals = self.lang_bytes()
        grand = sum(totals.values()) or 1
        budget = float(max_bytes) if max_bytes else float(grand)
        if shares:
            unknown = set(shares) - set(LANGS)
            if unknown or any(v < 0 for v in shares.values()) or sum(shares.values()) <= 0:
                raise ConfigError(f"--shares needs non-negative shares of {LANGS}, got {shares}")
            norm = sum(shares.values())
            want = {lang: budget * shares.get(lang, 0.0) / norm for lang in LANGS}
        else:
            want = {lang: budget * totals.get(lang, 0) / grand for lang in LANGS}
        rates = {}
        for lang in LANGS:
            have = totals.get(lang, 0)
            rates[lang] = (want[lang] / have if upsample else min(1.0, want[lang] / have)) if have else 0.0
            if have and want[lang] > have * 1.001 and not upsample:
                log.warning("lang %s: wanted %.1f MB of training text, only %.1f MB available",
                            lang, want[lang] / 1e6, have / 1e6)
            elif want[lang] > 0 and not have:
                log.warning("lang %s: wanted %.1f MB of training text (--shares), the input has none",
                            lang, want[lang] / 1e6)
                self.stats[f"missing_share/{lang}"] = int(want[lang])
        log.info("training sample rates by language: %s", {k: round(v, 4) for k, v in rates.items()})
        return rates

    def training_texts(self, max_bytes: float | None = None, shares: dict[str, float] | None = None,
                       upsample: bool = False) -> Iterator[str]:
        """Stream training texts (never a held-out one); counts what was used in `self.stats`."""
        rates = self.sample_rates(max_bytes, shares, upsample)
        for rec in self.records():
            if self.is_heldout(rec):
                continue
            rate = rates.get(rec.lang, 0.0)
            copies = int(rate) + (doc_key(self.seed, "sample", rec.id) < rate - int(rate))
            for _ in range(copies):
                self.stats[f"train_docs/{rec.lang}"] += 1
                self.stats[f"train_bytes/{rec.lang}"] += rec.nbytes
                yield rec.text

    def heldout_texts(self, max_chars_per_lang: int | None = None) -> dict[str, list[str]]:
        """The held-out documents by language, each language capped at `max_chars_per_lang` characters."""
        out: dict[str, list[str]] = {}
        chars: Counter = Counter()
        for rec in self.records():
            if not self.is_heldout(rec) or (max_chars_per_lang and chars[rec.lang] >= max_chars_per_lang):
                continue
            out.setdefault(rec.lang, []).append(rec.text)
            chars[rec.lang] += len(rec.text)
        return out
