from dataclasses import fields

import pytest

from miner.errors import MinerError
from miner.schema import EFFECTS, Finding, json_schema, read_jsonl, validate, validation_errors, write_jsonl


def test_dataclass_and_json_schema_agree():
    names = {f.name for f in fields(Finding)}
    assert names == set(json_schema()["properties"])
    assert tuple(json_schema()["properties"]["effect"]["enum"]) == EFFECTS


def test_valid_finding_round_trips(tmp_path):
    f = Finding(drug="osimertinib", prior_drug="gefitinib", effect="cross_resistance",
                mechanism_genes=["KEAP1"], offsets={"sentence": [0, 10], "drug": [0, 11]})
    validate(f.to_dict())
    out = tmp_path / "f.jsonl"
    assert write_jsonl([f, f], out) == 2
    back = list(read_jsonl(out))
    assert back == [f, f]


def test_stable_id_depends_on_content():
    a = Finding(drug="a", effect="resistance", doc_id="pmid:1")
    b = Finding(drug="a", effect="resistance", doc_id="pmid:1")
    c = Finding(drug="a", effect="cross_resistance", doc_id="pmid:1")
    assert a.id == b.id != c.id


def test_invalid_rows_are_reported():
    bad = Finding(drug="x", effect="resistance").to_dict()
    bad["effect"] = "works_great"
    bad["offsets"] = {"drug": [3]}
    errors = validation_errors(bad)
    assert any(e.startswith("effect") for e in errors)
    assert any(e.startswith("offsets/drug") for e in errors)
    with pytest.raises(MinerError):
        validate(bad)


def test_bad_jsonl_line_names_file_and_line(tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_text('{"id": "x", "drug": "a", "effect": "resistance"}\n{not json}\n')
    with pytest.raises(MinerError, match="line 2"):
        list(read_jsonl(p))
