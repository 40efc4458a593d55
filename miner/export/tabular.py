"""CSV/TSV for spreadsheet curation, and reading the curator's decisions back.

Cells a spreadsheet would evaluate as a formula are prefixed with a single quote on export
(OWASP "CSV injection"): a leading ``=``, ``+``, ``-`` or ``@`` counts even behind whitespace,
line breaks and invisible characters (NBSP, zero-width space, BOM) and in its fullwidth or
small forms (``＝``, ``﹢``), because spreadsheets skip or fold those; a leading tab or carriage
return is prefixed too.  The reader strips exactly that prefix again.

TSV is written without tabs or line breaks inside fields (they become spaces, so offsets
still hold): TSV readers do not honour quotes.  Decisions are read with the csv module over
the whole file (line ends ``\\r\\n``, ``\\r``, ``\\n`` only; U+2028, NEL, form feed and the
like stay inside their field), in the encoding :func:`miner.export.common.read_text` finds.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from pathlib import Path
from typing import Iterable, Mapping

from miner.errors import InputFileError
from miner.export.common import atomic_file, decision_summary, json_line, one_line, read_text
from miner.schema import Finding

FORMULA_CHARS = "=+-@"
FINDING_COLUMNS = [
    "finding_id", "status", "gold_ids", "reason", "confidence", "doc_id", "drug", "prior_drug", "mechanism", "effect",
    "drug_ids", "prior_drug_ids", "mechanism_genes", "mechanism_type", "kind",
    "direction_bidirectional", "hedged", "negated", "evidence_level", "cancer", "cancer_name", "cancer_id",
    "section", "sentence", "sentence_start", "sentence_end", "rule",
]
#: Read-only: the decision already stored for the finding (see ``decision_summary``).
LATEST_COLUMNS = ["latest_decision", "latest_curator", "latest_decision_time", "latest_correction"]
DECISION_COLUMNS = [
    "decision", "corrected_drug", "corrected_prior_drug", "corrected_mechanism", "corrected_effect",
    "curator", "note",
]
COLUMNS = FINDING_COLUMNS + LATEST_COLUMNS + DECISION_COLUMNS
#: Delimiters a curator's spreadsheet may save with (";" is Excel's in many European locales).
DELIMITERS = (",", "\t", ";")


def _skippable(ch: str) -> bool:
    """Characters a spreadsheet may ignore before a formula: whitespace and invisible format/control characters."""
    return ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zs", "Zl", "Zp")


def formula_like(text: str) -> bool:
    """Whether a spreadsheet could run ``text`` as a formula (see the module docstring)."""
    if text.startswith(("\t", "\r")):
        return True
    for ch in text:
        if not _skippable(ch):
            return unicodedata.normalize("NFKC", ch)[:1] in FORMULA_CHARS
    return False


def neutralize(value: object) -> str:
    """Render a cell so that no spreadsheet runs it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if formula_like(text) else text


def unneutralize(text: str) -> str:
    return text[1:] if text.startswith("'") and formula_like(text[1:]) else text


def finding_row(f: Finding) -> dict[str, object]:
    sent = f.offsets.get("sentence", [None, None])
    return {
        "finding_id": f.id, "status": f.status, "gold_ids": ";".join(f.gold_ids), "reason": f.reason,
        "confidence": f"{f.confidence:.3f}",
        "doc_id": f.doc_id, "drug": f.drug, "prior_drug": f.prior_drug, "mechanism": f.mechanism,
        "effect": f.effect, "drug_ids": "|".join(f.drug_ids), "prior_drug_ids": "|".join(f.prior_drug_ids),
        "mechanism_genes": "|".join(f.mechanism_genes), "mechanism_type": f.mechanism_type,
        "kind": f.kind, "direction_bidirectional": f.direction_bidirectional, "hedged": f.hedged,
        "negated": f.negated, "evidence_level": f.evidence_level, "cancer": f.cancer,
        "cancer_name": f.cancer_name, "cancer_id": f.cancer_id,
        "section": f.section, "sentence": f.sentence, "sentence_start": sent[0],
        "sentence_end": sent[1], "rule": f.rule,
    }


def write_table(findings: Iterable[Finding], texts: Mapping[str, str], out: Path, *,
                delimiter: str = ",", bom: bool = False, force: bool = False,
                decisions: Mapping[str, dict] | None = None) -> int:
    """One row per finding with its latest decision shown and empty decision columns; returns the row count."""
    n = 0
    flat = one_line if delimiter == "\t" else str
    decisions = decisions or {}
    with atomic_file(out, force, encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, delimiter=delimiter, lineterminator="\r\n")
        writer.writeheader()
        for f in findings:
            row = {**finding_row(f), **decision_summary(decisions.get(f.id))}
            row = {k: neutralize(flat("" if v is None else str(v))) for k, v in row.items()}
            row.update({k: "" for k in DECISION_COLUMNS})
            writer.writerow(row)
            n += 1
    return n


def _delimiter(text: str) -> str:
    """The delimiter under which the header names the most miner columns."""
    header = text.replace("\r", "\n").split("\n", 1)[0]

    def known(d: str) -> int:
        names = next(csv.reader([header], delimiter=d), [])
        return len({n.strip() for n in names} & set(COLUMNS))

    return max(DELIMITERS, key=known)


def read_table_decisions(path: Path, encoding: str | None = None) -> list[dict]:
    """Decisions from an edited CSV/TSV.

    Rows with an empty ``decision`` were not reviewed and are skipped.  Each decision is
    ``{finding_id, decision, corrected, curator, note, where}``; ``where`` names the row's first line.
    """
    text = read_text(path, encoding)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        fields = [(n or "").strip() for n in reader.fieldnames or []]
        reader.fieldnames = fields
        missing = {"finding_id", "decision"} - set(fields)
        if missing:
            raise InputFileError(path, f"not a miner curation table (missing column(s) {', '.join(sorted(missing))})",
                                 "line 1")
        decisions = []
        line = reader.line_num + 1
        for row in reader:
            where, line = f"{path.name} line {line}", reader.line_num + 1
            row = {k: unneutralize(v.strip() if isinstance(v, str) else "") for k, v in row.items() if k}
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
                "where": where,
            })
    except csv.Error as exc:
        raise InputFileError(path, f"not a readable CSV/TSV table ({exc})", f"line {reader.line_num}") from None
    return decisions


def write_jsonl(findings: Iterable[Finding], texts: Mapping[str, str], out: Path, *, force: bool = False,
                decisions: Mapping[str, dict] | None = None) -> int:
    """The findings' own JSONL (``miner.schema``), behind the exports' overwrite guard (``-`` = stdout).

    The schema has no decision field, so ``decisions`` are not shown here.
    """
    n = 0
    with atomic_file(out, force) as fh:
        for finding in findings:
            fh.write(json_line(finding.to_dict()) + "\n")
            n += 1
    return n
