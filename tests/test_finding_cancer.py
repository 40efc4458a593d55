"""The normalized cancer type on a finding (issue 20 item 2): ``cancer`` as written, ``cancer_name``/``cancer_id``
from the cancer vocabulary, set by the extractor, carried by the exports, absent from old rows."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from miner.extract.findings import normalized_cancer, set_cancer
from miner.schema import Finding, read_jsonl, validate

NSCLC_ID = "MESH:D002289"


def read(nlp, text: str) -> list[Finding]:
    from miner.extract import extract_text

    found = extract_text(text, nlp=nlp)
    assert found, text
    return found


def test_nsclc_with_qualifier_is_normalized(nlp) -> None:
    found = read(nlp, "In EGFR-mutant NSCLC, osimertinib resistance was mediated by MET amplification.")
    f = next(f for f in found if f.drug.lower() == "osimertinib")
    assert f.cancer == "NSCLC"
    assert (f.cancer_name, f.cancer_id) == ("non-small cell lung cancer", NSCLC_ID)
    validate(f.to_dict())


def test_capitalized_plural_is_normalized(nlp) -> None:
    found = read(nlp, "Melanomas that acquired resistance to vemurafenib were cross-resistant to dabrafenib.")
    f = next(f for f in found if f.drug.lower() == "dabrafenib")
    assert f.cancer == "Melanomas"
    assert f.cancer_name == "melanoma"
    assert f.cancer_id.startswith("MESH:")


def test_no_cancer_leaves_the_fields_empty(nlp) -> None:
    for f in read(nlp, "Osimertinib resistance was mediated by MET amplification."):
        assert (f.cancer, f.cancer_name, f.cancer_id) == ("", "", "")


def test_a_cancer_outside_the_vocabulary_is_kept_as_written_only() -> None:
    assert normalized_cancer("ALK-rearranged pulmonary blastomas") == ("", "")
    assert normalized_cancer("") == ("", "")
    assert normalized_cancer("cells") == ("", "")
    f = Finding(drug="osimertinib", effect="resistance")
    set_cancer(f, "pulmonary blastomas")
    assert (f.cancer, f.cancer_name, f.cancer_id) == ("pulmonary blastomas", "", "")
    set_cancer(f, "breast and ovarian cancer")
    assert f.cancer_name == "breast cancer; ovarian cancer"
    assert f.cancer_id.count("; ") == 1


def _finding() -> Finding:
    f = Finding(drug="osimertinib", effect="resistance", doc_id="pmid:1", sentence="s",
                offsets={"sentence": [0, 1], "drug": [0, 1]})
    set_cancer(f, "EGFR-mutant NSCLC")
    return f


def test_csv_and_tsv_put_the_columns_next_to_cancer(tmp_path: Path) -> None:
    from miner.export.tabular import write_table

    for delimiter, name in ((",", "f.csv"), ("\t", "f.tsv")):
        out = tmp_path / name
        assert write_table([_finding()], {}, out, delimiter=delimiter) == 1
        with out.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh, delimiter=delimiter)
            header = reader.fieldnames or []
            row = next(reader)
        i = header.index("cancer")
        assert header[i + 1:i + 3] == ["cancer_name", "cancer_id"]
        assert (row["cancer"], row["cancer_name"], row["cancer_id"]) == (
            "EGFR-mutant NSCLC", "non-small cell lung cancer", NSCLC_ID)


def test_parquet_and_dataframe_carry_the_columns(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    from miner.export.parquet import write_parquet
    from miner.extract.dataframe import findings_to_dataframe

    out = tmp_path / "f.parquet"
    write_parquet([_finding()], {}, out)
    table = pq.read_table(out)
    names = table.schema.names
    assert names[names.index("cancer") + 1:names.index("cancer") + 3] == ["cancer_name", "cancer_id"]
    assert table.column("cancer_id").to_pylist() == [NSCLC_ID]
    frame = findings_to_dataframe([_finding()])
    assert frame.loc[0, "cancer_name"] == "non-small cell lung cancer"


def test_rows_written_before_the_fields_load_with_them_empty(tmp_path: Path) -> None:
    old = {"id": "g001-0001", "drug": "osimertinib", "effect": "resistance", "cancer": "NSCLC", "source": "gold"}
    validate(old)
    path = tmp_path / "old.jsonl"
    path.write_text(json.dumps(old) + "\n", encoding="utf-8")
    (f,) = list(read_jsonl(path))
    assert (f.cancer, f.cancer_name, f.cancer_id) == ("NSCLC", "", "")
    validate(f.to_dict())
