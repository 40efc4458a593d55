"""`miner export --format parquet`: typed columns readable by pandas/pyarrow, the overwrite guard, empty exports,
and pyarrow importing beside spaCy/scispacy under NumPy < 2."""

from __future__ import annotations

import pytest

from miner.errors import MinerError
from miner.export import FORMATS, export_findings
from miner.schema import Finding

pq = pytest.importorskip("pyarrow.parquet")


def _findings() -> list[Finding]:
    return [
        Finding(drug="osimertinib", prior_drug="gefitinib", effect="cross_resistance", drug_ids=["DB09330"],
                prior_drug_ids=["DB00317"], mechanism_genes=["KEAP1"], doc_id="pmid:1", confidence=0.9,
                offsets={"sentence": [0, 60], "drug": [40, 51], "prior_drug": [0, 9]},
                references=[{"number": 3, "pmid": "123"}], rule="xres_resistant_to"),
        Finding(drug="cabazitaxel", effect="no_cross_resistance", doc_id="pmid:2", hedged=True),
    ]


def test_parquet_round_trip(tmp_path):
    out = tmp_path / "findings.parquet"
    assert "parquet" in FORMATS
    assert export_findings(_findings(), {}, "parquet", out) == 2
    table = pq.read_table(out)
    assert table.num_rows == 2
    import pyarrow as pa

    assert pa.types.is_list(table.schema.field("drug_ids").type)
    assert table.schema.field("drug_ids").type.value_type == pa.string()
    assert str(table.schema.field("confidence").type) == "double"
    assert str(table.schema.field("sentence_start").type) == "int64"
    frame = table.to_pandas()
    assert list(frame["drug_ids"][0]) == ["DB09330"] and list(frame["drug_ids"][1]) == []
    assert frame["prior_drug_start"][0] == 0 and frame["hedged"].tolist() == [False, True]
    assert frame["id"].tolist() == [f.id for f in _findings()]
    assert frame["polarity"].tolist() == ["negative", "neutral"]


def test_parquet_guards_and_empty_export(tmp_path):
    out = tmp_path / "f.parquet"
    export_findings([], {}, "parquet", out)
    table = pq.read_table(out)
    assert table.num_rows == 0 and "drug_ids" in table.schema.names
    with pytest.raises(MinerError, match="exists"):
        export_findings(_findings(), {}, "parquet", out)
    assert pq.read_table(out).num_rows == 0  # untouched
    export_findings(_findings(), {}, "parquet", out, force=True)
    assert pq.read_table(out).num_rows == 2
    assert not list(tmp_path.glob(".*.tmp"))


def test_pyarrow_and_dask_import_beside_spacy_under_numpy_1():
    import dask.distributed  # noqa: F401
    import numpy
    import pyarrow
    import scispacy  # noqa: F401
    import spacy  # noqa: F401

    assert int(numpy.__version__.split(".")[0]) < 2  # scispacy pins numpy<2: pyarrow must work with it
    assert pyarrow.array([1, 2]).to_numpy().sum() == 3
