"""Findings as a pandas DataFrame, one row per finding, for notebooks and quick tables."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from miner.schema import Finding

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

#: DataFrame columns, in order (offsets are flattened to <role>_start/<role>_end).
_COLUMNS = (
    "id", "doc_id", "drug", "prior_drug", "effect", "mechanism", "mechanism_type", "mechanism_genes", "kind",
    "negated", "hedged", "direction_bidirectional", "evidence_level", "cancer", "cancer_name", "cancer_id", "section",
    "rule", "confidence", "drug_ids", "prior_drug_ids", "sentence",
)


def findings_to_dataframe(findings: Iterable[Finding]) -> "pd.DataFrame":
    """One row per finding; list fields joined with ';' and argument offsets as int columns."""
    import pandas as pd

    rows = []
    for f in findings:
        d = f.to_dict()
        row = {c: d[c] for c in _COLUMNS}
        for c in ("mechanism_genes", "drug_ids", "prior_drug_ids"):
            row[c] = ";".join(row[c])
        for role in ("sentence", "drug", "prior_drug", "mechanism"):
            span = f.offsets.get(role)
            row[f"{role}_start"] = span[0] if span else None
            row[f"{role}_end"] = span[1] if span else None
        rows.append(row)
    columns = list(_COLUMNS) + [f"{r}_{x}" for r in ("sentence", "drug", "prior_drug", "mechanism") for x in ("start", "end")]
    frame = pd.DataFrame(rows, columns=columns)
    for c in columns[len(_COLUMNS):]:
        frame[c] = frame[c].astype("Int64")
    return frame
