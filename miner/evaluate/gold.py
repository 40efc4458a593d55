"""Gold-set maintenance: link drug names to lexicon ids, check rows, list cited DOIs.

The gold set is hand-written JSONL (``annotations/gold/review_NNN.jsonl``) that
annotators keep editing, so everything here reads the raw rows line by line (a bad
line is reported, not fatal to the rest), and :func:`link` rewrites a file only
atomically and only if nobody changed it meanwhile.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from miner.errors import InputFileError, MinerError
from miner.evaluate.names import LexiconLike, resolve_name
from miner.evaluate.devset import CROSSRES_XML, abstract_texts
from miner.evaluate.sources import documents_beside, jsonl_files, load_documents, review_of, review_text
from miner.schema import jsonl_lines, validation_errors

#: An evidence quote longer than this is flagged (the guidelines ask for ~250 characters).
MAX_QUOTE = 300
_ID_FIELDS = (("drug", "drug_ids"), ("prior_drug", "prior_drug_ids"))


@dataclass
class RawRow:
    """One line of a gold file: its data, or why it could not be parsed."""

    file: Path
    line: int
    data: dict[str, Any] | None
    error: str = ""

    @property
    def where(self) -> str:
        return f"{self.file.name}:{self.line}"

    @property
    def row_id(self) -> str:
        return str((self.data or {}).get("id", ""))


def raw_rows(path: str | Path) -> Iterator[RawRow]:
    """Every non-blank line of the gold file(s) at ``path``, parsed or with its JSON error."""
    for file in jsonl_files(path):
        for lineno, data, error in jsonl_lines(file):
            if error:
                yield RawRow(file, lineno, None, error)
            elif not isinstance(data, dict):
                yield RawRow(file, lineno, None, "a row must be a JSON object")
            else:
                yield RawRow(file, lineno, data)


# -- check ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One reason a gold row fails (``error``) or deserves a look (``warning``)."""

    where: str  # file:line
    row_id: str
    reason: str
    severity: str = "error"


@dataclass
class CheckReport:
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def failing_rows(self) -> int:
        return len({p.where for p in self.errors})


def _snippet(text: str, n: int = 60) -> str:
    text = text.replace("\n", " ")
    return repr(text if len(text) <= n else text[:n] + "...")


def _offsets_well_formed(offsets: Any) -> bool:
    """Spans are [start, end] integer pairs (malformed ones are already schema errors)."""
    return isinstance(offsets, dict) and all(
        isinstance(v, list) and len(v) == 2 and all(isinstance(i, int) and i >= 0 for i in v) for v in offsets.values()
    )


class DocumentTexts:
    """The text a gold row quotes, by its doc_id; each source is read once, on first use.

    :meth:`text` raises :class:`MinerError` with the reason when a document has no text here,
    so that the check reports it on the row instead of stopping.
    """

    def __init__(self, reviews_dir: str | Path, abstracts: str | Path | None = None, civic_file: str | Path | None = None) -> None:
        self.reviews_dir = Path(reviews_dir)
        self.abstracts = Path(abstracts) if abstracts is not None else CROSSRES_XML
        self.civic_file = Path(civic_file) if civic_file is not None else None
        self._reviews: dict[str, str | MinerError] = {}
        self._sources: dict[str, dict[str, str] | MinerError] = {}

    def _source(self, name: str) -> dict[str, str]:
        if name not in self._sources:
            try:
                self._sources[name] = self._load(name)
            except MinerError as exc:
                self._sources[name] = exc
        found = self._sources[name]
        if isinstance(found, MinerError):
            raise found
        return found

    def _load(self, name: str) -> dict[str, str]:
        if name == "pmid":
            return abstract_texts(self.abstracts)
        from miner.evaluate.civic import statement_texts

        return statement_texts(self.civic_file)

    def text(self, doc_id: str) -> str:
        review = review_of(doc_id)
        if review:
            if review not in self._reviews:
                try:
                    self._reviews[review] = review_text(self.reviews_dir, review)
                except MinerError as exc:
                    self._reviews[review] = exc
            found = self._reviews[review]
            if isinstance(found, MinerError):
                raise found
            return found
        prefix = doc_id.split(":", 1)[0] if ":" in doc_id else ""
        if prefix == "pmid":
            texts, where = self._source("pmid"), f"an abstract of {self.abstracts.name}"
        elif prefix == "civic":
            texts, where = self._source("civic"), "a CIViC evidence item"
        else:
            raise MinerError(f"doc_id {doc_id!r}: expected text:review_NNN, pmid:<PMID> or civic:<evidence_id>")
        if doc_id not in texts:
            raise MinerError(f"doc_id {doc_id!r} is not {where}")
        return texts[doc_id]


