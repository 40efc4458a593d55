"""Label Studio tasks with pre-annotations, and decisions read back from its JSON export.

One task per finding (Label Studio's unit of review): ``data.text`` is the document
text (title + abstract; for long documents the paragraph holding the sentence),
``predictions`` carry the arguments as span ``labels`` results with exact offsets and
a ``relation`` result between them labelled with the effect (the format of Label
Studio's "import pre-annotated data").  The labeling config written beside the tasks
adds a ``decision`` choice and a ``note`` the curator fills in; the latest stored
decision is shown in the task's header (``data.latest_decision``...).

Label Studio counts offsets in UTF-16 code units (JavaScript strings), Python in code
points: they differ after any character outside the Basic Multilingual Plane (𝛼, emoji),
so offsets are converted on the way out and back, and a span whose text is not the text
at its offsets is an error, not a silent correction.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Mapping
from xml.sax.saxutils import quoteattr

from miner.errors import InputFileError
from miner.export.common import (ROLE_FIELDS, ROLES, argument_spans, atomic_file, decision_summary, document_text,
                                 is_stream, passage_around, read_text)
from miner.schema import EFFECTS, Finding

DECISIONS = ("accepted", "rejected", "corrected")


def labeling_config() -> str:
    labels = "".join(f'\n    <Label value={quoteattr(r)}/>' for r in ROLES.values())
    relations = "".join(f'\n    <Relation value={quoteattr(e)}/>' for e in EFFECTS)
    effects = "".join(f'\n    <Choice value={quoteattr(e)}/>' for e in EFFECTS)
    decisions = "".join(f'\n    <Choice value={quoteattr(d)}/>' for d in DECISIONS)
    return f"""<View>
  <Header value="Finding $finding_id ($doc_id); latest decision: $latest_decision_label"/>
  <Labels name="label" toName="text">{labels}
  </Labels>
  <Relations>{relations}
  </Relations>
  <Text name="text" value="$text"/>
  <Header value="Effect"/>
  <Choices name="effect" toName="text" choice="single">{effects}
  </Choices>
  <Header value="Decision"/>
  <Choices name="decision" toName="text" choice="single" required="true">{decisions}
  </Choices>
  <TextArea name="note" toName="text" placeholder="Note for the other curators"/>
