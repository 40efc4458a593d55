"""The corpus store: one SQLite file holding documents, refresh state, findings and decisions.

SQLite because the corpus must be embedded (no server), survive crashes (WAL, one
transaction per imported file or fetched batch) and be shared by every stage.  The
schema is versioned: :data:`MIGRATIONS` are applied in order and recorded in
``schema_version``, so an older database is upgraded in place.

One writer at a time: a second process that wants to write while another imports
waits for it (up to :data:`DEFAULT_BUSY_TIMEOUT`, saying that it waits) instead of
failing with "database is locked" after SQLite's own short timeout.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from contextlib import contextmanager
from dataclasses import fields, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from miner.corpus.document import Document
from miner.errors import MinerError
from miner.schema import STATUSES, Finding

#: Ordered schema migrations; index + 1 is the schema version after applying it.
MIGRATIONS: list[str] = [
    # 1: documents, refresh state, findings, runs, curator decisions
    """
    CREATE TABLE documents (
        doc_id            TEXT PRIMARY KEY,
        pmid              TEXT NOT NULL DEFAULT '',
        title             TEXT NOT NULL DEFAULT '',
        abstract          TEXT NOT NULL DEFAULT '',
        journal           TEXT NOT NULL DEFAULT '',
        pub_date          TEXT NOT NULL DEFAULT '',
        pub_year          INTEGER,
        authors           TEXT NOT NULL DEFAULT '[]',
        doi               TEXT NOT NULL DEFAULT '',
        pmcid             TEXT NOT NULL DEFAULT '',
        publication_types TEXT NOT NULL DEFAULT '[]',
        mesh_headings     TEXT NOT NULL DEFAULT '[]',
        chemicals         TEXT NOT NULL DEFAULT '[]',
        keywords          TEXT NOT NULL DEFAULT '[]',
        language          TEXT NOT NULL DEFAULT '',
        vernacular_title  TEXT NOT NULL DEFAULT '',
        annotations       TEXT NOT NULL DEFAULT '[]',
        source            TEXT NOT NULL DEFAULT '',
        version           INTEGER NOT NULL DEFAULT 1,
        date_revised      TEXT NOT NULL DEFAULT '',
        has_abstract      INTEGER NOT NULL DEFAULT 0,
        content_hash      TEXT NOT NULL,
        first_seen        TEXT NOT NULL,
        updated           TEXT NOT NULL,
        deleted           INTEGER NOT NULL DEFAULT 0,
        deleted_at        TEXT
    );
    CREATE INDEX documents_pmid ON documents(pmid);
    CREATE INDEX documents_doi ON documents(doi);
    CREATE TABLE query_state (
        name          TEXT PRIMARY KEY,
        last_success  TEXT,
        cursor        TEXT,
        extra         TEXT NOT NULL DEFAULT '{}',
        updated       TEXT NOT NULL
    );
    CREATE TABLE runs (
        run_id   INTEGER PRIMARY KEY AUTOINCREMENT,
        meta     TEXT NOT NULL,
        created  TEXT NOT NULL
    );
    CREATE TABLE findings (
        id          TEXT PRIMARY KEY,
        doc_id      TEXT NOT NULL,
        run_id      INTEGER REFERENCES runs(run_id),
        confidence  REAL NOT NULL,
        status      TEXT NOT NULL DEFAULT '',
        data        TEXT NOT NULL
    );
    CREATE INDEX findings_doc ON findings(doc_id);
    CREATE INDEX findings_status ON findings(status);
    CREATE TABLE decisions (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        finding_id  TEXT NOT NULL,
        decision    TEXT NOT NULL,
        corrected   TEXT NOT NULL DEFAULT '{}',
        curator     TEXT NOT NULL DEFAULT '',
        note        TEXT NOT NULL DEFAULT '',
        time        TEXT NOT NULL
    );
    CREATE INDEX decisions_finding ON decisions(finding_id);
    """,
    # 2: what each reconciliation label rests on: the gold ids (a JSON list) and a one-line reason
    """
    ALTER TABLE findings ADD COLUMN gold_ids TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE findings ADD COLUMN reason TEXT NOT NULL DEFAULT '';
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)
#: Seconds a writer waits for another process's transaction (a large file imports in one) before giving up.
DEFAULT_BUSY_TIMEOUT = 1800.0
#: SQLite's own wait (ms) while taking the write lock: how soon the "waiting" message appears.
_LOCK_POLL_MS = 1000
#: SQLite's own wait (ms) for any other statement (a reader meeting a checkpoint, say).
_STATEMENT_WAIT_MS = 30_000
DECISIONS = ("accepted", "rejected", "corrected")
_LIST_FIELDS = ("authors", "publication_types", "mesh_headings", "chemicals", "keywords", "annotations")
_DOC_COLUMNS = (
    "doc_id", "pmid", "title", "abstract", "journal", "pub_date", "pub_year", "authors", "doi",
    "pmcid", "publication_types", "mesh_headings", "chemicals", "keywords", "language",
    "vernacular_title", "annotations", "source", "version", "date_revised",
)  # fmt: skip
_VERSION, _REVISED = _DOC_COLUMNS.index("version"), _DOC_COLUMNS.index("date_revised")


