"""Compile the drug, regimen, class and gene lexicons from ../shared/data and the curated tables.

Run ``python -m miner.nlp.build_lexicon`` (options: ``--shared DIR``, ``--out DIR``). Inputs:

- DrugBank open vocabulary (CC0) for drug ids, names and synonyms, and DrugBank categories (used only to flag
  antineoplastic/immunomodulating agents), both in ``drug-vocab/``;
- GENIE BPC regimen abbreviations (``drug-vocab/genie_bpc_regimen_abbreviations.csv``);
- UD English EWT train (``ud-english-ewt/``), as a general-English word list: a DrugBank synonym that is a common
  English word ("met", "same", "date") is kept for lookup but never matched in free text;
- the reviewed tables in ``miner/data/lexicon/curated/`` (aliases and brands, regimens, classes, genes).

Output (deterministic, sorted JSON lines): ``drugs.jsonl`` (drugs and regimens), ``classes.jsonl``, ``genes.jsonl``.
A synonym listed under ``unmatched`` is known to :meth:`miner.lexicon.Lexicon.lookup` but is not used by the
free-text matcher, because it is too short, a common word, a gene alias, or an ambiguous acronym.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import re
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from miner.config import SHARED_DIR
from miner.errors import InputFileError, MinerError
from miner.lexicon.normalize import key, strip_salt

LEXICON_DIR = Path(__file__).resolve().parent.parent / "data" / "lexicon"
CURATED_DIR = LEXICON_DIR / "curated"

#: DrugBank categories that make a drug part of the oncology tier (antineoplastic or immunomodulating agents).
#: Mechanism-only categories (topoisomerase, antimetabolite, tubulin) are left out: they also hold antibiotics.
ONCOLOGY_CATEGORY = re.compile(
    r"ntineoplastic|Protein Kinase Inhibitors|Tyrosine Kinase Inhibitors|^Kinase Inhibitor$|Immune Checkpoint"
    r"|Programmed Death|Antibodies, Monoclonal|Immunoconjugates|Aromatase Inhibitors|Antiandrogens"
    r"|Androgen Receptor (Antagonists|Inhibitor)|Estrogen Antagonists|Selective Estrogen Receptor"
    r"|Immunomodulating|Poly\(ADP-ribose\) Polymerase"
)
#: A synonym longer than this is a systematic chemical name, useless for text matching and lookup: dropped.
MAX_MATCH_CHARS = 60
#: An EWT word seen at least this often (any case) is "common English".
COMMON_WORD_MIN_COUNT = 2


@dataclass
class DrugRecord:
    """One DrugBank drug while the build is assembling it."""

    id: str
    name: str
    biologic: bool
    structure: bool  # has a standard InChIKey: a defined small molecule (not a protein, extract or vaccine)
    synonyms: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    curated: dict[str, str] = field(default_factory=dict)  # alias -> type (abbreviation|brand|inn|ambiguous)

    @property
    def oncology(self) -> bool:
        return any(ONCOLOGY_CATEGORY.search(c) for c in self.categories)


def _open_text(path: Path):
    if not path.is_file():
        raise InputFileError(path, "missing (is ../shared/data mounted? see drug-vocab/PROVENANCE.md)")
    return gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else path.open(encoding="utf-8")


def _table_rows(path: Path) -> Iterable[list[str]]:
    """Rows of a curated TSV, skipping comments and blank lines."""
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip() and not line.startswith("#"):
                yield line.rstrip("\n").split("\t")


def read_drugbank(shared: Path) -> dict[str, DrugRecord]:
    """DrugBank vocabulary plus categories, keyed by DrugBank id."""
    vocab = shared / "data" / "drug-vocab"
    drugs: dict[str, DrugRecord] = {}
    with _open_text(vocab / "drugbank_vocabulary.csv.gz") as fh:
        reader = csv.reader(fh)
        next(reader)
        for row in reader:
            db_id, accessions, name, synonyms = row[0], row[1], row[2], row[5]
            inchikey = row[6] if len(row) > 6 else ""
            rec = DrugRecord(db_id, name, biologic="BIOD" in accessions, structure=bool(inchikey.strip()))
            rec.synonyms = [s.strip() for s in synonyms.split(" | ") if s.strip()]
            drugs[db_id] = rec
    with _open_text(vocab / "drugbank_drug_categories.csv.gz") as fh:
        next(fh)
        for line in fh:
            parts = line.rstrip("\n").rsplit(",", 2)
            if len(parts) == 3 and parts[2] in drugs:
                drugs[parts[2]].categories.append(parts[0])
    return drugs


def common_english_words(shared: Path) -> frozenset[str]:
    """Lower-cased word forms frequent in UD English EWT train (general web English)."""
    counts: Counter[str] = Counter()
    with _open_text(shared / "data" / "ud-english-ewt" / "en_ewt-ud-train.conllu.gz") as fh:
        for line in fh:
            if line[:1].isdigit():
                cols = line.split("\t")
                if len(cols) > 1:
                    counts[cols[1].lower()] += 1
    return frozenset(w for w, n in counts.items() if n >= COMMON_WORD_MIN_COUNT)


class NameResolver:
    """Resolve a DrugBank common name (or salt form, or synonym) to its id; used for curated references."""

    def __init__(self, drugs: dict[str, DrugRecord]) -> None:
        self._by_name: dict[str, str] = {}
        self._by_synonym: dict[str, str] = {}
        for rec in drugs.values():
            self._by_name.setdefault(key(rec.name), rec.id)
            for syn in rec.synonyms:
                self._by_synonym.setdefault(key(syn), rec.id)

    def resolve(self, name: str, where: str) -> str:
        for candidate in (name, strip_salt(name)):
            if candidate:
                k = key(candidate)
                found = self._by_name.get(k) or self._by_synonym.get(k)
                if found:
                    return found
        raise MinerError(f"{where}: drug name {name!r} is not in the DrugBank vocabulary")


def unmatched_reason(synonym: str, common: frozenset[str], gene_keys: frozenset[str]) -> str | None:
    """Why a synonym must not be matched in free text, or None when it is safe to match."""
    alnum = "".join(ch for ch in synonym if ch.isalnum())
    if len(alnum) <= 2:
        return "too short"
    if synonym.isalpha() and (len(synonym) <= 3 or (len(synonym) <= 4 and synonym.isupper())):
        return "short acronym"
    if len(synonym) > MAX_MATCH_CHARS:
        return "systematic name"
    if " " not in synonym and synonym.lower() in common:
        return "common English word"
    if key(synonym) in gene_keys:
        return "gene name"
    return None


# ---------------------------------------------------------------------------------------------------- genes


def build_genes() -> list[dict[str, Any]]:
    """Gene records from the curated table (symbol, name, aliases)."""
    out = []
    for row in _table_rows(CURATED_DIR / "genes.tsv"):
        symbol, aliases, name = row[0], row[1], row[2]
        alias_list = sorted({a for a in aliases.split("|") if a and a != symbol})
        out.append({"symbol": symbol, "name": name, "aliases": alias_list})
    return sorted(out, key=lambda r: r["symbol"])


# ---------------------------------------------------------------------------------------------------- classes

_ORDINALS = {1: ("first", "1st"), 2: ("second", "2nd"), 3: ("third", "3rd"), 4: ("fourth", "4th")}
_ANTI_HEADS = ("antibody", "monoclonal antibody", "mAb", "therapy", "monotherapy", "treatment", "agent", "drug",
               "immunotherapy")
#: "X inhibitor" classes are also named by the act of inhibiting ("MEK inhibition", "CDK4/6 blockade").
_INHIBITOR_EXTRA = ("inhibition", "blockade")
#: Heads generated for classes with ``targeted = true``: "EGFR-targeted therapy", "ER-targeting agents", ...
_TARGETED_HEADS = tuple(
    f"{verb} {noun}" for verb in ("targeted", "targeting", "directed")
    for noun in ("therapy", "agent", "drug", "treatment")
)


def plural(phrase: str) -> str:
    """English plural of a phrase's last word (inhibitor -> inhibitors, antibody -> antibodies, TKI -> TKIs)."""
    head, _, last = phrase.rpartition(" ")
    if last.endswith("y") and last[-2:-1].lower() not in "aeiou":
        last = last[:-1] + "ies"
    elif last.endswith(("s", "x", "sh", "ch")):
        last = last + "es"
    else:
        last = last + "s"
    return f"{head} {last}" if head else last


