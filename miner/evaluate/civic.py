"""CIViC evidence statements as labelled single-drug resistance examples (development and training data).

Source: ``../shared/data/civic/civic_evidence_dev.jsonl.gz`` (CIViC, CC0; see its PROVENANCE.md).  The
statement texts stay there: the repository commits only ids, split and labels
(``annotations/civic/labels.jsonl``, written by :func:`build_labels`) and the reading decisions
(``annotations/civic/decisions.jsonl``); :func:`load_civic` joins them with the texts at run time.

Labelling rules (one document per evidence item, ``doc_id`` = ``civic:<evidence_id>``, text = the statement):

* Only **predictive** items that **support** their claim and name a therapy.  "Does Not Support" items state
  the absence of an association; whether their wording is a finding or not cannot be told from the
  significance, so they are left out (not covered, never scored).  Profiles negated by CIViC ("NOT KIT D816V")
  are left out too.  Generic therapies (chemotherapy, radiation, surgery, siRNA, cell therapy) are not named
  agents and are dropped from a regimen; an item left with no named therapy is left out.
* **Resistance** and **Reduced Sensitivity** -> one expected ``resistance`` finding per therapy (a
  ``Combination`` is one regimen, all its drugs in one finding; ``Substitutes`` and ``Sequential`` list
  alternatives, one finding each); mechanism = the molecular profile, ``mechanism_genes`` = its genes (HGNC
  symbols as CIViC writes them; a fusion gives its kinase, BCR::ABL1 -> ABL1); effect negative.
* **Sensitivity/Response** -> no resistance finding for its therapies (a covered document without rows: a
  predicted resistance finding there is a false positive), unless the statement itself also states a
  resistance.  Statements that mention resist-/refractory/progress- outside a survival end point
  ("progression-free survival", "time to progression") were read; each decision, with its reason, is a line of
  ``decisions.jsonl``: ``no_resistance`` (stays a negative example), ``resistance`` (its ``findings`` become the
  document's gold rows; the item's other therapies stay negatives) or ``exclude`` (not scored).  Statements
  whose only such words are survival end points are negatives by rule (``SURVIVAL_ONLY``); a statement that
  needs reading but has no decision yet is left out and counted by :func:`build_labels`.
* A Resistance statement that also states resistance to a drug CIViC does not list ("imatinib-resistant
  patients had the T315I variant" in a dasatinib item) gets a ``resistance`` decision whose findings are
  added to its own (found by reading the statements where a resistance word sits next to such a drug).
* **Split by paper**: an item is ``dev`` when ``int(sha1(pmid), 16) % 3 == 0`` (the rule of
  ``annotations/dev/split.json``), else ``train``; every item of one paper falls on the same side.
* ``kind``, ``evidence_level`` and ``mechanism_type`` are not labelled by CIViC (left at their defaults /
  ``unknown``); the scored levels are drug + polarity and drug + polarity + mechanism gene.

Rebuild the committed labels after editing the decisions: ``python -m miner.evaluate.civic build``;
list the statements still to read: ``python -m miner.evaluate.civic to-read``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from miner.config import REPO_ROOT, SHARED_DIR
from miner.errors import InputFileError, MinerError
from miner.evaluate.names import LexiconLike, default_lexicon, resolve_name
from miner.schema import Finding, jsonl_lines
from miner.lexicon.genes import fusion_kinase

if TYPE_CHECKING:  # pragma: no cover
    from miner.extract import TextDoc

CIVIC_FILE = SHARED_DIR / "data" / "civic" / "civic_evidence_dev.jsonl.gz"
CIVIC_DIR = REPO_ROOT / "annotations" / "civic"
LABELS_FILE = CIVIC_DIR / "labels.jsonl"
DECISIONS_FILE = CIVIC_DIR / "decisions.jsonl"
DOC_PREFIX = "civic:"

RESISTANCE_SIGNIFICANCES = ("Resistance", "Reduced Sensitivity")
SENSITIVITY = "Sensitivity/Response"
DECISIONS = ("no_resistance", "resistance", "exclude")
#: Words that make a Sensitivity/Response statement worth reading for a stated resistance.
RESISTANCE_WORDS = re.compile(r"resist|refractor|progress", re.IGNORECASE)
#: Survival end points, which contain such words without stating a resistance.
SURVIVAL_ONLY = re.compile(r"progression[- ]free|time to (?:disease )?progression", re.IGNORECASE)
#: Therapies that name no agent (dropped from regimens).
GENERIC_THERAPY = re.compile(r"chemotherapy|radiation|radiotherapy|surgery|sirna|lymphocytes|oligonucleotide", re.IGNORECASE)
#: Kinases that are the 5' partner of their usual fusions (FGFR2::BICC1); otherwise the 3' partner is the kinase.
_SYMBOL = re.compile(r"[A-Z][A-Z0-9-]*(?:::[A-Z][A-Z0-9-]*)*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[])")


def split_of(pmid: str) -> str:
    """``dev`` for about one paper in three (by a hash of the PMID), else ``train``: deterministic, by paper."""
    return "dev" if int(hashlib.sha1(str(pmid).encode("utf-8")).hexdigest(), 16) % 3 == 0 else "train"


def profile_genes(profile: str) -> list[str]:
    """Genes of a CIViC molecular profile ("ABL1 BCR::ABL1 AND ABL1 T315I" -> ["ABL1"]), in order, once each."""
    genes: list[str] = []
    for clause in re.split(r"\s+(?:AND|OR)\s+", profile.strip()):
        head = clause.split()[0] if clause.split() else ""
        if _SYMBOL.fullmatch(head):
            gene = fusion_kinase(head)
            if gene not in genes:
                genes.append(gene)
    return genes


# -- reading the source and the committed files -------------------------------------------------------


@lru_cache(maxsize=4)
def _records(path: Path) -> dict[int, dict[str, Any]]:
    if not path.is_file():
        raise MinerError(f"{path}: CIViC evidence file not found (expected in ../shared/data/civic, or set MINER_SHARED)")
    out: dict[int, dict[str, Any]] = {}
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if line.strip():
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputFileError(path, f"invalid JSON: {exc.msg}", f"line {lineno}") from exc
                out[int(rec["evidence_id"])] = rec
    return out


def civic_records(path: Path | None = None) -> dict[int, dict[str, Any]]:
    """evidence_id -> the CIViC record (``text`` = the curator's statement), read once per process."""
    return _records(Path(path or CIVIC_FILE))


def _read_jsonl(path: Path) -> list[tuple[int, dict[str, Any]]]:
    rows = []
    for lineno, data, error in jsonl_lines(path):
        if error or not isinstance(data, dict):
            raise InputFileError(path, error or "a line must be a JSON object", f"line {lineno}")
        rows.append((lineno, data))
    return rows


@dataclass(frozen=True)
class Decision:
    """The reading of one statement: what it states about resistance, and why."""

    evidence_id: int
    decision: str  # no_resistance | resistance | exclude
    reason: str
    findings: tuple[dict[str, Any], ...] = ()  # for "resistance": {"therapies": [...], "genes": [...], "mechanism": "..."}


def load_decisions(path: Path | None = None) -> dict[int, Decision]:
    """The reading decisions (empty if the file does not exist yet); a malformed line is an error naming it."""
    path = Path(path or DECISIONS_FILE)
    if not path.is_file():
        return {}
    out: dict[int, Decision] = {}
    for lineno, row in _read_jsonl(path):
        where = f"line {lineno}"
        eid, decision, reason = row.get("evidence_id"), row.get("decision"), str(row.get("reason", "")).strip()
        if not isinstance(eid, int) or decision not in DECISIONS or not reason:
            raise InputFileError(path, f"expected evidence_id (int), decision ({'|'.join(DECISIONS)}) and a reason", where)
        findings = row.get("findings") or []
        if decision == "resistance" and not findings:
            raise InputFileError(path, "a resistance decision lists its findings", where)
        for f in findings:
            if not (isinstance(f, dict) and f.get("therapies") and isinstance(f.get("genes", []), list)):
                raise InputFileError(path, 'each finding is {"therapies": [...], "genes": [...], "mechanism": "..."}', where)
        if eid in out:
            raise InputFileError(path, f"evidence item {eid} decided twice", where)
        out[eid] = Decision(eid, decision, reason, tuple(findings))
    return out


# -- labels --------------------------------------------------------------------------------------------


def therapy_names(therapies: Iterable[str]) -> list[str]:
    """Therapy names with the commas of chemical names restored.

    The source list was split at commas, so "CP-724,714" arrived as "CP-724" and "714": a part that
    starts with a digit after a part that ends with one is glued back.
    """
    out: list[str] = []
    for part in (t.strip() for t in therapies):
        if out and part[:1].isdigit() and out[-1][-1:].isdigit():
            out[-1] += "," + part
        elif part:
            out.append(part)
    return out


def _named(therapies: Iterable[str]) -> list[str]:
    return [t for t in therapy_names(therapies) if not GENERIC_THERAPY.search(t)]


def regimens(record: dict[str, Any]) -> list[list[str]]:
    """The item's named therapies as regimens: a Combination is one regimen, otherwise one per therapy."""
    named = _named(record.get("therapies") or [])
    if not named:
        return []
    if record.get("therapy_interaction_type") == "Combination":
        return [named]
    return [[t] for t in named]


def needs_reading(record: dict[str, Any]) -> bool:
    """A Sensitivity/Response statement with resistance words outside a survival end point."""
    return bool(RESISTANCE_WORDS.search(SURVIVAL_ONLY.sub(" ", record.get("text", ""))))


def label_item(record: dict[str, Any], decision: Decision | None) -> tuple[dict[str, Any] | None, str]:
    """The committed label line of one CIViC record, or (None, why it is left out)."""
    if record.get("evidence_type") != "Predictive":
        return None, "not predictive"
    if record.get("evidence_direction") != "Supports":
        return None, "does not support"
    significance = record.get("significance", "")
    if significance not in (*RESISTANCE_SIGNIFICANCES, SENSITIVITY):
        return None, f"significance {significance}"
    profile = record.get("molecular_profile", "").strip()
    if profile.upper().startswith("NOT "):
        return None, "negated molecular profile"
    regs = regimens(record)
    if not regs:
        return None, "no named therapy"
    genes = profile_genes(profile)
    label: dict[str, Any] = {"evidence_id": int(record["evidence_id"]), "pmid": str(record.get("pmid", "")),
                             "split": split_of(str(record.get("pmid", ""))), "significance": significance}
    if decision is not None and decision.decision == "exclude":
        return None, "excluded by decision"
    decided = [{**f, "basis": "decision"} for f in decision.findings] if decision is not None else []
    if significance in RESISTANCE_SIGNIFICANCES:
        if decision is not None and decision.decision != "resistance":
            raise MinerError(f"evidence item {record['evidence_id']} is a {significance} item: a decision can only add "
                             "findings (resistance) or exclude it, not make it " + decision.decision)
        findings = [{"therapies": reg, "genes": genes, "mechanism": profile, "basis": "significance"} for reg in regs]
        return {**label, "label": "resistance", "findings": findings + decided, "negatives": []}, ""
    resisted = {t.lower() for f in decided for t in f["therapies"]}
    negatives = [t for reg in regs for t in reg if t.lower() not in resisted]
    if decision is not None:
        return {**label, "label": decision.decision, "findings": decided, "negatives": negatives}, ""
    if needs_reading(record):
        return None, "to read"
    return {**label, "label": "no_resistance", "findings": [], "negatives": negatives}, ""


def build_labels(civic_file: Path | None = None, decisions_file: Path | None = None) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """(label lines sorted by evidence id, counts of items left out by reason), from the source and the decisions."""
    records = civic_records(civic_file)
    decisions = load_decisions(decisions_file)
    unknown = sorted(set(decisions) - set(records))
    if unknown:
        raise MinerError(f"decisions name evidence items the CIViC file does not hold: {unknown[:5]}")
    labels, left_out = [], {}
    for eid in sorted(records):
        line, why = label_item(records[eid], decisions.get(eid))
        if line is None:
            left_out[why] = left_out.get(why, 0) + 1
        else:
            labels.append(line)
    return labels, left_out


def write_labels(labels: list[dict[str, Any]], path: Path | None = None) -> Path:
    """Write the label lines atomically (one JSON object per line, stable key order)."""
    path = Path(path or LABELS_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in labels), encoding="utf-8")
    os.replace(tmp, path)
    return path


