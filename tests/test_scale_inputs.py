"""How `miner scale` reads its inputs: through `corpus import`'s own code (miner.scale.inputs.read_records), so a
damaged file or record is rejected with the same message, `--lenient` means the same, and shard ranges together
read every record once.

The tests up to the last section need no pipeline and no cluster; the last one runs `miner scale` on one
single-threaded Dask worker, strict and then `--lenient` (twice), against `corpus import` + `extract`.
"""

from __future__ import annotations

import gzip
import io
import json
import sqlite3
import tarfile
from pathlib import Path

import pytest

from miner.corpus import CorpusStore, import_paths
from miner.corpus.document import Deletion
from miner.errors import InputFileError
from miner.scale.inputs import count_items, list_inputs, read_records
from miner.scale.manifest import Shard
from miner.scale.worker import run_shard

GOOD_PUBTATOR = (
    "7|t|Cisplatin nephrotoxicity\n7|a|Rats given cisplatin had acute renal failure.\n"
    "7\t0\t9\tCisplatin\tChemical\tD1\n7\t36\t45\tcisplatin\tChemical\tD1\n7\tCID\tD1\tD2\n\n"
)
#: the second cisplatin annotation's offsets point at other words: strict rejects the file, lenient drops it
BAD_OFFSETS = GOOD_PUBTATOR.replace("7\t36\t45\tcisplatin", "7\t30\t39\tcisplatin")


def _article(pmid: int, title: str = "A title.", abstract: str = "An abstract.") -> str:
    return (f'<PubmedArticle><MedlineCitation><PMID Version="1">{pmid}</PMID><Article><ArticleTitle>{title}'
            f"</ArticleTitle><Abstract><AbstractText>{abstract}</AbstractText></Abstract></Article>"
            "</MedlineCitation></PubmedArticle>\n")


def _xml(body: str, close: bool = True) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<PubmedArticleSet>\n' + body
            + ("</PubmedArticleSet>\n" if close else ""))


def _bioc_json(escaped: str) -> str:
    """A BioC JSON collection whose title is ``escaped`` as written in the JSON (so "\\ud800" stays an escape)."""
    doc = {"id": "9", "passages": [{"offset": 0, "infons": {"type": "title"}, "text": "TITLE", "annotations": []}]}
    return json.dumps({"documents": [doc]}).replace("TITLE", escaped)


