"""brat standoff: one ``.txt`` + ``.ann`` per document and the ``annotation.conf``.

A finding becomes an event ``Finding`` whose trigger is the drug mention, with
arguments ``Drug``, ``PriorDrug`` and ``Mechanism`` (text-bound ``T`` lines with exact
character offsets into the ``.txt``), attributes ``Effect``, ``Hedged``, ``Negated``
and an ``AnnotatorNotes`` line carrying the finding id and confidence.  A curator sets
the ``Decision`` attribute (and may move argument spans); :func:`read_brat_decisions`
reads that back.  Format: https://brat.nlplab.org/standoff.html
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Mapping

from miner.errors import InputFileError
from miner.export.common import ROLE_FIELDS, argument_spans, atomic_dir, document_text, group_by_doc, safe_name
from miner.schema import EFFECTS, Finding

DECISIONS = ("accepted", "rejected", "corrected")
ENTITY_TYPE = {"Drug": "Drug", "PriorDrug": "Drug", "Mechanism": "Mechanism"}


def annotation_conf() -> str:
    return (
        "[entities]\nDrug\nMechanism\n\n[relations]\n\n[events]\n"
        "Finding\tDrug:Drug, PriorDrug?:Drug, Mechanism?:Mechanism\n\n[attributes]\n"
        f"Effect\tArg:Finding, Value:{'|'.join(EFFECTS)}\n"
        "Hedged\tArg:Finding\nNegated\tArg:Finding\n"
        f"Decision\tArg:Finding, Value:{'|'.join(DECISIONS)}\n"
    )


def _clean(text: str) -> str:
    """brat keeps a T line's text on one line."""
    return text.replace("\n", " ").replace("\r", " ")


def document_ann(findings: list[Finding], text: str) -> str:
    lines: list[str] = []
    tids: dict[tuple[str, int, int], str] = {}

    def tbound(kind: str, start: int, end: int) -> str:
        key = (kind, start, end)
        if key not in tids:
            tids[key] = f"T{len(tids) + 1}"
            lines.append(f"{tids[key]}\t{kind} {start} {end}\t{_clean(text[start:end])}")
        return tids[key]

    a = 0
    for e, f in enumerate(findings, 1):
        spans = {s.role: s for s in argument_spans(f, text)}
        if "Drug" not in spans:
            continue  # an event needs its trigger; findings without a located drug are skipped
        drug = spans["Drug"]
        trigger = tbound("Finding", drug.start, drug.end)
        args = [f"Finding:{trigger}"] + [
            f"{role}:{tbound(ENTITY_TYPE[role], s.start, s.end)}" for role, s in spans.items()
        ]
        lines.append(f"E{e}\t{' '.join(args)}")
        a += 1
        lines.append(f"A{a}\tEffect E{e} {f.effect}")
        for flag, on in (("Hedged", f.hedged), ("Negated", f.negated)):
            if on:
                a += 1
                lines.append(f"A{a}\t{flag} E{e}")
        lines.append(f"#{e}\tAnnotatorNotes E{e}\tfinding_id={f.id}; confidence={f.confidence:.3f}; rule={f.rule}")
    return "\n".join(lines) + ("\n" if lines else "")


def write_brat(findings: Iterable[Finding], texts: Mapping[str, str], out: Path, *, force: bool = False) -> int:
    """Write the brat collection directory ``out``; returns the number of documents."""
    groups = group_by_doc(findings)
    with atomic_dir(out, force) as tmp:
        (tmp / "annotation.conf").write_text(annotation_conf(), encoding="utf-8")
        for doc_id, items in groups.items():
            text = document_text(doc_id, texts)
            stem = safe_name(doc_id)
            (tmp / f"{stem}.txt").write_text(text, encoding="utf-8", newline="")
            (tmp / f"{stem}.ann").write_text(document_ann(items, text), encoding="utf-8", newline="")
    return len(groups)


_NOTE_ID = re.compile(r"finding_id=([A-Za-z0-9_.:-]+)")


def read_brat_decisions(path: Path) -> list[dict]:
    """Decisions from one ``.ann`` file or a directory of them."""
    files = sorted(path.glob("*.ann")) if path.is_dir() else [path]
    if not files:
        raise InputFileError(path, "no .ann files found")
    decisions = []
    for ann in files:
        tbs: dict[str, str] = {}
        events: dict[str, dict[str, str]] = {}
        attrs: dict[str, dict[str, str]] = {}
        notes: dict[str, str] = {}
        for lineno, line in enumerate(ann.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            parts = line.split("\t")
            ident = parts[0]
            try:
                if ident.startswith("T"):
                    tbs[ident] = parts[2]
                elif ident.startswith("E"):
                    events[ident] = dict(arg.split(":", 1) for arg in parts[1].split())
                elif ident.startswith("A"):
                    bits = parts[1].split()
                    attrs.setdefault(bits[1], {})[bits[0]] = bits[2] if len(bits) > 2 else "true"
                elif ident.startswith("#"):
                    target = parts[1].split()[1]
                    notes[target] = parts[2] if len(parts) > 2 else ""
            except (IndexError, ValueError):
                raise InputFileError(ann, "malformed brat line", f"line {lineno}") from None
        for eid, args in events.items():
            decision = attrs.get(eid, {}).get("Decision")
            m = _NOTE_ID.search(notes.get(eid, ""))
            if not decision:
                continue
            if not m:
                raise InputFileError(ann, f"event {eid} has a Decision but no finding_id note")
            corrected = {ROLE_FIELDS[role]: tbs.get(tid, "") for role, tid in args.items() if role in ROLE_FIELDS}
            effect = attrs.get(eid, {}).get("Effect")
            if effect:
                corrected["effect"] = effect
            decisions.append({"finding_id": m.group(1), "decision": decision, "corrected": corrected,
                              "curator": "", "note": "", "where": f"{ann.name} {eid}"})
    return decisions
