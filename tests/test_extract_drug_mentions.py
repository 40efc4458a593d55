"""Agents the reader used to miss: classes named after their target, statistics taken for chemicals, a drug and its
affix taken for a disease, the other number of a defined abbreviation, and standard codes and abbreviations."""

from __future__ import annotations

import pytest

from miner.extract.geneclasses import class_identity, find_gene_classes, head_kind, is_symbol_shape, symbol_targets
from miner.extract.mentions import default_resolver, is_statistic
from miner.lexicon.abbreviations import number_variants


def read(nlp, text: str):
    from miner.extract import extract_text

    return extract_text(text, nlp=nlp)


def units_of(nlp, text: str) -> list[tuple[str, str]]:
    """(unit kind or cue, text) of every unit of the text's sentences (no document abbreviations)."""
    from miner.extract import get_reader

    reader = get_reader(nlp)
    return [(u.cue or u.unit, u.text) for s in reader._sentences(nlp(text), 0) for u in s.units if u.unit]


def phrases(text: str) -> list[tuple[str, tuple[tuple[str, ...], ...], str, bool]]:
    words = text.split()
    return [(" ".join(words[p.start : p.end]), p.targets, p.kind, p.elliptical)
            for p in find_gene_classes(words, symbol_targets(words))]


# -- classes named after their target ---------------------------------------------------------------------------

def test_target_class_phrases():
    assert phrases("resistance to IDH inhibition through mutations") == [("IDH inhibition", (("IDH",),), "inhibitor", False)]
    # modifiers are part of the name; targeted heads give the other id form
    assert phrases("resistance to allosteric IDH inhibitors") == [("allosteric IDH inhibitors", (("IDH",),), "inhibitor", False)]
    assert phrases("resistance to FLT3 - targeted therapy") == [("FLT3 - targeted therapy", (("FLT3",),), "targeted", False)]
    # list words: one class per target, the head written once; a slash: one combination
    assert phrases("resistance to both RAF and MEK inhibition") == [
        ("RAF", (("RAF",),), "inhibitor", True), ("MEK inhibition", (("MEK",),), "inhibitor", False)]
    assert phrases("resistance to combined MEK / RAF inhibition") == [
        ("MEK / RAF inhibition", (("MEK",), ("RAF",)), "inhibitor", False)]
    assert phrases("resistance to MEK/RAF inhibition") == [("MEK/RAF inhibition", (("MEK",), ("RAF",)), "inhibitor", False)]
    # anti-<target>, the target spelled out before its symbol
    assert phrases("resistance to anti - programmed death protein 1 ( PD-1 ) therapy") == [
        ("anti - programmed death protein 1 ( PD-1 ) therapy", (("PD-1", "programmed death protein 1"),), "anti", False)]


@pytest.mark.parametrize("text", [
    "resistance to CYP3A4 inhibitors", "co-medication with P-gp inhibitors", "IDH2 mutations were found",
    "the DNA was sequenced", "resistance to inhibition of IDH",
])
def test_not_target_class_phrases(text):
    assert phrases(text) == []


def test_symbol_shape_and_head_kind():
    assert all(is_symbol_shape(t) for t in ("IDH", "IDH1", "PD-1", "FLT3", "mTOR", "PD-L1"))
    assert not any(is_symbol_shape(t) for t in ("Tumors", "inhibitor", "CYP3A4", "ABCB1", "A", "p53"))
    assert (head_kind("inhibition"), head_kind("targeted therapy"), head_kind("mutations")) == ("inhibitor", "targeted", "")


def test_class_identity():
    resolver = default_resolver()
    # the lexicon's class when it knows the name or the target's inhibitor class, else an id from the target
    assert class_identity(("MEK",), "inhibition", "inhibitor", resolver)[0] == ["class:mek_inhibitor"]
    assert class_identity(("IDH",), "inhibitors", "inhibitor", resolver) == (["class:idh_inhibitor"], True)
    assert class_identity(("FLT3",), "targeted therapy", "targeted", resolver)[0] == ["class:flt3_targeted"]
    assert class_identity(("PD-1", "programmed death protein 1"), "therapy", "anti", resolver)[0] == ["class:anti_pd1"]
    assert class_identity(("LAG-3",), "antibodies", "anti", resolver)[0] == ["class:anti_lag3"]


