"""Run every rule's examples and counter-examples through the real pipeline.

The grammar (``miner/data/extract/grammar.yml``) gives each rule ``examples`` (a sentence and
a finding the rule must read from it) and ``not`` (sentences the rule must not read). This module
checks them all in one ``nlp.pipe`` pass; ``miner rules check`` and the generated tests use it,
so that a rule is tested by its own examples and a grammar edit that breaks one is named at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from miner.extract.grammar import Example, Grammar, load_grammar
from miner.schema import Finding

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language


@dataclass
class Failure:
    rule: str
    sentence: str
    reason: str


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def example_read(example: Example, rule: str, findings: list[Finding]) -> bool:
    """Whether ``rule`` read the example's finding (drug, prior drug, effect and any genes named)."""
    for f in findings:
        if f.rule != rule or f.effect != example.effect:
            continue
        if _norm(f.drug) != _norm(example.drug) or _norm(f.prior_drug) != _norm(example.prior_drug):
            continue
        if set(example.mechanism_genes) <= set(f.mechanism_genes):
            return True
    return False


def _describe(findings: list[Finding]) -> str:
    if not findings:
        return "no finding"
    return "; ".join(f"{f.drug!r} <- {f.prior_drug!r} {f.effect} by {f.rule}" for f in findings)


def check_rules(grammar: Grammar | None = None, nlp: "Language | None" = None,
                rules: list[str] | None = None) -> list[Failure]:
    """Every example its rule does not read and every counter-example it reads (empty: all pass).

    Each rule reads its sentences on its own (a reader restricted to that rule), so an example shows
    what the rule does even where a more confident rule wins in the full reader; each example must
    also come out of the full reader (by whichever rule), since that is what users get.
    """
    from miner.extract import TextDoc, extract_docs, get_reader
    from miner.extract.reader import Reader

    grammar = grammar or load_grammar()
    full = get_reader(nlp)
    chosen = [r for r in grammar.rules if rules is None or r.name in rules]
    failures: list[Failure] = []
    everything: list[TextDoc] = []
    for r in chosen:
        docs = [TextDoc(f"{r.name}#example{k}", ex.sentence) for k, ex in enumerate(r.examples)]
        docs += [TextDoc(f"{r.name}#not{k}", s) for k, s in enumerate(r.counter_examples)]
        everything.extend(docs[: len(r.examples)])
        alone = Reader(full.nlp, full.resolver, full.cues, full.oncology_only, rules=[r.name], use_model=False)
        found: dict[str, list[Finding]] = {d.doc_id: [] for d in docs}
        for f in extract_docs(docs, reader=alone):
            found[f.doc_id].append(f)
        for k, ex in enumerate(r.examples):
            got = found[f"{r.name}#example{k}"]
            if not example_read(ex, r.name, got):
                want = f"{ex.drug!r} <- {ex.prior_drug!r} {ex.effect}"
                failures.append(Failure(r.name, ex.sentence, f"expected {want}, the rule read: {_describe(got)}"))
        for k, sentence in enumerate(r.counter_examples):
            wrong = found[f"{r.name}#not{k}"]
            if wrong:
                failures.append(Failure(r.name, sentence, f"must not be read, the rule read: {_describe(wrong)}"))
    found_all: dict[str, list[Finding]] = {d.doc_id: [] for d in everything}
    for f in extract_docs(everything, reader=full):
        found_all[f.doc_id].append(f)
    for r in chosen:
        for k, ex in enumerate(r.examples):
            got = found_all[f"{r.name}#example{k}"]
            if not any(example_read(ex, f.rule, [f]) for f in got):
                failures.append(Failure(r.name, ex.sentence,
                                        f"the full reader does not give the example's finding: {_describe(got)}"))
    return failures