# -- documents and gold rows ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CivicItem:
    """One labelled statement: its document, the expected resistance findings and the therapies with none."""

    evidence_id: int
    pmid: str
    split: str
    significance: str
    label: str  # resistance | no_resistance
    text: str
    gold: tuple[Finding, ...]
    negatives: tuple[str, ...]  # therapies the statement states no resistance to

    @property
    def doc_id(self) -> str:
        return f"{DOC_PREFIX}{self.evidence_id}"


def _mention(text: str, names: Iterable[str]) -> tuple[int, int] | None:
    """Earliest (then longest) case-insensitive whole-word occurrence of any of ``names`` in ``text``."""
    best: tuple[int, int] | None = None
    for name in {n.strip() for n in names if len(n.strip()) >= 3}:
        m = re.search(r"(?<![A-Za-z0-9])" + re.escape(name) + r"(?![A-Za-z0-9])", text, re.IGNORECASE)
        if m and (best is None or (m.start(), -m.end()) < (best[0], -best[1])):
            best = (m.start(), m.end())
    return best


def _sentence_span(text: str, at: int) -> tuple[int, int]:
    """The sentence of ``text`` holding position ``at``."""
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if m.end() > at:
            return start, m.start()
        start = m.end()
    return start, len(text.rstrip())


def _gold_row(eid: int, n: int, text: str, spec: dict[str, Any], record: dict[str, Any], basis: str,
              lexicon: LexiconLike) -> Finding:
    """One expected resistance finding: drug as written in the statement when it is found there, ids from the lexicon."""
    therapies = [str(t) for t in spec["therapies"]]
    ids: list[str] = []
    for therapy in therapies:
        res = resolve_name(therapy, lexicon)
        if res.ids and not res.unknown:
            ids.extend(i for i in res.ids if i not in ids)
    offsets: dict[str, list[int]] = {}
    drug = " + ".join(therapies)
    span = None
    if len(therapies) == 1:
        names = [therapies[0]]
        if len(ids) == 1 and lexicon.get(ids[0]) is not None:
            entry = lexicon.get(ids[0])
            names += [entry.name, *getattr(entry, "synonyms", ())]
        span = _mention(text, names)
    if span is not None:
        drug = text[span[0]:span[1]]
        offsets["drug"] = list(span)
        quote = _sentence_span(text, span[0])
    else:
        quote = (0, len(text.rstrip()))
    offsets["evidence_quote"] = list(quote)
    evidence = text[quote[0]:quote[1]]
    note = f"CIViC EID{eid}: {record.get('significance', '')}, {', '.join(therapy_names(record.get('therapies') or []))}"
    if basis == "decision":
        note += " (resistance stated in the statement beyond CIViC's labels: annotations/civic/decisions.jsonl)"
    return Finding(
        drug=drug, drug_ids=ids, effect="resistance", mechanism=str(spec.get("mechanism", "")),
        mechanism_genes=list(spec.get("genes", [])), cancer=str(record.get("disease", "")),
        doc_id=f"{DOC_PREFIX}{eid}", section="Abstract", sentence=evidence, evidence_quote=evidence,
        offsets=offsets, source="gold", rule="civic", note=note, id=f"c{eid}-{n:02d}",
    )


