"""Extraction over the corpus store: stream documents, save findings in batches, resume after an interruption.

Used by ``miner extract`` and the main job.  Documents are read from the store as the
parser consumes them (never all at once: 200,000 abstracts held 1.1 GB), and findings
are saved every :data:`SAVE_EVERY` documents, each batch with the run metadata, which
also records every document of the batch with a hash of its text under the reader key
(rules version, pipeline, prefilter).  A later run skips the documents whose text was
already read under the same key, unless ``force``: so an interrupted run (Ctrl-C,
a kill) continues where it stopped, and a changed document or a new rule set is read
again.  Documents that now yield nothing lose their old findings.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from miner.errors import MinerError
from miner.schema import Finding

#: Findings are saved to the store after every this many documents.
SAVE_EVERY = 200


@dataclass
class ExtractStats:
    documents: int = 0  # read in this run
    findings: int = 0
    seconds: float = 0.0
    skipped: int = 0  # already read under the same reader key
    read: list[Finding] = field(default_factory=list, repr=False)


class ExtractInterrupted(MinerError):
    """Ctrl-C during extraction, after what was read so far was saved; says how to continue."""

    exit_code = 130

    def __init__(self, stats: ExtractStats) -> None:
        super().__init__(
            f"interrupted: {stats.documents:,} document(s) read and saved ({stats.findings:,} finding(s))"
            + (f", {stats.skipped:,} skipped as already read" if stats.skipped else "")
            + "; run the same command again to continue (documents already read are skipped; --force reads them again)"
        )
        self.stats = stats


def run_meta(reader, prefilter: bool, workers: int) -> dict:
    """Run metadata stored with the findings: pipeline and rule versions."""
    import spacy

    meta = reader.nlp.meta or {}
    return {
        "stage": "extract",
        "rules_version": reader.version,
        "pipeline": f"{meta.get('name', 'pipeline')}-{meta.get('version', '?')}",
        "pipeline_components": list(reader.nlp.pipe_names),
        "spacy": spacy.__version__,
        "prefilter": prefilter,
        "workers": workers,
        "python": platform.python_version(),
    }


def reader_key(meta: dict) -> str:
    """What must be equal for an earlier reading of a document to count: rules, pipeline and prefilter."""
    return f"{meta.get('rules_version')}|{meta.get('pipeline')}|prefilter={meta.get('prefilter')}"


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def extracted_documents(store) -> dict[str, tuple[str, str]]:
    """doc_id -> (reader key, text hash) of its latest reading, from the runs' metadata (``extracted``)."""
    # A read-only connection of its own: the store has no public reader for run metadata.
    conn = sqlite3.connect(f"{Path(store.path).resolve().as_uri()}?mode=ro", uri=True)
    try:
        done: dict[str, tuple[str, str]] = {}
        for (meta_json,) in conn.execute("SELECT meta FROM runs ORDER BY run_id"):
            meta = json.loads(meta_json)
            if meta.get("stage") != "extract" or not isinstance(meta.get("extracted"), dict):
                continue
            key = reader_key(meta)
            for doc_id, digest in meta["extracted"].items():
                done[doc_id] = (key, digest)
        return done
    finally:
        conn.close()


def _check_known(store, doc_ids: list[str]) -> None:
    missing = [d for d in doc_ids if (info := store.record_info(d)) is None or info["deleted"]]
    if missing:
        raise MinerError(f"not in the store: {', '.join(missing[:5])}" + (" ..." if len(missing) > 5 else ""))


def extract_store(store, doc_ids: Iterable[str] | None = None, limit: int | None = None, workers: int = 1,
                  prefilter: bool = True, batch_size: int = 32, console: Console | None = None,
                  keep: bool = False, force: bool = False) -> ExtractStats:
    """Extract from the store's live documents (or ``doc_ids``) and save the findings.

    Documents already read under the same reader key are skipped unless ``force``; ``limit`` counts the
    documents read.  Ctrl-C saves what was read and raises :class:`ExtractInterrupted`.
    """
    from miner.extract import extract_docs, get_reader

    console = console or Console(stderr=True)
    wanted = list(dict.fromkeys(doc_ids)) if doc_ids else None
    if wanted:
        _check_known(store, wanted)
    reader = get_reader()
    meta = run_meta(reader, prefilter, workers)
    key = reader_key(meta)
    done = {} if force else extracted_documents(store)
    stats = ExtractStats()
    total = len(wanted) if wanted else store.count()
    pending: list[Finding] = []
    pending_ids: dict[str, str] = {}  # read since the last save -> text hash
    hashes: dict[str, str] = {}  # handed to the parser, not yet finished
    start = time.perf_counter()

    def flush() -> None:
        if pending_ids:
            ids = set(pending_ids)
            batch = [f for f in pending if f.doc_id in ids]  # not the findings of a document cut short
            stats.findings += store.add_findings(batch, {**meta, "doc_ids": list(pending_ids),
                                                         "extracted": dict(pending_ids)})
            stats.documents += len(pending_ids)
        pending.clear()
        pending_ids.clear()

    columns = (TextColumn("extract"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[n]} findings"),
               TimeElapsedColumn())
    with Progress(*columns, console=console, disable=not console.is_terminal) as progress:
        task = progress.add_task("extract", total=total, n=0)

        def todo() -> Iterator[Any]:
            """The documents to read, streamed from the store; those already read are counted and passed over."""
            taken = 0
            for doc in store.iter_documents(doc_ids=wanted):
                if limit is not None and taken >= limit:
                    return
                digest = text_hash(doc.text or "")
                if done.get(doc.doc_id) == (key, digest):
                    stats.skipped += 1
                    progress.update(task, advance=1)
                    continue
                taken += 1
                hashes[doc.doc_id] = digest
                yield doc

        seen = 0

        def on_doc(doc_id: str, _n: int) -> None:
            pending_ids[doc_id] = hashes.pop(doc_id, "")
            progress.update(task, advance=1, n=seen)
            if len(pending_ids) >= SAVE_EVERY:
                flush()

        try:
            for f in extract_docs(todo(), n_process=workers, batch_size=batch_size, prefilter=prefilter,
                                  on_doc=on_doc):
                seen += 1
                pending.append(f)
                if keep:
                    stats.read.append(f)
        except KeyboardInterrupt:
            flush()
            stats.seconds = time.perf_counter() - start
            raise ExtractInterrupted(stats) from None
        flush()
    stats.seconds = time.perf_counter() - start
    return stats
