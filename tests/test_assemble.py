"""Assembly on hand-made findings: synonyms and classes merged, conflicts flagged, evidence counted once
per sentence, curator decisions applied, gold rows linked, and belief ordering."""

from __future__ import annotations

import pytest
from evaluate_support import TinyLexicon

from miner.assemble import Evidence, assemble, belief, evidence_probability
from miner.assemble.belief import CERTAIN_DECISIONS, HEDGED, LEVEL_WEIGHT, NEGATED, READER_RELIABILITY
from miner.schema import Finding, StatementKey

LEX = TinyLexicon()


def f(drug: str, prior: str = "", effect: str = "cross_resistance", doc: str = "pmid:1", sent: tuple = (0, 50),
      **kw) -> Finding:
    """A mined finding read from one sentence of one abstract (no ids: assembly resolves the names)."""
    kw.setdefault("offsets", {"sentence": list(sent)})
    return Finding(drug=drug, prior_drug=prior, effect=effect, doc_id=doc, sentence=f"{prior} then {drug}", **kw)


def by_title(assembly) -> dict[str, list]:
    out: dict[str, list] = {}
    for s in assembly:
        out.setdefault(s.title, []).append(s)
    return out


def test_statement_key_is_the_schema_definition():
    key = Finding(drug="Osimertinib", prior_drug="gefitinib", effect="reduced_efficacy", drug_ids=["D_OSI"],
                  prior_drug_ids=["D_GEF"], mechanism_genes=["keap1", "EGFR"]).statement_key()
    assert key == StatementKey("D_GEF", "D_OSI", "negative", ("EGFR", "KEAP1"))
    # effect wording of one polarity, letter case, combination order and evidence fields do not change it
    other = Finding(drug="osimertinib", prior_drug="Iressa", effect="cross_resistance", drug_ids=["D_OSI"],
                    prior_drug_ids=["D_GEF"], mechanism_genes=["EGFR", "KEAP1"], doc_id="pmid:9", rule="x")
    assert other.statement_key() == key and other.id != Finding(**{**other.to_dict(), "id": "", "doc_id": "pmid:8"}).id
    combo = Finding(drug="T-DM1", prior_drug="pertuzumab+trastuzumab", effect="resistance",
                    prior_drug_ids=["D_TRAS", "D_PERT"], drug_ids=["D_TDM1"])
    assert combo.statement_key().prior == "D_PERT+D_TRAS"
    unknown = Finding(drug="Drug-X 12", effect="resistance")
    assert unknown.statement_key() == StatementKey("", "name:drugx12", "negative", ())
    assert key.id.startswith("s") and key.id == StatementKey("D_GEF", "D_OSI", "negative", ("EGFR", "KEAP1")).id


def test_synonyms_brands_and_abbreviations_merge_into_one_statement():
    a = assemble([
        f("osimertinib", "gefitinib", doc="pmid:1"),
        f("AZD9291", "Gefitinib", doc="pmid:2", effect="reduced_efficacy"),  # code name, same polarity
        f("ado-trastuzumab emtansine", "trastuzumab", doc="pmid:3"),
        f("T-DM1", "Herceptin", doc="pmid:4"),
        f("Kadcyla", "trastuzumab", doc="pmid:5", sent=(60, 90)),
    ], lexicon=LEX)
    titles = by_title(a)
    assert set(titles) == {"gefitinib \u2192 osimertinib", "trastuzumab \u2192 trastuzumab emtansine"}
    osi = titles["gefitinib \u2192 osimertinib"][0]
    assert osi.key == StatementKey("D_GEF", "D_OSI", "negative", ())
    assert len(osi.evidence) == 2 and osi.documents == ["pmid:1", "pmid:2"]
    assert len(titles["trastuzumab \u2192 trastuzumab emtansine"][0].evidence) == 3


