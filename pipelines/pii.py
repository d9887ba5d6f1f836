"""PII scrub: find personal information in Chinese and English text and rewrite it (presidio, offline).

Reads any stage output or raw shards, batches documents, and per batch runs the cheap prefilter and
presidio's AnalyzerEngine (Qingliu's Chinese + English recognizers, no NLP model) on the candidate
windows only. Kept documents carry the scrubbed text (typed placeholders `<PHONE>`, `<ID_CARD>`,
`<EMAIL>` ... by default) and per-type counts in `attributes` (`pii/n_spans_v1`, `pii/n_phone_v1`, ...).
Types configured `drop` send the document to rejected/ with reason `pii_drop` (its text scrubbed with
placeholders, so no value reaches a rejected sample). Documents without PII are unchanged byte for byte.
Stats count findings by type; no value is ever logged or counted by content.

    beam run pipelines/pii.py --input out/filter --output out/pii
    curate pii --input out/filter --output out/pii --config pii.yaml
    python -m pipelines.pii --input raw/ --output out/pii --operators phone=mask,id_card=drop \\
        --direct_num_workers 2 --direct_running_mode multi_processing

pii.yaml (any flag below, spelled as in --help):

    operators: {phone: placeholder, id_card: drop, email: hash}   # hash needs $QINGLIU_PII_SALT (>= 16 bytes)
    types: [phone, id_card, bank_card, email, ip]
"""

from __future__ import annotations

import apache_beam as beam
from apache_beam.metrics import Metrics

from curation.errors import ConfigError
from curation.pii import OPERATORS, TYPES, PiiConfig, PiiScrubber, attributes
from curation.pii.config import parse_operators
from curation.schema import Document
from pipelines.stage import StageSpec, main_for, run_stage

STAGE = "pii"
DROP_REASON = "pii_drop"


class ScrubPiiFn(beam.DoFn):
    """Scrub one batch of documents. Engines are built in `setup()`, once per worker; only the config
    is pickled. Outputs: kept documents (main), `rejected` (reason `pii_drop`) and `stats` dicts."""

    def __init__(self, config: PiiConfig):
        self.config = config
        self.scrubber: PiiScrubber | None = None
        self.found = {t: Metrics.counter(STAGE, f"found/{t}") for t in TYPES}
        self.dropped = Metrics.counter(STAGE, f"dropped/{DROP_REASON}")

    def setup(self):
        self.scrubber = PiiScrubber(self.config)
        self.scrubber.setup()

    def process(self, batch: list[Document]):
        results = self.scrubber.scrub_batch([d.text for d in batch])
        stats = {"docs": len(batch), "docs_scanned": 0, "docs_with_pii": 0, "found": {}, "chars": 0}
        for doc, res in zip(batch, results):
            stats["chars"] += len(doc.text)
            stats["docs_scanned"] += int(res.scanned)
            if res.counts:
                stats["docs_with_pii"] += 1
            for t, n in res.counts.items():
                stats["found"][t] = stats["found"].get(t, 0) + n
                self.found[t].inc(n)
            out = doc.copy(text=res.text, attributes={**doc.attributes, **attributes(res)}) if res.counts \
                else doc.with_attributes(**attributes(res))
            if res.drop:
                self.dropped.inc()
                yield beam.pvalue.TaggedOutput("rejected", out.rejected(STAGE, DROP_REASON))
            else:
                yield out
        yield beam.pvalue.TaggedOutput("stats", stats)


class ScrubPii(beam.PTransform):
    """Documents -> {'kept', 'rejected', 'stats'}: batch, scrub, split on `pii_drop`."""

    def __init__(self, config: PiiConfig):
        super().__init__()
        self.config = config

    def expand(self, docs):
        out = (
            docs
            | "BatchDocuments" >> beam.BatchElements(min_batch_size=1, max_batch_size=self.config.batch_size)
            | "ScrubBatches" >> beam.ParDo(ScrubPiiFn(self.config)).with_outputs("rejected", "stats", main="kept")
        )
        return {"kept": out.kept, "rejected": out.rejected, "stats": [out.stats]}


def add_arguments(parser) -> None:
    g = parser.add_argument_group("pii")
    g.add_argument("--operators", default=None,
                   help=f"TYPE=OPERATOR pairs, comma separated (types: {', '.join(TYPES)}; "
                        f"operators: {', '.join(OPERATORS)})")
    g.add_argument("--default-operator", default="placeholder", choices=OPERATORS,
                   help="operator for every type not named in --operators")
    g.add_argument("--types", default=None, help="comma-separated types to look for (default: all)")
    g.add_argument("--score-threshold", type=float, default=0.5, help="minimum presidio score after context words")
    g.add_argument("--salt-env", default="QINGLIU_PII_SALT", help="environment variable holding the hash salt")
    g.add_argument("--mask-char", default="*", help="character the mask operator writes")
    g.add_argument("--mask-keep-last", type=int, default=0, help="trailing characters the mask operator keeps")
    g.add_argument("--batch-size", type=int, default=512, help="documents per scrub batch")


def validate(args) -> None:
    """Build the PiiConfig from the flags (ConfigError before any work on a bad value)."""
    types = args.types if args.types else list(TYPES)
    try:
        args.pii = PiiConfig(
            operators=parse_operators(args.operators), default_operator=args.default_operator, types=types,
            score_threshold=float(args.score_threshold), salt_env=args.salt_env, mask_char=str(args.mask_char),
            mask_keep_last=int(args.mask_keep_last), batch_size=int(args.batch_size),
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"pii: bad option value: {exc}") from None


def build(pipeline, docs, args):
    return docs | "ScrubPii" >> ScrubPii(args.pii)


SPEC = StageSpec(name=STAGE, description="Find and scrub personal information (presidio, zh + en, offline).",
                 build=build, add_arguments=add_arguments, validate=validate)


def run(argv: list[str] | None = None) -> dict:
    """Run the PII stage; returns its stats.json content."""
    return run_stage(SPEC, argv)


if __name__ == "__main__":
    main_for(SPEC, run)
