"""The drug/regimen/class/gene lexicon as a Python API (no spaCy needed).

Reads the compiled files in ``miner/data/lexicon/`` (built by :mod:`miner.nlp.build_lexicon` from the DrugBank
open vocabulary and reviewed tables). Lookups are case-, hyphen-, whitespace- and plural-insensitive through
:mod:`miner.lexicon.normalize`, so "EGFR-TKIs", "EGFR TKI" and "egfr tkis" all find ``class:egfr_tki``.

When two entries claim the same key, the more specific source wins: classes, then regimens, then curated
aliases and brands, then DrugBank preferred names (oncology drugs first), then DrugBank synonyms.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from miner.errors import MinerError
from miner.lexicon.normalize import (
    TextKey,
    exact_key,
    is_case_sensitive,
    key,
    key_splits,
    singular_keys,
    strip_salt,
    text_key,
)

LEXICON_DIR = Path(__file__).resolve().parent.parent / "data" / "lexicon"
#: Entry kinds -> the labels drug mentions carry (``span._.drug_label``, ``Mention.label``).
KIND_LABELS = {"drug": "DRUG", "regimen": "REGIMEN", "class": "DRUG_CLASS"}
#: (hard, soft) split offsets of a synonym's key: where it had whitespace / hyphens.
_Splits = tuple[frozenset[int], frozenset[int]]


@dataclass(frozen=True)
class LexEntry:
    """A drug (DrugBank id), a regimen ("regimen:folfox") or a drug class ("class:egfr_tki_1g")."""

    id: str
    name: str
    kind: str  # "drug" | "regimen" | "class"
    synonyms: tuple[str, ...]
    members: tuple[str, ...]  # drug ids a regimen/class covers; () for a drug
    parents: tuple[str, ...]  # parent class ids (class) or the classes a drug belongs to (drug)
    categories: tuple[str, ...] = ()  # DrugBank categories (oncology drugs only)
    oncology: bool = False  # antineoplastic/immunomodulating agent, regimen or class
    biologic: bool = False  # DrugBank biotech entry (antibody, protein)
    structure: bool = False  # DrugBank entry with an InChIKey: a defined small molecule
    entity: bool = True  # class: False for generic therapy concepts ("chemotherapy") kept out of doc.ents


@dataclass(frozen=True)
class GeneEntry:
    """A gene symbol with the aliases that normalise to it."""

    symbol: str
    name: str
    aliases: tuple[str, ...]


class Lexicon:
    """Name/synonym/abbreviation lookup over drugs, regimens and classes, plus gene-symbol normalisation."""

    def __init__(self, directory: Path = LEXICON_DIR) -> None:
        self.directory = directory
        self._entries: dict[str, LexEntry] = {}
        self._lookup: dict[str, str] = {}  # key -> id, every synonym
        self._lookup_exact: dict[str, str] = {}  # exact key -> id, acronyms (case-sensitive synonyms)
        self._lookup_acronym: dict[str, str] = {}  # lower-cased exact key -> id, acronyms
        # key -> (id, word structures of its synonyms), for synonyms safe to match in free text
        self._match: dict[str, tuple[str, list[_Splits]]] = {}
        self._match_exact: dict[str, tuple[str, list[_Splits]]] = {}
        self._genes: dict[str, GeneEntry] = {}
        self._gene_keys: dict[str, str] = {}
        self._classes_of: dict[str, set[str]] = {}
        self._load()

    # -- loading -------------------------------------------------------------------------------------------

    def _read(self, name: str) -> Iterator[dict]:
        path = self.directory / name
        if not path.is_file():
            raise MinerError(f"lexicon file {path} is missing; rebuild it with `python -m miner.nlp.build_lexicon`")
        with path.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise MinerError(f"{path}:{lineno}: damaged lexicon line ({exc.msg}); rebuild the lexicon") from exc

    def _load(self) -> None:
        classes = list(self._read("classes.jsonl"))
        drugs = list(self._read("drugs.jsonl"))
        genes = list(self._read("genes.jsonl"))
        for rec in classes:
            for member in rec["members"]:
                self._classes_of.setdefault(member, set()).add(rec["id"])
        # (priority, id, synonym, matchable) in the order keys are claimed.
        claims: list[tuple[int, str, str, bool]] = []
        for rec in classes:
            self._add(rec, parents=tuple(rec["parents"]))
            claims += [(0, rec["id"], s, True) for s in rec["synonyms"]]
        for rec in drugs:
            parents = tuple(sorted(self._classes_of.get(rec["id"], ()))) if rec["kind"] == "drug" else ()
            self._add(rec, parents=parents)
            unmatched = rec.get("unmatched", {})
            if rec["kind"] == "regimen":
                claims += [(1, rec["id"], s, s not in unmatched) for s in rec["synonyms"]]
                continue
            onc = 0 if rec["oncology"] else 1
            claims += [(2, rec["id"], s, s not in unmatched) for s in rec.get("curated", {})]
            claims.append((3 + onc, rec["id"], rec["name"], rec["name"] not in unmatched))
            claims += [(5 + onc, rec["id"], s, s not in unmatched) for s in rec["synonyms"]]
        claims.sort(key=lambda c: c[0])  # stable: file order within a priority
        for _, entry_id, synonym, matchable in claims:
            if is_case_sensitive(synonym):
                ek, hard, _soft = key_splits(synonym, exact=True)
                if not ek:
                    continue
                self._lookup_exact.setdefault(ek, entry_id)
                self._lookup_acronym.setdefault(ek.lower(), entry_id)
                if matchable:
                    self._claim(self._match_exact, ek, entry_id, (hard, frozenset()))
                continue
            k, hard, soft = key_splits(synonym)
            if not k:
                continue
            self._lookup.setdefault(k, entry_id)
            if matchable:
                self._claim(self._match, k, entry_id, (hard, soft))
        self._match_sorted = sorted(self._match)
        self._match_exact_sorted = sorted(self._match_exact)
        for rec in genes:
            gene = GeneEntry(rec["symbol"], rec["name"], tuple(rec["aliases"]))
            self._genes[gene.symbol] = gene
            for alias in (gene.symbol, *gene.aliases):
                self._gene_keys.setdefault(key(alias), gene.symbol)

    @staticmethod
    def _claim(index: dict[str, tuple[str, list[_Splits]]], k: str, entry_id: str, splits: _Splits) -> None:
        """First claim of a key wins; later synonyms of the same entry add their word structure."""
        current = index.get(k)
        if current is None:
            index[k] = (entry_id, [splits])
        elif current[0] == entry_id and splits not in current[1]:
            current[1].append(splits)

    def _add(self, rec: dict, parents: tuple[str, ...]) -> None:
        self._entries[rec["id"]] = LexEntry(
            id=rec["id"],
            name=rec["name"],
            kind=rec["kind"],
            synonyms=tuple(rec["synonyms"]),
            members=tuple(rec.get("members", ())),
            parents=parents,
            categories=tuple(rec.get("categories", ())),
            oncology=bool(rec.get("oncology", rec["kind"] == "class")),
            biologic=bool(rec.get("biologic", False)),
            structure=bool(rec.get("structure", False)),
            entity=bool(rec.get("entity", True)),
        )

    # -- public API ----------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[LexEntry]:
        return iter(self._entries.values())

    def get(self, id: str) -> LexEntry | None:
        """The entry with this id (DrugBank id, "regimen:...", "class:..."), or None."""
        return self._entries.get(id)

    def lookup(self, text: str) -> LexEntry | None:
        """Entry named by ``text`` (name, synonym, abbreviation, brand; case/hyphen/plural/salt-insensitive)."""
        text = text.strip()
        if not text:
            return None
        found = self._lookup_text(text)
        if found is None:
            base = strip_salt(text)
            if base:
                found = self._lookup_text(base)
        return self._entries.get(found) if found else None

    def _lookup_text(self, text: str) -> str | None:
        ek = exact_key(text)
        for k in (ek, *singular_keys(ek)):
            hit = self._lookup_exact.get(k) or self._lookup_acronym.get(k.lower())
            if hit:
                return hit
        lk = key(text)
        for k in (lk, *singular_keys(lk)):
            hit = self._lookup.get(k)
            if hit:
                return hit
        return None

    def match_id(self, text: str, single_word: bool = False) -> str | None:
        """Id for a free-text candidate, using only synonyms safe to match in free text.

        A synonym only matches text with the same word structure (spaces, hyphens: see
        :func:`miner.lexicon.normalize.key_splits`); with ``single_word`` the text reads as one word, so that only
        synonyms written without spaces match.
        """
        return self.match_key(text_key(text, single_word))

    def match_key(self, candidate: TextKey) -> str | None:
        """:meth:`match_id` for a candidate already reduced to its key (a matcher growing n-grams token by token)."""
        for k in (candidate.exact, *singular_keys(candidate.exact)):
            hit = self._match_exact.get(k)
            if hit and any(candidate.exact_hard == s_hard for s_hard, _ in hit[1]):
                return hit[0]
        for k in (candidate.lowered, *singular_keys(candidate.lowered)):
            hit = self._match.get(k)
            if hit is None:
                continue
            t_hard = {p for p in candidate.hard if p < len(k)}
            t_soft = {p for p in candidate.soft if p < len(k)}
            for s_hard, s_soft in hit[1]:
                if t_hard <= (s_hard | s_soft) and s_hard <= (t_hard | t_soft):
                    return hit[0]
        return None

    def may_extend(self, text: str) -> bool:
        """Whether some matchable synonym starts with ``text`` (see :meth:`may_extend_key`)."""
        return self.may_extend_key(text_key(text))

    def may_extend_key(self, candidate: TextKey) -> bool:
        """Whether some matchable synonym key starts with the candidate's key (or acronym key with its exact key).

        Lets the matcher stop growing an n-gram as soon as no synonym can still match (binary search in the
        sorted key lists), which keeps matching cost close to linear in the text length.
        """
        return _has_prefix(self._match_sorted, candidate.lowered) or _has_prefix(
            self._match_exact_sorted, candidate.exact
        )

    def members(self, id: str) -> frozenset[str]:
        """Drug ids covered by a class or regimen; ``{id}`` for a drug; empty for an unknown id."""
        entry = self._entries.get(id)
        if entry is None:
            return frozenset()
        return frozenset(entry.members) if entry.kind != "drug" else frozenset({id})

    def classes_of(self, drug_id: str) -> frozenset[str]:
        """Class ids whose members include this drug (closed over parent classes)."""
        return frozenset(self._classes_of.get(drug_id, ()))

    def normalize_gene(self, text: str) -> str | None:
        """Official symbol for a gene name or alias ("HER2" -> "ERBB2", "AR-V7" -> "AR"), None if unknown."""
        return self._gene_keys.get(key(text.strip())) if text and text.strip() else None

    def gene(self, symbol: str) -> GeneEntry | None:
        """The curated gene record for an official symbol."""
        return self._genes.get(symbol)


def _has_prefix(sorted_keys: list[str], prefix: str) -> bool:
    i = bisect_left(sorted_keys, prefix)
    return i < len(sorted_keys) and sorted_keys[i].startswith(prefix)


@lru_cache(maxsize=4)
def load_lexicon(directory: Path | None = None) -> Lexicon:
    """The compiled lexicon, loaded once per directory."""
    return Lexicon(directory or LEXICON_DIR)
