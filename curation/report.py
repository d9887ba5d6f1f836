"""Human-readable summaries of stage outputs (the table `curate` prints at the end of a run)."""

from __future__ import annotations

import json
import os
from typing import Any


def _fmt(n: Any) -> str:
    return f"{n:,}" if isinstance(n, int) else str(n)


def summary_table(stats_list: list[dict[str, Any]]) -> str:
    """One row per stage: docs in / kept / rejected / unreadable, and the top rejection reasons."""
    header = ("stage", "docs in", "kept", "rejected", "unreadable", "top reasons")
    rows = [header]
    for s in stats_list:
        by_reason = s.get("rejected", {}).get("by_reason", {})
        top = ", ".join(f"{r}={n}" for r, n in sorted(by_reason.items(), key=lambda kv: (-kv[1], kv[0]))[:3])
        rows.append((
            str(s.get("stage", "?")), _fmt(s.get("input_records", 0)), _fmt(s.get("kept", 0)),
            _fmt(s.get("rejected", {}).get("total", 0)), _fmt(s.get("unreadable", {}).get("count", 0)), top or "-",
        ))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = []
    for k, r in enumerate(rows):
        lines.append("  ".join(c.ljust(w) if i in (0, 5) else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def stage_highlights(stats: dict[str, Any]) -> list[str]:
    """A few stage-specific lines (dedup clusters, PII findings by type, routing, mix shares) for the summary."""
    stage, ss = stats.get("stage"), stats.get("stage_stats") or {}
    if stage == "dedup":
        from curation.dedup.report import summary_lines

        return summary_lines(ss)
    if stage == "pii" and "found" in ss:
        found = ", ".join(f"{k} {v:,}" for k, v in sorted(ss["found"].items()))
        return [f"pii: {ss.get('docs_with_pii', 0):,} documents with PII; scrubbed {found or 'nothing'}"]
    if stage == "quality" and "routed" in ss:
        routed = ", ".join(f"{k} {v['docs']:,} docs" if isinstance(v, dict) else f"{k} {v}"
                           for k, v in sorted(ss["routed"].items()))
        return [f"routed: {routed}"]
    if stage == "mix" and "mix" in ss:
        m = ss["mix"]
        return [f"mix: {m.get('unit')} budget {m.get('total_planned', 0):,.0f}, max share error "
                f"{m.get('max_share_error_pp', 0):.3f} pp, extra copies {ss.get('extra_copies', 0):,}"]
    return []


def load_stats(output: str) -> dict[str, Any]:
    with open(os.path.join(output, "stats.json"), encoding="utf-8") as f:
        return json.load(f)
