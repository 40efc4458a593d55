"""Curated decisions back into miner, and promotion of accepted findings.

Readers (CSV/TSV, Label Studio export, brat ``.ann``) return raw decisions; this
module validates them all before anything is stored (unknown finding ids, unknown
decisions or effects, two different decisions for one finding in one file are reported
together and nothing is applied), keeps only the corrected fields that really differ,
and promotes accepted/corrected findings to ``annotations/curated.jsonl`` without
touching the gold set.

A corrected argument carries its new document offsets (``corrected["offsets"]``): from
the span itself in Label Studio and brat, where a span moved to other offsets is a
correction even with the same text and a span left where it was is not one (whatever
the finding's ``drug`` text says); for a CSV correction, the new text located in the
finding's sentence, or no offsets when it is not there (a normalised name).

Decisions are identified by (finding id, curator, decision, corrections, note):
:func:`new_decisions` drops those already stored, so importing a file again is a no-op.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from miner.errors import InputFileError, MinerError
from miner.export.brat import read_brat_decisions
from miner.export.common import ROLES, json_line
from miner.export.labelstudio import read_label_studio_decisions
from miner.export.tabular import read_table_decisions
from miner.schema import EFFECTS, Finding

#: curator spellings -> stored decision
DECISION_ALIASES = {
    "accepted": "accepted", "accept": "accepted", "yes": "accepted", "y": "accepted", "ok": "accepted",
    "rejected": "rejected", "reject": "rejected", "no": "rejected", "n": "rejected",
    "corrected": "corrected", "correct": "corrected", "fix": "corrected", "fixed": "corrected",
}


def read_decisions(path: str | Path, encoding: str | None = None) -> list[dict]:
    """Raw decisions from a CSV/TSV, a Label Studio JSON export, or brat ``.ann`` file(s)."""
    path = Path(path)
    if not path.exists():
        raise MinerError(f"{path}: no such file or directory")
    if path.is_dir() or path.suffix == ".ann":
        return read_brat_decisions(path, encoding)
    if path.suffix.lower() == ".json":
        return read_label_studio_decisions(path, encoding)
    if path.suffix.lower() in (".csv", ".tsv", ".txt"):
        return read_table_decisions(path, encoding)
    raise InputFileError(path, "unknown decision file type (expected .csv, .tsv, .json from Label Studio, or brat .ann)")


def _in_sentence(finding: Finding, field: str, text: str) -> list[int] | None:
    """Document offsets of ``text`` in the finding's sentence (the occurrence nearest the old span), if it is there."""
    sent = finding.offsets.get("sentence")
    if not text or not sent or sent[1] - sent[0] != len(finding.sentence):
        return None
    hits, i = [], finding.sentence.find(text)
    while i >= 0:
        hits.append(sent[0] + i)
        i = finding.sentence.find(text, i + 1)
    if not hits:
        return None
    old = (finding.offsets.get(field) or [sent[0]])[0]
    start = min(hits, key=lambda h: abs(h - old))
    return [start, start + len(text)]


def _changes(d: dict, finding: Finding) -> dict:
    """The fields ``d`` really changes, with ``offsets`` for each changed argument (None: not in the text)."""
    texts = d.get("corrected") or {}
    spans = d.get("offsets") or {}
    changed: dict = {}
    offsets: dict[str, list[int] | None] = {}
    for field in ROLES:
        span = spans.get(field)
        if span is not None:  # a located span: it is a correction exactly when it moved
            if list(span) != list(finding.offsets.get(field) or []):
                changed[field] = texts.get(field, "")
                offsets[field] = [int(span[0]), int(span[1])]
        elif field in texts and texts[field] != getattr(finding, field):
            changed[field] = texts[field]
            offsets[field] = _in_sentence(finding, field, texts[field])
    if "effect" in texts and texts["effect"] != finding.effect:
        changed["effect"] = texts["effect"]
    if offsets:
        changed["offsets"] = offsets
    return changed


