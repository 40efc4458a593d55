"""Each rule of the extraction grammar is tested by its own examples and counter-examples.

The test cases are generated from miner/data/extract/grammar.yml: one test per rule, which fails
naming the sentence when the rule does not read an example's finding (on its own and in the full
reader) or reads one of its counter-examples. `miner rules check` runs the same check.
"""

from __future__ import annotations

import pytest

from miner.extract.grammar import load_grammar
from miner.extract.rulecheck import check_rules

RULES = [r.name for r in load_grammar().rules]


@pytest.fixture(scope="module")
def failures():
    by_rule: dict[str, list] = {}
    for f in check_rules():
        by_rule.setdefault(f.rule, []).append(f)
    return by_rule


@pytest.mark.parametrize("rule", RULES)
def test_rule_reads_its_examples(failures, rule):
    assert not failures.get(rule), "\n".join(f"{f.sentence}: {f.reason}" for f in failures[rule])


def test_every_rule_has_an_example():
    assert all(r.examples for r in load_grammar().rules)


def test_a_broken_example_is_reported(monkeypatch):
    """The check can fail: an example with the wrong drug is named with its rule."""
    import copy

    grammar = copy.deepcopy(load_grammar())
    rule = grammar.rule("xres_resistant_to")
    rule.examples[0].drug = "imatinib"
    found = check_rules(grammar, rules=["xres_resistant_to"])
    assert [f.rule for f in found] == ["xres_resistant_to", "xres_resistant_to"]
    assert "imatinib" in found[0].reason
