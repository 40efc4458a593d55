"""`miner corpus ...` as a user meets it: text printed as text (never as rich markup), read commands that do not
invent a store, and a second writer that waits for the first instead of dying with a traceback."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import pytest
from typer.testing import CliRunner

from miner.cli.main import app
from miner.config import REPO_ROOT
from miner.corpus import CorpusStore, Document
from miner.errors import MinerError

runner = CliRunner()
MINER_CMD = [sys.executable, "-c", "from miner.cli.main import main; main()"]
#: Text that rich would read as markup: a closing tag with nothing open, a style-like tag, a link.
MARKUP = "[/s] [d-Ala2]enkephalin [bold]x[/bold] [link=file:///etc]y[/link] [/]"


def miner(db: Path, *args: str):
    return runner.invoke(app, ["--db", str(db), *args], catch_exceptions=False)


def test_show_prints_document_text_as_plain_text(tmp_path):
    db = tmp_path / "c.sqlite"
    with CorpusStore(db) as store, store.transaction():
        store.upsert(Document(
            doc_id="pmid:42", pmid="42", title=f"Title {MARKUP}", abstract=f"Abstract {MARKUP}", journal=MARKUP,
            authors=[MARKUP], mesh_headings=[MARKUP], keywords=[MARKUP], doi=MARKUP, source=f"file{MARKUP}.xml",
        ))
    result = miner(db, "corpus", "show", "42")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"Title {MARKUP}" in out and f"Abstract {MARKUP}" in out
    assert out.count(MARKUP) >= 7  # title, abstract, journal, authors, mesh, keywords, doi, source
    stats = runner.invoke(app, ["--db", str(db), "corpus", "stats"], env={"COLUMNS": "300"}, catch_exceptions=False)
    assert stats.exit_code == 0 and f"file{MARKUP}.xml" in stats.stdout


def test_add_text_and_import_messages_print_names_as_text(tmp_path):
    db = tmp_path / "c.sqlite"
    text = tmp_path / "review.txt"
    text.write_text(f"{MARKUP}\nBody.\n", encoding="utf-8")
    added = miner(db, "corpus", "add-text", str(text), "--id", "r1")
    assert added.exit_code == 0 and MARKUP in " ".join(added.stdout.split())
    bad = tmp_path / "bad [d-Ala2] [bold].xml"  # ("/" cannot be in a file name; these would be swallowed)
    bad.write_text("<PubmedArticleSet><PubmedArticle>", encoding="utf-8")
    result = runner.invoke(app, ["--db", str(db), "corpus", "import", "--no-progress", str(bad)])
    assert result.exit_code == 1
    assert "bad [d-Ala2] [bold].xml" in " ".join(result.output.split())
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("command", [["corpus", "stats"], ["corpus", "show", "pmid:1"], ["corpus", "stats", "--json"]])
def test_read_commands_never_create_a_store(tmp_path, command):
    db = tmp_path / "typo" / "corpus.sqlite"
    result = runner.invoke(app, ["--db", str(db), *command])
    assert result.exit_code != 0
    assert isinstance(result.exception, MinerError) and "no corpus store yet" in str(result.exception)
    assert not db.parent.exists()


def test_lenient_import_drops_bad_annotations_and_says_how_many(tmp_path):
    db = tmp_path / "c.sqlite"
    path = tmp_path / "x.pubtator"
    path.write_text("7|t|Cisplatin harms.\n7|a|Body.\n"
                    "7\t0\t9\tCisplatin\tChemical\tD1\n7\t2\t9\tCisplatin\tChemical\tD1\n\n", encoding="utf-8")
    strict = miner(db, "corpus", "import", "--no-progress", str(path))
    assert strict.exit_code == 1 and "--lenient" in " ".join(strict.output.split())
    lenient = miner(db, "corpus", "import", "--no-progress", "--lenient", str(path))
    assert lenient.exit_code == 0, lenient.output
    assert "1 annotation(s) dropped" in " ".join(lenient.output.split())
    doc = json.loads(miner(db, "corpus", "show", "7", "--json").stdout)
    assert [a["text"] for a in doc["annotations"]] == ["Cisplatin"]


class _WriteLockHolder:
    """Another process holding the store's write lock (as a long import does) until :meth:`release`.

    It holds the lock until the test has seen what it waits for, not for a fixed time: on a loaded
    machine a second writer may take seconds just to start, and a timed lock could lapse before it
    ever met it.  The holder also lets go if the test dies (its stdin closes).
    """

    _CODE = (
        "import sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "c.execute('BEGIN IMMEDIATE')\n"
        "c.execute(\"INSERT INTO query_state (name, extra, updated) VALUES ('holder', '{}', 'now')\")\n"
        "print('locked', flush=True)\n"
        "sys.stdin.readline()\n"
        "c.execute('COMMIT')\n"
    )

    def __init__(self, db: Path) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", self._CODE, str(db)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None and self.proc.stdout.readline().strip() == "locked"

    def release(self) -> None:
        """Commit and let go of the lock (idempotent)."""
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            self.proc.stdin.close()
        assert self.proc.wait(30) == 0

    def __enter__(self) -> "_WriteLockHolder":
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class _Lines:
    """A child's output read on a thread, so a test can wait for a line as an event instead of sleeping."""

    def __init__(self, stream: IO[str], needle: str = "") -> None:
        self.lines: list[str] = []
        self._needle = needle
        self._seen = self._ended = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            with self._changed:
                self.lines.append(line)
                self._seen = self._seen or bool(self._needle and self._needle in line)
                self._changed.notify_all()
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def wait_for_needle(self, timeout: float) -> bool:
        """True once a line containing ``needle`` has arrived; False if the stream ended (or time ran out) first."""
        with self._changed:
            self._changed.wait_for(lambda: self._seen or self._ended, timeout)
            return self._seen

    def text(self, timeout: float = 30.0) -> str:
        """Everything read so far (all of it once the child has exited and closed the stream)."""
        self._thread.join(timeout)
        return "".join(self.lines)