def class_surface_forms(spec: dict[str, Any]) -> list[str]:
    """All surface forms of a class spec: target x head combinations, anti- forms, generation prefixes, plurals."""
    base: list[str] = list(spec.get("forms", []))
    heads = list(spec.get("heads", []))
    if "inhibitor" in heads:
        heads += [h for h in _INHIBITOR_EXTRA if h not in heads]
    if spec.get("targeted"):
        heads += [h for h in _TARGETED_HEADS if h not in heads]
    for target in spec.get("targets", []):
        for head in heads:
            base.append(f"{target} {head}".strip())
            if head == "inhibitor" and re.fullmatch(r"[A-Z][A-Za-z0-9/]*[A-Z0-9]", target):
                base.append(f"{target}i")  # CDK4/6i, PARPi, BRAFi (one-word symbols only)
        if spec.get("anti"):
            base.append(f"anti-{target}")
            base.extend(f"anti-{target} {h}" for h in _ANTI_HEADS)
    generation = spec.get("generation")
    if generation:
        word, num = _ORDINALS[int(generation)]
        prefixes = (f"{word}-generation", f"{num}-generation", f"{word}-gen", f"{num}-gen")
        base = [f"{p} {form}" for p in prefixes for form in base]
    forms: list[str] = []
    for form in base:
        forms.append(form)
        if not form.endswith("i") or form[-2:-1].islower():  # no plural for "CDK4/6i"-style short forms
            forms.append(plural(form))
    forms.extend(spec.get("codes", []))
    seen: set[str] = set()
    unique = []
    for form in forms:
        if form not in seen:
            seen.add(form)
            unique.append(form)
    return unique


