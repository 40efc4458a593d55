"""CSV/TSV for spreadsheet curation, and reading the curator's decisions back.

Cells a spreadsheet would evaluate as a formula (leading ``=``, ``+``, ``-``, ``@``,
tab or carriage return: OWASP "CSV injection") are prefixed with a single quote on
export; the reader strips exactly that prefix again.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterable, Mapping

from miner.errors import InputFileError
from miner import schema
from miner.export.common import atomic_file, check_target
from miner.schema import Finding

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FINDING_COLUMNS = [
    "finding_id", "status", "confidence", "doc_id", "drug", "prior_drug", "mechanism", "effect",
    "drug_ids", "prior_drug_ids", "mechanism_genes", "mechanism_type", "kind",
    "direction_bidirectional", "hedged", "negated", "evidence_level", "cancer", "section",
    "sentence", "sentence_start", "sentence_end", "rule",
]
DECISION_COLUMNS = [
    "decision", "corrected_drug", "corrected_prior_drug", "corrected_mechanism", "corrected_effect",
    "curator", "note",
]
COLUMNS = FINDING_COLUMNS + DECISION_COLUMNS


def neutralize(value: object) -> str:
    """Render a cell so that no spreadsheet runs it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def unneutralize(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_START) else text


def finding_row(f: Finding) -> dict[str, object]:
    sent = f.offsets.get("sentence", [None, None])
    return {
        "finding_id": f.id, "status": f.status, "confidence": f"{f.confidence:.3f}",
        "doc_id": f.doc_id, "drug": f.drug, "prior_drug": f.prior_drug, "mechanism": f.mechanism,
        "effect": f.effect, "drug_ids": "|".join(f.drug_ids), "prior_drug_ids": "|".join(f.prior_drug_ids),
        "mechanism_genes": "|".join(f.mechanism_genes), "mechanism_type": f.mechanism_type,
        "kind": f.kind, "direction_bidirectional": f.direction_bidirectional, "hedged": f.hedged,
        "negated": f.negated, "evidence_level": f.evidence_level, "cancer": f.cancer,
        "section": f.section, "sentence": f.sentence, "sentence_start": sent[0],
        "sentence_end": sent[1], "rule": f.rule,
    }


def write_table(findings: Iterable[Finding], texts: Mapping[str, str], out: Path, *,
                delimiter: str = ",", bom: bool = False, force: bool = False) -> int:
    """One row per finding with empty decision columns; returns the row count."""
    n = 0
    with atomic_file(out, force, encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, delimiter=delimiter, lineterminator="\r\n")
        writer.writeheader()
        for f in findings:
            row = {k: neutralize(v) for k, v in finding_row(f).items()}
            row.update({k: "" for k in DECISION_COLUMNS})
            writer.writerow(row)
            n += 1
    return n


def read_table_decisions(path: Path) -> list[dict]:
    """Decisions from an edited CSV/TSV.

    Rows with an empty ``decision`` were not reviewed and are skipped.  Each
    decision is ``{finding_id, decision, corrected, curator, note}``.
    """
    text = path.read_text(encoding="utf-8-sig")
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.DictReader(text.splitlines(), delimiter=delimiter)
    missing = {"finding_id", "decision"} - set(reader.fieldnames or [])
    if missing:
        raise InputFileError(path, f"not a miner curation table (missing column(s) {', '.join(sorted(missing))})", "line 1")
    decisions = []
    for lineno, row in enumerate(reader, 2):
        row = {k: unneutralize((v or "").strip()) for k, v in row.items() if k}
        if not row.get("decision"):
            continue
        corrected = {
            field: row[f"corrected_{field}"]
            for field in ("drug", "prior_drug", "mechanism", "effect")
            if row.get(f"corrected_{field}")
        }
        decisions.append({
            "finding_id": row.get("finding_id", ""), "decision": row["decision"],
            "corrected": corrected, "curator": row.get("curator", ""), "note": row.get("note", ""),
            "where": f"{path.name} line {lineno}",
        })
    return decisions


def write_jsonl(findings: Iterable[Finding], texts: Mapping[str, str], out: Path, *, force: bool = False) -> int:
    """The findings' own JSONL (``miner.schema``), behind the exports' overwrite guard."""
    check_target(out, force)
    return schema.write_jsonl(findings, out)
