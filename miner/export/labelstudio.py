"""Label Studio tasks with pre-annotations, and decisions read back from its JSON export.

One task per finding (Label Studio's unit of review): ``data.text`` is the document
text (title + abstract; for long documents the paragraph holding the sentence),
``predictions`` carry the arguments as span ``labels`` results with exact offsets and
a ``relation`` result between them labelled with the effect (the format of Label
Studio's "import pre-annotated data").  The labeling config written beside the tasks
adds a ``decision`` choice and a ``note`` the curator fills in.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Mapping
from xml.sax.saxutils import quoteattr

from miner.errors import InputFileError
from miner.export.common import ROLE_FIELDS, ROLES, argument_spans, atomic_file, document_text, passage_around
from miner.schema import EFFECTS, Finding

DECISIONS = ("accepted", "rejected", "corrected")


def labeling_config() -> str:
    labels = "".join(f'\n    <Label value={quoteattr(r)}/>' for r in ROLES.values())
    relations = "".join(f'\n    <Relation value={quoteattr(e)}/>' for e in EFFECTS)
    effects = "".join(f'\n    <Choice value={quoteattr(e)}/>' for e in EFFECTS)
    decisions = "".join(f'\n    <Choice value={quoteattr(d)}/>' for d in DECISIONS)
    return f"""<View>
  <Header value="Finding $finding_id ($doc_id)"/>
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


def finding_task(f: Finding, text: str, task_id: int) -> dict:
    sent = f.offsets.get("sentence") or [0, 0]
    passage, base = passage_around(text, sent[0], sent[1])
    results = []
    for span in argument_spans(f, text):
        start, end = span.start - base, span.end - base
        if not (0 <= start < end <= len(passage)):
            continue
        results.append({
            "id": f"{f.id}-{span.role}", "from_name": "label", "to_name": "text", "type": "labels",
            "value": {"start": start, "end": end, "text": passage[start:end], "labels": [span.role]},
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
    return {
        "id": task_id,
        "data": {"text": passage, "finding_id": f.id, "doc_id": f.doc_id, "passage_offset": base,
                 "drug": f.drug, "prior_drug": f.prior_drug, "mechanism": f.mechanism,
                 "effect": f.effect, "status": f.status, "rule": f.rule},
        "predictions": [{"model_version": f.rule or "miner", "score": f.confidence, "result": results}],
    }


def write_label_studio(findings: Iterable[Finding], texts: Mapping[str, str], out: Path, *, force: bool = False) -> int:
    tasks = [finding_task(f, document_text(f.doc_id, texts), i) for i, f in enumerate(findings, 1)]
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


def read_label_studio_decisions(path: Path) -> list[dict]:
    """Decisions from a Label Studio JSON export (the latest annotation of each task)."""
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputFileError(path, f"invalid JSON: {exc.msg}", f"line {exc.lineno}, column {exc.colno}") from exc
    if not isinstance(tasks, list):
        raise InputFileError(path, "not a Label Studio export (expected a JSON list of tasks)")
    decisions = []
    for n, task in enumerate(tasks, 1):
        if not isinstance(task, dict) or "data" not in task:
            raise InputFileError(path, "not a Label Studio task", f"task {n}")
        annotations = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
        if not annotations:
            continue
        ann = max(annotations, key=lambda a: (str(a.get("updated_at") or a.get("created_at") or ""), a.get("id") or 0))
        data = task["data"]
        decision, note, effect, spans = "", "", "", {}
        for r in ann.get("result", []):
            value = r.get("value", {})
            if r.get("from_name") == "decision":
                decision = (value.get("choices") or [""])[0]
            elif r.get("from_name") == "effect":
                effect = (value.get("choices") or [""])[0]
            elif r.get("from_name") == "note":
                note = " ".join(value.get("text") or [])
            elif r.get("type") == "labels":
                for label in value.get("labels", []):
                    spans[label] = value.get("text", "")
        if not decision:
            continue
        corrected = {}
        for role, text in spans.items():
            field = ROLE_FIELDS.get(role)
            if field and text != data.get(field, ""):
                corrected[field] = text
        if effect and effect != data.get("effect"):
            corrected["effect"] = effect
        decisions.append({"finding_id": data.get("finding_id", ""), "decision": decision,
                          "corrected": corrected, "curator": _curator(ann), "note": note,
                          "where": f"{path.name} task {task.get('id', n)}"})
    return decisions