def test_second_import_waits_for_the_first_with_a_message(tmp_path):
    db = tmp_path / "c.sqlite"
    CorpusStore(db).close()
    pubtator = tmp_path / "one.pubtator"
    pubtator.write_text("5|t|Title.\n5|a|Body.\n\n", encoding="utf-8")
    with _WriteLockHolder(db) as holder:
        started = time.monotonic()
        importer = subprocess.Popen(
            [*MINER_CMD, "--db", str(db), "corpus", "import", "--no-progress", str(pubtator)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO_ROOT,
        )
        try:
            assert importer.stdout is not None and importer.stderr is not None
            out, err = _Lines(importer.stdout), _Lines(importer.stderr, needle="waiting")
            # It meets the lock (after its first 1 s lock poll) and says so; however slowly it started,
            # the lock is still held, because only this test lets go of it.
            assert err.wait_for_needle(120), f"no waiting message; stderr: {''.join(err.lines)!r}"
            time.sleep(2.0)  # more lock polls go by: it keeps waiting, it does not give up
            assert importer.poll() is None, f"gave up while the lock was held; stderr: {''.join(err.lines)!r}"
            holder.release()
            returncode = importer.wait(120)
        finally:
            if importer.poll() is None:
                importer.kill()
                importer.wait(30)
    stderr = err.text()
    assert returncode == 0, stderr + out.text()
    # it waited for the lock instead of failing (>= 1 s poll before the message + the 2 s above)
    assert time.monotonic() - started >= 2.5
    assert "waiting" in stderr and "Traceback" not in stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT doc_id FROM documents").fetchall() == [("pmid:5",)]
        assert ("holder",) in conn.execute("SELECT name FROM query_state").fetchall()  # the first write kept too


def test_a_lock_held_too_long_is_a_clear_error(tmp_path):
    db = tmp_path / "c.sqlite"
    CorpusStore(db).close()
    messages: list[str] = []
    with _WriteLockHolder(db):  # held until the store has given up, however long that takes
        with CorpusStore(db, busy_timeout=1.0, on_wait=messages.append) as store:
            with pytest.raises(MinerError, match=r"locked by another process.*waited 1 s"):
                with store.transaction():
                    pass
    assert len(messages) == 1 and "waiting" in messages[0]