def build_classes(resolver: NameResolver) -> list[dict[str, Any]]:
    """Class records with generated synonyms and member ids closed over sub-classes."""
    path = CURATED_DIR / "classes.toml"
    with path.open("rb") as fh:
        specs = tomllib.load(fh)["class"]
    by_id = {s["id"]: s for s in specs}
    for spec in specs:
        for parent in spec.get("parents", []):
            if parent not in by_id:
                raise MinerError(f"{path}: class {spec['id']} has unknown parent {parent}")
    direct = {s["id"]: {resolver.resolve(m, f"{path} [{s['id']}]") for m in s.get("members", [])} for s in specs}

    def descendants(cid: str) -> set[str]:
        out: set[str] = set()
        for spec in specs:
            if cid in spec.get("parents", []):
                out.add(spec["id"])
                out |= descendants(spec["id"])
        return out

    records = []
    for spec in specs:
        members = set(direct[spec["id"]])
        for child in descendants(spec["id"]):
            members |= direct[child]
        records.append(
            {
                "id": spec["id"],
                "name": spec["name"],
                "kind": "class",
                "synonyms": class_surface_forms(spec),
                "codes": sorted(spec.get("codes", [])),
                "members": sorted(members),
                "parents": sorted(spec.get("parents", [])),
                "entity": bool(spec.get("entity", True)),
                "oncology": bool(spec.get("oncology", True)),
            }
        )
    return sorted(records, key=lambda r: r["id"])


# ---------------------------------------------------------------------------------------------------- drugs


def _regimen_id(acronym: str) -> str:
    return "regimen:" + re.sub(r"[^a-z0-9]+", "_", acronym.lower()).strip("_")


def build_regimens(shared: Path, resolver: NameResolver) -> list[dict[str, Any]]:
    """Regimens from GENIE BPC plus the curated regimen table; members are DrugBank ids."""
    rows: list[tuple[str, list[str], list[str], str, bool | None]] = []
    genie = shared / "data" / "drug-vocab" / "genie_bpc_regimen_abbreviations.csv"
    with _open_text(genie) as fh:
        reader = csv.reader(fh)
        next(reader)
        for drugs, acronym in reader:
            rows.append((acronym, [d.strip() for d in drugs.split(",")], [], str(genie.name), None))
    for row in _table_rows(CURATED_DIR / "regimens.tsv"):
        aliases = [a.strip() for a in row[2].split(",")] if len(row) > 2 and row[2].strip() else []
        reviewed = row[3].strip() == "yes" if len(row) > 3 else None
        rows.append((row[0], [d.strip() for d in row[1].split(",")], aliases, "curated/regimens.tsv", reviewed))
    records: dict[str, dict[str, Any]] = {}
    for acronym, member_names, aliases, source, reviewed in rows:
        rid = _regimen_id(acronym)
        if rid in records:
            raise MinerError(f"{source}: regimen {acronym} defined twice")
        synonyms = [acronym, *aliases]
        records[rid] = {
            "id": rid,
            "name": acronym,
            "kind": "regimen",
            "synonyms": synonyms,
            "members": sorted({resolver.resolve(n, f"{source} [{acronym}]") for n in member_names}),
            "member_names": member_names,
            "categories": [],
            "oncology": True,
            "biologic": False,
            "structure": False,
            # a reviewed row decides for itself; GENIE rows go through the general ambiguity rules
            "unmatched": (
                {}
                if reviewed
                else {s: "ambiguous acronym" for s in synonyms}
                if reviewed is False
                else _unmatched(synonyms, frozenset(), frozenset(), reviewed=set())
            ),
        }
    return [records[k] for k in sorted(records)]


