"""CorpusStore: upsert semantics, deletions, transactions, migrations, refresh state, findings, decisions."""

from __future__ import annotations

import sqlite3

import pytest

from miner.corpus import CorpusStore, Document
from miner.corpus.store import SCHEMA_VERSION
from miner.errors import MinerError
from miner.schema import Finding


@pytest.fixture
def store(tmp_path):
    with CorpusStore(tmp_path / "sub" / "corpus.sqlite") as s:
        yield s


def doc(pmid: str = "1", **kw) -> Document:
    base = dict(doc_id=f"pmid:{pmid}", pmid=pmid, title="Title", abstract="Abstract.", source="a.xml")
    base.update(kw)
    return Document(**base)


def test_creates_schema_wal_and_parent_dir(tmp_path):
    path = tmp_path / "deep" / "dir" / "c.sqlite"
    with CorpusStore(path) as s:
        assert s.schema_version == SCHEMA_VERSION
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"documents", "query_state", "findings", "runs", "decisions", "schema_version"} <= tables
    # reopening does not re-run migrations
    with CorpusStore(path) as s:
        assert s.schema_version == SCHEMA_VERSION
    assert conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == SCHEMA_VERSION


def test_not_a_database_is_a_clear_error(tmp_path):
    bogus = tmp_path / "notes.sqlite"
    bogus.write_text("this is not sqlite, just a text file that is long enough " * 20)
    with pytest.raises(MinerError, match="not a miner corpus database"):
        CorpusStore(bogus)
    with pytest.raises(MinerError, match="is a directory"):
        CorpusStore(tmp_path)


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "c.sqlite"
    CorpusStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_version VALUES (?, 'x')", (SCHEMA_VERSION + 1,))
    conn.commit()
    with pytest.raises(MinerError, match="newer than this miner"):
        CorpusStore(path)


def test_upsert_insert_unchanged_update_in_place(store):
    assert store.upsert(doc()) == "inserted"
    first = store.record_info("pmid:1")
    assert store.upsert(doc(source="other-file.xml")) == "unchanged"  # source is not content
    assert store.get("pmid:1").source == "a.xml"
    assert store.upsert(doc(abstract="Revised abstract.")) == "updated"
    after = store.record_info("pmid:1")
    assert store.get("pmid:1").abstract == "Revised abstract."
    assert after["first_seen"] == first["first_seen"] and after["content_hash"] != first["content_hash"]
    assert store.count() == 1


def test_older_version_never_overwrites_newer(store):
    assert store.upsert(doc(version=2, abstract="v2")) == "inserted"
    assert store.upsert(doc(version=1, abstract="v1")) == "unchanged"
    assert store.get("pmid:1").abstract == "v2"
    assert store.upsert(doc(version=3, abstract="v2")) == "updated"  # a new version, same text
    assert store.get("pmid:1").version == 3
    # same version: the revision date orders records
    assert store.upsert(doc(pmid="2", date_revised="2020-05-01", abstract="new")) == "inserted"
    assert store.upsert(doc(pmid="2", date_revised="2019-01-01", abstract="old")) == "unchanged"
    assert store.upsert(doc(pmid="2", date_revised="2021-01-01", abstract="newer")) == "updated"
    assert store.get("pmid:2").abstract == "newer"


def test_deletion_is_sticky_for_identical_records(store):
    store.upsert(doc())
    assert store.mark_deleted("pmid:1") is True
    assert store.mark_deleted("pmid:1") is False
    assert store.mark_deleted("pmid:404") is False
    assert store.count() == 0 and store.stats()["deleted"] == 1
    assert store.upsert(doc()) == "unchanged"  # re-importing the old file does not resurrect it
    assert store.count() == 0
    assert list(store.iter_documents()) == []
    assert [d.doc_id for d in store.iter_documents(include_deleted=True)] == ["pmid:1"]
    assert store.upsert(doc(abstract="corrected record")) == "updated"
    assert store.count() == 1


def test_transaction_rolls_back_everything(store):
    store.upsert(doc("1"))
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.upsert(doc("2"))
            store.mark_deleted("pmid:1")
            raise RuntimeError("boom")
    assert store.count() == 1 and store.get("pmid:2") is None
    with store.transaction():
        store.upsert(doc("3"))
        with pytest.raises(ValueError):
            with store.transaction():  # nested: a savepoint
                store.upsert(doc("4"))
                raise ValueError
        store.upsert(doc("5"))
    assert sorted(d.doc_id for d in store.iter_documents()) == ["pmid:1", "pmid:3", "pmid:5"]


def test_roundtrip_all_fields_and_iteration_order(store):
    full = Document(
        doc_id="pmid:42", title="T \u03b1", abstract="A: x\nB: y", pmid="42", journal="J", pub_date="2016-03",
        pub_year=2016, authors=["Smith J"], doi="10.1/x", pmcid="PMC1", publication_types=["Review"],
        mesh_headings=["Humans"], chemicals=["Gefitinib"], keywords=["EGFR"], language="eng", source="s",
        version=2, annotations=[{"start": 0, "end": 1, "text": "T", "type": "Gene", "id": "1"}],
        vernacular_title="V", date_revised="2020-01-01",
    )  # fmt: skip
    store.upsert(full)
    assert store.get("pmid:42") == full
    for i in range(1200):  # more than one page of iter_documents
        store.upsert(doc(f"9{i:04d}"))
    ids = [d.doc_id for d in store.iter_documents()]
    assert ids == sorted(ids) and len(ids) == 1201
    assert [d.doc_id for d in store.iter_documents(["pmid:42", "pmid:nope", "pmid:90001"])] == ["pmid:42", "pmid:90001"]


