"""The finding matcher: normalisation of drug pairs, mechanisms, and one-to-one assignment."""

import pytest

from evaluate_support import TinyLexicon, finding
from miner.evaluate.matcher import assign, mechanism_match, pair_score, prepare
from miner.evaluate.names import resolve_name, split_combination

LEX = TinyLexicon()


def score(pred, gold):
    return pair_score(prepare(pred, LEX, "000"), prepare(gold, LEX, "000"))[0]


def test_synonyms_and_brand_names_match():
    gold = finding("trastuzumab emtansine", "trastuzumab")
    assert score(finding("Kadcyla", "Herceptin"), gold) == 1.0
    assert score(finding("ado-trastuzumab emtansine", "TRASTUZUMAB"), gold) == 1.0


def test_abbreviations_match_via_lexicon_parentheses_and_initials():
    gold = finding("trastuzumab emtansine (T–DM1)", "trastuzumab")  # en dash as in the reviews
    assert score(finding("T-DM1", "trastuzumab"), gold) == 1.0
    # names unknown to the lexicon still match when one spells the initials of the other
    assert score(finding("ADT", "docetaxel"), finding("androgen deprivation therapy", "docetaxel")) == 1.0
    assert score(finding("ADT", "docetaxel"), finding("radiotherapy", "docetaxel")) == 0.0


def test_class_matches_member_but_not_sibling():
    gold = finding("taxanes", "enzalutamide")
    assert 0 < score(finding("docetaxel", "enzalutamide"), gold) < 1.0
    assert score(finding("cabazitaxel", "enzalutamide"), finding("docetaxel", "enzalutamide")) == 0.0
    # a class is less specific than a gold member drug: no match
    assert score(finding("taxanes", "enzalutamide"), finding("docetaxel", "enzalutamide")) == 0.0
    # class written differently, same class id
    assert score(finding("osimertinib", "EGFR-TKIs"), finding("osimertinib", "EGFR tyrosine kinase inhibitor")) == 1.0


def test_combinations_and_members():
    gold = finding("T-DM1", "trastuzumab + pertuzumab")
    assert score(finding("T-DM1", "pertuzumab plus trastuzumab"), gold) == 1.0
    member = score(finding("T-DM1", "trastuzumab"), gold)
    assert 0 < member < 1.0  # a member of the gold combination matches, ranked below the full one
    # a prediction must not name a drug the gold row lacks
    assert score(finding("T-DM1", "trastuzumab and docetaxel"), finding("T-DM1", "trastuzumab")) == 0.0
    # regimens expand to their members
    assert score(finding("osimertinib", "5-FU, leucovorin and oxaliplatin"), finding("osimertinib", "FOLFOX")) == 1.0
    assert 0 < score(finding("osimertinib", "oxaliplatin"), finding("osimertinib", "FOLFOX")) < 1.0


def test_single_drug_resistance_pairs_need_empty_prior_on_both_sides():
    gold = finding("osimertinib", "", "resistance")
    assert score(finding("osimertinib", "", "resistance"), gold) == 1.0
    assert score(finding("osimertinib", "gefitinib", "resistance"), gold) == 0.0


def test_direction():
    one_way = finding("osimertinib", "gefitinib")
    assert score(finding("gefitinib", "osimertinib"), one_way) == 0.0
    both = finding("osimertinib", "gefitinib", direction_bidirectional=True)
    assert score(finding("gefitinib", "osimertinib"), both) == 1.0
    assert score(finding("osimertinib", "gefitinib"), both) == 1.0


def test_mechanism_by_genes_type_and_words():
    def mech(pred, gold):
        return mechanism_match(prepare(pred, LEX, "000"), prepare(gold, LEX, "000"))

    gold = finding("T-DM1", "trastuzumab", mechanism="loss of HER2 expression", mechanism_genes=["ERBB2"],
                   mechanism_type="target_loss")
    assert mech(finding("T-DM1", "trastuzumab", mechanism="HER2 loss", mechanism_type="target_loss"), gold)
    assert mech(finding("T-DM1", "trastuzumab", mechanism="HER-2 downregulation"), gold)  # unknown type is compatible
    assert not mech(finding("T-DM1", "trastuzumab", mechanism="HER2 loss", mechanism_type="amplification"), gold)
    assert not mech(finding("T-DM1", "trastuzumab", mechanism="KEAP1 mutation"), gold)
    assert not mech(finding("T-DM1", "trastuzumab"), gold)
    no_gene = finding("docetaxel", "paclitaxel", mechanism="epithelial-mesenchymal transition")
    assert mech(finding("docetaxel", "paclitaxel", mechanism="induction of epithelial mesenchymal transition"), no_gene)
    assert not mech(finding("docetaxel", "paclitaxel", mechanism="tubulin isotype switch"), no_gene)
    no_mech = finding("docetaxel", "paclitaxel")
    assert mech(finding("docetaxel", "paclitaxel"), no_mech)
    assert not mech(finding("docetaxel", "paclitaxel", mechanism="P-gp efflux"), no_mech)