def _unmatched(
    synonyms: Iterable[str], common: frozenset[str], gene_keys: frozenset[str], reviewed: set[str]
) -> dict[str, str]:
    out = {}
    for syn in synonyms:
        if syn in reviewed:
            continue
        reason = unmatched_reason(syn, common, gene_keys)
        if reason:
            out[syn] = reason
    return dict(sorted(out.items()))


def build_drugs(
    drugs: dict[str, DrugRecord],
    resolver: NameResolver,
    common: frozenset[str],
    gene_keys: frozenset[str],
    class_members: frozenset[str] = frozenset(),
) -> list[dict[str, Any]]:
    """Drug records: DrugBank names, synonyms, salt-stripped forms and curated aliases/brands.

    A drug listed as a member of a curated oncology class (investigational TRK inhibitors, say, which DrugBank
    does not yet file under antineoplastic agents) is part of the oncology tier too.
    """
    path = CURATED_DIR / "drug_aliases.tsv"
    for row in _table_rows(path):
        alias, name, kind = row[0], row[1], row[2]
        drugs[resolver.resolve(name, f"{path} [{alias}]")].curated[alias] = kind
    records = []
    for db_id in sorted(drugs, key=lambda i: (len(i), i)):
        rec = drugs[db_id]
        synonyms: list[str] = []
        for syn in [rec.name, *rec.synonyms, *rec.curated]:
            if syn not in synonyms and (len(syn) <= MAX_MATCH_CHARS or syn == rec.name):
                synonyms.append(syn)
        for syn in list(synonyms):
            base = strip_salt(syn)
            if base and base not in synonyms:
                synonyms.append(base)
        reviewed = {a for a, kind in rec.curated.items() if kind != "ambiguous"}
        unmatched = _unmatched(synonyms, common, gene_keys, reviewed)
        for alias, kind in rec.curated.items():
            if kind == "ambiguous":
                unmatched[alias] = "ambiguous acronym"
        oncology = rec.oncology or db_id in class_members
        records.append(
            {
                "id": db_id,
                "name": rec.name,
                "kind": "drug",
                "synonyms": synonyms,
                "members": [],
                "categories": sorted(set(rec.categories)) if oncology else [],
                "oncology": oncology,
                "biologic": rec.biologic,
                "structure": rec.structure,
                "curated": dict(sorted(rec.curated.items())),
                "unmatched": dict(sorted(unmatched.items())),
            }
        )
    return records


# ---------------------------------------------------------------------------------------------------- main


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    """Deterministic JSON lines (sorted keys, UTF-8, LF)."""
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False, sort_keys=True) + "\n")


def build(shared: Path = SHARED_DIR, out: Path = LEXICON_DIR) -> dict[str, int]:
    """Build all lexicon files into ``out``; returns record counts per file."""
    drugbank = read_drugbank(shared)
    resolver = NameResolver(drugbank)
    common = common_english_words(shared)
    genes = build_genes()
    gene_keys = frozenset(key(a) for g in genes for a in [g["symbol"], *g["aliases"]])
    classes = build_classes(resolver)
    regimens = build_regimens(shared, resolver)
    # named classes only: members of generic concepts ("glucocorticoid") stay outside the oncology tier
    members = frozenset(m for c in classes if c.get("entity", True) for m in c.get("members", []))
    drugs = build_drugs(drugbank, resolver, common, gene_keys, members)
    out.mkdir(parents=True, exist_ok=True)
    write_jsonl(out / "drugs.jsonl", regimens + drugs)
    write_jsonl(out / "classes.jsonl", classes)
    write_jsonl(out / "genes.jsonl", genes)
    return {"drugs.jsonl": len(regimens) + len(drugs), "classes.jsonl": len(classes), "genes.jsonl": len(genes)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m miner.nlp.build_lexicon",
        description="Compile miner/data/lexicon/{drugs,classes,genes}.jsonl from ../shared/data and curated tables.",
    )
    parser.add_argument("--shared", type=Path, default=SHARED_DIR, help="shared data root (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=LEXICON_DIR, help="output directory (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        counts = build(args.shared, args.out)
    except MinerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for name, n in counts.items():
        print(f"{args.out / name}: {n} records")
    return 0


if __name__ == "__main__":
    sys.exit(main())
