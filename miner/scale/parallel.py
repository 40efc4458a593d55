"""``miner extract --workers N`` (N > 1) over the corpus store, on the same Dask workers as ``miner scale``.

A drop-in for :func:`miner.extract.store.extract_store` (same arguments, same :class:`ExtractStats`, same run
metadata, so the resumable "already read" bookkeeping is shared): documents are streamed from the store in
chunks of :data:`miner.extract.store.SAVE_EVERY`, each chunk is one Dask task on a worker that loaded the pipeline
once, and each finished chunk is saved as one batch.  No triage here: the findings equal those of one process.
"""

from __future__ import annotations

import time
from typing import Any, Iterable, Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from miner.scale.cluster import connect
from miner.scale.worker import extract_texts, worker_versions


def extract_store_parallel(store, doc_ids: Iterable[str] | None = None, limit: int | None = None, workers: int = 2,
                           prefilter: bool = True, batch_size: int = 32, console: Console | None = None,
                           keep: bool = False, force: bool = False, scheduler: str | None = None):
    """Extract from the store's live documents (or ``doc_ids``) on ``workers`` Dask processes; save the findings."""
    from distributed import as_completed

    from miner.errors import MinerError
    from miner.extract import store as xstore
    from miner.schema import Finding

    console = console or Console(stderr=True)
    wanted = list(dict.fromkeys(doc_ids)) if doc_ids else None
    if wanted:
        missing = [d for d in wanted if (info := store.record_info(d)) is None or info["deleted"]]
        if missing:
            raise MinerError(f"not in the store: {', '.join(missing[:5])}" + (" ..." if len(missing) > 5 else ""))
    stats = xstore.ExtractStats()
    start = time.perf_counter()
    every = getattr(xstore, "SAVE_EVERY", 200)
    with connect(workers, scheduler) as client:
        versions = client.submit(worker_versions, pure=False).result()
        meta: dict[str, Any] = {"stage": "extract", "rules_version": versions["rules"], "pipeline": versions["pipeline"],
                                "pipeline_components": versions["components"], "spacy": versions["spacy"],
                                "prefilter": prefilter, "workers": workers, "via": "dask"}
        key = xstore.reader_key(meta) if hasattr(xstore, "reader_key") else None
        done = {} if force or key is None else xstore.extracted_documents(store)
        text_hash = getattr(xstore, "text_hash", None)

        def chunks() -> Iterator[list[tuple[str, str, str]]]:
            chunk: list[tuple[str, str, str]] = []
            taken = 0
            for doc in store.iter_documents(doc_ids=wanted):
                if limit is not None and taken >= limit:
                    break
                digest = text_hash(doc.text or "") if text_hash else ""
                if key is not None and done.get(doc.doc_id) == (key, digest):
                    stats.skipped += 1
                    continue
                taken += 1
                chunk.append((doc.doc_id, doc.text or "", digest))
                if len(chunk) >= every:
                    yield chunk
                    chunk = []
            if chunk:
                yield chunk

        columns = (TextColumn("extract"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[n]} findings"),
                   TimeElapsedColumn())
        total = len(wanted) if wanted else store.count()
        with Progress(*columns, console=console, disable=not console.is_terminal) as progress:
            task = progress.add_task("extract", total=total, n=0)
            source = chunks()
            in_flight: dict[Any, list[tuple[str, str, str]]] = {}
            queue = as_completed(loop=client.loop)

            def submit(n: int) -> None:
                for _ in range(n):
                    chunk = next(source, None)
                    if chunk is None:
                        return
                    fut = client.submit(extract_texts, [(d, t) for d, t, _ in chunk], False, batch_size, prefilter,
                                        pure=False)
                    in_flight[fut] = chunk
                    queue.add(fut)

            submit(2 * workers)  # enough to keep every worker busy; the store is read as results come back
            for fut in queue:
                chunk = in_flight.pop(fut)
                result = fut.result()
                findings = [Finding.from_dict(d) for d in result["findings"]]
                ids = [d for d, _, _ in chunk]
                extra = {"extracted": {d: h for d, _, h in chunk}} if text_hash else {}
                stats.findings += store.add_findings(findings, {**meta, "doc_ids": ids, **extra})
                stats.documents += len(ids)
                if keep:
                    stats.read.extend(findings)
                progress.update(task, advance=len(ids), n=stats.findings)
                submit(1)
    stats.seconds = time.perf_counter() - start
    return stats