</View>
"""


def utf16_index(text: str, index: int) -> int:
    """The UTF-16 code-unit offset of code-point offset ``index`` in ``text``."""
    if text.isascii():
        return index
    return index + sum(1 for ch in text[:index] if ord(ch) > 0xFFFF)


def codepoint_index(text: str, units: int) -> int | None:
    """The code-point offset of UTF-16 offset ``units`` in ``text``; None if it is out of range or splits a pair."""
    if text.isascii():
        return units if 0 <= units <= len(text) else None
    encoded = text.encode("utf-16-le", "surrogatepass")
    if not 0 <= units * 2 <= len(encoded):
        return None
    try:
        return len(encoded[: units * 2].decode("utf-16-le"))
    except UnicodeDecodeError:
        return None


def finding_task(f: Finding, text: str, task_id: int, decision: dict | None = None) -> dict:
    sent = f.offsets.get("sentence") or [0, 0]
    passage, base = passage_around(text, sent[0], sent[1])
    results = []
    for span in argument_spans(f, text):
        start, end = span.start - base, span.end - base
        if not (0 <= start < end <= len(passage)):
            continue
        results.append({
            "id": f"{f.id}-{span.role}", "from_name": "label", "to_name": "text", "type": "labels",
            "value": {"start": utf16_index(passage, start), "end": utf16_index(passage, end),
                      "text": passage[start:end], "labels": [span.role]},
            "score": f.confidence,
        })
    ids = {r["value"]["labels"][0]: r["id"] for r in results}
    if "Drug" in ids:
        for other in ("PriorDrug", "Mechanism"):
            if other in ids:
                results.append({"type": "relation", "from_id": ids[other], "to_id": ids["Drug"],
                                "direction": "right", "labels": [f.effect]})
    results.append({"id": f"{f.id}-effect", "from_name": "effect", "to_name": "text", "type": "choices",
                    "value": {"choices": [f.effect]}})
    latest = decision_summary(decision)
    label = " ".join(x for x in (latest["latest_decision"], latest["latest_curator"] and f"by {latest['latest_curator']}",
                                 latest["latest_decision_time"]) if x) or "none"
    return {
        "id": task_id,
        "data": {"text": passage, "finding_id": f.id, "doc_id": f.doc_id, "passage_offset": base,
                 "drug": f.drug, "prior_drug": f.prior_drug, "mechanism": f.mechanism,
                 "effect": f.effect, "status": f.status, "gold_ids": ";".join(f.gold_ids), "reason": f.reason, "rule": f.rule,
                 **latest, "latest_decision_label": label},
        "predictions": [{"model_version": f.rule or "miner", "score": f.confidence, "result": results}],
    }


def write_label_studio(findings: Iterable[Finding], texts: Mapping[str, str], out: Path, *, force: bool = False,
                       decisions: Mapping[str, dict] | None = None) -> int:
    """The tasks JSON, and ``<out>.labeling-config.xml`` beside it (not beside ``-`` or a device)."""
    decisions = decisions or {}
    tasks = [finding_task(f, document_text(f.doc_id, texts), i, decisions.get(f.id)) for i, f in enumerate(findings, 1)]
    if not is_stream(out):
        config_path = out.with_name(out.stem + ".labeling-config.xml")
        with atomic_file(config_path, force=True) as fh:
            fh.write(labeling_config())
    with atomic_file(out, force) as fh:
        json.dump(tasks, fh, ensure_ascii=False, indent=1)
    return len(tasks)


def _curator(annotation: dict) -> str:
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        return str(who.get("email") or who.get("id") or "")
    return "" if who is None else str(who)


def _span(path: Path, where: str, data: dict, value: dict) -> tuple[str, list[int]]:
    """(text, document offsets) of a labelled span; an error if its offsets are not where its text is."""
    passage = data.get("text")
    base = data.get("passage_offset", 0)
    start, end = value.get("start"), value.get("end")
    if not (isinstance(passage, str) and isinstance(base, int) and isinstance(start, int) and isinstance(end, int)):
        raise InputFileError(path, "span without integer start/end, or task without its text", where)
    cs, ce = codepoint_index(passage, start), codepoint_index(passage, end)
    text = value.get("text")
    if cs is None or ce is None or cs >= ce:
        raise InputFileError(path, f"span {start}-{end} is not inside the task text", where)
    if text is not None and passage[cs:ce] != text:
        raise InputFileError(path, f"span {start}-{end} holds {passage[cs:ce]!r}, not its text {text!r}", where)
    return passage[cs:ce], [base + cs, base + ce]


def read_label_studio_decisions(path: Path, encoding: str | None = None) -> list[dict]:
    """Decisions from a Label Studio JSON export (the latest annotation of each task).

    ``corrected`` holds the text of every span and ``offsets`` its document offsets; whether that is a change is
    decided against the finding (:func:`miner.export.curate.validate_decisions`).
    """
    try:
        tasks = json.loads(read_text(path, encoding))
    except json.JSONDecodeError as exc:
        raise InputFileError(path, f"invalid JSON: {exc.msg}", f"line {exc.lineno}, column {exc.colno}") from exc
    except RecursionError:
        raise InputFileError(path, "JSON nested too deeply") from None
    if not isinstance(tasks, list):
        raise InputFileError(path, "not a Label Studio export (expected a JSON list of tasks)")
    decisions = []
    for n, task in enumerate(tasks, 1):
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            raise InputFileError(path, "not a Label Studio task", f"task {n}")
        annotations = [a for a in task.get("annotations") or [] if isinstance(a, dict) and not a.get("was_cancelled")]
        if not annotations:
            continue
        ann = max(annotations, key=lambda a: (str(a.get("updated_at") or a.get("created_at") or ""),
                                            a["id"] if isinstance(a.get("id"), int) else -1))
        data = task["data"]
        where = f"task {task.get('id', n)}"
        decision, note, effect = "", "", ""
        corrected: dict[str, str] = {}
        offsets: dict[str, list[int]] = {}
        for r in ann.get("result") or []:
            value = r.get("value") if isinstance(r, dict) else None
            if not isinstance(value, dict):
                continue
            if r.get("from_name") == "decision":
                decision = str((value.get("choices") or [""])[0])
            elif r.get("from_name") == "effect":
                effect = str((value.get("choices") or [""])[0])
            elif r.get("from_name") == "note":
                note = " ".join(str(t) for t in value.get("text") or [])
            elif r.get("type") == "labels":
                for label in value.get("labels") or []:
                    field = ROLE_FIELDS.get(label)
                    if not field:
                        continue
                    if field in offsets:
                        raise InputFileError(path, f"two spans labelled {label}; a finding has one", where)
                    corrected[field], offsets[field] = _span(path, where, data, value)
        if not decision:
            continue
        if effect:
            corrected["effect"] = effect
        decisions.append({"finding_id": data.get("finding_id", ""), "decision": decision,
                          "corrected": corrected, "offsets": offsets, "curator": _curator(ann), "note": note,
                          "where": f"{path.name} {where}"})
    return decisions
