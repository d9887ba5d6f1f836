"""In-process progress counters, read by the CLI's progress line.

Beam's own counters are the source of truth for a runner (`Metrics.counter`); these in-process mirrors
let `curate` show live progress when the pipeline runs in the same process (the default runner). With
worker processes or a remote runner they stay at zero and the progress line shows elapsed time only.
"""

from __future__ import annotations

import threading
from collections import Counter

_LOCK = threading.Lock()
COUNTS: Counter = Counter()


def add(name: str, n: int = 1) -> None:
    with _LOCK:
        COUNTS[name] += n


def snapshot() -> dict[str, int]:
    with _LOCK:
        return dict(COUNTS)


def reset() -> None:
    with _LOCK:
        COUNTS.clear()
