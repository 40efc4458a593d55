"""`miner scale`: a 2-worker Dask run on small shards equals `corpus import` + `extract`; reruns, half-written
shards, DeleteCitation after the baseline, and bad input.

One 2-worker LocalCluster serves the whole module (its workers load the pipeline once), reached through its
scheduler address; the tests that rerun depend on the first run and follow it in file order.
"""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from miner.cli.main import app
from miner.corpus import import_paths
from miner.corpus.store import CorpusStore
from miner.errors import MinerError
from miner.scale import ScaleOptions, run_scale
from miner.scale.manifest import WorkDir, shard_file_ok

distributed = pytest.importorskip("distributed")


def _article(pmid: str, title: str, abstract: str, revised: str = "2020") -> str:
    return (
        f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{pmid}</PMID>'
        f"<DateRevised><Year>{revised}</Year><Month>01</Month><Day>01</Day></DateRevised>"
        f'<Article PubModel="Print"><Journal><Title>Test Journal</Title></Journal><ArticleTitle>{title}</ArticleTitle>'
        f"<Abstract><AbstractText>{abstract}</AbstractText></Abstract><Language>eng</Language></Article>"
        f"</MedlineCitation></PubmedArticle>\n"
    )


def _xml_gz(path: Path, body: str) -> Path:
    path.write_bytes(gzip.compress(f'<?xml version="1.0"?>\n<PubmedArticleSet>\n{body}</PubmedArticleSet>\n'.encode()))
    return path


XRES = ("Cross-resistance to osimertinib in gefitinib-resistant lung cancer cells.",
        "Gefitinib-resistant PC9 cells were cross-resistant to osimertinib. The resistance was mediated by KEAP1 "
        "mutation.")
CABA = ("Cabazitaxel after enzalutamide in castration-resistant prostate cancer.",
        "Cabazitaxel retained activity in patients previously treated with enzalutamide, with no cross-resistance "
        "between the two agents.")
TDM1 = ("T-DM1 after trastuzumab and pertuzumab.",
        "Trastuzumab emtansine (T-DM1) showed reduced efficacy in patients previously treated with trastuzumab "
        "plus pertuzumab.")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> list[Path]:
    """A baseline file, an update file (a revision, a DeleteCitation, a new record) and a PubTator file."""
    d = tmp_path_factory.mktemp("inputs")
    baseline = _xml_gz(d / "pubmed26n0001.xml.gz", "".join([
        _article("91000001", *XRES),
        _article("91000002", *CABA),
        _article("91000003", "A study without findings.", "We measured the weather in Rome."),
        _article("91000004", *TDM1),
        _article("91000005", "Aspirin in headache.", "Aspirin reduced pain after two hours in adults."),
    ]))
    update = _xml_gz(d / "pubmed26n0002.xml.gz", "".join([
        _article("91000002", CABA[0], "Cabazitaxel showed reduced efficacy in patients previously treated with "
                 "enzalutamide.", revised="2021"),
        "<DeleteCitation><PMID Version=\"1\">91000004</PMID></DeleteCitation>\n",
        _article("91000006", "Lapatinib in trastuzumab-resistant breast cancer.",
                 "Trastuzumab-resistant cells remained sensitive to lapatinib."),
    ]))
    # the same record once more (unchanged), and a new title without abstract for 91000005: merged field by field
    # with the stored abstract, so its text is one no shard read (re-extracted after the merge)
    pubtator = d / "extra.pubtator"
    pubtator.write_text(
        f"91000001|t|{XRES[0]}\n91000001|a|{XRES[1]}\n\n"
        "91000005|t|Imatinib-resistant cells were cross-resistant to nilotinib.\n91000005|a|\n\n",
        encoding="utf-8",
    )
    return [baseline, update, pubtator]