def test_class_names_merge_and_a_drug_counts_toward_its_class():
    a = assemble([
        f("cabazitaxel", "ARSIs", doc="pmid:1"),
        f("cabazitaxel", "androgen receptor signaling inhibitors", doc="pmid:2"),
        f("cabazitaxel", "ARSI", doc="pmid:3"),
        f("cabazitaxel", "enzalutamide", doc="pmid:4"),
        f("cabazitaxel", "abiraterone", doc="pmid:5"),
    ], lexicon=LEX)
    cls = a.get(StatementKey("class:arsi", "D_CABA", "negative", ()))
    assert cls is not None and len(cls.evidence) == 3 and cls.class_level
    assert {s.title for s in cls.supporting} == {"enzalutamide \u2192 cabazitaxel", "abiraterone \u2192 cabazitaxel"}
    assert len(cls.all_evidence) == 5
    # the class statement's belief counts its members' papers: above its own three papers alone
    assert cls.belief > belief(cls.evidence)
    enza = a.get(StatementKey("D_ENZA", "D_CABA", "negative", ()))
    assert enza.supporting == [] and enza.belief == belief(enza.evidence)


def test_conflicts_are_flagged_on_both_sides_with_their_evidence():
    a = assemble([
        f("cabazitaxel", "enzalutamide", "no_cross_resistance", doc="pmid:1"),
        f("cabazitaxel", "enzalutamide", "no_cross_resistance", doc="pmid:2"),
        f("cabazitaxel", "enzalutamide", "cross_resistance", doc="pmid:3"),
        f("docetaxel", "enzalutamide", "cross_resistance", doc="pmid:3", sent=(60, 99)),
    ], lexicon=LEX)
    neutral = a.get(StatementKey("D_ENZA", "D_CABA", "neutral", ()))
    negative = a.get(StatementKey("D_ENZA", "D_CABA", "negative", ()))
    assert neutral.conflicts == [negative.key] and negative.conflicts == [neutral.key]
    assert len(neutral.evidence) == 2 and len(negative.evidence) == 1
    assert a.get(StatementKey("D_ENZA", "D_DOC", "negative", ())).conflicts == []
    assert neutral.belief > negative.belief  # two papers against one
    assert [s.key for s in a.pairs()[("D_ENZA", "D_CABA")]] == [neutral.key, negative.key]


def test_evidence_counts_once_per_sentence():
    same_sentence = [
        f("osimertinib", "gefitinib", "cross_resistance", rule="r1", confidence=0.7),
        f("osimertinib", "gefitinib", "reduced_efficacy", rule="r2", confidence=0.9),  # same polarity, same sentence
    ]
    a = assemble(same_sentence + [f("osimertinib", "gefitinib", sent=(51, 80), rule="r1", confidence=0.7)], lexicon=LEX)
    (s,) = a.statements
    assert len(s.evidence) == 2  # two sentences of one abstract
    best = s.evidence[0]
    assert best.finding.rule == "r2" and best.also == [same_sentence[0].id]
    # and one document counts once in belief, with its best sentence
    assert s.belief == pytest.approx(evidence_probability(best))


def test_mechanism_genes_are_normalised_and_part_of_the_statement():
    a = assemble([
        f("osimertinib", "gefitinib", mechanism="NRF2 activation", mechanism_genes=["NRF2"], doc="pmid:1"),
        f("osimertinib", "gefitinib", mechanism="NFE2L2", mechanism_genes=["nfe2l2"], doc="pmid:2"),
        f("osimertinib", "gefitinib", doc="pmid:3"),
    ], lexicon=LEX)
    with_gene = a.get(StatementKey("D_GEF", "D_OSI", "negative", ("NFE2L2",)))
    plain = a.get(StatementKey("D_GEF", "D_OSI", "negative", ()))
    assert len(with_gene.evidence) == 2 and with_gene.mechanisms == ["NFE2L2", "NRF2 activation"]
    assert plain.supporting == [with_gene]  # a statement without a gene counts the ones naming it


