"""Extraction over the corpus store: read documents, save findings in batches.

Used by ``miner extract`` and the main job.  Findings are saved every
:data:`SAVE_EVERY` documents (each batch with the run metadata), so an interrupted
run keeps what it has read; documents that now yield nothing lose their old findings.
"""

from __future__ import annotations

import itertools
import platform
import time
from dataclasses import dataclass, field
from typing import Iterable

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from miner.errors import MinerError
from miner.schema import Finding

#: Findings are saved to the store after every this many documents.
SAVE_EVERY = 200


@dataclass
class ExtractStats:
    documents: int = 0
    findings: int = 0
    seconds: float = 0.0
    read: list[Finding] = field(default_factory=list, repr=False)


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


def extract_store(store, doc_ids: Iterable[str] | None = None, limit: int | None = None, workers: int = 1,
                  prefilter: bool = True, batch_size: int = 32, console: Console | None = None,
                  keep: bool = False) -> ExtractStats:
    """Extract from the store's live documents (or ``doc_ids``) and save the findings."""
    from miner.extract import extract_docs, get_reader

    console = console or Console(stderr=True)
    wanted = list(doc_ids) if doc_ids else None
    docs = store.iter_documents(doc_ids=wanted)
    if limit is not None:
        docs = itertools.islice(docs, limit)
    docs = list(docs)
    if wanted:
        missing = sorted(set(wanted) - {d.doc_id for d in docs})
        if missing:
            raise MinerError(f"not in the store: {', '.join(missing[:5])}" + (" ..." if len(missing) > 5 else ""))
    reader = get_reader()
    meta = run_meta(reader, prefilter, workers)
    stats = ExtractStats(documents=len(docs))
    pending: list[Finding] = []
    pending_ids: list[str] = []
    start = time.perf_counter()

    def flush() -> None:
        if pending_ids:
            stats.findings += store.add_findings(pending, {**meta, "doc_ids": list(pending_ids)})
            pending.clear()
            pending_ids.clear()

    columns = (TextColumn("extract"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[n]} findings"),
               TimeElapsedColumn())
    with Progress(*columns, console=console, disable=not console.is_terminal) as progress:
        task = progress.add_task("extract", total=len(docs), n=0)
        seen = 0

        def on_doc(doc_id: str, _n: int) -> None:
            pending_ids.append(doc_id)
            progress.update(task, advance=1, n=seen)
            if len(pending_ids) >= SAVE_EVERY:
                flush()

        for f in extract_docs(docs, n_process=workers, batch_size=batch_size, prefilter=prefilter, on_doc=on_doc):
            seen += 1
            pending.append(f)
            if keep:
                stats.read.append(f)
        flush()
    stats.seconds = time.perf_counter() - start
    return stats