def civic_items(
    split: str = "dev",
    *,
    civic_file: Path | None = None,
    labels_file: Path | None = None,
    lexicon: LexiconLike | None = None,
) -> list[CivicItem]:
    """The labelled CIViC statements of ``split`` ("train", "dev" or "all"), with texts and gold rows.

    The explicit negatives (``CivicItem.negatives``) are for training a classifier; scoring needs only
    :func:`load_civic`.
    """
    if split not in ("train", "dev", "all"):
        raise MinerError(f"split must be train, dev or all, got {split!r}")
    path = Path(labels_file or LABELS_FILE)
    if not path.is_file():
        raise MinerError(f"{path}: CIViC labels not found (build them: python -m miner.evaluate.civic build)")
    records = civic_records(civic_file)
    lexicon = lexicon if lexicon is not None else default_lexicon()
    items = []
    for lineno, row in _read_jsonl(path):
        if split != "all" and row.get("split") != split:
            continue
        eid = int(row["evidence_id"])
        record = records.get(eid)
        if record is None:
            raise InputFileError(path, f"evidence item {eid} is not in {civic_file or CIVIC_FILE}", f"line {lineno}")
        text = record["text"]
        gold = tuple(_gold_row(eid, n, text, spec, record, spec.get("basis", ""), lexicon)
                     for n, spec in enumerate(row.get("findings", []), 1))
        items.append(CivicItem(eid, str(row.get("pmid", "")), row["split"], row.get("significance", ""),
                               row["label"], text, gold, tuple(row.get("negatives", []))))
    return items


