"""Lexicon API: lookups, relations, gene normalisation, damaged files, deterministic build."""

from __future__ import annotations

import filecmp
import json
from pathlib import Path

import pytest

from miner.config import SHARED_DIR
from miner.errors import MinerError
from miner.nlp import LexEntry, Lexicon, load_lexicon
from miner.lexicon import LEXICON_DIR

FLUOROURACIL, OXALIPLATIN, LEUCOVORIN = "DB00544", "DB00526", "DB00650"
GEFITINIB, ERLOTINIB, OSIMERTINIB, TRASTUZUMAB, TDM1 = "DB00317", "DB00530", "DB09330", "DB00072", "DB05773"


@pytest.fixture(scope="module")
def lex() -> Lexicon:
    return load_lexicon()


@pytest.mark.parametrize(
    "text, expected",
    [
        ("gefitinib", GEFITINIB),
        ("Gefitinib", GEFITINIB),
        ("Iressa", GEFITINIB),  # brand
        ("Tagrisso", OSIMERTINIB),
        ("AZD9291", OSIMERTINIB),  # development code
        ("T-DM1", TDM1),
        ("t-dm1", TDM1),
        ("ado-trastuzumab emtansine", TDM1),
        ("Kadcyla", TDM1),
        ("Herceptin", TRASTUZUMAB),
        ("5-FU", FLUOROURACIL),
        ("5FU", FLUOROURACIL),
        ("irinotecan hydrochloride", "DB00762"),  # salt stripped
        ("FOLFOX", "regimen:folfox"),
        ("AC-T", "regimen:ac_t"),
        ("first-generation EGFR TKIs", "class:egfr_tki_1g"),
        ("1st-generation EGFR-TKI", "class:egfr_tki_1g"),
        ("EGFR tyrosine kinase inhibitors", "class:egfr_tki"),
        ("ARSIs", "class:arsi"),
        ("AR signaling inhibitors", "class:arsi"),
        ("CDK4/6 inhibitors", "class:cdk46i"),
        ("CDK4/6i", "class:cdk46i"),
        ("BRAF/MEK inhibitors", "class:braf_mek_inhibitors"),
        ("anti-PD-1", "class:anti_pd1"),
        ("PD-1 blockade", "class:anti_pd1"),
        ("taxanes", "class:taxane"),
        ("platinum-based chemotherapy", "class:platinum"),
        ("anthracyclines", "class:anthracycline"),
        ("aromatase inhibitors", "class:aromatase_inhibitor"),
        ("AIs", "class:aromatase_inhibitor"),
        ("anti-EGFR antibodies", "class:anti_egfr_mab"),
        ("HER2-targeted agents", "class:her2_targeted"),
        ("PARP inhibitors", "class:parp_inhibitor"),
        ("TRK inhibitors", "class:trk_inhibitor"),
        ("ADCs", "class:adc"),
        ("antibody-drug conjugates", "class:adc"),
    ],
)
def test_lookup(lex: Lexicon, text: str, expected: str) -> None:
    entry = lex.lookup(text)
    assert entry is not None, text
    assert entry.id == expected


@pytest.mark.parametrize("text", ["", "   ", "zzqx unknown drug", "the"])
def test_lookup_misses(lex: Lexicon, text: str) -> None:
    assert lex.lookup(text) is None


def test_acronym_hyphens_matter(lex: Lexicon) -> None:
    """"ACTH" is corticotropin, not the AC-TH regimen: letter acronyms keep their hyphens."""
    assert lex.lookup("ACTH").id == "DB01285"
    assert lex.lookup("AC-TH").id == "regimen:ac_th"


def test_entry_shapes(lex: Lexicon) -> None:
    drug = lex.get(GEFITINIB)
    assert isinstance(drug, LexEntry) and drug.kind == "drug" and drug.members == ()
    assert "class:egfr_tki_1g" in drug.parents and drug.oncology
    regimen = lex.get("regimen:folfox")
    assert regimen is not None and regimen.kind == "regimen"
    assert set(regimen.members) == {FLUOROURACIL, OXALIPLATIN, LEUCOVORIN}
    klass = lex.get("class:egfr_tki_1g")
    assert klass is not None and klass.kind == "class" and klass.parents == ("class:egfr_tki",)
    assert lex.get("DB99999999") is None


def test_members_and_classes(lex: Lexicon) -> None:
    assert {GEFITINIB, ERLOTINIB} <= lex.members("class:egfr_tki_1g")
    assert OSIMERTINIB not in lex.members("class:egfr_tki_1g")
    # membership closes over sub-classes: every 1st/3rd-generation EGFR TKI is an EGFR TKI
    assert lex.members("class:egfr_tki_1g") | lex.members("class:egfr_tki_3g") <= lex.members("class:egfr_tki")
    assert lex.members("class:anti_pd1") <= lex.members("class:ici")
    assert lex.members(GEFITINIB) == frozenset({GEFITINIB})
    assert lex.members("class:nonexistent") == frozenset()
    assert {"class:egfr_tki_3g", "class:egfr_tki", "class:tki"} <= lex.classes_of(OSIMERTINIB)
    assert "class:adc" in lex.classes_of(TDM1) and "class:her2_targeted" in lex.classes_of(TDM1)
    assert lex.classes_of("DB00001") == frozenset()  # lepirudin: in no oncology class


