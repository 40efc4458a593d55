"""``miner scale``: plan shards, run them on Dask, merge them into the main store in input order.

The driver (this module) never parses or extracts itself: Dask workers do (:mod:`miner.scale.worker`), each
loading the pipeline once.  The driver plans, records, and merges finished inputs into the main store while later
shards still run.  Everything it needs to resume is on disk: finished shard files, the manifest, and the merge
bookkeeping inside the main store.
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from miner.errors import MinerError
from miner.scale.cluster import CONNECT_TIMEOUT, connect
from miner.scale.inputs import InputInfo, list_inputs
from miner.scale.manifest import Manifest, Shard, WorkDir, fingerprint, shard_file_ok
from miner.scale.merge import MergeStats, Merger
from miner.scale.worker import count_records, extract_texts, run_shard, worker_versions


@dataclass
class ScaleOptions:
    """What ``miner scale`` was asked to do."""

    paths: list[Path]
    work_dir: Path
    db: Path
    workers: int | None = None
    scheduler: str | None = None
    #: cut inputs into shards of this many records (None: one shard per input file)
    shard_records: int | None = None
    triage: bool = True
    batch_size: int = 32
    merge: bool = True
    #: as ``corpus import --lenient``: drop (and count) annotations that do not fit their text instead of
    #: rejecting their file; anything else damaged still rejects the whole file
    lenient: bool = False
    connect_timeout: float = CONNECT_TIMEOUT


@dataclass
class ScaleReport:
    """What a run did."""

    shards: int = 0
    ran: int = 0
    reused: int = 0
    failed: list[Shard] = field(default_factory=list)
    rejected_files: list[str] = field(default_factory=list)
    #: why each rejected file was rejected (``corpus import``'s message: the file, where, what)
    rejected_reasons: dict[str, str] = field(default_factory=dict)
    #: annotations dropped with ``lenient`` (inputs whose shards ran now)
    dropped: int = 0
    skipped_inputs: list[str] = field(default_factory=list)
    merge: MergeStats | None = None
    documents: int = 0
    findings: int = 0
    wall_seconds: float = 0.0
    #: from the first shard submitted to the last one finished (what throughput is measured on)
    run_seconds: float = 0.0
    #: summed over the shards run now (pipeline loading excluded)
    cpu_seconds: float = 0.0
    max_rss_mb: float = 0.0
    workers: int = 0
    manifest: str = ""

    @property
    def ok(self) -> bool:
        return not self.failed


_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _shard_base(info: InputInfo) -> str:
    name = _SAFE.sub("_", Path(info.path).name).strip("._")[:48] or "input"
    return f"{name}-{hashlib.sha1(info.path.encode()).hexdigest()[:6]}"


def build_plan(inputs: list[InputInfo], counts: dict[str, int | None], shard_records: int | None,
               versions: dict[str, Any], settings: dict[str, Any]) -> list[Shard]:
    """Shards in input order: one per input, or ``shard_records`` records of it each (counts by input SHA-1)."""
    plan: list[Shard] = []
    for info in inputs:
        base = _shard_base(info)
        n = counts.get(info.sha1) if shard_records else None
        ranges: list[tuple[int, int | None]] = [(0, None)]
        if shard_records and n:
            ranges = [(k, min(shard_records, n - k)) for k in range(0, n, shard_records)]
        for start, count in ranges:
            shard = Shard(id=f"{base}-{start:09d}", path=info.path, input_sha1=info.sha1, format=info.format,
                          start=start, count=count)
            shard.fingerprint = fingerprint(shard, versions, settings)
            plan.append(shard)
    return plan


_RESULT_FIELDS = ("records", "documents", "deletions", "parsed", "skipped", "findings", "dropped", "wall_seconds",
                  "cpu_seconds", "rss_mb", "worker", "triage")


def _apply_result(shard: Shard, result: dict[str, Any]) -> None:
    shard.status = result.get("status", "failed")
    shard.error = result.get("error", "")
    shard.input_error = bool(result.get("input_error", False))
    for name in _RESULT_FIELDS:
        if name in result:
            setattr(shard, name, result[name])
    shard.finished = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def run_scale(options: ScaleOptions, console: Console | None = None,
              on_event: Callable[[str, Shard], None] | None = None) -> ScaleReport:
    """Run (or resume) a scale run; see :mod:`miner.scale`.  ``on_event(kind, shard)`` is for tests."""
    from miner.corpus.store import CorpusStore

    console = console or Console(stderr=True)
    started = time.perf_counter()
    work = WorkDir(options.work_dir)
    work.prepare()
    work.lock()
    report = ScaleReport(manifest=str(work.manifest_path))
    try:
        manifest = work.load()
        inputs, report.skipped_inputs = list_inputs(options.paths, manifest.inputs)
        if not inputs:
            raise MinerError("no importable files in " + ", ".join(str(p) for p in options.paths))
        manifest.inputs.update({i.path: {"size": i.size, "mtime_ns": i.mtime_ns, "sha1": i.sha1, "format": i.format}
                                for i in inputs})
        work.clean_partial()
        store = CorpusStore(options.db) if options.merge else None
        try:
            with connect(options.workers, options.scheduler, options.connect_timeout) as client:
                report.workers = len(client.scheduler_info().get("workers", {}))
                _run(client, options, work, manifest, inputs, store, report, console, on_event)
        finally:
            if store is not None:
                store.close()
            work.save(manifest)
    finally:
        work.unlock()
    report.wall_seconds = time.perf_counter() - started
    return report


def _run(client, options: ScaleOptions, work: WorkDir, manifest: Manifest, inputs: list[InputInfo], store,
         report: ScaleReport, console: Console, on_event) -> None:
    from distributed import as_completed

    versions_full = client.submit(worker_versions, pure=False).result()
    versions = {"rules": versions_full["rules"], "pipeline": versions_full["pipeline"]}
    settings: dict[str, Any] = {"triage": options.triage, "shard_records": options.shard_records}
    if options.lenient:  # only when set, so work directories of strict runs keep their fingerprints
        settings["lenient"] = True
    manifest.versions, manifest.settings = versions_full, settings

    counts: dict[str, int | None] = dict(manifest.counts)
    count_errors: dict[str, str] = {i.path: i.error for i in inputs if i.error}  # rejected whole, as import does
    if options.shard_records:
        need = [i for i in inputs if i.sha1 not in counts and not i.error]
        for res in client.gather([client.submit(count_records, i.path, i.format, options.lenient, pure=False)
                                  for i in need]):
            if res.get("error"):
                count_errors[res["path"]] = res["error"]
            else:
                sha = next(i.sha1 for i in need if i.path == res["path"])
                counts[sha] = manifest.counts[sha] = int(res["records"])

    plan = build_plan(inputs, counts, options.shard_records, versions, settings)
    old = {s.id: s for s in manifest.shards}
    files: dict[str, Path] = {}
    to_run: list[Shard] = []
    for s in plan:
        files[s.id] = path = work.shard_file(s)
        if s.path in count_errors:
            s.status, s.input_error, s.error = "failed", True, count_errors[s.path]
            continue
        if shard_file_ok(path, s.fingerprint):
            prev = old.get(s.id)
            if prev is not None and prev.fingerprint == s.fingerprint and prev.status == "done":
                for name in _RESULT_FIELDS + ("finished",):
                    setattr(s, name, getattr(prev, name))
            s.status = "done"
            report.reused += 1
        else:
            path.unlink(missing_ok=True)  # half-written, stale or for other versions: redo
            s.status = "pending"
            to_run.append(s)
    manifest.shards = plan
    report.shards = len(plan)
    work.save(manifest)

    merger = Merger(store, work.path, plan, files) if store is not None else None
    columns = (TextColumn("[bold]scale[/]"), BarColumn(), MofNCompleteColumn(), TextColumn("shards"),
               TextColumn("{task.fields[docs]:,} docs, {task.fields[found]:,} findings, merged {task.fields[merged]}"),
               TimeElapsedColumn(), TimeRemainingColumn())
    spec_base = {"shards_dir": str(work.shards), "triage": options.triage, "batch_size": options.batch_size,
                 "lenient": options.lenient}
    with Progress(*columns, console=console, disable=not console.is_terminal, transient=False) as progress:
        task = progress.add_task("scale", total=len(plan), completed=len(plan) - len(to_run), docs=0, found=0,
                                 merged=0)

        def merge_ready() -> None:
            if merger is not None:
                merger.advance()
                progress.update(task, merged=merger.next)

        futures = {}
        run_start = time.perf_counter()
        for i, s in enumerate(to_run):
            fut = client.submit(run_shard, {**spec_base, "shard": _shard_dict(s)}, pure=False, priority=-i,
                                key=f"miner-shard-{s.id}-{uuid.uuid4().hex[:6]}")
            futures[fut] = s
            s.status = "running"
        work.save(manifest)
        merge_ready()
        for fut in as_completed(list(futures), loop=client.loop):
            s = futures[fut]
            try:
                _apply_result(s, fut.result())
            except Exception as exc:  # a bug, a worker lost too often, an input the workers cannot see
                s.status, s.error = "failed", f"{exc.__class__.__name__}: {exc}"
            if s.status == "done":
                report.ran += 1
                report.documents += s.documents
                report.findings += s.findings
                report.cpu_seconds += s.cpu_seconds
                report.max_rss_mb = max(report.max_rss_mb, s.rss_mb)
            if on_event is not None:
                on_event(s.status, s)
            work.save(manifest, force=False)
            progress.update(task, advance=1, docs=report.documents, found=report.findings)
            merge_ready()
        report.run_seconds = time.perf_counter() - run_start if futures else 0.0
        if merger is not None:
            merge_ready()
            _reextract(client, merger, options, versions_full)
            report.merge = merger.stats
            report.rejected_files = list(merger.stats.rejected_files)
    report.failed = [s for s in plan if s.status == "failed" and not s.input_error]
    report.rejected_files = sorted(set(report.rejected_files) | {s.path for s in plan if s.input_error})
    for s in plan:
        if s.input_error and s.error:
            report.rejected_reasons.setdefault(s.path, s.error)
    ran_now = {s.path for s in to_run}
    dropped: dict[str, int] = {}
    for s in plan:
        if s.path in ran_now and s.status == "done":
            dropped[s.path] = max(dropped.get(s.path, 0), s.dropped)
    report.dropped = sum(dropped.values())
    manifest.merges.append({"db": str(options.db), "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                            "merged": merger.next if merger else 0, "of": len(plan)})
    manifest.merges = manifest.merges[-20:]


def _shard_dict(s: Shard) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(s)


def _reextract(client, merger: Merger, options: ScaleOptions, versions: dict[str, Any]) -> None:
    """Re-read documents whose merged text no shard read (records merged field by field), on a worker."""
    if not merger.done or not merger.pending:
        return
    from miner.scale.merge import _extract_hash
    from miner.schema import Finding

    docs = merger.pending_documents()
    ids = sorted(merger.pending)
    result = client.submit(extract_texts, docs, options.triage, options.batch_size, pure=False).result()
    findings = [Finding.from_dict(d) for d in result["findings"]]
    meta = {"stage": "extract", "via": "scale-reextract", "rules_version": versions["rules"],
            "pipeline": versions["pipeline"], "prefilter": True, "triage": options.triage,
            "extracted": {doc_id: _extract_hash(text) for doc_id, text in docs}}
    merger.store_reextracted(findings, ids, meta)