def load_civic(
    split: str = "dev",
    *,
    civic_file: Path | None = None,
    labels_file: Path | None = None,
    lexicon: LexiconLike | None = None,
) -> tuple[list["TextDoc"], list[Finding], frozenset[str]]:
    """CIViC labelled examples of one split: ``(documents, gold_rows, covered_doc_ids)``.  Stable signature.

    * ``split``: "train", "dev" (about one third of the papers) or "all"; never train on "dev".
    * ``documents``: :class:`miner.extract.TextDoc` (``doc_id`` = "civic:<evidence_id>", ``text`` = the
      statement), sorted by evidence id; feed them to :func:`miner.extract.extract_docs`.
    * ``gold_rows``: :class:`miner.schema.Finding`, one expected ``resistance`` finding per therapy or
      regimen of a Resistance item (and of a Sensitivity item whose statement states a resistance):
      ``drug`` as written in the statement when found (``offsets["drug"]``, else the CIViC therapy name),
      ``drug_ids`` from the lexicon, ``mechanism`` = the molecular profile, ``mechanism_genes`` = its genes,
      ``evidence_quote``/``offsets["evidence_quote"]`` = the sentence naming the drug (else the statement).
    * ``covered_doc_ids``: every document of the split, including Sensitivity/Response statements without
      rows (negatives): pass it as ``documents=`` to :func:`miner.evaluate.evaluate` so that a resistance
      finding predicted there counts as a false positive.

    The labels are ``annotations/civic/labels.jsonl``; the texts come from ``civic_file`` (default
    ``../shared/data/civic/civic_evidence_dev.jsonl.gz``) at run time and are never copied into the repository.
    """
    from miner.extract import TextDoc

    items = civic_items(split, civic_file=civic_file, labels_file=labels_file, lexicon=lexicon)
    documents = [TextDoc(item.doc_id, item.text) for item in items]
    gold = [row for item in items for row in item.gold]
    return documents, gold, frozenset(item.doc_id for item in items)


