"""A tiny in-memory lexicon with the real Lexicon's interface, injected into evaluation tests.

It keeps the tests fast and their expectations independent of the full lexicon build;
one test per area also runs against the real lexicon.
"""

from __future__ import annotations

import json
from pathlib import Path

from miner.lexicon import LexEntry
from miner.lexicon.normalize import key, singular_keys
from miner.schema import Finding

_DRUGS = {
    "D_TRAS": ("trastuzumab", ["Herceptin"]),
    "D_PERT": ("pertuzumab", []),
    "D_TDM1": ("trastuzumab emtansine", ["T-DM1", "ado-trastuzumab emtansine", "Kadcyla"]),
    "D_OSI": ("osimertinib", ["AZD9291"]),
    "D_GEF": ("gefitinib", []),
    "D_AFA": ("afatinib", []),
    "D_DOC": ("docetaxel", []),
    "D_CABA": ("cabazitaxel", []),
    "D_PACLI": ("paclitaxel", []),
    "D_ENZA": ("enzalutamide", []),
    "D_ABI": ("abiraterone", []),
    "D_5FU": ("fluorouracil", ["5-FU", "5-fluorouracil"]),
    "D_LV": ("leucovorin", ["folinic acid"]),
    "D_OX": ("oxaliplatin", []),
}
_CLASSES = {
    "class:taxane": ("taxanes", ["taxane"], ["D_DOC", "D_CABA", "D_PACLI"]),
    "class:egfr_tki": ("EGFR tyrosine kinase inhibitors", ["EGFR-TKI", "EGFR TKIs"], ["D_OSI", "D_GEF", "D_AFA"]),
    "class:arsi": ("androgen receptor signaling inhibitors", ["ARSI", "ARSIs"], ["D_ENZA", "D_ABI"]),
}
_REGIMENS = {"regimen:folfox": ("FOLFOX", [], ["D_5FU", "D_LV", "D_OX"])}
_GENES = {"ERBB2": ["HER2", "HER-2", "neu"], "KEAP1": [], "NFE2L2": ["NRF2"], "EGFR": [], "AR": ["AR-V7"], "ABCB1": ["P-gp", "MDR1"]}


class TinyLexicon:
    """Drugs, one regimen and three classes: enough for synonyms, abbreviations, classes and combinations."""

    def __init__(self) -> None:
        self.entries: dict[str, LexEntry] = {}
        for id_, (name, syns) in _DRUGS.items():
            self.entries[id_] = LexEntry(id_, name, "drug", tuple([name, *syns]), (), ())
        for id_, (name, syns, members) in {**_CLASSES, **_REGIMENS}.items():
            kind = "class" if id_.startswith("class:") else "regimen"
            self.entries[id_] = LexEntry(id_, name, kind, tuple([name, *syns]), tuple(members), ())
        self.keys = {key(s): e.id for e in self.entries.values() for s in e.synonyms}
        self.genes = {key(a): sym for sym, aliases in _GENES.items() for a in [sym, *aliases]}

    def lookup(self, text: str) -> LexEntry | None:
        k = key(text)
        for cand in (k, *singular_keys(k)):
            if cand in self.keys:
                return self.entries[self.keys[cand]]
        return None

    def get(self, id: str) -> LexEntry | None:
        return self.entries.get(id)

    def members(self, id: str) -> frozenset[str]:
        e = self.entries.get(id)
        if e is None:
            return frozenset()
        return frozenset({id}) if e.kind == "drug" else frozenset(e.members)

    def classes_of(self, drug_id: str) -> frozenset[str]:
        return frozenset(e.id for e in self.entries.values() if e.kind == "class" and drug_id in e.members)

    def normalize_gene(self, text: str) -> str | None:
        return self.genes.get(key(text))


def finding(drug: str, prior: str = "", effect: str = "cross_resistance", **kw) -> Finding:
    """A finding with short defaults (doc_id of review 000 unless given)."""
    kw.setdefault("doc_id", "text:review_000")
    return Finding(drug=drug, prior_drug=prior, effect=effect, **kw)


def write_rows(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path