def _fill_tool(doc_id: str) -> str:
    """The script that fills a row's mechanical fields (ids, offsets), for hints."""
    return "scripts/dev_fill.py" if doc_id.startswith("pmid:") else "scripts/gold_fill.py"


def _check_offsets(data: dict[str, Any], text: str, tool: str = "scripts/gold_fill.py") -> list[str]:
    """Each stored offset span must hold exactly the field it locates."""
    reasons = []
    offsets = data.get("offsets") or {}
    quote = data.get("evidence_quote", "")
    if not quote:
        reasons.append("evidence_quote is empty")
    elif "evidence_quote" not in offsets:
        reasons.append(f"offsets.evidence_quote missing (run {tool})")
    for role, span in sorted(offsets.items()):
        expected = data.get(role, "")
        if not isinstance(expected, str) or not expected:
            continue
        start, end = span
        if end > len(text) or start > end:
            reasons.append(f"offsets.{role} {span} outside the document ({len(text)} characters)")
            continue
        if text[start:end] != expected:
            found = text.find(expected)
            hint = f"; it occurs at {found}" if found >= 0 else "; it does not occur in the document"
            reasons.append(f"{role} is not at offsets {span} (text there: {_snippet(text[start:end])}){hint}")
    return reasons


def _check_ids(data: dict[str, Any], lexicon: LexiconLike) -> list[Problem | str]:
    """Ids exist, lists are coherent, and a name the lexicon knows is linked."""
    out: list[Problem | str] = []
    for name_field, ids_field in _ID_FIELDS:
        name = data.get(name_field, "") or ""
        ids = list(data.get(ids_field, []) or [])
        if ids and not name.strip():
            out.append(f"{ids_field} set but {name_field} is empty")
        if len(set(ids)) != len(ids):
            out.append(f"{ids_field} repeats an id: {ids}")
        entries = {}
        for id_ in ids:
            entry = lexicon.get(id_)
            if entry is None:
                out.append(f"{ids_field}: unknown id {id_!r} (not in the lexicon)")
            else:
                entries[id_] = entry
        for id_, entry in entries.items():
            if entry.kind in ("regimen", "class"):
                inside = sorted(set(ids) & set(lexicon.members(id_)) - {id_})
                if inside:
                    out.append(f"{ids_field}: {id_} already covers {', '.join(inside)}; list one or the other")
        if not ids and name.strip():
            res = resolve_name(name, lexicon)
            if res.ids and not res.unknown:
                out.append(f"{ids_field} empty but the lexicon resolves {name!r} to {list(res.ids)}: run `miner gold link`")
            else:
                out.append(Problem("", "", f"{name_field} {name!r}: not in the lexicon ({', '.join(res.unknown)}); ids left empty", "warning"))
    return out


def _check_coherence(data: dict[str, Any], lexicon: LexiconLike) -> list[Problem | str]:
    """Guideline rules across fields: sequential iff a prior drug, genes as official symbols."""
    out: list[Problem | str] = []
    prior = (data.get("prior_drug") or "").strip()
    kind = data.get("kind", "acquired")
    if prior and kind != "sequential":
        out.append(f"kind is {kind!r} but the row has a prior_drug (expected 'sequential')")
    if not prior and kind == "sequential":
        out.append("kind is 'sequential' but prior_drug is empty")
    for gene in data.get("mechanism_genes", []) or []:
        if not isinstance(gene, str):
            continue
        symbol = lexicon.normalize_gene(gene)
        if symbol is not None and symbol != gene:  # genes outside the (small) gene lexicon cannot be confirmed
            out.append(f"mechanism gene {gene!r} is an alias: write the symbol {symbol!r}")
    return out


