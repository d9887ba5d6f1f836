"""Ingest: raw shards -> the canonical Parquet layout (the first stage of every Qingliu run).

Reads JSONL (.jsonl, .jsonl.gz, .jsonl.zst) or Parquet from local disk or any Beam filesystem, maps
each record onto the one schema (`--text-key`, `--id-key`), makes repeated ids unique, rejects
documents with no visible text (`empty_text`) and writes data/, rejected/, stats.json and _SUCCESS.
Bad records are counted as unreadable with file and line; the run goes on.

    beam run pipelines/ingest.py --input raw/ --output out/ingest
    python -m pipelines.ingest --input 'raw/*.jsonl.gz' --output out/ingest \\
        --direct_num_workers 2 --direct_running_mode multi_processing
    curate ingest --input raw/ --output out/ingest
"""

from __future__ import annotations

import apache_beam as beam
from apache_beam.metrics import Metrics

from curation.schema import Document
from pipelines.stage import StageSpec, main_for, run_stage

STAGE = "ingest"


class NormalizeRecordFn(beam.DoFn):
    """Kept: documents with visible text. Rejected (`empty_text`): empty or whitespace-only text."""

    def __init__(self):
        self.empty = Metrics.counter(STAGE, "dropped/empty_text")

    def process(self, doc: Document):
        if doc.text.strip():
            yield doc
        else:
            self.empty.inc()
            yield beam.pvalue.TaggedOutput("rejected", doc.rejected(STAGE, "empty_text"))


class NormalizeRecords(beam.PTransform):
    def expand(self, docs):
        out = docs | "SplitEmpty" >> beam.ParDo(NormalizeRecordFn()).with_outputs("rejected", main="kept")
        return {"kept": out.kept, "rejected": out.rejected}


def build(pipeline, docs, args):
    return docs | "NormalizeRecords" >> NormalizeRecords()


SPEC = StageSpec(name=STAGE, description="Read raw shards into the canonical Parquet layout.", build=build)


def run(argv: list[str] | None = None) -> dict:
    """Run the ingest stage; returns its stats.json content."""
    return run_stage(SPEC, argv)


if __name__ == "__main__":
    main_for(SPEC, run)
