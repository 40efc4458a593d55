"""Sequence tables and the body/reference boundary of full texts (no NLP model needed)."""

from __future__ import annotations

from miner.extract import body_end, segments
from miner.extract.cues import load_cues
from miner.extract.mentions import default_resolver
from miner.extract.tables import read_tables

TABLE = (
    "Some introduction about resistance.\n\n"
    "Table 2 | Cross-resistance between endocrine and targeted agents.\n\n"
    "Prior treatment\tSubsequent treatment\tModel\tProposed mechanism\n"
    "Tamoxifen\tFulvestrant Palbociclib\tIn vitro MCF7 cells\tESR1 mutation leading to ligand independence\n"
    "Erlotinib Gefitinib\tErlotinib Gefitinib\tPatients\tEGFR T790M mutation\n"
    "Cisplatin\t\tCarboplatin Smith J, 2019\tXenograft\tABCB1 overexpression\n"
    "\n"
    "Back to prose.\n"
)


def read(text: str):
    return read_tables(text, "text:t", default_resolver(), load_cues())


def test_rows_of_a_sequence_table():
    found = read(TABLE)
    got = {(f.drug.lower(), f.prior_drug.lower(), f.effect, f.direction_bidirectional) for f in found}
    assert got == {
        ("fulvestrant", "tamoxifen", "cross_resistance", False),
        ("palbociclib", "tamoxifen", "cross_resistance", False),
        ("gefitinib", "erlotinib", "cross_resistance", True),
        ("carboplatin", "cisplatin", "cross_resistance", False),  # the empty cell PDF conversion inserted
    }
    for f in found:
        assert f.kind == "sequential" and f.rule == "table_sequence_row"
        for role in ("drug", "prior_drug", "sentence"):
            s, e = f.offsets[role]
            assert TABLE[s:e] == {"drug": f.drug, "prior_drug": f.prior_drug, "sentence": f.sentence}[role]
    tam = next(f for f in found if f.drug == "Fulvestrant")
    assert tam.mechanism == "ESR1 mutation leading to ligand independence"
    assert tam.evidence_level == "in_vitro"
    cis = next(f for f in found if f.prior_drug == "Cisplatin")
    assert cis.mechanism_genes == ["ABCB1"] and cis.mechanism_type == "efflux_transporter"


def test_tables_without_an_effect_or_an_order_are_not_read():
    no_effect = TABLE.replace("Table 2 | Cross-resistance between", "Table 2 | Trials of")
    assert read(no_effect) == []
    no_order = TABLE.replace("Prior treatment\tSubsequent treatment", "Drug A\tDrug B")
    assert read(no_order) == []


def test_header_names_the_effect():
    text = "Resistant line\tCollaterally sensitive to\tRef\nPaclitaxel\tCisplatin\t12\n"
    text = text.replace("Resistant line", "Resistant to")
    (f,) = read(text)
    assert (f.drug, f.prior_drug, f.effect) == ("Cisplatin", "Paclitaxel", "collateral_sensitivity")


BODY = "Gefitinib resistance is common.\n\nOur conclusion paragraph follows here."


def test_body_ends_at_a_reference_heading_but_keeps_interleaved_prose():
    text = (
        BODY + "\n\nREFERENCES\n\n- 1. Smith J. A study. Nature (2019) 12:1-5. doi: 10.1/x\n\n"
        "Conclusions continued: cross-resistance between these agents limits the use of sequential therapy in "
        "clinical practice and deserves study.\n\n- 2. Doe A. Another. Cell (2020) 3:4-9.\n"
    )
    end = body_end(text)
    assert text[end:].lstrip().startswith("REFERENCES")
    pieces = [text[s:e] for s, e in segments(text)]
    assert any(p.startswith("Conclusions continued") for p in pieces)
    assert not any("Smith J" in p or "Doe A" in p for p in pieces)


def test_numbered_reference_list_without_heading():
    refs = "".join(f"{n}.\nAuthor\nX\n,\nTitle {n}\n.\n" for n in range(1, 6))
    text = BODY + "\n\n" + refs
    assert text[body_end(text):].lstrip().startswith("1.\nAuthor")
    assert body_end(BODY) == len(BODY)