def test_assign_is_one_to_one_and_maximises_pairs():
    # two identical candidates for one gold row: one pairing only
    assert assign({(0, 0): 1.0, (0, 1): 1.0}, 1, 2) == [(0, 0, 1.0)]
    # greedy-by-score would pair p0 with g0 and leave g1 alone; the assignment keeps both
    got = assign({(0, 0): 1.0, (0, 1): 0.9, (1, 0): 0.7}, 2, 2)
    assert sorted((g, p) for g, p, _ in got) == [(0, 1), (1, 0)]
    # with equal cardinality the higher total score wins
    got = assign({(0, 0): 0.7, (0, 1): 1.0}, 1, 2)
    assert got == [(0, 1, 1.0)]


def test_resolve_name_splits_combinations_and_reports_unknown_parts():
    assert resolve_name("trastuzumab plus pertuzumab", LEX).ids == ("D_TRAS", "D_PERT")
    assert resolve_name("FOLFOX", LEX).ids == ("regimen:folfox",)
    assert resolve_name("ARSIs", LEX).ids == ("class:arsi",)
    res = resolve_name("osimertinib and savolitinib", LEX)
    assert res.ids == ("D_OSI",) and res.unknown == ("savolitinib",)
    assert split_combination("5-FU, leucovorin, and oxaliplatin") == ["5-FU", "leucovorin", "oxaliplatin"]


@pytest.mark.parametrize("name", ["docetaxel", "cabazitaxel"])
def test_real_lexicon_keeps_taxane_siblings_apart(name):
    from miner.evaluate.names import default_lexicon

    lex = default_lexicon()
    gold = finding("cabazitaxel", "enzalutamide")
    got = pair_score(prepare(finding(name, "enzalutamide"), lex, "000"), prepare(gold, lex, "000"))[0]
    assert (got == 1.0) if name == "cabazitaxel" else (got == 0.0)
    tki = pair_score(prepare(finding("osimertinib", "first-generation EGFR TKIs"), lex, "000"),
                     prepare(finding("osimertinib", "EGFR-TKIs"), lex, "000"))[0]
    broader = pair_score(prepare(finding("osimertinib", "EGFR-TKIs"), lex, "000"),
                         prepare(finding("osimertinib", "first-generation EGFR TKIs"), lex, "000"))[0]
    assert tki > 0 and broader == 0  # a subclass matches its gold class, not the other way round
    taxanes = pair_score(prepare(finding(name, "enzalutamide"), lex, "000"), prepare(finding("taxanes", "ARSIs"), lex, "000"))[0]
    assert taxanes > 0  # member of the class on both sides


def test_via_class_tells_a_class_match_from_a_named_one():
    from miner.evaluate.matcher import via_class

    gold = prepare(finding("taxanes", "ARSIs"), LEX, "000")
    drug = prepare(finding("docetaxel", "enzalutamide"), LEX, "000")
    assert via_class(drug, gold) is True  # both sides filled by members of the gold classes
    assert via_class(prepare(finding("taxanes", "ARSIs"), LEX, "000"), gold) is False  # the classes themselves
    swapped_gold = prepare(finding("osimertinib", "EGFR-TKIs", direction_bidirectional=True), LEX, "000")
    pred = prepare(finding("EGFR-TKIs", "osimertinib"), LEX, "000")
    score, swapped = pair_score(pred, swapped_gold)
    assert score > 0 and swapped and via_class(pred, swapped_gold, swapped) is False
    assert via_class(prepare(finding("gefitinib", "osimertinib"), LEX, "000"), swapped_gold, True) is True


def test_linked_abbreviation_matches_gold_that_keeps_it_unlinked():
    # the reader links "Tmab" to trastuzumab through the document's own definition; the gold row keeps "Tmab"
    gold = finding("lapatinib", "Tmab")
    assert score(finding("lapatinib", "Tmab", prior_drug_ids=["D_TRAS"]), gold) == 1.0
    # the written name is a fallback only: a linked name that is spelled differently still does not match
    assert score(finding("lapatinib", "Tzb", prior_drug_ids=["D_TRAS"]), gold) == 0.0
    # and a gold row linked to another drug is never matched through the written name
    assert score(finding("lapatinib", "Tmab", prior_drug_ids=["D_TRAS"]),
                 finding("lapatinib", "trastuzumab emtansine", prior_drug_ids=["D_TDM1"])) == 0.0
