"""metrics.jsonl: one JSON object per logged step (training loss, and `eval` results at evaluations).

Read by a resumed run (to drop lines logged after its checkpoint) and by `curate report`. No torch here.
"""

from __future__ import annotations

import json
import logging

log = logging.getLogger(__name__)


def read_metrics(path: str) -> list[dict]:
    """Every record of a metrics.jsonl. A torn last line (a run killed while writing it) is skipped with a
    warning; a bad line anywhere else is an error naming the file and line."""
    with open(path, encoding="utf-8") as f:
        lines = [line for line in f if line.strip()]
    out = []
    for i, line in enumerate(lines):
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError as exc:
            if i == len(lines) - 1:
                log.warning("%s:%d: torn last line skipped (%s)", path, i + 1, exc.msg)
                break
            raise ValueError(f"{path}:{i + 1}: not a JSON line ({exc.msg})") from exc
    return out