def test_target_class_findings(nlp):
    (f,) = read(nlp, "Tumors acquired resistance to IDH inhibition through second-site IDH2 mutations.")
    assert (f.drug, f.drug_ids, f.effect, f.mechanism_genes) == ("IDH inhibition", ["class:idh_inhibitor"],
                                                                "resistance", ["IDH2"])
    (f,) = read(nlp, "JAK1 mutations lead to acquired resistance to anti-programmed death protein 1 (PD-1) therapy.")
    assert (f.drug, f.drug_ids) == ("anti-programmed death protein 1 (PD-1) therapy", ["class:anti_pd1"])
    found = read(nlp, "The MEK1 mutation conferred resistance to both RAF and MEK inhibition.")
    assert {(f.drug, tuple(f.drug_ids)) for f in found} == {("RAF", ("class:raf_inhibitor",)),
                                                           ("MEK inhibition", ("class:mek_inhibitor",))}
    # a class followed by its named member gives the member only
    found = read(nlp, "NRAS mutations conferred resistance to the IDH1 inhibitor ivosidenib.")
    assert [f.drug for f in found] == ["ivosidenib"]
    units = units_of(nlp, "Cells resistant to the AKT inhibitor (MK2206) showed PTEN loss.")
    assert ("CLASS_DESC", "AKT inhibitor") in units and ("DRUG", "MK2206") in units
    # drug-handling proteins name no anticancer class
    assert read(nlp, "ABCB1 overexpression conferred resistance to CYP3A4 inhibitors.") == []


def test_target_class_passes_the_prefilter():
    from miner.extract import get_reader

    assert get_reader().prefilter.keep("Tumors acquired resistance to IDH inhibition through mutations.")


def test_elliptical_member_matches_its_class_name():
    from miner.evaluate.names import agent, agent_score, default_lexicon

    lexicon = default_lexicon()
    assert agent_score(agent("RAF", ["class:raf_inhibitor"], lexicon), agent("RAF inhibition", [], lexicon)) > 0
    assert agent_score(agent("RAF", ["class:raf_inhibitor"], lexicon), agent("MEK inhibition", [], lexicon)) == 0


# -- statistics are not drugs ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("p=0.028", True), ("N=39", True), ("n = 10", True), ("P<0.001", True), ("HR = 0.5", True),
    ("T-DM1", False), ("5-FU", False), ("NVP-BEZ235", False),
])
def test_is_statistic(text, expected):
    assert is_statistic(text) is expected


def test_statistics_are_no_agents(nlp):
    units = units_of(nlp, "Cells resistant to trametinib (n=3) were cross-resistant to dabrafenib (p<0.001).")
    assert [t for kind, t in units if kind == "DRUG"] == ["trametinib", "dabrafenib"]


# -- a drug and its affix read as one disease ------------------------------------------------------------------

def test_drug_affix_in_a_disease_span(nlp):
    units = units_of(nlp, "MicroRNAs as regulators of cisplatin-resistance in non-small cell lung carcinomas")
    assert ("DRUG", "cisplatin") in units and ("AFFIX_RES", "-resistance") in units


# -- abbreviations --------------------------------------------------------------------------------------------

def test_number_variants():
    assert number_variants("PIs") == ("PI",) and number_variants("TKI") == ("TKIs",)
    assert number_variants("Ds") == ()


def test_other_number_of_a_defined_abbreviation(nlp):
    text = ("Proteasome inhibitors (PIs) are used in myeloma. Mechanisms of PI resistance include PSMB5 mutations. "
            "PSMB5 mutations drive PI-resistance in myeloma cells.")
    found = read(nlp, text)
    assert {f.drug for f in found} == {"PI"}
    assert all(f.drug_ids == ["class:proteasome_inhibitor"] and f.mechanism_genes == ["PSMB5"] for f in found)
    assert len(found) == 2


@pytest.mark.parametrize("alias, name", [
    ("ATO", "Arsenic trioxide"), ("PLX4032", "Vemurafenib"), ("AC220", "Quizartinib"), ("AG-120", "Ivosidenib"),
    ("BAY 43-9006", "Sorafenib"),
])
def test_standard_abbreviations_and_codes(alias, name):
    from miner.lexicon import load_lexicon

    lexicon = load_lexicon()
    assert lexicon.lookup(alias).name == name and lexicon.match_id(alias)