def test_stats(store):
    store.upsert(doc("1"))
    store.upsert(doc("2", abstract="", source="b.xml"))
    store.upsert(doc("3"))
    store.mark_deleted("pmid:3")
    store.set_query_state("her2", {"last_success": "2024-01-01", "cursor": None})
    stats = store.stats()
    assert stats["documents"] == 2 and stats["deleted"] == 1
    assert stats["with_abstract"] == 1 and stats["without_abstract"] == 1
    assert stats["by_source"] == {"a.xml": 1, "b.xml": 1}
    assert stats["queries"] == {"her2": "2024-01-01"}


def test_query_state_roundtrip(store):
    assert store.get_query_state("q") is None
    store.set_query_state("q", {"last_success": None, "cursor": {"slice": ["2020/01/01", "2020/06/30"], "retstart": 500}, "term": "x"})
    state = store.get_query_state("q")
    assert state["cursor"] == {"slice": ["2020/01/01", "2020/06/30"], "retstart": 500}
    assert state["term"] == "x" and state["last_success"] is None and state["updated"]
    store.set_query_state("q", {"last_success": "2024-02-02", "cursor": None})
    state = store.get_query_state("q")
    assert state["last_success"] == "2024-02-02" and state["cursor"] is None and "term" not in state


def finding(doc_id: str, drug: str, conf: float = 0.9) -> Finding:
    return Finding(drug=drug, effect="cross_resistance", prior_drug="gefitinib", doc_id=doc_id, confidence=conf,
                   offsets={"sentence": [0, 10]})  # fmt: skip


def test_findings_replace_per_document_and_filter(store):
    n = store.add_findings([finding("pmid:1", "osimertinib"), finding("pmid:2", "erlotinib", 0.4)], {"rules": "v1"})
    assert n == 2
    assert [f.drug for f in store.iter_findings(min_confidence=0.5)] == ["osimertinib"]
    # re-extraction of pmid:1 replaces its findings, pmid:2 untouched
    store.add_findings([finding("pmid:1", "afatinib")], {"rules": "v2"})
    assert sorted(f.drug for f in store.iter_findings()) == ["afatinib", "erlotinib"]
    # a document that now yields nothing is cleared when listed in run["doc_ids"]
    store.add_findings([], {"rules": "v3", "doc_ids": ["pmid:2"]})
    assert [f.drug for f in store.iter_findings()] == ["afatinib"]
    fid = next(store.iter_findings()).id
    store.set_status({fid: "novel"})
    assert [f.status for f in store.iter_findings(status="novel")] == ["novel"]
    assert list(store.iter_findings(status="confirmed")) == []
    assert [f.id for f in store.iter_findings(doc_ids=["pmid:1"])] == [fid]
    with pytest.raises(MinerError, match="unknown finding status"):
        store.set_status({fid: "maybe"})


def test_decisions_atomic_and_unknown_ids_listed(store):
    store.add_findings([finding("pmid:1", "osimertinib")], {})
    fid = next(store.iter_findings()).id
    good = {"finding_id": fid, "decision": "corrected", "corrected": {"drug": "afatinib"}, "curator": "ann", "note": "n"}
    with pytest.raises(MinerError, match="fdeadbeef"):
        store.add_decisions([good, {"finding_id": "fdeadbeef", "decision": "accepted"}])
    assert list(store.iter_decisions()) == []  # nothing stored from the rejected batch
    with pytest.raises(MinerError, match="unknown decision"):
        store.add_decisions([{**good, "decision": "maybe"}])
    store.add_decisions([good, {"finding_id": fid, "decision": "accepted", "time": "2024-01-01T00:00:00"}])
    decisions = list(store.iter_decisions())
    assert [d["decision"] for d in decisions] == ["corrected", "accepted"]
    assert decisions[0]["corrected"] == {"drug": "afatinib"} and decisions[0]["curator"] == "ann"
    assert decisions[1]["time"] == "2024-01-01T00:00:00"


def test_thin_record_does_not_erase_a_richer_one(store):
    rich = doc(journal="J Clin Oncol", authors=["Smith J", "Doe A"], doi="10.1/x", mesh_headings=["Lung Neoplasms"])
    assert store.upsert(rich) == "inserted"
    annotations = [{"start": 0, "end": 5, "text": "Title", "type": "Chemical", "id": "-"}]
    thin = doc(abstract="Abstract, as PubTator has it.", source="a.pubtator", annotations=annotations)
    assert store.upsert(thin) == "updated"
    got = store.get("pmid:1")
    assert got.abstract == "Abstract, as PubTator has it." and got.annotations == annotations
    assert (got.journal, got.authors, got.doi, got.mesh_headings) == ("J Clin Oncol", ["Smith J", "Doe A"], "10.1/x",
                                                                       ["Lung Neoplasms"])
    assert store.upsert(thin) == "unchanged"
