"""What runs on a Dask worker: load the pipeline once per process, build one shard store, extract texts.

Every function here is a plain top-level function taking and returning plain data (dicts, lists, strings), so
Dask can ship it to any worker, local or remote; remote workers need miner installed and the inputs and the work
directory on a file system they share with the driver.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import sqlite3
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from miner.errors import InputFileError
from miner.scale.inputs import read_records
from miner.scale.manifest import Shard

if TYPE_CHECKING:  # pragma: no cover
    from miner.corpus.store import CorpusStore
    from miner.extract.reader import Reader
    from miner.extract.triage import Triage

#: Tables a shard store has besides the corpus store's own.
SCALE_SCHEMA = """
CREATE TABLE IF NOT EXISTS scale_events (
    seq     INTEGER PRIMARY KEY,
    op      TEXT NOT NULL,          -- upsert | delete
    doc_id  TEXT NOT NULL,
    doc     TEXT                    -- the record as read (JSON), for upsert
);
CREATE TABLE IF NOT EXISTS scale_extracted (
    doc_id    TEXT PRIMARY KEY,
    text_sha1 TEXT NOT NULL,        -- the text the findings were read from
    findings  INTEGER NOT NULL,
    triage    TEXT NOT NULL         -- the triage reason (miner.extract.triage.REASONS), or 'off'
);
CREATE TABLE IF NOT EXISTS scale_shard (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
"""
#: Records written to the shard store per transaction.
_BATCH = 500

_STATE: dict[str, Any] = {}


def text_sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


def _pipeline() -> tuple["Reader", "Triage", float]:
    """This process's reader and triage, loaded on first use; returns the CPU seconds the load took (0 after)."""
    if "reader" in _STATE:
        return _STATE["reader"], _STATE["triage"], 0.0
    from miner.extract import get_reader
    from miner.extract.triage import Triage

    c0 = time.process_time()
    reader = get_reader()
    _STATE["reader"], _STATE["triage"] = reader, Triage.for_reader(reader)
    return reader, _STATE["triage"], time.process_time() - c0


def _pipeline_name(reader: "Reader") -> str:
    """The pipeline as run metadata names it (``name-version``)."""
    from miner.extract.store import run_meta

    return run_meta(reader, prefilter=True, workers=1)["pipeline"]


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return f"pid {os.getpid()}"


def _rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_versions() -> dict[str, Any]:
    """Pipeline and rule versions of this worker's reader (loads the pipeline: the first task warms the worker)."""
    from miner.extract.store import run_meta

    reader, _, load = _pipeline()
    meta = run_meta(reader, prefilter=True, workers=1)
    return {"rules": reader.version, "pipeline": meta["pipeline"], "components": meta["pipeline_components"],
            "spacy": meta["spacy"], "load_cpu_seconds": load}


def count_records(path: str, fmt: str, lenient: bool = False) -> dict[str, Any]:
    """How many records an input holds, or the input's own error (a damaged file or record)."""
    from miner.scale.inputs import count_items

    try:
        return {"path": path, "records": count_items(path, fmt, lenient)}
    except InputFileError as exc:
        return {"path": path, "records": None, "error": str(exc)}


# -- one shard ---------------------------------------------------------------------------------


def run_shard(spec: dict[str, Any]) -> dict[str, Any]:
    """Import records ``[start, start + count)`` of one input into a new shard store, extract, seal, rename.

    ``spec``: ``shard`` (a :class:`Shard` dict), ``shards_dir``, ``triage`` (bool), ``batch_size``, ``lenient``
    (bool, as ``corpus import --lenient``).  The store is written under a temporary name and renamed to
    ``<id>.sqlite`` only once complete, so a killed task leaves nothing that looks finished.  A damaged input (or
    record) is reported in the result (``input_error``, with ``corpus import``'s message), not raised: the driver
    rejects that whole file, as ``corpus import`` does.
    """
    shard = Shard.from_dict(spec["shard"])
    shards_dir = Path(spec["shards_dir"])
    if not Path(shard.path).is_file():
        raise FileNotFoundError(f"{shard.path}: input not found on worker {_worker_name()} (inputs and the work "
                                "directory must be on a file system every worker sees)")
    wall0, cpu0 = time.perf_counter(), time.process_time()
    tmp = shards_dir / f"{shard.id}.sqlite.{uuid.uuid4().hex[:8]}.tmp"
    try:
        stats = _build(shard, tmp, bool(spec.get("triage", True)), int(spec.get("batch_size", 32)),
                       bool(spec.get("lenient", False)))
        _seal(tmp)
        os.replace(tmp, shards_dir / shard.filename)
        _fsync_dir(shards_dir)
    except InputFileError as exc:
        _remove(tmp)
        return {"id": shard.id, "status": "failed", "input_error": True, "error": str(exc),
                "worker": _worker_name()}
    except BaseException:
        _remove(tmp)
        raise
    stats.update(
        id=shard.id, status="done", worker=_worker_name(), rss_mb=round(_rss_mb(), 1),
        wall_seconds=round(time.perf_counter() - wall0, 3),
        cpu_seconds=round(time.process_time() - cpu0 - stats["load_cpu_seconds"], 3),
    )
    return stats


def _build(shard: Shard, tmp: Path, triage_on: bool, batch_size: int, lenient: bool = False) -> dict[str, Any]:
    from miner.corpus.document import Deletion
    from miner.corpus.store import CorpusStore

    store = CorpusStore(tmp)
    conn = sqlite3.connect(str(tmp), isolation_level=None, timeout=30)
    try:
        conn.executescript(SCALE_SCHEMA)
        counts = _import_range(store, conn, shard, Deletion, lenient)
        reader, triage, load = _pipeline()
        counts.update(_extract_into(store, conn, shard, reader, triage if triage_on else None, batch_size))
        counts["load_cpu_seconds"] = load
        complete = {"fingerprint": shard.fingerprint, "shard": shard.id, "rules": reader.version,
                    "pipeline": _pipeline_name(reader), "triage": triage_on,
                    "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    **{k: v for k, v in counts.items() if k != "triage"}}
        conn.execute("INSERT OR REPLACE INTO scale_shard VALUES ('complete', ?)", (json.dumps(complete),))
    finally:
        conn.close()
        store.close()
    return counts


def _import_range(store: "CorpusStore", conn: sqlite3.Connection, shard: Shard, deletion_type: type,
                  lenient: bool = False) -> dict[str, Any]:
    """Read the shard's records into the store in file order, logging each as an event for the merge.

    The records are read by ``corpus import``'s own code (:func:`miner.scale.inputs.read_records`), so a damaged
    file or record raises the :class:`InputFileError` that ``corpus import`` reports for it."""
    upserts = deletions = 0
    batch: list[Any] = []
    seq = 0

    def flush() -> None:
        nonlocal seq, upserts, deletions
        events = []
        with store.transaction():
            for item in batch:
                if isinstance(item, deletion_type):
                    store.mark_deleted(item.doc_id)
                    events.append((seq, "delete", item.doc_id, None))
                    deletions += 1
                else:
                    store.upsert(item)
                    events.append((seq, "upsert", item.doc_id, json.dumps(item.to_dict(), ensure_ascii=False)))
                    upserts += 1
                seq += 1
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO scale_events VALUES (?, ?, ?, ?)", events)
        conn.execute("COMMIT")
        batch.clear()

    def take(item: Any) -> None:
        batch.append(item)
        if len(batch) >= _BATCH:
            flush()

    sink, result = read_records(shard.path, shard.format, take, shard.start, shard.count, lenient)
    if batch:
        flush()
    return {"records": sink.taken, "documents": upserts, "deletions": deletions, "dropped": result.dropped}


def _extract_into(store: "CorpusStore", conn: sqlite3.Connection, shard: Shard, reader: "Reader",
                  triage: "Triage | None", batch_size: int) -> dict[str, Any]:
    """Extract the shard's live documents (triaged first) and store findings plus what each was read from."""
    from miner.extract import extract_docs
    from miner.extract.store import run_meta

    docs = list(store.iter_documents())
    reasons: dict[str, str] = {}
    kept = []
    for d in docs:
        reason = triage.decide(d.text).reason if triage is not None else "off"
        reasons[d.doc_id] = reason
        if reason in ("kept", "full_text", "off"):
            kept.append(d)
    findings = list(extract_docs(kept, nlp=reader.nlp, n_process=1, batch_size=batch_size))
    meta = {**run_meta(reader, prefilter=True, workers=1), "stage": "scale", "shard": shard.id,
            "triage": triage is not None, "doc_ids": [d.doc_id for d in docs]}
    stored = store.add_findings(findings, meta)
    per_doc = Counter(f.doc_id for f in findings)
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO scale_extracted VALUES (?, ?, ?, ?)",
        [(d.doc_id, text_sha1(d.text), per_doc.get(d.doc_id, 0), reasons[d.doc_id]) for d in docs],
    )
    conn.execute("COMMIT")
    return {"parsed": len(kept), "skipped": len(docs) - len(kept), "findings": stored,
            "triage": dict(Counter(reasons.values()))}


def _seal(path: Path) -> None:
    """Make the finished store one self-contained file on disk (no WAL beside it) before it is renamed."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(tmp: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{tmp}{suffix}").unlink(missing_ok=True)


# -- texts (re-extraction after a merge, `miner extract --workers`) ----------------------------


def extract_texts(docs: Iterable[tuple[str, str]], triage: bool = False, batch_size: int = 32,
                  prefilter: bool = True) -> dict[str, Any]:
    """Findings (as dicts) of ``(doc_id, text)`` pairs, with this worker's pipeline; plus CPU seconds and memory."""
    from miner.extract import TextDoc, extract_docs

    cpu0 = time.process_time()
    reader, tri, load = _pipeline()
    items = [TextDoc(doc_id, text) for doc_id, text in docs]
    if triage:
        items = [d for d in items if tri.keep(d.text)]
    findings = [f.to_dict() for f in extract_docs(items, nlp=reader.nlp, n_process=1, batch_size=batch_size,
                                                   prefilter=prefilter)]
    return {"findings": findings, "cpu_seconds": time.process_time() - cpu0 - load, "rss_mb": round(_rss_mb(), 1),
            "worker": _worker_name()}