def _tar(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


FIVE = _xml("".join(_article(100 + i) for i in range(4))
            + '<DeleteCitation><PMID Version="1">101</PMID></DeleteCitation>\n')

#: damaged inputs: (file name, bytes), each rejected whole by `corpus import`
DAMAGED: dict[str, tuple[str, bytes]] = {
    "pubtator offsets outside their words": ("off.pubtator", BAD_OFFSETS.encode()),
    "pubtator NUL": ("nul.pubtator", GOOD_PUBTATOR.replace("Rats", "R\x00ts").encode()),
    "pubtator record cut short": ("cut.pubtator", (GOOD_PUBTATOR + "8|t|Only a title\n").encode()),
    # text the store cannot keep: found by the importer's last check of each document (document_problem)
    "bioc json lone surrogate": ("sur.json", _bioc_json("rul\\ud800es").encode()),
    "bioc json NUL": ("nul.json", _bioc_json("rul\\u0000es").encode()),
    "pubmed xml malformed": ("bad.xml", _xml(_article(1) + "<PubmedArticle><MedlineCitation>").encode()),
    "pubmed xml truncated gzip": ("cut.xml.gz", gzip.compress(FIVE.encode())[:-30]),
    "tar with a damaged member": ("a.tar.gz", _tar({"ok.xml": _xml(_article(5)).encode(),
                                                    "off.pubtator": BAD_OFFSETS.encode()})),
    "tar truncated": ("t.tar.gz", _tar({"ok.xml": FIVE.encode()})[:-40]),
}


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _import_error(path: Path, lenient: bool = False) -> str:
    with CorpusStore(path.parent / "import.sqlite") as store:
        (result,) = import_paths(store, [path], progress=False, lenient=lenient).files
    return result.error


def _fmt(path: Path) -> str:
    (info,), _ = list_inputs([path])
    return info.format


@pytest.mark.parametrize("case", sorted(DAMAGED))
def test_damaged_input_is_rejected_with_the_import_message(tmp_path, case):
    name, data = DAMAGED[case]
    path = _write(tmp_path, name, data)
    expected = _import_error(path)
    assert expected, "corpus import accepted it"
    with pytest.raises(InputFileError) as exc:
        read_records(path, _fmt(path))
    assert str(exc.value) == expected
    with pytest.raises(InputFileError):
        count_items(path, _fmt(path))


@pytest.mark.parametrize("case", sorted(DAMAGED))
def test_a_shard_of_a_damaged_input_reports_it_without_a_traceback(tmp_path, case):
    """The worker task returns the input's error (the driver rejects the file); no shard file is left."""
    name, data = DAMAGED[case]
    path = _write(tmp_path / "in", name, data)
    shards = tmp_path / "shards"
    shards.mkdir()
    shard = Shard(id="s", path=str(path), input_sha1="x", format=_fmt(path), fingerprint="f")
    result = run_shard({"shard": shard.__dict__, "shards_dir": str(shards), "triage": True})
    assert result["status"] == "failed" and result["input_error"] is True
    assert result["error"] == _import_error(path)
    assert "Traceback" not in result["error"]
    assert list(shards.iterdir()) == []


def test_unreadable_inputs_are_listed_with_their_error_not_raised(tmp_path):
    """As `corpus import` fails such a file and goes on: a file damaged before its format can be told, or one
    named explicitly that is no corpus format; a README inside a directory is skipped."""
    d = tmp_path / "dir"
    readme = _write(d, "README", b"notes\n")
    cut = _write(tmp_path, "cut.xml.gz", gzip.compress(FIVE.encode())[:-30])
    good = _write(tmp_path, "good.xml", FIVE.encode())
    infos, skipped = list_inputs([d, readme, cut, good])
    assert [(Path(i.path).name, i.format, bool(i.error)) for i in infos] == [
        ("README", "", True), ("cut.xml.gz", "", True), ("good.xml", "pubmed_xml", False)]
    assert skipped == [f"{readme.resolve()}: unknown format: {infos[0].error.split('unknown format: ', 1)[1]}"]
    assert infos[1].error == _import_error(cut)


def test_lenient_drops_and_counts_bad_annotations_as_corpus_import_does(tmp_path):
    path = _write(tmp_path, "off.pubtator", BAD_OFFSETS.encode())
    assert "--lenient" in _import_error(path)
    items: list = []
    sink, result = read_records(path, "pubtator", items.append, lenient=True)
    assert result.dropped == 1 and sink.seen == sink.taken == 1
    with CorpusStore(tmp_path / "lenient.sqlite") as store:
        (imported,) = import_paths(store, [path], progress=False, lenient=True).files
        assert imported.dropped == 1
        assert store.get("pmid:7").to_dict() == items[0].to_dict()
    assert [a["text"] for a in items[0].annotations] == ["Cisplatin"]
    # lenient is about annotations only: damaged text still rejects the file
    bad = _write(tmp_path, "sur.json", _bioc_json("rul\\ud800es").encode())
    with pytest.raises(InputFileError, match="surrogate"):
        read_records(bad, "bioc_json", lenient=True)


def _plain(item) -> object:
    return item if isinstance(item, Deletion) else item.to_dict()


def _ids(items: list) -> list[tuple[str, str]]:
    return [("delete" if isinstance(i, Deletion) else "upsert", i.doc_id) for i in items]


@pytest.mark.parametrize("kind", ["xml.gz", "tar"])
def test_shard_ranges_read_every_record_exactly_once(tmp_path, kind):
    if kind == "tar":  # records of two members, a README skipped; ranges cross the member boundary
        data = _tar({"README": b"not a corpus file\n", "a.xml": _xml(_article(1) + _article(2) + _article(3)).encode(),
                     "b.pubtator": GOOD_PUBTATOR.encode()})
        path = _write(tmp_path, "in.tar.gz", data)
    else:
        path = _write(tmp_path, "in.xml.gz", gzip.compress(FIVE.encode()))
    fmt = _fmt(path)
    whole: list = []
    read_records(path, fmt, whole.append)
    n = count_items(path, fmt)
    assert n == len(whole) == 4 + (kind != "tar")
    for size in (1, 2, 3, n, n + 1):
        parts: list = []
        for start in range(0, n, size):
            sink, _ = read_records(path, fmt, parts.append, start, min(size, n - start))
            assert sink.taken == min(size, n - start)
        assert _ids(parts) == _ids(whole)
        assert [_plain(i) for i in parts] == [_plain(i) for i in whole]


def test_damage_after_the_last_record_is_seen_by_the_last_shard(tmp_path):
    """A file cut after its last complete record: the shard ending there reads on to the end, as import does."""
    path = _write(tmp_path, "open.xml", _xml(_article(1) + _article(2) + _article(3), close=False).encode())
    assert _import_error(path)
    first, _ = read_records(path, "pubmed_xml", None, 0, 2)  # stops at the third record: the damage is not its own
    assert first.taken == 2
    with pytest.raises(InputFileError) as exc:
        read_records(path, "pubmed_xml", None, 2, 1)
    assert str(exc.value) == _import_error(path)


# -- miner scale, strict and --lenient -----------------------------------------------------------


def _docs_and_findings(db: Path) -> tuple[dict, dict]:
    conn = sqlite3.connect(str(db))
    try:
        docs = {r[0]: r[1:] for r in conn.execute("SELECT doc_id, content_hash, deleted, title, abstract, "
                                                  "annotations FROM documents")}
        findings = {r[0]: r[1] for r in conn.execute("SELECT id, data FROM findings")}
    finally:
        conn.close()
    return docs, findings


@pytest.fixture(scope="module")
def scheduler():
    """One single-threaded worker process (it loads the pipeline once for the three runs below)."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        yield c.scheduler_address


def test_scale_rejects_a_damaged_file_and_lenient_reads_it_as_corpus_import_does(tmp_path, scheduler):
    from typer.testing import CliRunner

    from miner.cli.main import app
    from miner.extract.store import extract_store

    good = _write(tmp_path / "in", "good.xml", _xml(_article(
        91100001, "Cross-resistance to osimertinib in gefitinib-resistant lung cancer cells.",
        "Gefitinib-resistant PC9 cells were cross-resistant to osimertinib.") + _article(91100002)).encode())
    bad = _write(tmp_path / "in", "off.pubtator", BAD_OFFSETS.encode())
    cut = _write(tmp_path / "in", "cut.xml.gz", gzip.compress(_xml(_article(91100003)).encode())[:-30])
    db, work = tmp_path / "main.sqlite", tmp_path / "work"
    args = ["--db", str(db), "scale", str(good), str(bad), str(cut), "--work-dir", str(work), "--scheduler",
            scheduler, "--shard-records", "1"]
    runner = CliRunner()

    def messages(result) -> str:
        assert result.exit_code == 1, result.output  # a rejected file: exit 1, as `corpus import`
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert "Traceback" not in result.output
        return " ".join(result.output.split())

    out = messages(runner.invoke(app, args))
    for path in (bad, cut):  # the import's message for each (its path may be wrapped on the console)
        assert _import_error(path).split(": ", 1)[1] in out
    assert out.count("nothing from this file was stored") == 2
    docs, _ = _docs_and_findings(db)
    assert set(docs) == {"pmid:91100001", "pmid:91100002"}  # the good file was merged

    out = messages(runner.invoke(app, args + ["--lenient"]))  # same work dir: lenient shards are new shards
    assert "1 annotation(s)" in out and out.count("nothing from this file was stored") == 1

    seq = tmp_path / "seq.sqlite"
    with CorpusStore(seq) as store:
        assert [f.failed for f in import_paths(store, [good, bad, cut], progress=False, lenient=True).files] == [
            False, False, True]
        extract_store(store)
    got, want = _docs_and_findings(db), _docs_and_findings(seq)
    assert got[0] == want[0] and set(got[0]) == {"pmid:91100001", "pmid:91100002", "pmid:7"}
    assert got[1] == want[1] and got[1]  # the same findings, each once

    messages(runner.invoke(app, args + ["--lenient"]))
    assert _docs_and_findings(db) == got
