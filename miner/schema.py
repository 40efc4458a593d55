"""The findings schema: one definition for gold rows, extractor output and exports.

A :class:`Finding` is a plain typed statement that carries its evidence (INDRA's
idea): who (``drug``, ``prior_drug``), how (``effect``, ``mechanism``) and where
it was read (``doc_id``, ``sentence``, character ``offsets``).  JSONL files hold
one finding per line; ``miner/data/finding.schema.json`` is the JSON Schema of
that line and :func:`validate` checks a dict against it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Iterator

from miner.errors import InputFileError, MinerError

EFFECTS = (
    "cross_resistance",
    "reduced_efficacy",
    "no_cross_resistance",
    "collateral_sensitivity",
    "resistance",
)
#: Effect polarity used for the "pair + effect" evaluation level and for conflicts.
POLARITY = {
    "cross_resistance": "negative",
    "reduced_efficacy": "negative",
    "resistance": "negative",
    "no_cross_resistance": "neutral",
    "collateral_sensitivity": "positive",
}
MECHANISM_TYPES = (
    "secondary_mutation",
    "amplification",
    "target_loss",
    "bypass_pathway",
    "splice_variant",
    "phenotypic_transformation",
    "efflux_transporter",
    "dna_repair",
    "immune_microenvironment",
    "epigenetic",
    "drug_metabolism",
    "unknown",
)
KINDS = ("sequential", "acquired", "primary", "adaptive", "multidrug")
EVIDENCE_LEVELS = ("in_vitro", "in_vivo", "clinical", "real_world", "mixed", "unknown")
STATUSES = ("", "confirmed", "novel", "conflicting")
#: Keys allowed in ``Finding.offsets`` (each maps to ``[start, end]`` in the document text).
OFFSET_ROLES = ("sentence", "drug", "prior_drug", "mechanism", "evidence_quote")


@dataclass
class Reference:
    """A cited reference of a review, resolved from its number."""

    number: int
    first_author: str = ""
    title: str = ""
    year: int | None = None
    doi: str = ""
    pmid: str = ""


@dataclass
class Finding:
    """One drug-resistance statement with its provenance."""

    drug: str
    effect: str
    prior_drug: str = ""
    mechanism: str = ""
    drug_ids: list[str] = field(default_factory=list)
    prior_drug_ids: list[str] = field(default_factory=list)
    mechanism_genes: list[str] = field(default_factory=list)
    mechanism_type: str = "unknown"
    kind: str = "acquired"
    direction_bidirectional: bool = False
    hedged: bool = False
    negated: bool = False
    evidence_level: str = "unknown"
    cancer: str = ""
    cancer_name: str = ""  # `cancer` normalized by the cancer vocabulary; empty when not in it
    cancer_id: str = ""  # its vocabulary id (MeSH id or cancer:<name>); a list joins names and ids with "; "
    # provenance
    doc_id: str = ""
    section: str = ""
    sentence: str = ""
    offsets: dict[str, list[int]] = field(default_factory=dict)
    evidence_quote: str = ""
    refs: list[str] = field(default_factory=list)
    references: list[dict[str, Any]] = field(default_factory=list)
    rule: str = ""
    confidence: float = 1.0
    source: str = "extractor"  # extractor | gold | curated
    status: str = ""  # reconciliation label
    gold_ids: list[str] = field(default_factory=list)  # reconciliation: the gold rows its status rests on
    reason: str = ""  # reconciliation: why it has its status (one line)
    note: str = ""
    id: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            self.id = self.stable_id()

    @property
    def polarity(self) -> str:
        return POLARITY.get(self.effect, "negative")

    def stable_id(self) -> str:
        """A content hash, so re-extracting the same statement gives the same id."""
        key = "|".join(
            [
                self.doc_id,
                str(self.offsets.get("sentence", "")),
                self.drug.lower(),
                self.prior_drug.lower(),
                self.effect,
                self.mechanism.lower(),
                self.rule,
            ]
        )
        return "f" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]

    def statement_key(self) -> "StatementKey":
        """What this finding states, whatever document it was read in (see :class:`StatementKey`).

        :attr:`id` names one piece of evidence; this key names the statement it supports, so
        assembly, evaluation and reconciliation group findings with one definition.
        """
        return StatementKey(
            prior=agent_key(self.prior_drug, self.prior_drug_ids),
            agent=agent_key(self.drug, self.drug_ids),
            polarity=self.polarity,
            genes=tuple(sorted({g.strip().upper() for g in self.mechanism_genes if g.strip()})),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Finding":
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise MinerError(f"unknown finding field(s): {', '.join(sorted(unknown))}")
        return cls(**data)


def agent_key(name: str, ids: Iterable[str]) -> str:
    """One side of a statement: its lexicon ids sorted and joined by "+" (a combination), else the written name.

    Ids are DrugBank ids, ``regimen:`` or ``class:`` ids, so synonyms, abbreviations and brands of one
    agent share a key; a name the lexicon does not know is keyed ``name:<case-, space- and
    hyphen-insensitive form>``; no agent (single-drug resistance has no prior) is "".
    """
    unique = sorted({i.strip() for i in ids if i and i.strip()})
    if unique:
        return "+".join(unique)
    from miner.lexicon.normalize import key  # pure string functions, no NLP models

    k = key(name)
    return f"name:{k}" if k else ""


@dataclass(frozen=True, order=True)
class StatementKey:
    """The statement a finding supports (INDRA's statement, apart from its evidence).

    ``(prior agent, agent, effect polarity, mechanism genes)``: agents are :func:`agent_key` values,
    polarity is :data:`POLARITY` of the effect (cross_resistance and reduced_efficacy state the same
    thing), genes are upper-cased symbols, sorted.  Findings read in different documents, or by
    different rules, with the same key are evidence for one statement.
    """

    prior: str
    agent: str
    polarity: str
    genes: tuple[str, ...] = ()

    @property
    def pair(self) -> tuple[str, str]:
        """(prior agent, agent): what the cross-resistance matrix and conflict checks group by."""
        return self.prior, self.agent

    def __str__(self) -> str:
        genes = ",".join(self.genes)
        return f"{self.prior or '-'} > {self.agent} : {self.polarity}" + (f" [{genes}]" if genes else "")

    @property
    def id(self) -> str:
        """A short stable id (``s`` + content hash), usable as an HTML anchor."""
        return "s" + hashlib.sha1(str(self).encode("utf-8")).hexdigest()[:12]


@lru_cache(maxsize=1)
def json_schema() -> dict[str, Any]:
    """The JSON Schema of one finding (``miner/data/finding.schema.json``)."""
    text = resources.files("miner").joinpath("data/finding.schema.json").read_text("utf-8")
    return json.loads(text)


@lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema

    return jsonschema.Draft202012Validator(json_schema())


def validation_errors(data: dict[str, Any]) -> list[str]:
    """All schema violations of one finding dict, as readable strings (empty if valid)."""
    validator = _validator()
    errors = []
    for err in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in err.absolute_path) or "(row)"
        errors.append(f"{where}: {err.message}")
    return errors


def validate(data: dict[str, Any]) -> None:
    """Raise :class:`MinerError` if ``data`` is not a valid finding."""
    errors = validation_errors(data)
    if errors:
        raise MinerError("invalid finding: " + "; ".join(errors))


def jsonl_lines(path: Path) -> Iterator[tuple[int, Any, str]]:
    """``(line number, value, error)`` for every non-blank line of a JSONL file.

    One reader for the strict loader below (which stops at the first error) and for
    ``miner gold check`` (which lists every bad line).
    """
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield lineno, json.loads(line), ""
            except json.JSONDecodeError as exc:
                yield lineno, None, f"invalid JSON: {exc.msg} (column {exc.colno})"


def read_jsonl(path: str | Path) -> Iterator[Finding]:
    """Findings from a JSONL file; a bad line raises an error naming file and line."""
    path = Path(path)
    if not path.is_file():
        raise MinerError(f"{path}: no such file")
    for lineno, data, error in jsonl_lines(path):
        errors = [error] if error else validation_errors(data)
        if errors:
            raise InputFileError(path, "; ".join(errors), f"line {lineno}")
        yield Finding.from_dict(data)


def write_jsonl(findings: Iterable[Finding], path: str | Path) -> int:
    """Write findings atomically (temp file + rename); returns the count."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    n = 0
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            for finding in findings:
                fh.write(json.dumps(finding.to_dict(), ensure_ascii=False) + "\n")
                n += 1
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return n
