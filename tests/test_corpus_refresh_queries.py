"""Named queries file, id files and date/slice helpers of the refresh engine."""

from __future__ import annotations

from datetime import date

import pytest

from miner.config import DEFAULT_QUERIES
from miner.corpus.refresh import (
    FULL_RANGE,
    check_term,
    get_query,
    load_queries,
    normalize_doi,
    parse_date,
    read_doi_file,
    read_pmid_file,
    split_slice,
)
from miner.errors import ConfigError, InputFileError, MinerError

DRUG_CLASSES = {
    "her2-targeted": ["trastuzumab", "pertuzumab", "T-DM1"],
    "cdk46-inhibitors": ["palbociclib", "abemaciclib"],
    "egfr-tki": ["osimertinib", "gefitinib"],
    "anti-egfr-antibodies": ["cetuximab", "panitumumab"],
    "ar-signalling": ["enzalutamide", "abiraterone"],
    "braf-mek": ["dabrafenib", "trametinib"],
    "immune-checkpoint": ["nivolumab", "Immune Checkpoint Inhibitors"],
    "taxanes": ["cabazitaxel", "docetaxel"],
    "platinum": ["cisplatin", "carboplatin"],
}


def test_repo_queries_file_is_valid_and_covers_the_review_drug_classes():
    queries = load_queries(DEFAULT_QUERIES)
    assert {"cross-resistance", "collateral-sensitivity", "sequential-therapy"} <= set(queries)
    for name, drugs in DRUG_CLASSES.items():
        term = queries[name].term
        for drug in drugs:
            assert drug.lower() in term.lower(), (name, drug)
        assert "cross-resistan*[tiab]" in term  # every class query includes the cross-resistance phrasing
        assert "{" not in term and check_term(term) is None
    for q in queries.values():
        assert q.description and "[tiab]" in q.term and "[MeSH]" in q.term


def write(tmp_path, text: str):
    path = tmp_path / "q.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "text, message",
    [
        ("[queries.a\n", "invalid TOML"),
        ("title = 'x'\n", "expected a [queries.<name>] table"),
        ("[queries.a]\nterm = 'x[tiab]'\n", "'description' must be a non-empty string"),
        ("[queries.a]\ndescription = 'd'\n", "'term' must be a non-empty string"),
        ("[queries.a]\nterm = 'x'\ndescription = 'd'\nlimit = 3\n", "unknown key(s) limit"),
        ("[queries.A]\nterm = 'x'\ndescription = 'd'\n", "names are lower-case"),
        ("[queries.a]\nterm = '(x OR y'\ndescription = 'd'\n", "unbalanced parentheses"),
        ("[queries.a]\nterm = '\"x y'\ndescription = 'd'\n", "unbalanced double quotes"),
        ("[queries.a]\nterm = 'x AND {nope}'\ndescription = 'd'\n", "unknown block(s) {nope}"),
        ("other = 1\n[queries.a]\nterm = 'x'\ndescription = 'd'\n", "unknown top-level key(s): other"),
    ],
)
def test_bad_queries_files_get_clear_errors(tmp_path, text, message):
    with pytest.raises(ConfigError) as info:
        load_queries(write(tmp_path, text))
    assert message in str(info.value) and "q.toml" in str(info.value)


def test_blocks_are_expanded_and_unknown_names_listed(tmp_path):
    path = write(
        tmp_path,
        "[blocks]\ncancer = '(Neoplasms[MeSH] OR cancer*[tiab])'\n"
        "[queries.x]\ndescription = 'd'\nterm = '''osimertinib[tiab]\n  AND {cancer}'''\n",
    )
    assert get_query(path, "x").term == "osimertinib[tiab] AND (Neoplasms[MeSH] OR cancer*[tiab])"
    with pytest.raises(MinerError, match="unknown query 'y'.*known: x"):
        get_query(path, "y")
    with pytest.raises(ConfigError, match="not found"):
        load_queries(tmp_path / "absent.toml")


def test_pmid_and_doi_files(tmp_path):
    pmids = tmp_path / "p.txt"
    pmids.write_text("# reviews\n0012345, 678\npmid:12345 999 # dup and comment\n", encoding="utf-8")
    assert read_pmid_file(pmids) == ["12345", "678", "999"]
    dois = tmp_path / "d.txt"
    dois.write_text(
        "https://doi.org/10.1038/NATURE12345\n# c\ndoi: 10.3389/fonc.2022.877380\n10.1038/nature12345\n",
        encoding="utf-8",
    )
    assert read_doi_file(dois) == ["10.1038/nature12345", "10.3389/fonc.2022.877380"]
    dois.write_text("10.1000/x\nnot-a-doi\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="line 2: not a DOI"):
        read_doi_file(dois)
    assert normalize_doi("DOI:10.1000/ABC.") == "10.1000/abc"


def test_dates_and_slices():
    assert parse_date("2024-03-05") == date(2024, 3, 5) == parse_date("2024/03/05")
    assert parse_date("2024") == date(2024, 1, 1)
    with pytest.raises(MinerError, match="not a date"):
        parse_date("2024-13-01")
    halves = split_slice({"datetype": None, "mindate": None, "maxdate": None})
    assert halves is not None and halves[0]["datetype"] == "pdat"
    assert halves[0]["mindate"] == "1700/01/01" and halves[1]["maxdate"] == "2999/12/31"
    assert FULL_RANGE[0] < date(1781, 1, 1)  # older than PubMed's oldest records
    lo, hi = split_slice({"datetype": "edat", "mindate": "2024/01/01", "maxdate": "2024/01/04"})
    assert (lo["mindate"], lo["maxdate"], hi["mindate"], hi["maxdate"]) == (
        "2024/01/01", "2024/01/02", "2024/01/03", "2024/01/04",
    )
    assert split_slice({"datetype": "edat", "mindate": "2024/01/01", "maxdate": "2024/01/01"}) is None
    revised = {"datetype": "mdat", "mindate": "2024/01/01", "maxdate": "2024/02/01", "not_entered": ["a", "b"]}
    assert all(half["not_entered"] == ["a", "b"] for half in split_slice(revised))