def test_bidirectional_findings_support_both_directions():
    a = assemble([f("afatinib", "gefitinib", direction_bidirectional=True,
                    offsets={"sentence": [0, 40], "drug": [0, 8], "prior_drug": [20, 29]})], lexicon=LEX)
    forward = a.get(StatementKey("D_GEF", "D_AFA", "negative", ()))
    backward = a.get(StatementKey("D_AFA", "D_GEF", "negative", ()))
    assert not forward.evidence[0].reverse and backward.evidence[0].reverse
    assert backward.evidence[0].finding.offsets["drug"] == [20, 29]
    assert forward.within_class == "EGFR tyrosine kinase inhibitors"


def test_curator_decisions_override_the_reading():
    accepted = f("osimertinib", "gefitinib", doc="pmid:1", confidence=0.4)
    rejected = f("afatinib", "gefitinib", doc="pmid:2")
    corrected = f("cabazitaxel", "enzalutamide", "cross_resistance", doc="pmid:3")
    superseded = f("docetaxel", "abiraterone", doc="pmid:4")
    decisions = [
        {"finding_id": accepted.id, "decision": "accepted", "curator": "ann", "corrected": {}},
        {"finding_id": corrected.id, "decision": "corrected", "corrected": {"effect": "no_cross_resistance"}},
        {"finding_id": superseded.id, "decision": "accepted"},
        {"finding_id": superseded.id, "decision": "rejected"},  # the latest decision counts
        {"finding_id": rejected.id, "decision": "rejected"},
    ]
    a = assemble([accepted, rejected, corrected, superseded], lexicon=LEX, decisions=decisions)
    assert {x.id for x in a.rejected} == {rejected.id, superseded.id}
    assert {s.title for s in a} == {"gefitinib \u2192 osimertinib", "enzalutamide \u2192 cabazitaxel"}
    osi = a.get(StatementKey("D_GEF", "D_OSI", "negative", ()))
    assert osi.belief == 1.0 and osi.evidence[0].decision == "accepted" and osi.evidence[0].curator == "ann"
    caba = a.get(StatementKey("D_ENZA", "D_CABA", "neutral", ()))  # moved to the corrected effect
    ev = caba.evidence[0]
    assert caba.belief == 1.0 and ev.decision == "corrected" and ev.finding.effect == "no_cross_resistance"
    assert ev.original is not None and ev.original.effect == "cross_resistance" and ev.id == corrected.id
    assert a.get(StatementKey("D_ENZA", "D_CABA", "negative", ())) is None


def test_a_corrected_drug_is_resolved_again():
    wrong = f("afatinib", "gefitinib", doc="pmid:1")
    a = assemble([wrong], lexicon=LEX, decisions=[
        {"finding_id": wrong.id, "decision": "corrected", "corrected": {"drug": "osimertinib"}}])
    (s,) = a.statements
    assert s.key == StatementKey("D_GEF", "D_OSI", "negative", ()) and s.evidence[0].finding.drug_ids == ["D_OSI"]


def test_gold_rows_agree_or_disagree_and_own_review_is_not_independent():
    gold = [
        Finding(drug="osimertinib", prior_drug="gefitinib", effect="cross_resistance", doc_id="text:review_001",
                id="g001-0001", source="gold"),
        Finding(drug="cabazitaxel", prior_drug="ARSIs", effect="no_cross_resistance", doc_id="text:review_001",
                id="g001-0002", source="gold"),
    ]
    a = assemble([
        f("osimertinib", "gefitinib", doc="text:review_001"),
        f("cabazitaxel", "enzalutamide", "cross_resistance", doc="pmid:7"),
    ], lexicon=LEX, gold=gold)
    osi = a.get(StatementKey("D_GEF", "D_OSI", "negative", ()))
    assert [(g.finding.id, g.independent) for g in osi.gold_agree] == [("g001-0001", False)]
    caba = a.get(StatementKey("D_ENZA", "D_CABA", "negative", ()))  # the gold class row covers enzalutamide
    assert [(g.finding.id, g.independent) for g in caba.gold_conflict] == [("g001-0002", True)] and not caba.gold_agree


