"""`miner corpus refresh` end to end: settings, user errors, secrets, a real kill and resume."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from miner.cli.main import main
from miner.config import REPO_ROOT, SHARED_DIR
from miner.corpus.replay import ReplayServer, genia_records
from miner.corpus.store import CorpusStore

pytestmark = pytest.mark.skipif(
    not (SHARED_DIR / "data" / "pubmed-eutils").is_dir(), reason="../shared/data/pubmed-eutils missing"
)
KEY = "kEy-9f8e7d6c5b4a-SECRET"


@pytest.fixture(scope="module")
def records():
    return genia_records()[:240]


@pytest.fixture
def srv(records):
    with ReplayServer(records) as server:
        yield server


@pytest.fixture
def env(tmp_path, monkeypatch, srv):
    """A clean environment pointing at the replay server, with a small batch size in miner.toml."""
    config = tmp_path / "miner.toml"
    config.write_text("[ncbi]\nbatch_size = 40\n", encoding="utf-8")
    for name in ("NCBI_EMAIL", "NCBI_API_KEY", "MINER_DB", "MINER_EUTILS_URL", "MINER_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MINER_CONFIG", str(config))
    monkeypatch.setenv("MINER_EUTILS_URL", srv.url)
    monkeypatch.setenv("NCBI_EMAIL", "tester@example.org")
    return {"db": tmp_path / "c.sqlite", "config": config}


def run_cli(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    """Run the real console entry point in-process; returns (exit code, stdout + stderr)."""
    monkeypatch.setattr(sys, "argv", ["miner", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out = capsys.readouterr()
    return code, out.out + out.err


def test_missing_email_is_refused_before_any_request(env, srv, monkeypatch, capsys):
    monkeypatch.delenv("NCBI_EMAIL")
    code, out = run_cli(monkeypatch, capsys, "--db", str(env["db"]), "corpus", "refresh", "--term", "cancer")
    assert code == 1 and "NCBI_EMAIL" in out and "Traceback" not in out
    assert srv.requests() == []


@pytest.mark.parametrize(
    "args, message",
    [
        (["--query", "no-such-query"], "unknown query 'no-such-query'"),
        (["--term", "a", "--query", "cross-resistance"], "only one of"),
        (["--term", '(unbalanced[tiab]'], "unbalanced parentheses"),
        (["--term", "x", "--since", "yesterday"], "not a date"),
        (["--pmid-file", "missing.txt"], "file not found"),
    ],
)
def test_user_errors_are_one_line_messages(env, srv, monkeypatch, capsys, args, message):
    code, out = run_cli(monkeypatch, capsys, "--db", str(env["db"]), "corpus", "refresh", *args)
    assert code != 0 and message in out and "Traceback" not in out


def test_bad_pmid_file_names_the_line(env, monkeypatch, capsys, tmp_path):
    bad = tmp_path / "ids.txt"
    bad.write_text("12345\n# comment\n12x45\n", encoding="utf-8")
    code, out = run_cli(monkeypatch, capsys, "--db", str(env["db"]), "corpus", "refresh", "--pmid-file", str(bad))
    assert code == 1 and "ids.txt at line 3: not a PMID: '12x45'" in out


def test_api_key_is_used_but_never_printed(env, srv, monkeypatch, capsys, records):
    monkeypatch.setenv("NCBI_API_KEY", KEY)
    srv.add_fault("status", "efetch", status=429, retry_after="0")  # its body echoes the key
    code, out = run_cli(monkeypatch, capsys, "--db", str(env["db"]), "corpus", "refresh", "--term", "cancer")
    assert code == 0, out
    assert "complete" in out and "240 new" in out and "http_429 1" in out
    assert all(r.params.get("api_key") == KEY for r in srv.requests())
    srv.add_fault("status", "esearch", status=400)  # permanent: its body (with the key) goes into the message
    code, out = run_cli(monkeypatch, capsys, "--db", str(env["db"]), "corpus", "refresh", "--term", "other")
    assert code == 1 and "HTTP 400" in out and "api-key" in out
    assert KEY not in out


def test_named_query_then_incremental_via_cli(env, srv, monkeypatch, capsys):
    code, out = run_cli(monkeypatch, capsys, "--db", str(env["db"]), "corpus", "refresh", "--query", "taxanes")
    assert code == 0 and "taxanes: full: complete" in out and "240 new" in out
    srv.log.clear()
    code, out = run_cli(monkeypatch, capsys, "--db", str(env["db"]), "corpus", "refresh", "--query", "taxanes")
    assert code == 0 and "taxanes: incremental since" in out
    assert {r.params["datetype"] for r in srv.requests("esearch")} == {"edat", "mdat"}
    with CorpusStore(env["db"]) as store:
        assert store.get_query_state("taxanes")["last_success"]


def test_doi_and_pmid_files_via_cli(env, srv, monkeypatch, capsys, records, tmp_path):
    pmids = tmp_path / "pmids.txt"
    pmids.write_text("\n".join(r.pmid for r in records[:30]) + "\n77777777\n", encoding="utf-8")
    code, out = run_cli(monkeypatch, capsys, "--db", str(env["db"]), "corpus", "refresh", "--pmid-file", str(pmids))
    assert code == 0 and "30 new" in out and "not found in PubMed (1): 77777777" in out
    dois = tmp_path / "dois.txt"
    with_doi = [r for r in records[30:] if r.doi][:5]
    dois.write_text("\n".join(f"doi:{r.doi}" for r in with_doi) + "\n", encoding="utf-8")
    code, out = run_cli(monkeypatch, capsys, "--db", str(env["db"]), "corpus", "refresh", "--doi-file", str(dois))
    assert code == 0 and f"{len(with_doi)} new" in out
    assert "corpus: 35 documents" in out


def test_killed_process_resumes_without_gaps_or_duplicates(env, srv, monkeypatch, capsys, records):
    """SIGKILL a real `miner corpus refresh` mid-run (production pacing: 3 requests/s), then rerun it."""
    db = env["db"]
    proc = subprocess.Popen(
        [sys.executable, "-c", "from miner.cli.main import main; main()", "--db", str(db), "corpus", "refresh", "--term", "cancer"],
        env=dict(os.environ), cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    stored = 0
    while time.monotonic() < deadline and proc.poll() is None:
        if db.exists():
            try:
                with sqlite3.connect(db) as conn:
                    stored = conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
            except sqlite3.Error:
                stored = 0
        if stored >= 80:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.05)
    proc.wait(10)
    assert proc.returncode == -signal.SIGKILL, "the refresh finished before it could be killed"
    with CorpusStore(db) as store:
        killed_at = store.count()
        assert 80 <= killed_at < 240 and killed_at % 40 == 0  # whole batches only
    srv.log.clear()
    code, out = run_cli(monkeypatch, capsys, "--db", str(db), "corpus", "refresh", "--term", "cancer")
    assert code == 0 and "(resumed): complete" in out
    resumed_from = sorted(int(r.params["retstart"]) for r in srv.requests("efetch"))
    # documents and cursor commit together, so the rerun starts exactly after the last stored batch
    assert resumed_from == list(range(killed_at, 240, 40))
    with sqlite3.connect(db) as conn:
        ids = [row[0] for row in conn.execute("SELECT doc_id FROM documents")]
    assert len(ids) == len(set(ids)) == 240
    assert set(ids) == {f"pmid:{r.pmid}" for r in records}