def _duplicate_key(data: dict[str, Any]) -> tuple:
    return (
        data.get("doc_id", ""),
        (data.get("drug") or "").strip().lower(),
        (data.get("prior_drug") or "").strip().lower(),
        data.get("effect"),
        (data.get("mechanism") or "").strip().lower(),
        tuple((data.get("offsets") or {}).get("evidence_quote", ())),
    )


def check(
    gold: str | Path,
    reviews_dir: str | Path,
    lexicon: LexiconLike,
    *,
    abstracts: str | Path | None = None,
    civic_file: str | Path | None = None,
) -> CheckReport:
    """Validate every gold row: schema and enums, ids, offsets against its document's text, duplicates.

    Review files (``review_NNN.jsonl``) hold rows of their review only.  A documents list beside the
    gold (``documents.jsonl``) must be well formed and name the document of every row.
    """
    report = CheckReport()
    texts = DocumentTexts(reviews_dir, abstracts, civic_file)
    seen_ids: dict[str, str] = {}
    seen_content: dict[tuple, str] = {}
    listed: dict[str, str] | None = None
    documents = documents_beside(gold)
    if documents is not None:
        try:
            listed = load_documents(documents)
        except MinerError as exc:
            report.problems.append(Problem(documents.name, "", str(exc)))
    for row in raw_rows(gold):
        report.rows += 1

        def add(reason: str, severity: str = "error") -> None:
            report.problems.append(Problem(row.where, row.row_id, reason, severity))

        if row.data is None:
            add(row.error)
            continue
        data = row.data
        doc_id = str(data.get("doc_id", ""))
        tool = _fill_tool(doc_id)
        for err in validation_errors(data):
            add("schema: " + err + (f" (run {tool})" if "'id'" in err else ""))
        if data.get("source") != "gold":
            add(f"source is {data.get('source')!r}, expected 'gold' (run {tool})")
        review = review_of(doc_id)
        file_review = review_of(row.file.stem)
        if file_review and not review:
            add(f"doc_id {doc_id!r} names no review (expected text:review_{file_review} in {row.file.name})")
        elif file_review and file_review != review:
            add(f"doc_id {doc_id!r} does not belong in {row.file.name}")
        elif not doc_id:
            add("doc_id is empty")
        else:
            if listed is not None and doc_id not in listed:
                add(f"document {doc_id} is not in {documents.name if documents else 'the documents list'}")
            try:
                text = texts.text(doc_id)
            except MinerError as exc:
                add(str(exc))
            else:
                if _offsets_well_formed(data.get("offsets")):
                    for reason in _check_offsets(data, text, _fill_tool(doc_id)):
                        add(reason)
        for item in [*_check_ids(data, lexicon), *_check_coherence(data, lexicon)]:
            if isinstance(item, Problem):
                add(item.reason, item.severity)
            else:
                add(item)
        numbers = {str(r.get("number")) for r in data.get("references", []) or [] if isinstance(r, dict)}
        missing = [r for r in data.get("refs", []) or [] if str(r) not in numbers]
        if missing:
            add(f"refs {missing} not resolved in references (run {tool})")
        if len(data.get("evidence_quote", "") or "") > MAX_QUOTE:
            add(f"evidence_quote has {len(data['evidence_quote'])} characters (guideline: ~250)", "warning")
        row_id = row.row_id
        if row_id:
            if row_id in seen_ids:
                add(f"duplicate id (also at {seen_ids[row_id]})")
            else:
                seen_ids[row_id] = row.where
        key = _duplicate_key(data)
        if key in seen_content:
            add(f"duplicate of the row at {seen_content[key]} (same pair, effect, mechanism and quote)")
        else:
            seen_content[key] = row.where
    return report


# -- link ----------------------------------------------------------------------------------


@dataclass
class LinkReport:
    rows: int = 0
    filled: int = 0  # id lists written
    files_changed: list[Path] = field(default_factory=list)
    unknown: list[tuple[str, str, str]] = field(default_factory=list)  # (where, field, name)


