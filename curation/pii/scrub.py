"""Find and rewrite PII in batches of documents (pure logic; `pipelines/pii.py` wraps it in a DoFn).

    scrubber = PiiScrubber(PiiConfig())          # cheap: pickles only the config
    scrubber.setup()                             # builds presidio's analyzer and the rewriter (once per worker)
    [r] = scrubber.scrub_batch(["手机13800138000"])
    r.text, r.counts                             # ('手机<PHONE>', {'phone': 1})

Flow per batch: the prefilter cuts each document into candidate windows (most documents have none and
are returned untouched, byte for byte); windows are joined with a NUL separator and
sent to `AnalyzerEngine.analyze` together (one call per ~64K characters instead of one per document);
results are mapped back to document offsets, overlapping findings are merged into one span (so no part
of a value can survive next to a placeholder), and `anonymize.Anonymizer` rewrites the spans.
"""

from __future__ import annotations

import bisect
import logging
from dataclasses import dataclass, field

from curation.pii.config import ENTITY_TYPE, PiiConfig
from curation.pii.engine import DOC_SEPARATOR, build_analyzer
from curation.pii.prefilter import analysis_view, candidate_windows

LOG = logging.getLogger(__name__)

CHUNK_CHARS = 65536  # joined window text per analyze() call
# When findings overlap, the merged span takes the type of the longest one; ties go to the first here.
# QQ, WeChat and passport findings only exist next to their context word, so they win ties ("QQ：6053343385"
# is also a valid NANP number).
PRIORITY = ("URL_CREDENTIALS", "EMAIL_ADDRESS", "QQ_NUMBER", "WECHAT_ID", "CN_PASSPORT", "CN_ID_CARD",
            "CN_BANK_CARD", "CREDIT_CARD", "IBAN_CODE", "CN_MOBILE", "CN_LANDLINE", "US_PHONE", "US_SSN", "IP_ADDRESS")
_RANK = {e: i for i, e in enumerate(PRIORITY)}
WEAK_ENTITIES = frozenset({"QQ_NUMBER", "WECHAT_ID", "CN_PASSPORT"})


@dataclass
class Finding:
    """One PII span in document offsets (the value itself is never stored here)."""

    start: int
    end: int
    entity: str
    score: float

    @property
    def type(self) -> str:
        return ENTITY_TYPE[self.entity]


@dataclass
class ScrubResult:
    """What scrubbing did to one document.

    Args:
        text: the rewritten text (the input object itself when nothing was found).
        findings: merged, non-overlapping findings in input offsets.
        counts: type -> number of findings.
        drop: True when a finding's type is configured `drop`.
        scanned: False when the prefilter found no candidate and the engine never saw the document.
    """

    text: str
    findings: list[Finding] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    drop: bool = False
    scanned: bool = False


# Qingliu registers the same recognizers (Chinese and English context words alike) under both presidio
# language codes; the scrubber sends every window under one code so that zh and en documents of a batch
# share analyze() calls (each call costs about 0.5 ms before any regex runs).
ANALYSIS_LANGUAGE = "zh"


def resolve_overlaps(findings: list[Finding]) -> list[Finding]:
    """Merge overlapping findings into one span each (union of offsets, type of the longest)."""
    out: list[Finding] = []
    best: Finding | None = None
    for f in sorted(findings, key=lambda f: (f.start, -(f.end - f.start), _RANK.get(f.entity, 99))):
        if out and f.start < out[-1].end:
            cur = out[-1]
            if (f.end - f.start, -_RANK.get(f.entity, 99)) > (best.end - best.start, -_RANK.get(best.entity, 99)):
                best = f
            out[-1] = Finding(cur.start, max(cur.end, f.end), best.entity, max(cur.score, f.score))
        else:
            best = f
            out.append(Finding(f.start, f.end, f.entity, f.score))
    return out


