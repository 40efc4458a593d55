"""The declarative pattern language, the grammar file and the cue lexicon: parsing, checking, clear errors."""

from __future__ import annotations

import pytest
import spacy

from miner.errors import MinerError
from miner.extract import grammar as gr
from miner.extract.cues import CueLexicon, load_cues
from miner.extract.patterns import build_matcher, compile_rules, present_features
from miner.extract.units import Unit, units_doc

CLASSES = {"XRES": ["trigger"], "RES_TO": ["trigger"], "AFFIX_RES": ["trigger"]}
EXAMPLE = {"sentence": "X-resistant cells were cross-resistant to Y.", "drug": "Y", "prior_drug": "X",
           "effect": "cross_resistance"}


def _grammar_data(pattern: str, macros: dict | None = None, **extra) -> dict:
    entry = {"name": "p", "effect": "cross_resistance", "patterns": [pattern], "examples": [dict(EXAMPLE)], **extra}
    classes = {name: {"roles": roles, "words": [name.lower()]} for name, roles in CLASSES.items()}
    return {"classes": classes, "macros": macros or {}, "rules": [entry]}


def _compile(pattern: str, macros: dict | None = None, **extra):
    return compile_rules(gr.parse(_grammar_data(pattern, macros, **extra)))


def test_packaged_grammar_compiles_and_names_rules():
    grammar = gr.load_grammar()
    compiled = compile_rules(grammar)
    names = [p.name for p in compiled]
    assert len(names) == len(set(names)) >= 40
    assert all(p.sequences for p in compiled) and len(grammar.digest) == 10
    assert all(rule.examples for rule in grammar.rules)


def test_grammar_roles_name_the_classes_code_uses():
    grammar = gr.load_grammar()
    assert "NEG" in grammar.classes_with("negation") and "XRES" in grammar.classes_with("trigger")
    assert {"MECH_LINK", "MECH_ASSOC"} <= grammar.classes_with("mechanism_link")
    from miner.extract.units import SPLIT_JOIN_CLASS

    assert SPLIT_JOIN_CLASS in grammar.classes_with("regimen_join")
    with pytest.raises(KeyError):
        grammar.classes_with("no_such_role")
    assert "whereas" in grammar.word_list("clause_break")


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["rules"][0].pop("examples"), "needs at least one example"),
        (lambda d: d["rules"][0].update(constraints=["sometimes"]), "unknown constraint"),
        (lambda d: d["classes"]["XRES"].update(roles=["boss"]), "unknown role"),
        (lambda d: d["rules"][0]["examples"][0].update(effect="resistance"), "not one the rule reads"),
        (lambda d: d["rules"].append(dict(d["rules"][0])), "name missing or repeated"),
        (lambda d: d["rules"][0].update(kind="sometimes"), "kind"),
        (lambda d: d["rules"][0].update(mechanism="anywhere"), "mechanism 'anywhere' not in"),
    ],
)
def test_bad_grammar_is_reported_naming_the_rule(change, message):
    data = _grammar_data("XRES:cue to DRUG:drug")
    change(data)
    with pytest.raises(MinerError, match=message):
        gr.parse(data)


def test_a_sequence_without_trigger_is_reported():
    data = _grammar_data("DRUG:prior to DRUG:drug")
    data["classes"]["XRES"]["roles"] = []
    with pytest.raises(MinerError, match="requires no trigger phrase"):
        gr.parse(data)


def test_macro_expansion_gives_one_sequence_per_alternative():
    (p,) = _compile("@R XRES:cue to DRUG:drug", {"R": ["DRUG:prior AFFIX_RES", "RES_TO DRUG:prior"]})
    assert len(p.sequences) == 2
    assert [e.role for e in p.sequences[0]] == ["prior", "", "cue", "", "drug"]


@pytest.mark.parametrize(
    "pattern, message",
    [
        ("XRES to DRUG:drug ~3 NOPE", "unknown cue class NOPE"),
        ("XRES to DRUG:boss", "unknown role"),
        ("XRES to DRUG:prior", "no DRUG:drug"),
        ("@MISSING DRUG:drug", "undefined macro"),
        ("DRUG|to XRES:cue DRUG:drug", "do not mix"),
    ],
)
def test_bad_patterns_are_reported(pattern, message):
    with pytest.raises(MinerError, match=message):
        _compile(pattern)


def test_bad_effect_is_reported():
    with pytest.raises(MinerError, match="needs effect"):
        _compile("XRES to DRUG:drug", effect="works_great")


def test_phrase_in_two_classes_is_rejected():
    with pytest.raises(MinerError, match="two cue classes"):
        CueLexicon.from_dict({"classes": {"A": ["cross-resistance"], "B": ["Cross-resistance"]}})


def test_cue_lexicon_has_required_cues():
    cues = load_cues()
    for phrase, cls in [
        ("cross–resistance", "XRES"),
        ("cross resistant", "XRES"),
        ("previously treated with", "PRIOR"),
        ("after progression on", "PRIOR_PROGRESS"),
        ("remained sensitive", "SENS_KEPT"),
        ("mediated by", "MECH_LINK"),
        ("vice versa", "BIDIR"),
    ]:
        assert cues.phrase_class[phrase] == cls
    assert cues.suffix_class["naive"] == "AFFIX_NAIVE" and cues.prefix_class["post"] == "PREFIX_POST"


def test_gap_does_not_cross_a_drug_or_clause_break():
    nlp = spacy.blank("en")
    (p,) = _compile("DRUG:prior AFFIX_RES ~3 XRES:cue to DRUG:drug")
    ps = build_matcher([p], nlp.vocab, "v")

    def units(*spec):
        return [Unit(t, 0, 1, unit, cue) for t, unit, cue in spec]

    ok = units(("X", "DRUG", ""), ("-resistant", "CUE", "AFFIX_RES"), ("cells", "", ""),
               ("cross-resistant", "CUE", "XRES"), ("to", "", ""), ("Y", "DRUG", ""))

    def run(us):
        return list(ps.matches(units_doc(us, nlp.vocab), present_features(us)))

    ((rp, roles),) = run(ok)
    assert roles == {"prior": 0, "cue": 3, "drug": 5}
    assert run(ok[:2] + [Unit("but", 0, 1, "BREAK", "")] + ok[3:]) == []
    assert run(ok[:2] + [Unit("Z", 0, 1, "DRUG", "")] + ok[3:]) == []
    too_long = ok[:2] + [Unit("w", 0, 1, "", "")] * 4 + ok[3:]  # gap of 4 > ~3
    assert run(too_long) == []
    assert run(ok[:2] + [Unit("w", 0, 1, "", "")] * 3 + ok[3:])