def link(gold: str | Path, lexicon: LexiconLike, overwrite: bool = False) -> LinkReport:
    """Fill empty ``drug_ids``/``prior_drug_ids`` from the lexicon, in place.

    Idempotent (a filled list is kept unless ``overwrite``), atomic per file (temp
    file + rename) and refuses to write a file that changed while it was being linked,
    so an annotator's concurrent edit is never lost.  A name with any part the lexicon
    does not know is reported and left empty rather than half-linked.
    """
    report = LinkReport()
    for file in jsonl_files(gold):
        before = file.read_bytes()
        rows = list(raw_rows(file))
        bad = [r for r in rows if r.data is None]
        if bad:
            raise InputFileError(file, bad[0].error, f"line {bad[0].line}")
        changed = False
        for row in rows:
            report.rows += 1
            data = row.data
            assert data is not None
            for name_field, ids_field in _ID_FIELDS:
                name = (data.get(name_field) or "").strip()
                if data.get(ids_field) and not overwrite:
                    continue
                if not name:
                    new: list[str] = []
                else:
                    res = resolve_name(name, lexicon)
                    if res.unknown:
                        report.unknown.append((row.where, name_field, name))
                    new = list(res.ids) if res.ids and not res.unknown else []
                if data.get(ids_field) != new:
                    data[ids_field] = new
                    changed = True
                    report.filled += bool(new)
        if not changed:
            continue
        tmp = file.with_name(file.name + ".link.tmp")
        tmp.write_text("".join(json.dumps(r.data, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        if file.read_bytes() != before:
            tmp.unlink()
            raise MinerError(f"{file}: changed while linking (someone is editing it); nothing written, run again")
        os.replace(tmp, file)
        report.files_changed.append(file)
    return report


# -- dois ----------------------------------------------------------------------------------

_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)


def normalize_doi(doi: str) -> str:
    """Bare, lower-case DOI (DOIs are case-insensitive), or "" if it does not look like one."""
    doi = _DOI_PREFIX.sub("", (doi or "").strip()).strip().rstrip(".").lower()
    return doi if doi.startswith("10.") and "/" in doi else ""


def _reference_lists(gold: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """``references_NNN.jsonl`` beside the gold directory: review -> number -> reference."""
    base = gold if gold.is_dir() else gold.parent
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for file in sorted(base.parent.glob("references_*.jsonl")):
        review = review_of("review_" + file.stem.rsplit("_", 1)[-1])
        table: dict[str, dict[str, Any]] = {}
        for row in raw_rows(file):
            if row.data is None:
                raise InputFileError(file, row.error, f"line {row.line}")
            table[str(row.data.get("number"))] = row.data
        out[review] = table
    return out


def cited_dois(gold: str | Path) -> list[str]:
    """DOIs of every reference cited by a gold row: sorted, deduplicated, normalized.

    Uses each row's resolved ``references`` and, for cited numbers not resolved there,
    the review's ``references_NNN.jsonl`` beside the gold directory.
    """
    gold = Path(gold)
    lists = _reference_lists(gold)
    dois: set[str] = set()
    for row in raw_rows(gold):
        if row.data is None:
            raise InputFileError(row.file, row.error, f"line {row.line}")
        resolved = {str(r.get("number")): r for r in row.data.get("references", []) or [] if isinstance(r, dict)}
        table = lists.get(review_of(str(row.data.get("doc_id", ""))) or review_of(row.file.stem), {})
        for number in row.data.get("refs", []) or []:
            ref = resolved.get(str(number)) or table.get(str(number)) or {}
            doi = normalize_doi(str(ref.get("doi", "") or ""))
            if doi:
                dois.add(doi)
        for ref in resolved.values():
            doi = normalize_doi(str(ref.get("doi", "") or ""))
            if doi:
                dois.add(doi)
    return sorted(dois)


# -- filling annotation rows (scripts/gold_fill.py, scripts/dev_fill.py) -------------------------------------------


def locate_quote(text: str, quote: str, have: Any = None, after: int = 0) -> list[int] | None:
    """``[start, end]`` of ``quote`` in ``text``: the row's own offsets when they still hold, else the occurrence at
    or after ``after`` (rows follow the text), else the first; None when the text does not contain it."""
    if have and _offsets_well_formed({"q": have}) and text[have[0]:have[1]] == quote:
        return list(have)
    if not quote:
        return None
    starts, i = [], text.find(quote)
    while i >= 0:
        starts.append(i)
        i = text.find(quote, i + 1)
    if not starts:
        return None
    start = next((s for s in starts if s >= after), starts[0])
    return [start, start + len(quote)]


def write_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    """Write annotation rows as JSONL, atomically (a temporary file renamed over the old one)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    tmp.replace(path)