def statement_texts(civic_file: Path | None = None) -> dict[str, str]:
    """doc_id ("civic:<evidence_id>") -> statement, for checking CIViC-derived rows (``miner gold check``)."""
    return {f"{DOC_PREFIX}{eid}": rec.get("text", "") for eid, rec in civic_records(civic_file).items()}


# -- command line (maintenance) ------------------------------------------------------------------------


def _main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m miner.evaluate.civic", description="Maintain the CIViC labels.")
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="rebuild annotations/civic/labels.jsonl from the CIViC file and decisions.jsonl")
    to_read = sub.add_parser("to-read", help="print the Sensitivity/Response statements that need a reading decision")
    to_read.add_argument("--limit", type=int, default=0)
    args = ap.parse_args(argv)
    try:
        if args.command == "build":
            labels, left_out = build_labels()
            write_labels(labels)
            by = {s: sum(1 for r in labels if r["split"] == s) for s in ("train", "dev")}
            pos = sum(1 for r in labels if r["label"] == "resistance")
            print(f"{len(labels)} items ({by['train']} train, {by['dev']} dev; {pos} with resistance findings) -> {LABELS_FILE}")
            print("left out: " + ", ".join(f"{k} {v}" for k, v in sorted(left_out.items())))
            return 0
        decisions = load_decisions()
        shown = 0
        for eid, rec in sorted(civic_records().items()):
            line, why = label_item(rec, decisions.get(eid))
            if why == "to read":
                print(json.dumps({"evidence_id": eid, "therapies": rec["therapies"], "profile": rec["molecular_profile"],
                                  "text": rec["text"]}, ensure_ascii=False))
                shown += 1
                if args.limit and shown >= args.limit:
                    break
        return 0
    except MinerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(_main())