@pytest.mark.parametrize(
    "alias, symbol",
    [
        ("HER2", "ERBB2"), ("neu", "ERBB2"), ("ErbB2", "ERBB2"), ("her-2", "ERBB2"),
        ("NRF2", "NFE2L2"), ("P-gp", "ABCB1"), ("Pgp", "ABCB1"), ("MDR1", "ABCB1"),
        ("BCRP", "ABCG2"), ("MRP1", "ABCC1"), ("AR-V7", "AR"), ("PD-L1", "CD274"), ("PD-1", "PDCD1"),
        ("c-MET", "MET"), ("MEK1", "MAP2K1"), ("KEAP1", "KEAP1"), ("BCR-ABL", "ABL1"), ("LKB1", "STK11"),
    ],
)
def test_normalize_gene(lex: Lexicon, alias: str, symbol: str) -> None:
    assert lex.normalize_gene(alias) == symbol


@pytest.mark.parametrize("text", ["", "gefitinib", "NOTAGENE1"])
def test_normalize_gene_unknown(lex: Lexicon, text: str) -> None:
    assert lex.normalize_gene(text) is None


def test_ambiguous_acronyms_are_lookup_only(lex: Lexicon) -> None:
    """"AC" (adenocarcinoma?) and "EC" are regimens for lookup, but never matched in free text."""
    assert lex.lookup("AC").id == "regimen:ac"
    assert lex.match_id("AC") is None
    assert lex.match_id("EC") is None
    assert lex.match_id("FOLFOX") == "regimen:folfox"


def test_load_lexicon_is_cached() -> None:
    assert load_lexicon() is load_lexicon()


def test_damaged_lexicon_file(tmp_path: Path) -> None:
    for name in ("drugs.jsonl", "classes.jsonl", "genes.jsonl"):
        (tmp_path / name).write_text((LEXICON_DIR / name).read_text(encoding="utf-8")[:0], encoding="utf-8")
    (tmp_path / "classes.jsonl").write_text('{"id": "class:x", "name": \n', encoding="utf-8")
    with pytest.raises(MinerError, match=r"classes.jsonl:1: damaged"):
        Lexicon(tmp_path)


def test_missing_lexicon_file(tmp_path: Path) -> None:
    with pytest.raises(MinerError, match="build_lexicon"):
        Lexicon(tmp_path)


def test_compiled_files_are_sorted_jsonl() -> None:
    ids = [json.loads(line)["id"] for line in (LEXICON_DIR / "classes.jsonl").open(encoding="utf-8")]
    assert ids == sorted(ids) and len(ids) == len(set(ids))


@pytest.mark.skipif(not (SHARED_DIR / "data" / "drug-vocab").is_dir(), reason="../shared/data/drug-vocab absent")
def test_build_is_deterministic(tmp_path: Path) -> None:
    """Rebuilding from ../shared gives byte-identical files to the committed ones."""
    from miner.nlp.build_lexicon import build

    counts = build(SHARED_DIR, tmp_path)
    assert counts["drugs.jsonl"] > 19000 and counts["classes.jsonl"] >= 40
    for name in ("drugs.jsonl", "classes.jsonl", "genes.jsonl"):
        assert filecmp.cmp(tmp_path / name, LEXICON_DIR / name, shallow=False), f"{name} differs from a rebuild"


@pytest.mark.skipif(not (SHARED_DIR / "data" / "drug-vocab").is_dir(), reason="../shared/data/drug-vocab absent")
def test_build_rejects_unknown_curated_drug(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import miner.nlp.build_lexicon as bl

    curated = tmp_path / "curated"
    curated.mkdir()
    for src in bl.CURATED_DIR.iterdir():
        (curated / src.name).write_bytes(src.read_bytes())
    with (curated / "drug_aliases.tsv").open("a", encoding="utf-8") as fh:
        fh.write("XYZ-1\tNo Such Drug Name\tabbreviation\n")
    monkeypatch.setattr(bl, "CURATED_DIR", curated)
    with pytest.raises(MinerError, match="No Such Drug Name"):
        bl.build(SHARED_DIR, tmp_path / "out")


@pytest.mark.parametrize(
    ("name", "base"),
    [
        ("Irinotecan Hydrochloride", "Irinotecan"),
        ("Naproxen sodium", "Naproxen"),
        ("Dexamethasone sodium phosphate", "Dexamethasone"),
        ("Alendronate sodium trihydrate", "Alendronate"),
        ("Esomeprazole magnesium trihydrate", "Esomeprazole magnesium"),
        ("Cisplatin", None),  # no salt word
        ("Dibasic potassium phosphate", None),  # grades, ions, ester groups and eponyms name no drug
        ("Secondary potassium phosphate", None),
        ("Elemental calcium", None),
        ("calcium(II) acetate", None),
        ("Monopotassium chloride", None),
        ("Fluorodiisopropyl phosphate", None),
        ("Peyrone's Chloride", None),
    ],
)
def test_strip_salt_keeps_drug_names_only(name: str, base: str | None) -> None:
    from miner.lexicon.normalize import strip_salt

    assert strip_salt(name) == base


def test_salt_grades_are_not_drug_synonyms(lex: Lexicon) -> None:
    assert lex.lookup("Dibasic") is None and lex.lookup("Elemental") is None and lex.lookup("Secondary") is None
    assert lex.lookup("irinotecan hydrochloride").id == "DB00762"