def test_unknown_names_stay_statements_keyed_by_spelling():
    a = assemble([f("Drug-X", "gefitinib", doc="pmid:1"), f("drug x", "Gefitinib", doc="pmid:2")], lexicon=LEX)
    (s,) = a.statements
    assert s.key.agent == "name:drugx" and s.agent_label in {"Drug-X", "drug x"} and len(s.evidence) == 2


def test_frames_for_the_python_api():
    a = assemble([f("osimertinib", "gefitinib", doc="pmid:1", evidence_level="clinical")], lexicon=LEX)
    frame, evidence = a.to_frame(), a.evidence_frame()
    assert list(frame[["prior", "agent", "effect", "evidence"]].iloc[0]) == ["gefitinib", "osimertinib", "cross_resistance", 1]
    assert frame.iloc[0]["levels"] == {"clinical": 1}
    assert evidence.iloc[0]["pmid"] == "1" and evidence.iloc[0]["statement_id"] == frame.iloc[0]["statement_id"]


# -- belief ------------------------------------------------------------------------------------------


def ev(doc: str = "pmid:1", **kw) -> Evidence:
    return Evidence(f("osimertinib", "gefitinib", doc=doc, **kw))


def one(doc: str = "pmid:1", **kw) -> float:
    return belief([ev(doc, **kw)])


def test_belief_formula_on_one_sentence():
    assert one(confidence=1.0, evidence_level="clinical") == pytest.approx(READER_RELIABILITY)
    assert one(confidence=0.5, evidence_level="in_vitro", hedged=True, negated=True) == pytest.approx(
        READER_RELIABILITY * 0.5 * LEVEL_WEIGHT["in_vitro"] * HEDGED * NEGATED, abs=1e-4)
    assert belief([]) == 0.0


def test_belief_ordering():
    clinical = one(evidence_level="clinical")
    in_vivo = one(evidence_level="in_vivo")
    in_vitro = one(evidence_level="in_vitro")
    hedged = one(evidence_level="clinical", hedged=True)
    negated = one(evidence_level="clinical", negated=True)
    two_papers = belief([ev("pmid:1", evidence_level="in_vitro"), ev("pmid:2", evidence_level="in_vitro")])
    two_sentences = belief([ev("pmid:1", evidence_level="in_vitro"),
                            ev("pmid:1", sent=(60, 90), evidence_level="in_vitro")])
    assert clinical > in_vivo > in_vitro
    assert clinical > hedged and clinical > negated
    assert two_papers > in_vitro == two_sentences  # independent papers add up, sentences of one paper do not
    assert belief([ev("pmid:1", evidence_level="clinical"), ev("pmid:2", evidence_level="clinical")]) > clinical
    assert one(confidence=0.3) < one(confidence=0.9)


def test_curator_acceptance_makes_belief_certain():
    weak = f("osimertinib", "gefitinib", confidence=0.1, evidence_level="in_vitro", hedged=True)
    a = assemble([weak], lexicon=LEX, decisions=[{"finding_id": weak.id, "decision": "accepted"}])
    assert a.statements[0].belief == 1.0
    assert CERTAIN_DECISIONS == ("accepted", "corrected")


def test_statements_come_best_supported_first():
    a = assemble([
        f("afatinib", "gefitinib", doc="pmid:1", evidence_level="in_vitro", hedged=True),
        f("osimertinib", "gefitinib", doc="pmid:2", evidence_level="clinical"),
        f("osimertinib", "gefitinib", doc="pmid:3", evidence_level="clinical"),
        f("docetaxel", "enzalutamide", doc="pmid:4", evidence_level="in_vivo"),
    ], lexicon=LEX)
    assert [s.title for s in a] == ["gefitinib \u2192 osimertinib", "enzalutamide \u2192 docetaxel",
                                    "gefitinib \u2192 afatinib"]
    beliefs = [s.belief for s in a]
    assert beliefs == sorted(beliefs, reverse=True)
