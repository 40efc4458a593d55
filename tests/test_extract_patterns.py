"""The declarative pattern language and the cue lexicon: parsing, checking, clear errors."""

from __future__ import annotations

import pytest
import spacy

from miner.errors import MinerError
from miner.extract.cues import CueLexicon, load_cues
from miner.extract.patterns import build_matcher, compile_patterns, load_pattern_data, present_features
from miner.extract.units import Unit, units_doc

CLASSES = {"XRES", "RES_TO", "AFFIX_RES"}


def _compile(pattern: str, macros: dict | None = None, **extra):
    entry = {"name": "p", "effect": "cross_resistance", "patterns": [pattern], **extra}
    return compile_patterns({"macros": macros or {}, "patterns": [entry]}, CLASSES)


def test_packaged_patterns_compile_and_name_rules():
    cues = load_cues()
    data, digest = load_pattern_data()
    compiled = compile_patterns(data, set(cues.classes) | {"PROCESS"})
    names = [p.name for p in compiled]
    assert len(names) == len(set(names)) >= 10
    assert all(p.sequences for p in compiled) and len(digest) == 10


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