def _row_values(doc: Document) -> list[Any]:
    """The document's column values in ``_DOC_COLUMNS`` order (list fields as JSON)."""
    return [
        json.dumps(getattr(doc, c), ensure_ascii=False) if c in _LIST_FIELDS else getattr(doc, c)
        for c in _DOC_COLUMNS
    ]


def _merged(new: Document, stored: Document) -> Document:
    """``new`` with its empty fields filled from the stored record.

    A PubTator or BioC file carries a title, an abstract and annotations but no journal, authors, MeSH or
    DOI; importing it over a PubMed record must not erase what the richer record knew.
    """
    empty = ("", [], None)
    filled = {
        f.name: getattr(stored, f.name)
        for f in fields(Document)
        if getattr(new, f.name) in empty and getattr(stored, f.name) not in empty
    }
    return replace(new, **filled) if filled else new


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _tell_waiting(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    code = (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF  # primary code of extended ones (BUSY_SNAPSHOT...)
    return code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "database is locked" in str(exc)


class CorpusStore:
    """Documents and everything derived from them, in one SQLite file (WAL mode).

    ``busy_timeout``: seconds to wait for another process's write transaction, calling
    ``on_wait`` once with a message (default: printed on stderr) when the wait begins.
    """

    def __init__(self, path: str | Path, busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
                 on_wait: Callable[[str], None] | None = None) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self._on_wait = on_wait or _tell_waiting
        if self.path.exists() and self.path.is_dir():
            raise MinerError(f"{self.path}: is a directory, expected a corpus database file")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise MinerError(f"{self.path}: cannot create its directory: {exc.strerror}") from exc
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a transaction is
            # exactly what transaction() delimits.
            self._conn = sqlite3.connect(str(self.path), isolation_level=None, timeout=_STATEMENT_WAIT_MS / 1000)
            self._while_busy(lambda: self._conn.execute("PRAGMA journal_mode=WAL"))
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._while_busy(self._migrate)
        except sqlite3.DatabaseError as exc:
            raise MinerError(f"{self.path}: not a miner corpus database (SQLite said: {exc})") from exc
        self._depth = 0

    def _while_busy(self, step: Callable[[], Any]) -> Any:
        """Run ``step`` (taking the write lock), retrying while another process holds it (up to ``busy_timeout``).

        SQLite's own busy wait is shortened meanwhile, so the wait is announced after a second
        instead of passing silently or ending in "database is locked".
        """
        deadline = time.monotonic() + self.busy_timeout
        told = False
        while True:
            try:
                self._conn.execute(f"PRAGMA busy_timeout = {_LOCK_POLL_MS}")
                return step()
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise
                if not told:
                    self._on_wait(
                        f"{self.path} is in use by another miner process (an import or refresh?): waiting for it "
                        f"to finish (up to {self.busy_timeout:.0f} s; Ctrl-C to stop)"
                    )
                    told = True
                if time.monotonic() >= deadline:
                    raise MinerError(
                        f"{self.path} is locked by another process (waited {self.busy_timeout:.0f} s); "
                        "run this again when the other import or refresh has finished"
                    ) from None
            finally:
                self._conn.execute(f"PRAGMA busy_timeout = {_STATEMENT_WAIT_MS}")

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> "CorpusStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        conn = self._conn
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied TEXT NOT NULL)")
        current = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] or 0
        if current > SCHEMA_VERSION:
            raise MinerError(
                f"{self.path}: schema version {current} is newer than this miner ({SCHEMA_VERSION}); upgrade miner"
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            # executescript commits implicitly, so wrap each migration in its own BEGIN/COMMIT
            # inside the script: a failed migration leaves the previous version intact.
            script = f"BEGIN;\n{MIGRATIONS[version - 1]}\nINSERT INTO schema_version VALUES ({version}, '{_now()}');\nCOMMIT;"
            try:
                conn.executescript(script)
            except sqlite3.Error:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    @property
    def schema_version(self) -> int:
        return self._conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit: everything inside commits together or, on any exception, not at all.

        Nested calls become savepoints, so an inner failure that is caught does not undo
        the outer work.
        """
        conn = self._conn
        name = f"sp{self._depth}"
        if self._depth == 0:
            self._while_busy(lambda: conn.execute("BEGIN IMMEDIATE"))
        else:
            conn.execute(f"SAVEPOINT {name}")
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                conn.execute("ROLLBACK")
            else:
                conn.execute(f"ROLLBACK TO {name}")
                conn.execute(f"RELEASE {name}")
            raise
        self._depth -= 1
        conn.execute("COMMIT" if self._depth == 0 else f"RELEASE {name}")

    # -- documents -------------------------------------------------------------------------

    def upsert(self, doc: Document) -> str:
        """Insert or update one document; returns "inserted", "updated" or "unchanged".

        A newer version or changed content replaces the stored row in place (first_seen
        is kept); an identical record changes nothing; an older record (lower version, or
        same version with an earlier revision date) never overwrites a newer one.  A
        deleted record stays deleted unless different content arrives.  Fields the new
        record leaves empty keep their stored values (see :func:`_merged`).
        """
        row = self._conn.execute(
            f"SELECT {', '.join(_DOC_COLUMNS)}, content_hash FROM documents WHERE doc_id = ?", (doc.doc_id,)
        ).fetchone()
        now = _now()
        if row is None:
            self._conn.execute(
                f"INSERT INTO documents ({', '.join(_DOC_COLUMNS)}, has_abstract, content_hash, first_seen, updated)"
                f" VALUES ({', '.join('?' * (len(_DOC_COLUMNS) + 4))})",
                (*_row_values(doc), int(doc.has_abstract), doc.content_hash(), now, now),
            )
            return "inserted"
        old_version, old_revised, old_hash = row[_VERSION], row[_REVISED], row[-1]
        if doc.version < old_version or (
            doc.version == old_version and doc.date_revised and old_revised and doc.date_revised < old_revised
        ):
            return "unchanged"
        digest = doc.content_hash()
        if doc.version == old_version and digest == old_hash:
            return "unchanged"  # the same record again: nothing to merge
        doc = _merged(doc, self._row_to_doc(row[:-1]))
        digest = doc.content_hash()
        if doc.version == old_version and digest == old_hash:
            return "unchanged"
        assignments = ", ".join(f"{c} = ?" for c in _DOC_COLUMNS[1:])
        self._conn.execute(
            f"UPDATE documents SET {assignments}, has_abstract = ?, content_hash = ?, updated = ?,"
            " deleted = 0, deleted_at = NULL WHERE doc_id = ?",
            (*_row_values(doc)[1:], int(doc.has_abstract), digest, now, doc.doc_id),
        )
        return "updated"

    def mark_deleted(self, doc_id: str) -> bool:
        """Flag a document deleted (kept for history); False if unknown or already deleted."""
        cur = self._conn.execute(
            "UPDATE documents SET deleted = 1, deleted_at = ? WHERE doc_id = ? AND deleted = 0", (_now(), doc_id)
        )
        return cur.rowcount > 0

    def _row_to_doc(self, row: sqlite3.Row | tuple) -> Document:
        data = dict(zip(_DOC_COLUMNS, row))
        for col in _LIST_FIELDS:
            data[col] = json.loads(data[col])
        return Document(**data)

    def get(self, doc_id: str) -> Document | None:
        """The document (deleted ones included, see :meth:`is_deleted`), or None."""
        row = self._conn.execute(
            f"SELECT {', '.join(_DOC_COLUMNS)} FROM documents WHERE doc_id = ?", (doc_id,)
        ).fetchone()
        return self._row_to_doc(row) if row else None

    def record_info(self, doc_id: str) -> dict[str, Any] | None:
        """Bookkeeping of one row: content hash, first seen / updated times, deleted flag."""
        row = self._conn.execute(
            "SELECT content_hash, first_seen, updated, deleted, deleted_at FROM documents WHERE doc_id = ?",
            (doc_id,),
        ).fetchone()
        if row is None:
            return None
        keys = ("content_hash", "first_seen", "updated", "deleted", "deleted_at")
        info = dict(zip(keys, row))
        info["deleted"] = bool(info["deleted"])
        return info

    def iter_documents(
        self, doc_ids: Iterable[str] | None = None, include_deleted: bool = False
    ) -> Iterator[Document]:
        """Documents in doc_id order (or the given ids, in their order, skipping unknown ones)."""
        cols = ", ".join(_DOC_COLUMNS)
        live = "" if include_deleted else " AND deleted = 0"
        if doc_ids is None:
            # Page by primary key so a long iteration holds no cursor across other writes.
            last = ""
            while True:
                rows = self._conn.execute(
                    f"SELECT {cols} FROM documents WHERE doc_id > ?{live} ORDER BY doc_id LIMIT 500", (last,)
                ).fetchall()
                if not rows:
                    return
                for row in rows:
                    yield self._row_to_doc(row)
                last = rows[-1][0]
        else:
            for doc_id in doc_ids:
                row = self._conn.execute(f"SELECT {cols} FROM documents WHERE doc_id = ?{live}", (doc_id,)).fetchone()
                if row:
                    yield self._row_to_doc(row)

    def count(self) -> int:
        """Live (non-deleted) documents."""
        return self._conn.execute("SELECT COUNT(*) FROM documents WHERE deleted = 0").fetchone()[0]

    def stats(self) -> dict[str, Any]:
        """Counts for `miner corpus stats`: live/deleted, with/without abstract, by source, refreshes."""
        c = self._conn
        live, deleted, with_abs = c.execute(
            "SELECT COALESCE(SUM(deleted = 0), 0), COALESCE(SUM(deleted = 1), 0),"
            " COALESCE(SUM(deleted = 0 AND has_abstract = 1), 0) FROM documents"
        ).fetchone()
        by_source = dict(
            c.execute("SELECT source, COUNT(*) FROM documents WHERE deleted = 0 GROUP BY source ORDER BY source")
        )
        queries = {name: last for name, last in c.execute("SELECT name, last_success FROM query_state ORDER BY name")}
        findings = c.execute("SELECT COUNT(*) FROM findings").fetchone()[0]
        return {
            "documents": live,
            "deleted": deleted,
            "with_abstract": with_abs,
            "without_abstract": live - with_abs,
            "by_source": by_source,
            "queries": queries,
            "findings": findings,
            "schema_version": self.schema_version,
        }

    # -- refresh bookkeeping -----------------------------------------------------------------

    def get_query_state(self, name: str) -> dict[str, Any] | None:
        """The saved state of a named query: {"last_success", "cursor", ...extra keys}, or None."""
        row = self._conn.execute(
            "SELECT last_success, cursor, extra, updated FROM query_state WHERE name = ?", (name,)
        ).fetchone()
        if row is None:
            return None
        last_success, cursor, extra, updated = row
        state = json.loads(extra)
        state.update(
            last_success=last_success,
            cursor=json.loads(cursor) if cursor is not None else None,
            updated=updated,
        )
        return state

    def set_query_state(self, name: str, state: dict[str, Any]) -> None:
        """Replace the state of a named query.

        ``last_success`` (date of the last complete refresh) and ``cursor`` (JSON-able
        progress of an unfinished one, None when finished) have their own columns; any
        other keys are kept as JSON.
        """
        extra = {k: v for k, v in state.items() if k not in ("last_success", "cursor", "updated")}
        cursor = state.get("cursor")
        self._conn.execute(
            "INSERT INTO query_state (name, last_success, cursor, extra, updated) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(name) DO UPDATE SET last_success = excluded.last_success, cursor = excluded.cursor,"
            " extra = excluded.extra, updated = excluded.updated",
            (
                name,
                state.get("last_success"),
                json.dumps(cursor) if cursor is not None else None,
                json.dumps(extra, ensure_ascii=False),
                _now(),
            ),
        )

    # -- findings --------------------------------------------------------------------------

    def add_findings(self, findings: Iterable[Finding], run: dict[str, Any]) -> int:
        """Store one extraction run's findings; returns how many were stored.

        Earlier findings of the same doc_ids are replaced (re-extraction supersedes), as
        are those of any doc_ids listed in ``run["doc_ids"]`` (documents that now yield
        nothing).  Curator decisions are kept: finding ids are content hashes, so a
        decision re-attaches to the same statement when it is extracted again.
        """
        findings = list(findings)
        meta = dict(run)
        meta.setdefault("time", _now())
        doc_ids = set(meta.pop("doc_ids", []) or []) | {f.doc_id for f in findings}
        with self.transaction():
            cur = self._conn.execute(
                "INSERT INTO runs (meta, created) VALUES (?, ?)", (json.dumps(meta, ensure_ascii=False), _now())
            )
            run_id = cur.lastrowid
            self._conn.executemany("DELETE FROM findings WHERE doc_id = ?", [(d,) for d in sorted(doc_ids)])
            self._conn.executemany(
                "INSERT OR REPLACE INTO findings (id, doc_id, run_id, confidence, status, gold_ids, reason, data)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (f.id, f.doc_id, run_id, f.confidence, f.status, json.dumps(list(f.gold_ids)), f.reason,
                     json.dumps(f.to_dict(), ensure_ascii=False))
                    for f in findings
                ],
            )
        return len({f.id for f in findings})

    def iter_findings(
        self, status: str | None = None, min_confidence: float = 0.0, doc_ids: Iterable[str] | None = None
    ) -> Iterator[Finding]:
        """Stored findings (ordered by doc_id, id), optionally filtered; with their label, its gold ids and reason."""
        sql = "SELECT status, gold_ids, reason, data FROM findings WHERE confidence >= ?"
        params: list[Any] = [min_confidence]
        if status is not None:
            sql += " AND status = ?"
            params.append(status)
        if doc_ids is not None:
            ids = list(doc_ids)
            sql += f" AND doc_id IN ({', '.join('?' * len(ids))})"
            params.extend(ids)
        for row_status, gold_ids, reason, data in self._conn.execute(sql + " ORDER BY doc_id, id", params).fetchall():
            finding = Finding.from_dict(json.loads(data))
            finding.status = row_status  # the columns, not the JSON, hold the latest label
            finding.gold_ids = json.loads(gold_ids or "[]")
            finding.reason = reason or ""
            yield finding

    def findings_with_texts(
        self, status: str | None = None, min_confidence: float = 0.0
    ) -> tuple[list[Finding], dict[str, str]]:
        """Stored findings and the text of each of their documents (what exports and reports read)."""
        findings = list(self.iter_findings(status=status, min_confidence=min_confidence))
        texts = {d.doc_id: d.text for d in self.iter_documents(doc_ids=sorted({f.doc_id for f in findings}))}
        return findings, texts

    def set_status(self, labels: dict[str, str], gold_ids: dict[str, list[str]] | None = None,
                   reasons: dict[str, str] | None = None) -> None:
        """Set reconciliation labels (finding id -> confirmed/novel/conflicting, "" for none), each with the gold ids
        it rests on and its reason; a finding given no gold ids or reason gets none (what an earlier label rested on
        never stays behind)."""
        bad = sorted({s for s in labels.values() if s not in STATUSES})
        if bad:
            raise MinerError(f"unknown finding status(es): {', '.join(bad)}; expected one of {', '.join(STATUSES[1:])}")
        gold_ids, reasons = gold_ids or {}, reasons or {}
        with self.transaction():
            self._conn.executemany(
                "UPDATE findings SET status = ?, gold_ids = ?, reason = ? WHERE id = ?",
                [(s, json.dumps(list(gold_ids.get(i, []))), reasons.get(i, ""), i) for i, s in labels.items()],
            )

    def add_decisions(self, decisions: list[dict[str, Any]]) -> None:
        """Record curator decisions atomically; unknown finding ids or decisions reject the whole batch."""
        bad_decisions = sorted({str(d.get("decision")) for d in decisions if d.get("decision") not in DECISIONS})
        if bad_decisions:
            raise MinerError(
                f"unknown decision(s): {', '.join(bad_decisions)}; expected one of {', '.join(DECISIONS)}"
            )
        ids = [str(d.get("finding_id", "")) for d in decisions]
        known = set()
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            known.update(
                r[0]
                for r in self._conn.execute(f"SELECT id FROM findings WHERE id IN ({', '.join('?' * len(chunk))})", chunk)
            )
        unknown = sorted(set(ids) - known)
        if unknown:
            shown = ", ".join(unknown[:20]) + (f" (and {len(unknown) - 20} more)" if len(unknown) > 20 else "")
            raise MinerError(f"decisions refer to unknown finding id(s): {shown}")
        with self.transaction():
            self._conn.executemany(
                "INSERT INTO decisions (finding_id, decision, corrected, curator, note, time) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        d["finding_id"],
                        d["decision"],
                        json.dumps(d.get("corrected") or {}, ensure_ascii=False),
                        d.get("curator", "") or "",
                        d.get("note", "") or "",
                        d.get("time") or _now(),
                    )
                    for d in decisions
                ],
            )

    def iter_decisions(self) -> Iterator[dict[str, Any]]:
        """Curator decisions in the order they were recorded."""
        rows = self._conn.execute(
            "SELECT finding_id, decision, corrected, curator, note, time FROM decisions ORDER BY seq"
        ).fetchall()
        for finding_id, decision, corrected, curator, note, time in rows:
            yield {
                "finding_id": finding_id,
                "decision": decision,
                "corrected": json.loads(corrected),
                "curator": curator,
                "note": note,
                "time": time,
            }