def validate_decisions(raw: Iterable[dict], findings: dict[str, Finding], curator: str = "") -> list[dict]:
    """Normalised decisions ready to store, one per finding; raises one error listing every problem.

    Identical rows for one finding are kept once; different ones are a conflict the curator must resolve.
    """
    problems, out = [], []
    first: dict[str, tuple[str, tuple]] = {}
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
        corrected = {} if decision == "rejected" else _changes(d, finding)  # nothing to correct in a rejection
        if "effect" in corrected and corrected["effect"] not in EFFECTS:
            problems.append(f"{where}: unknown effect {corrected['effect']!r}")
            continue
        if corrected and decision == "accepted":
            decision = "corrected"
        if decision == "corrected" and not corrected:
            problems.append(f"{where}: decision 'corrected' but no field was changed")
            continue
        item = {"finding_id": fid, "decision": decision, "corrected": corrected,
                "curator": d.get("curator") or curator, "note": d.get("note", ""), "time": now}
        key = decision_key(item)
        if fid in first:
            if first[fid][1] != key:
                problems.append(f"{where}: finding {fid} already has a different decision at {first[fid][0]} "
                                f"({_describe(first[fid][1])} vs {_describe(key)}); keep one row per finding")
            continue
        first[fid] = (where, key)
        out.append(item)
    if problems:
        raise MinerError("no decision was applied; fix these rows:\n  " + "\n  ".join(problems))
    return out


def decision_key(d: dict) -> tuple[str, str, str, str, str]:
    """What identifies a decision: finding id, curator and its content (not the time it was imported)."""
    corrected = json.dumps(d.get("corrected") or {}, sort_keys=True, ensure_ascii=False)
    return (d["finding_id"], d.get("curator") or "", d["decision"], corrected, d.get("note") or "")


def _describe(key: tuple) -> str:
    _, curator, decision, corrected, _ = key
    fields = [k for k in json.loads(corrected) if k != "offsets"]
    return decision + (f" of {', '.join(fields)}" if fields else "") + (f" by {curator}" if curator else "")


def new_decisions(decisions: Iterable[dict], stored: Iterable[dict]) -> list[dict]:
    """``decisions`` minus those already stored (same :func:`decision_key`): re-importing a file adds nothing."""
    seen = {decision_key(d) for d in stored}
    return [d for d in decisions if decision_key(d) not in seen]


def latest_decisions(decisions: Iterable[dict]) -> dict[str, dict]:
    """Finding id -> its latest decision (``decisions`` in the order they were recorded)."""
    latest: dict[str, dict] = {}
    for d in decisions:
        latest[d["finding_id"]] = d  # later decisions supersede earlier ones
    return latest


def apply_correction(finding: Finding, decision: dict) -> Finding:
    """The finding as curated: corrected fields and their offsets (an argument not in the text loses its offsets)."""
    data = finding.to_dict()
    corrected = dict(decision.get("corrected") or {})
    new_offsets = corrected.pop("offsets", None) or {}
    data.update(corrected)
    offsets = dict(data.get("offsets") or {})
    for field, span in new_offsets.items():
        if span is None:
            offsets.pop(field, None)
        else:
            offsets[field] = list(span)
    data.update({"offsets": offsets, "source": "curated", "confidence": 1.0,
                 "note": "; ".join(x for x in (finding.note, decision.get("note", "")) if x)})
    return Finding.from_dict(data)


def promote(findings: dict[str, Finding], decisions: Iterable[dict], out: Path) -> int:
    """Append accepted/corrected findings to ``out`` (JSONL) once each; returns how many were added."""
    latest = latest_decisions(decisions)
    present: set[str] = set()
    if out.exists():
        for line in out.read_text(encoding="utf-8").split("\n"):  # U+2028 inside a JSON string is not a line end
            if line.strip():
                present.add(json.loads(line).get("id", ""))
    new = [apply_correction(findings[fid], d) for fid, d in latest.items()
           if d["decision"] in ("accepted", "corrected") and fid in findings and fid not in present]
    if new:
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("a", encoding="utf-8") as fh:
            for f in new:
                fh.write(json_line(f.to_dict()) + "\n")
    return len(new)
