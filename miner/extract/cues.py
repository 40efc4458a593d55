"""Cue lexicons: the words that signal a relation, its negation, hedging, mechanism and evidence.

They live in the extraction grammar (``miner/data/extract/grammar.yml``, read by
:mod:`miner.extract.grammar`) so that covering a new phrasing is a data edit, not code.
Each phrase belongs to exactly one cue class (checked at load time), because the reader
turns every matched phrase into one unit whose class the patterns test.  Affix classes (``AFFIX_*``, ``PREFIX_*``) are matched on
the parts of hyphenated tokens ("gefitinib-resistant", "post-abiraterone"),
which the scispaCy tokenizer keeps whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from spacy.language import Language
from spacy.matcher import PhraseMatcher

from miner.errors import MinerError

if TYPE_CHECKING:  # pragma: no cover
    from miner.extract.grammar import Grammar

AFFIX_PREFIXES = ("AFFIX_", "PREFIX_")


@dataclass
class CueLexicon:
    """All cue tables, indexed for lookup."""

    classes: dict[str, list[str]]
    evidence: dict[str, list[str]]
    mechanism_types: dict[str, list[str]]
    gene_mechanism_types: dict[str, list[str]]
    processes: list[str]
    digest: str
    phrase_class: dict[str, str] = field(default_factory=dict)
    suffix_class: dict[str, str] = field(default_factory=dict)
    prefix_class: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any], digest: str = "") -> "CueLexicon":
        classes = {k: list(v) for k, v in data["classes"].items() if not k.startswith("_")}
        lex = cls(
            classes=classes,
            evidence={k: list(v) for k, v in data.get("evidence", {}).items() if not k.startswith("_")},
            mechanism_types={
                k: list(v) for k, v in data.get("mechanism_types", {}).items() if not k.startswith("_")
            },
            gene_mechanism_types={
                k: list(v) for k, v in data.get("gene_mechanism_types", {}).items() if not k.startswith("_")
            },
            processes=list(data.get("processes", [])),
            digest=digest,
        )
        for name, phrases in classes.items():
            if name.startswith("PREFIX_"):
                target = lex.prefix_class
            elif name.startswith("AFFIX_"):
                target = lex.suffix_class
            else:
                target = lex.phrase_class
            for phrase in phrases:
                key = phrase.lower()
                other = target.get(key)
                if other is not None and other != name:
                    raise MinerError(f"cue phrase {phrase!r} is in two cue classes: {other} and {name}")
                target[key] = name
        return lex

    def phrase_matcher(self, nlp: Language) -> PhraseMatcher:
        """A PhraseMatcher (lower-case) with one key per non-affix cue class."""
        return _phrase_matcher(self, nlp, "classes")

    def evidence_matcher(self, nlp: Language) -> PhraseMatcher:
        return _phrase_matcher(self, nlp, "evidence")


_MATCHERS: dict[tuple[int, int, str], PhraseMatcher] = {}


def _phrase_matcher(lex: CueLexicon, nlp: Language, table: str) -> PhraseMatcher:
    """Build (once per pipeline and table) a lower-case PhraseMatcher over cue phrases.

    Phrases are tokenized with the pipeline's own tokenizer so that dash and
    hyphen variants split exactly as they do in the text.
    """
    key = (id(lex), id(nlp), table)
    if key in _MATCHERS:
        return _MATCHERS[key]
    matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
    if table == "classes":
        groups = {k: v for k, v in lex.classes.items() if not k.startswith(AFFIX_PREFIXES)}
        groups["PROCESS"] = lex.processes  # named mechanisms without a gene ("lineage plasticity")
    else:
        groups = lex.evidence
    for name, phrases in groups.items():
        matcher.add(name, [nlp.make_doc(p) for p in phrases])
    _MATCHERS[key] = matcher
    return matcher


def from_grammar(grammar: "Grammar") -> CueLexicon:
    """The cue tables of a grammar, indexed for lookup."""
    return CueLexicon.from_dict(
        {
            "classes": {name: c.words for name, c in grammar.classes.items()},
            "evidence": grammar.evidence,
            "mechanism_types": grammar.mechanism_types,
            "gene_mechanism_types": grammar.gene_mechanism_types,
            "processes": grammar.processes,
        },
        grammar.digest,
    )


@lru_cache(maxsize=1)
def load_cues() -> CueLexicon:
    """The packaged cue lexicon (cached): the cue tables of the packaged grammar."""
    from miner.extract.grammar import load_grammar

    return from_grammar(load_grammar())
