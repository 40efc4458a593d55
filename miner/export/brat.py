"""brat standoff: one ``.txt`` + ``.ann`` per document and the ``annotation.conf``.

A finding becomes an event ``Finding`` whose trigger is the drug mention, with
arguments ``Drug``, ``PriorDrug`` and ``Mechanism`` (text-bound ``T`` lines with exact
character offsets into the ``.txt``), attributes ``Effect``, ``Hedged``, ``Negated``
and an ``AnnotatorNotes`` line carrying the finding id, confidence and the latest stored
decision.  A curator sets the ``Decision`` attribute (and may move argument spans);
:func:`read_brat_decisions` reads that back, checking every ``T`` line's text against the
``.txt`` at its offsets.  File names are unique and bounded
(:func:`miner.export.common.unique_stems`); a ``T`` line carries tabs and line breaks of its
mention as spaces, so it stays one line with three fields.
Format: https://brat.nlplab.org/standoff.html
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Mapping

from miner.errors import InputFileError
from miner.export.common import (ROLE_FIELDS, argument_spans, atomic_dir, decision_summary, document_text,
                                 group_by_doc, one_line, read_text, unique_stems)
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


def document_ann(findings: list[Finding], text: str, decisions: Mapping[str, dict] | None = None) -> str:
    lines: list[str] = []
    tids: dict[tuple[str, int, int], str] = {}

    def tbound(kind: str, start: int, end: int) -> str:
        key = (kind, start, end)
        if key not in tids:
            tids[key] = f"T{len(tids) + 1}"
            lines.append(f"{tids[key]}\t{kind} {start} {end}\t{one_line(text[start:end])}")
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
        note = f"finding_id={f.id}; confidence={f.confidence:.3f}; rule={f.rule}"
        latest = decision_summary((decisions or {}).get(f.id))
        if latest["latest_decision"]:
            note += f"; latest decision={latest['latest_decision']} by {latest['latest_curator'] or '?'}"
            note += f" {latest['latest_decision_time']}".rstrip()
            if latest["latest_correction"]:
                note += f" ({latest['latest_correction']})"
        lines.append(f"#{e}\tAnnotatorNotes E{e}\t{one_line(note)}")
    return "\n".join(lines) + ("\n" if lines else "")


def write_brat(findings: Iterable[Finding], texts: Mapping[str, str], out: Path, *, force: bool = False,
               decisions: Mapping[str, dict] | None = None) -> int:
    """Write the brat collection directory ``out``; returns the number of documents."""
    groups = group_by_doc(findings)
    stems = unique_stems(groups)
    with atomic_dir(out, force) as tmp:
        (tmp / "annotation.conf").write_text(annotation_conf(), encoding="utf-8")
        for doc_id, items in groups.items():
            text = document_text(doc_id, texts)
            (tmp / f"{stems[doc_id]}.txt").write_text(text, encoding="utf-8", newline="")
            (tmp / f"{stems[doc_id]}.ann").write_text(document_ann(items, text, decisions), encoding="utf-8",
                                                      newline="")
    return len(groups)


_NOTE_ID = re.compile(r"finding_id=([A-Za-z0-9_.:-]+)")


def _text_bound(ann: Path, where: str, info: str, mention: str, txt: str) -> tuple[str, list[int]]:
    """(text, [start, end]) of a T line; an error unless its text is the ``.txt`` text at its offsets."""
    _, _, spans = info.partition(" ")
    try:
        fragments = [tuple(int(x) for x in frag.split()) for frag in spans.split(";")]
        if any(len(fr) != 2 or not 0 <= fr[0] <= fr[1] <= len(txt) for fr in fragments):
            raise ValueError
    except ValueError:
        raise InputFileError(ann, f"offsets {spans!r} are not start/end pairs inside the .txt", where) from None
    if len(fragments) > 1:
        raise InputFileError(ann, "a discontinuous span cannot be a finding argument; use one start and end", where)
    start, end = fragments[0]
    if one_line(txt[start:end]) != mention:
        raise InputFileError(ann, f"the text {mention!r} is not the text at {start}-{end} "
                                  f"({one_line(txt[start:end])!r}); move the span instead of retyping it", where)
    return txt[start:end], [start, end]


def read_brat_decisions(path: Path, encoding: str | None = None) -> list[dict]:
    """Decisions from one ``.ann`` file or a directory of them (each with its ``.txt`` beside it).

    ``corrected`` holds the text of every argument and ``offsets`` its offsets; whether that is a change is
    decided against the finding (:func:`miner.export.curate.validate_decisions`).
    """
    files = sorted(path.glob("*.ann")) if path.is_dir() else [path]
    if not files:
        raise InputFileError(path, "no .ann files found")
    decisions = []
    for ann in files:
        txt_path = ann.with_suffix(".txt")
        if not txt_path.is_file():
            raise InputFileError(ann, f"no {txt_path.name} beside it: its offsets cannot be checked")
        txt = read_text(txt_path, encoding)
        tbs: dict[str, tuple[int, str, str]] = {}
        events: dict[str, dict[str, str]] = {}
        attrs: dict[str, dict[str, str]] = {}
        notes: dict[str, str] = {}
        # brat ends lines with "\n" only: U+2028, form feed and the like are text, not line ends
        for lineno, line in enumerate(read_text(ann, encoding).split("\n"), 1):
            line = line.rstrip("\r")
            if not line.strip():
                continue
            parts = line.split("\t")
            ident = parts[0]
            try:
                if ident.startswith("T"):
                    tbs[ident] = (lineno, parts[1], parts[2])
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
            corrected: dict[str, str] = {}
            offsets: dict[str, list[int]] = {}
            for role, tid in args.items():
                field = ROLE_FIELDS.get(role)
                if not field:
                    continue
                if tid not in tbs:
                    raise InputFileError(ann, f"event {eid} refers to {tid}, which has no T line")
                lineno, info, mention = tbs[tid]
                corrected[field], offsets[field] = _text_bound(ann, f"line {lineno}", info, mention, txt)
            effect = attrs.get(eid, {}).get("Effect")
            if effect:
                corrected["effect"] = effect
            decisions.append({"finding_id": m.group(1), "decision": decision, "corrected": corrected,
                              "offsets": offsets, "curator": "", "note": "", "where": f"{ann.name} {eid}"})
    return decisions
