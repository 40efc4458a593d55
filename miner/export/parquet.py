"""Findings as an Apache Parquet file, for analysing findings at scale with pandas, DuckDB or Spark.

One row per finding with a fixed, typed schema (:data:`SCHEMA`): the Finding fields as columns, list fields
(ids, genes, refs) as list<string>, argument offsets flattened to nullable ``<role>_start``/``<role>_end`` int64
columns, cited references as one JSON string, and the latest curator decision (read-only) when given.  An empty
export still carries the schema.  Written to a temporary file beside the target and renamed, like every export.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Iterable, Mapping

from miner.errors import MinerError
from miner.export.common import check_target, decision_summary, is_stdout
from miner.schema import OFFSET_ROLES, Finding

_STR = ("id", "doc_id", "drug", "prior_drug", "effect", "mechanism", "mechanism_type", "kind", "evidence_level",
        "cancer", "cancer_name", "cancer_id", "section", "rule", "source", "status", "reason", "note", "sentence",
        "evidence_quote")
_LISTS = ("drug_ids", "prior_drug_ids", "mechanism_genes", "refs", "gold_ids")
_BOOLS = ("direction_bidirectional", "hedged", "negated")
_DECISION = ("latest_decision", "latest_curator", "latest_decision_time", "latest_correction")


def schema():
    """The Arrow schema of the export (built lazily: pyarrow is imported only when Parquet is asked for)."""
    import pyarrow as pa

    cols = [pa.field(c, pa.string()) for c in _STR]
    cols += [pa.field("polarity", pa.string()), pa.field("confidence", pa.float64())]
    cols += [pa.field(c, pa.bool_()) for c in _BOOLS]
    cols += [pa.field(c, pa.list_(pa.string())) for c in _LISTS]
    cols += [pa.field("references_json", pa.string())]
    cols += [pa.field(f"{r}_{x}", pa.int64()) for r in OFFSET_ROLES for x in ("start", "end")]
    cols += [pa.field(c, pa.string()) for c in _DECISION]
    return pa.schema(cols, metadata={b"miner.table": b"findings", b"miner.schema": b"miner/data/finding.schema.json"})


def _columns(findings: list[Finding], decisions: Mapping[str, dict] | None) -> dict[str, list]:
    data: dict[str, list] = {name: [] for name in schema().names}
    for f in findings:
        for c in _STR:
            data[c].append(getattr(f, c) or "")
        data["polarity"].append(f.polarity)
        data["confidence"].append(float(f.confidence))
        for c in _BOOLS:
            data[c].append(bool(getattr(f, c)))
        for c in _LISTS:
            data[c].append([str(x) for x in getattr(f, c)])
        data["references_json"].append(json.dumps(f.references, ensure_ascii=False) if f.references else "")
        for role in OFFSET_ROLES:
            span = f.offsets.get(role)
            data[f"{role}_start"].append(int(span[0]) if span else None)
            data[f"{role}_end"].append(int(span[1]) if span else None)
        for k, v in decision_summary((decisions or {}).get(f.id)).items():
            data[k].append(v)
    return data


def write_parquet(findings: Iterable[Finding], texts: Mapping[str, str], out: Path, *, force: bool = False,
                  decisions: Mapping[str, dict] | None = None, **_: object) -> int:
    """Write one row per finding to ``out`` (``-``: standard output); returns the row count."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:  # pragma: no cover (a dependency of miner)
        raise MinerError(f"Parquet export needs pyarrow (`pip install -e .` installs it): {exc}") from exc
    rows = list(findings)
    table = pa.Table.from_pydict(_columns(rows, decisions), schema=schema())
    if is_stdout(out):
        sys.stdout.flush()
        pq.write_table(table, sys.stdout.buffer, compression="zstd")
        return len(rows)
    out = Path(out)
    check_target(out, force)
    if out.is_dir():
        raise MinerError(f"{out} is a directory; give a file name")
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(rows)
