"""Curated decisions back into miner, and promotion of accepted findings.

Readers (CSV/TSV, Label Studio export, brat ``.ann``) return raw decisions; this
module validates them all before anything is stored (unknown finding ids, unknown
decisions or effects are reported together and nothing is applied), keeps only the
corrected fields that really differ, and promotes accepted/corrected findings to
``annotations/curated.jsonl`` without touching the gold set.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from miner.errors import InputFileError, MinerError
from miner.export.brat import read_brat_decisions
from miner.export.labelstudio import read_label_studio_decisions
from miner.export.tabular import read_table_decisions
from miner.schema import EFFECTS, Finding

#: curator spellings -> stored decision
DECISION_ALIASES = {
    "accepted": "accepted", "accept": "accepted", "yes": "accepted", "y": "accepted", "ok": "accepted",
    "rejected": "rejected", "reject": "rejected", "no": "rejected", "n": "rejected",
    "corrected": "corrected", "correct": "corrected", "fix": "corrected", "fixed": "corrected",
}
CORRECTABLE = ("drug", "prior_drug", "mechanism", "effect")


def read_decisions(path: str | Path) -> list[dict]:
    """Raw decisions from a CSV/TSV, a Label Studio JSON export, or brat ``.ann`` file(s)."""
    path = Path(path)
    if not path.exists():
        raise MinerError(f"{path}: no such file or directory")
    if path.is_dir() or path.suffix == ".ann":
        return read_brat_decisions(path)
    if path.suffix.lower() == ".json":
        return read_label_studio_decisions(path)
    if path.suffix.lower() in (".csv", ".tsv", ".txt"):
        return read_table_decisions(path)
    raise InputFileError(path, "unknown decision file type (expected .csv, .tsv, .json from Label Studio, or brat .ann)")


def validate_decisions(raw: Iterable[dict], findings: dict[str, Finding], curator: str = "") -> list[dict]:
    """Normalised decisions ready to store; raises one error listing every problem."""
    problems, out = [], []
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    for d in raw:
        where = d.get("where", "")
        fid = d.get("finding_id", "")
        decision = DECISION_ALIASES.get(str(d.get("decision", "")).strip().lower())
        finding = findings.get(fid)
        if finding is None:
            problems.append(f"{where}: unknown finding id {fid!r}")
            continue
        if decision is None:
            problems.append(f"{where}: unknown decision {d.get('decision')!r} (use accepted, rejected or corrected)")
            continue
        corrected = {k: v for k, v in (d.get("corrected") or {}).items()
                     if k in CORRECTABLE and v != getattr(finding, k)}
        if "effect" in corrected and corrected["effect"] not in EFFECTS:
            problems.append(f"{where}: unknown effect {corrected['effect']!r}")
            continue
        if corrected and decision == "accepted":
            decision = "corrected"
        if decision == "corrected" and not corrected:
            problems.append(f"{where}: decision 'corrected' but no field was changed")
            continue
        out.append({"finding_id": fid, "decision": decision, "corrected": corrected,
                    "curator": d.get("curator") or curator, "note": d.get("note", ""), "time": now})
    if problems:
        raise MinerError("no decision was applied; fix these rows:\n  " + "\n  ".join(problems))
    return out


def apply_correction(finding: Finding, decision: dict) -> Finding:
    data = finding.to_dict()
    data.update(decision.get("corrected") or {})
    data.update({"source": "curated", "confidence": 1.0,
                 "note": "; ".join(x for x in (finding.note, decision.get("note", "")) if x)})
    return Finding.from_dict(data)


def promote(findings: dict[str, Finding], decisions: Iterable[dict], out: Path) -> int:
    """Append accepted/corrected findings to ``out`` (JSONL) once each; returns how many were added."""
    latest: dict[str, dict] = {}
    for d in decisions:
        latest[d["finding_id"]] = d  # later decisions supersede earlier ones
    present: set[str] = set()
    if out.exists():
        for line in out.read_text(encoding="utf-8").splitlines():
            if line.strip():
                present.add(json.loads(line).get("id", ""))
    new = [apply_correction(findings[fid], d) for fid, d in latest.items()
           if d["decision"] in ("accepted", "corrected") and fid in findings and fid not in present]
    if new:
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("a", encoding="utf-8") as fh:
            for f in new:
                fh.write(json.dumps(f.to_dict(), ensure_ascii=False) + "\n")
    return len(new)