class PiiScrubber:
    """Batch PII finder and rewriter. Engines are built in `setup()` (or on first use), never pickled.

    Args:
        config: which types, which operator per type, thresholds.
    """

    def __init__(self, config: PiiConfig | None = None):
        self.config = config or PiiConfig()
        self._analyzer = None
        self._anonymizer = None
        self._entities = self.config.entities()
        # QQ, WeChat and passport recognizers only run on windows holding one of their context words:
        # their patterns (any 5-11 digits, any ASCII word) would otherwise match everywhere.
        self._strong = [e for e in self._entities if e not in WEAK_ENTITIES]

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_analyzer"] = state["_anonymizer"] = None
        return state

    def setup(self) -> None:
        """Build presidio's AnalyzerEngine (no NLP model) and the rewriter. Idempotent."""
        if self._analyzer is None:
            from curation.pii.anonymize import Anonymizer

            self._analyzer = build_analyzer(score_threshold=self.config.score_threshold)
            self._anonymizer = Anonymizer(self.config)

    def find_batch(self, texts: list[str]) -> list[list[Finding] | None]:
        """Findings per text (merged, sorted); None for a text the prefilter ruled out."""
        self.setup()
        out: list[list[Finding] | None] = [None] * len(texts)
        # weak -> [(doc index, window start, analysis view of the window)]
        pending: dict[bool, list[tuple[int, int, str]]] = {}
        for i, text in enumerate(texts):
            windows = candidate_windows(text)
            if not windows:
                continue
            out[i] = []
            for ws, we, weak in windows:
                pending.setdefault(weak, []).append((i, ws, analysis_view(text[ws:we])))
        for weak, parts in pending.items():
            entities = self._entities if weak else self._strong
            if not entities:
                continue
            chunk: list[tuple[int, int, str]] = []
            size = 0
            for part in parts:
                chunk.append(part)
                size += len(part[2])
                if size >= CHUNK_CHARS:
                    self._analyze_chunk(chunk, entities, out)
                    chunk, size = [], 0
            if chunk:
                self._analyze_chunk(chunk, entities, out)
        return [resolve_overlaps(f) if f else f for f in out]

    def _analyze_chunk(self, chunk, entities: list[str], out) -> None:
        starts, pos = [], 0
        for _, _, view in chunk:
            starts.append(pos)
            pos += len(view) + len(DOC_SEPARATOR)
        joined = DOC_SEPARATOR.join(view for _, _, view in chunk)
        for r in self._analyzer.analyze(joined, language=ANALYSIS_LANGUAGE, entities=entities):
            k = bisect.bisect_right(starts, r.start) - 1
            doc, ws, view = chunk[k]
            s, e = r.start - starts[k], r.end - starts[k]
            if e > len(view):  # cannot happen: no pattern matches a NUL; guard rather than mis-place a span
                LOG.warning("pii: a %s finding crossed a window boundary and was clipped", r.entity_type)
                e = len(view)
            out[doc].append(Finding(ws + s, ws + e, r.entity_type, r.score))

    def scrub_batch(self, texts: list[str]) -> list[ScrubResult]:
        """Rewrite each text according to the config; see ScrubResult."""
        results = []
        for text, findings in zip(texts, self.find_batch(texts)):
            if not findings:
                results.append(ScrubResult(text, [], {}, False, findings is not None))
                continue
            counts: dict[str, int] = {}
            for f in findings:
                counts[f.type] = counts.get(f.type, 0) + 1
            drop = any(self.config.operator_for(t) == "drop" for t in counts)
            spans = [(f.start, f.end, f.type) for f in findings]
            new_text = self._anonymizer.apply(text, spans, placeholders_only=drop)
            results.append(ScrubResult(new_text, findings, counts, drop, True))
        return results

    def scrub(self, text: str) -> ScrubResult:
        """One text (tests and notebooks; pipelines use scrub_batch)."""
        return self.scrub_batch([text])[0]


def attributes(result: ScrubResult, version: int = 1) -> dict[str, float]:
    """Per-document counts: `pii/n_spans_v1` always, `pii/n_<type>_v1` for each type found."""
    attrs = {f"pii/n_spans_v{version}": float(sum(result.counts.values()))}
    for t, n in result.counts.items():
        attrs[f"pii/n_{t}_v{version}"] = float(n)
    return attrs
