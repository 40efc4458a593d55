"""Sequence tables: rows of "previous agent | subsequent agent | ... | mechanism" read as findings.

Reviews summarise cross-resistance in tables whose columns name the order of treatment
("Previous agent", "Subsequent agent", "Proposed mechanism").  Such a table states one relation
per row, which no sentence pattern can read: the row has no verb.  This module reads tab-separated
tables (the form PDF-to-text conversion gives them) by their *header*, not by their content:

- a header row has one cell naming the earlier treatment (previous / prior / first / initial /
  primary ... agent, drug, treatment, therapy, line) and one naming the later one (subsequent /
  second / later / next ... agent, ...; or "cross-resistant to", "sensitive to");
- the effect comes from the caption above the header ("Cross-resistance in ...", "Collateral
  sensitivity ...") or from the later-treatment header itself; a table that names neither is not read;
- every drug named in the earlier cell is paired with every drug named in the later cell; a row
  listing the same drugs on both sides states the relation both ways (one bidirectional finding
  per pair);
- a "mechanism" column gives the mechanism text, its genes and type.

Cells are matched to headers by position; PDF conversion sometimes inserts an empty cell, so when
the cell under a header is empty the row's non-empty cells are used in order instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from miner.extract import findings as build
from miner.extract.context.evidence import evidence_level
from miner.extract.cues import CueLexicon
from miner.extract.mechanism import mechanism_type
from miner.extract.mentions import Resolver
from miner.lexicon.ngrams import longest_matches, prefix_grow
from miner.schema import Finding

RULE = "table_sequence_row"
CONFIDENCE = 0.8
_EARLIER = re.compile(
    r"^\s*(?:previous|prior|first|initial|primary|earlier|preceding|index)\b.*\b(?:agents?|drugs?|treatments?|"
    r"therap(?:y|ies)|lines?|regimens?|inhibitors?)\s*$|^\s*(?:resistant|resistance)\s+to\b",
    re.IGNORECASE,
)
_LATER = re.compile(
    r"^\s*(?:subsequent|second|later|next|following|successive)\b.*\b(?:agents?|drugs?|treatments?|therap(?:y|ies)|"
    r"lines?|regimens?|inhibitors?)\s*$|^\s*(?:cross[-\u2013 ]?resistan(?:t|ce)|collateral(?:ly)?\s+sensitiv\w*|"
    r"sensitive|sensitivity)\s+to\b",
    re.IGNORECASE,
)
_MECHANISM = re.compile(r"mechanism", re.IGNORECASE)
_CAPTION = re.compile(r"^\s*(?:\*\*)?table\s+[0-9ivx]+\b", re.IGNORECASE)
_EFFECTS = (
    (re.compile(r"collateral(?:ly)?[-\s]+sensitiv", re.IGNORECASE), "collateral_sensitivity"),
    (re.compile(r"cross[-\u2010\u2011\u2013\u2014 ]?resist", re.IGNORECASE), "cross_resistance"),
)
#: Lines above a header searched for its caption.
CAPTION_WINDOW = 4
MAX_NAME_WORDS = 4


@dataclass
class _Line:
    text: str
    start: int


def _lines(text: str) -> list[_Line]:
    out, pos = [], 0
    for raw in text.split("\n"):
        out.append(_Line(raw, pos))
        pos += len(raw) + 1
    return out


def _effect(text: str) -> str:
    for pattern, effect in _EFFECTS:
        if pattern.search(text):
            return effect
    return ""


@dataclass
class _Name:
    text: str
    start: int  # offset in the document
    end: int
    label: str
    ids: list[str]
    oncology: bool

    @property
    def span(self) -> tuple[int, int]:
        return self.start, self.end


def drug_names(cell: str, offset: int, resolver: Resolver) -> list[_Name]:
    """Drug, regimen and class names in a table cell, longest first, left to right."""
    words = [m.span() for m in re.finditer(r"[^\s,;()]+", cell)]

    def lookup(i: int, j: int) -> tuple[str, list[str]] | None:
        return resolver.drug(cell[words[i][0] : words[j - 1][1]])

    out: list[_Name] = []
    for i, j, (label, ids) in longest_matches(len(words), prefix_grow(len(words), lookup, MAX_NAME_WORDS)):
        start, end = words[i][0], words[j - 1][1]
        out.append(_Name(cell[start:end], offset + start, offset + end, label, ids, resolver.oncology(ids)))
    return out


def _genes(cell: str, resolver: Resolver) -> list[str]:
    genes: list[str] = []
    for word in re.findall(r"[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]", cell):
        gene = resolver.gene(word)
        if gene and gene not in genes:
            genes.append(gene)
    return genes


def _cell(cells: list[str], index: int) -> tuple[str, int] | None:
    """(text, position in the row) of the cell under header ``index``; the index-th non-empty cell if empty."""
    if index < len(cells) and cells[index].strip():
        return cells[index], index
    filled = [k for k, c in enumerate(cells) if c.strip()]
    if index < len(filled):
        return cells[filled[index]], filled[index]
    return None


@dataclass
class _Header:
    """Where a sequence table keeps its columns, and the effect its rows state."""

    earlier: int
    later: int
    mechanism: int | None
    effect: str


def _header(lines: list[_Line], h: int) -> _Header | None:
    """The header read from line ``h``, if it names an earlier and a later treatment and an effect."""
    heads = lines[h].text.split("\t")
    earlier = next((k for k, c in enumerate(heads) if _EARLIER.search(c)), None)
    later = next((k for k, c in enumerate(heads) if k != earlier and _LATER.search(c)), None)
    if earlier is None or later is None:
        return None
    caption = next(
        (lines[k].text for k in range(h - 1, max(-1, h - 1 - CAPTION_WINDOW), -1) if _CAPTION.match(lines[k].text)),
        "",
    )
    effect = _effect(heads[later]) or _effect(caption)
    if not effect:
        return None
    mechanism = next((k for k, c in enumerate(heads) if _MECHANISM.search(c)), None)
    return _Header(earlier, later, mechanism, effect)


def read_tables(
    text: str, doc_id: str, resolver: Resolver, cues: CueLexicon, oncology_only: bool = True
) -> list[Finding]:
    """Findings stated by the rows of sequence tables in ``text`` (offsets refer to ``text``)."""
    lines = _lines(text)
    evidence_words = {cat: [w.lower() for w in words] for cat, words in cues.evidence.items()}
    findings: list[Finding] = []
    for h, line in enumerate(lines):
        header = _header(lines, h) if "\t" in line.text else None
        if header is None:
            continue
        for row in lines[h + 1 :]:
            if "\t" not in row.text:
                break
            findings.extend(_row_findings(row, header, doc_id, resolver, cues, evidence_words, oncology_only))
    return findings


def _row_findings(
    row: _Line,
    header: _Header,
    doc_id: str,
    resolver: Resolver,
    cues: CueLexicon,
    evidence_words: dict[str, list[str]],
    oncology_only: bool,
) -> list[Finding]:
    cells = row.text.split("\t")
    offsets = [row.start]
    for c in cells[:-1]:
        offsets.append(offsets[-1] + len(c) + 1)
    got_prior, got_drug = _cell(cells, header.earlier), _cell(cells, header.later)
    if got_prior is None or got_drug is None or got_prior[1] == got_drug[1]:
        return []
    priors = drug_names(got_prior[0], offsets[got_prior[1]], resolver)
    drugs = drug_names(got_drug[0], offsets[got_drug[1]], resolver)
    if oncology_only:
        priors = [p for p in priors if p.oncology]
        drugs = [d for d in drugs if d.oncology]
    if not priors or not drugs:
        return []
    both_ways = {p.text.lower() for p in priors} == {d.text.lower() for d in drugs}
    mech: build.MechanismArg | None = None
    mech_col = header.mechanism
    if mech_col is not None and got_drug[1] != header.later:  # cells shifted by an inserted empty cell
        filled = [k for k, c in enumerate(cells) if c.strip()]
        mech_col = filled[mech_col] if mech_col < len(filled) else None
    if mech_col is not None and mech_col < len(cells) and cells[mech_col].strip():
        raw = cells[mech_col]
        lead = len(raw) - len(raw.lstrip())
        mechanism = re.split(r"(?<=[.;])\s", raw.strip())[0].rstrip(".;")
        genes = _genes(mechanism, resolver)
        start = offsets[mech_col] + lead
        mech = build.MechanismArg(mechanism, start, start + len(mechanism), genes,
                                  mechanism_type(mechanism, genes, "", cues))
    low = row.text.lower()
    levels = {cat for cat, words in evidence_words.items() if any(w in low for w in words)}
    context = build.Context(bidirectional=both_ways, evidence_level=evidence_level(levels), section="table")
    provenance = build.Provenance(doc_id, row.text, row.start, row.start + len(row.text))
    out: list[Finding] = []
    seen: set[frozenset[str]] = set()
    for p in priors:
        for d in drugs:
            if p.text.lower() == d.text.lower():
                continue
            pair = frozenset({p.text.lower(), d.text.lower()})
            if both_ways and pair in seen:
                continue
            seen.add(pair)
            out.append(build.build(d, p, header.effect, "sequential", context, provenance, RULE,
                                   build.confidence(CONFIDENCE), mech))
    return out