@pytest.fixture(scope="module")
def cluster():
    """Two single-threaded worker processes, as `miner scale --workers 2` starts them."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        yield c


@pytest.fixture(scope="module")
def scaled(inputs, cluster, tmp_path_factory):
    base = tmp_path_factory.mktemp("scale")
    options = ScaleOptions(paths=inputs, work_dir=base / "work", db=base / "main.sqlite",
                           scheduler=cluster.scheduler_address, shard_records=2)
    report = run_scale(options)
    return options, report


def _snapshot(db: Path) -> dict:
    """Documents (with their bookkeeping) and findings of a store, comparable across stores."""
    conn = sqlite3.connect(str(db))
    try:
        docs = {r[0]: r[1:] for r in conn.execute(
            "SELECT doc_id, content_hash, deleted, version, title, abstract FROM documents")}
        findings = {r[0]: (r[1], json.loads(r[2])) for r in conn.execute("SELECT id, doc_id, data FROM findings")}
        updated = {r[0]: r[1] for r in conn.execute("SELECT doc_id, updated FROM documents")}
        runs = conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    finally:
        conn.close()
    return {"docs": docs, "findings": findings, "updated": updated, "runs": runs}


@pytest.fixture(scope="module")
def sequential(inputs, tmp_path_factory) -> dict:
    """The single-process path on the same inputs: `miner corpus import` then `miner extract`."""
    from miner.extract.store import extract_store

    db = tmp_path_factory.mktemp("seq") / "seq.sqlite"
    with CorpusStore(db) as store:
        report = import_paths(store, inputs, progress=False)
        assert report.ok
        extract_store(store)
    snap = _snapshot(db)
    snap["db"] = db
    return snap


def test_two_workers_equal_the_single_process_path(scaled, sequential):
    options, report = scaled
    assert report.ok and report.workers == 2
    assert report.shards == 6 and report.ran == 6  # 2-record shards: baseline 3, update 2 (3 items), pubtator 1
    got = _snapshot(options.db)
    assert got["docs"] == sequential["docs"]
    assert set(got["findings"]) == set(sequential["findings"])
    assert got["findings"] == sequential["findings"]
    assert report.merge is not None and report.merge.reextracted == 1  # 91000005: title new, abstract kept
    doc_ids = {doc_id for doc_id, _ in got["findings"].values()}
    assert {"pmid:91000001", "pmid:91000002", "pmid:91000005", "pmid:91000006"} <= doc_ids
    manifest = json.loads((options.work_dir / "manifest.json").read_text())
    assert all(s["status"] == "done" and len(s["input_sha1"]) == 40 for s in manifest["shards"])
    assert manifest["versions"]["rules"] and manifest["versions"]["pipeline"]


def test_miner_extract_afterwards_reads_nothing_again(scaled, sequential):
    """The merge records what it stored as extraction runs, so `miner extract` passes over those documents."""
    from miner.extract.store import extract_store

    options, _ = scaled
    with CorpusStore(options.db) as store:
        stats = extract_store(store)
        assert stats.documents == 0 and stats.skipped == store.count()


def test_delete_citation_in_the_update_is_merged_after_the_baseline(scaled):
    options, _ = scaled
    with CorpusStore(options.db) as store:
        assert store.record_info("pmid:91000004")["deleted"] is True
        assert not list(store.iter_findings(doc_ids=["pmid:91000004"]))
        assert "reduced efficacy" in store.get("pmid:91000002").abstract  # the update's revision won
    # the baseline shard did read findings for the deleted record: the merge dropped them
    shard = next((options.work_dir / "shards").glob("pubmed26n0001.xml.gz-*-000000002.sqlite"))
    conn = sqlite3.connect(str(shard))
    assert conn.execute("SELECT COUNT(*) FROM findings WHERE doc_id = 'pmid:91000004'").fetchone()[0] > 0
    conn.close()


def test_rerun_does_nothing(scaled):
    options, _ = scaled
    before = _snapshot(options.db)
    report = run_scale(options)
    assert report.ok and report.ran == 0 and report.reused == 6
    assert report.merge.shards == 0 and report.merge.findings == 0
    assert _snapshot(options.db) == before


def test_half_written_shard_is_redone(scaled):
    options, _ = scaled
    work = WorkDir(options.work_dir)
    manifest = json.loads(work.manifest_path.read_text())
    victim = manifest["shards"][1]
    path = work.shards / f"{victim['id']}.sqlite"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # killed while writing...
    (work.shards / f"{victim['id']}.sqlite.dead.tmp").write_bytes(data[:100])  # ...and a temporary file left over
    victim["status"] = "running"
    work.manifest_path.write_text(json.dumps(manifest))
    assert not shard_file_ok(path, victim["fingerprint"])
    before = _snapshot(options.db)
    report = run_scale(options)
    assert report.ok and report.ran == 1 and report.reused == 5
    assert shard_file_ok(path, victim["fingerprint"])
    assert not list(work.shards.glob("*.tmp*"))
    assert json.loads(work.manifest_path.read_text())["shards"][1]["status"] == "done"
    assert _snapshot(options.db) == before  # its records were merged already: nothing to add


def test_changed_input_is_redone_and_merged(scaled, inputs):
    options, _ = scaled
    pubtator = inputs[2]
    pubtator.write_text(pubtator.read_text(encoding="utf-8")
                        + "91000007|t|Gefitinib-resistant cells were cross-resistant to erlotinib.\n91000007|a|\n\n",
                        encoding="utf-8")
    report = run_scale(options)
    assert report.ok and report.ran == 2 and report.reused == 5  # 3 records now: 2 shards of the PubTator file
    assert report.merge.shards == 2  # the inputs before it stay merged
    with CorpusStore(options.db) as store:
        assert store.get("pmid:91000007") is not None
        assert list(store.iter_findings(doc_ids=["pmid:91000007"]))


def test_extract_workers_path_equals_one_process(cluster, sequential, tmp_path):
    """`miner extract --workers N` runs on the same Dask workers and stores what one process stores."""
    import shutil

    from miner.scale.parallel import extract_store_parallel

    db = tmp_path / "copy.sqlite"
    shutil.copy(sequential["db"], db)
    with CorpusStore(db) as store:
        stats = extract_store_parallel(store, workers=2, scheduler=cluster.scheduler_address, force=True)
        assert stats.documents == store.count()
    assert _snapshot(db)["findings"] == sequential["findings"]


# -- bad input ---------------------------------------------------------------------------------


def test_missing_input_file_is_a_clear_error(tmp_path):
    with pytest.raises(MinerError, match="no such file or directory"):
        run_scale(ScaleOptions(paths=[tmp_path / "nope.xml.gz"], work_dir=tmp_path / "w", db=tmp_path / "m.sqlite"))


def test_unreachable_scheduler_is_a_clear_error(inputs, tmp_path):
    options = ScaleOptions(paths=inputs[:1], work_dir=tmp_path / "w", db=tmp_path / "m.sqlite",
                           scheduler="tcp://127.0.0.1:9", connect_timeout=2)
    with pytest.raises(MinerError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        run_scale(options)


def test_read_only_work_dir_is_a_clear_error(inputs, tmp_path):
    if os.geteuid() == 0:  # root writes through permission bits: use a file system that refuses everyone
        work = Path("/sys/miner-scale-test")
    else:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        work = ro / "work"
    with pytest.raises(MinerError, match="work directory is not writable"):
        run_scale(ScaleOptions(paths=inputs[:1], work_dir=work, db=tmp_path / "m.sqlite"))


def test_cli_raises_user_errors(inputs, tmp_path):
    """The command raises MinerError, which `miner` prints as one line (miner.cli.main.main)."""
    runner = CliRunner()
    result = runner.invoke(app, ["--db", str(tmp_path / "m.sqlite"), "scale", str(tmp_path / "missing.xml"),
                                 "--work-dir", str(tmp_path / "w")])
    assert result.exit_code == 1 and isinstance(result.exception, MinerError)
    assert "no such file or directory" in str(result.exception)
    result = runner.invoke(app, ["--db", str(tmp_path / "m.sqlite"), "scale", str(inputs[0]), "--work-dir",
                                 str(tmp_path / "w"), "--workers", "2", "--scheduler", "tcp://127.0.0.1:9"])
    assert isinstance(result.exception, MinerError) and "give one" in str(result.exception)
