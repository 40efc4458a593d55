"""Cue lexicons: the words that signal a relation, its negation, hedging, mechanism and evidence.

They live in ``miner/data/extract/cues.json`` so that covering a new phrasing is a
data edit, not code.  Each phrase belongs to exactly one cue class (checked at
load time), because the reader turns every matched phrase into one unit whose
class the patterns test.  Affix classes (``AFFIX_*``, ``PREFIX_*``) are matched on
the parts of hyphenated tokens ("gefitinib-resistant", "post-abiraterone"),
which the scispaCy tokenizer keeps whole.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from spacy.language import Language
from spacy.matcher import PhraseMatcher

from miner.errors import MinerError

AFFIX_PREFIXES = ("AFFIX_", "PREFIX_")
_CUE_FILE = "data/extract/cues.json"


def _data_text(name: str) -> str:
    return resources.files("miner").joinpath(name).read_text("utf-8")


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


@lru_cache(maxsize=1)
def load_cues() -> CueLexicon:
    """The packaged cue lexicon (cached)."""
    text = _data_text(_CUE_FILE)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MinerError(f"miner/{_CUE_FILE}: invalid JSON: {exc}") from exc
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]
    return CueLexicon.from_dict(data, digest)
