"""The main job (`miner run`): corpus -> reviews -> extract -> evaluate -> reconcile -> export -> report.

Each stage is a small function over a shared :class:`RunState`; the stage list is data
(:data:`STAGES`), so the job reads top to bottom and a stage can be skipped or
replaced without touching the others.  A stage that fails with a user error is
recorded and, when later stages do not depend on it, the job goes on; what earlier
stages stored (documents, findings) is committed and stays.
"""

from __future__ import annotations

import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from rich.console import Console

from miner.config import GOLD_DIR, REVIEWS_DIR, Settings
from miner.errors import MinerError
from miner.schema import Finding

REVIEWS = {"review_000": "000_21accde04c05f8fa.txt", "review_001": "001_b7be499466b4752f.txt"}
EXPORT_FORMATS = {"csv": "findings.csv", "label-studio": "label-studio.json", "brat": "brat", "bioc": "findings.bioc.xml"}


@dataclass
class RunOptions:
    """What `miner run` was asked to do (CLI flags, with defaults that suit this machine)."""

    out_dir: Path = Path("runs/latest")
    from_paths: list[Path] = field(default_factory=list)
    reviews_dir: Path = REVIEWS_DIR
    gold_dir: Path = GOLD_DIR
    refresh: bool | None = None  # None: refresh when NCBI is configured and reachable
    refresh_max: int = 2000
    workers: int = 1
    limit: int | None = None


@dataclass
class StageOutcome:
    stage: str
    status: str  # ok | skipped | failed
    detail: str
    seconds: float = 0.0


@dataclass
class RunState:
    settings: Settings
    options: RunOptions
    console: Console
    store: object = None  # CorpusStore, opened by the corpus stage
    review_findings: list[Finding] = field(default_factory=list)
    tables: dict = field(default_factory=dict)


def ncbi_reachable(settings: Settings, timeout: float = 5.0) -> bool:
    """One cheap einfo request: is the configured E-utilities endpoint answering?"""
    query = urllib.parse.urlencode({"db": "pubmed", "tool": "miner", "email": settings.email or ""})
    url = settings.eutils_url.rstrip("/") + "/einfo.fcgi?" + query
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 (configured https URL)
            return resp.status == 200
    except OSError:
        return False


def stage_corpus(state: RunState) -> str:
    from miner.corpus import import_paths
    from miner.corpus.store import CorpusStore

    opts, cfg = state.options, state.settings
    Path(cfg.db).parent.mkdir(parents=True, exist_ok=True)
    state.store = store = CorpusStore(cfg.db)
    want_refresh = opts.refresh if opts.refresh is not None else bool(cfg.email) and not opts.from_paths
    if want_refresh:
        cfg.require_email()
        if not ncbi_reachable(cfg):
            if opts.refresh:
                raise MinerError(f"NCBI E-utilities at {cfg.eutils_url} is not reachable")
            state.console.print(f"[yellow]NCBI is not reachable at {cfg.eutils_url}: importing local files instead[/]")
        else:
            from miner.corpus.entrez import EntrezClient
            from miner.corpus.refresh import Refresher, load_queries

            refresher = Refresher(EntrezClient.from_settings(cfg), store, batch_size=cfg.batch_size,
                                  max_records=opts.refresh_max)
            lines = []
            for query in load_queries(cfg.queries_file).values():
                summary = refresher.refresh_term(query.name, query.term)
                lines.append(f"{query.name}: {summary.lines()[0] if summary.lines() else 'done'}")
                if not summary.complete:
                    break
            return f"refreshed from PubMed ({store.count()} documents); " + "; ".join(lines)
    paths = opts.from_paths or [Path(p) for p in cfg.import_paths]
    if not paths:
        raise MinerError("nothing to import: pass --from PATH, set [corpus] import_paths in miner.toml, "
                         "or configure NCBI (NCBI_EMAIL) to refresh from PubMed")
    missing = [str(p) for p in paths if not Path(p).exists()]
    if missing:
        raise MinerError("import path(s) not found: " + ", ".join(missing))
    report = import_paths(store, paths, progress=state.console.is_terminal)
    failed = report.failed
    detail = (f"{store.count()} documents ({report.total('inserted')} new, {report.total('updated')} updated, "
              f"{report.total('unchanged')} unchanged) from {len(report.files)} file(s)")
    if failed:
        detail += f"; {len(failed)} file(s) rejected: " + "; ".join(f.error for f in failed[:3])
    return detail


def stage_reviews(state: RunState) -> str:
    from miner.corpus import read_text_document

    found = []
    with state.store.transaction():
        for name, filename in REVIEWS.items():
            path = state.options.reviews_dir / filename
            if path.is_file():
                state.store.upsert(read_text_document(path, name))
                found.append(name)
    if not found:
        raise _Skip(f"no review texts in {state.options.reviews_dir}")
    return "added " + ", ".join(f"text:{n}" for n in found)


def stage_extract(state: RunState) -> str:
    from miner.extract.store import extract_store

    if state.options.workers and state.options.workers > 1:  # the same Dask path as `miner extract --workers`
        from miner.scale.parallel import extract_store_parallel

        stats = extract_store_parallel(state.store, limit=state.options.limit, workers=state.options.workers,
                                       console=state.console)
    else:
        stats = extract_store(state.store, limit=state.options.limit, console=state.console)
    review_ids = [f"text:{n}" for n in REVIEWS]
    state.review_findings = list(state.store.iter_findings(doc_ids=review_ids))
    done = f"{stats.findings} findings from {stats.documents} documents read now ({stats.seconds:.0f} s)"
    if stats.skipped:
        done += f"; {stats.skipped} documents already read with these rules kept their findings"
    if state.options.limit:
        done += "; the later stages show the whole store, not only the documents read now"
    return done


def evaluation_tables(gold: Path, review_findings: list[Finding]):
    """Evaluate findings on the review texts against the gold set: (result, report tables, summary)."""
    from miner.evaluate import evaluate

    result = evaluate(gold, review_findings)
    scores = result.scores
    misses = result.misses
    tables = {
        "Evaluation on the reviews (all effects)": scores[scores.effect == "all"],
        "Missed gold findings (pair+effect level, first 100)":
            (misses[misses.level == "pair+effect"] if "level" in misses else misses).head(100),
    }
    parts = []
    for review in sorted(set(scores.review) - {"all"}):
        try:
            row = result.score("pair+effect", "all", review)
        except KeyError:
            continue
        parts.append(f"{review}: pair+effect P {row['precision']:.2f} R {row['recall']:.2f}")
    return result, tables, "; ".join(parts) or "evaluated"


def stage_evaluate(state: RunState) -> str:
    from miner.evaluate import write_report

    gold = state.options.gold_dir
    if not gold.exists():
        raise _Skip(f"no gold set at {gold}")
    if not state.review_findings:
        raise _Skip("no findings on the review texts to evaluate")
    result, tables, summary = evaluation_tables(gold, state.review_findings)
    write_report(state.options.out_dir / "evaluation.md", "miner evaluation on the reviews", result.tables(),
                 {"gold": str(gold), "predictions": f"{len(state.review_findings)} findings on the review texts"})
    state.tables.update(tables)
    return summary


def stage_reconcile(state: RunState) -> str:
    from miner.evaluate.reconcile import reconcile_store

    gold = state.options.gold_dir
    if not gold.exists():
        raise _Skip(f"no gold set at {gold}")
    if next(iter(state.store.iter_findings()), None) is None:
        raise _Skip("no findings in the store")
    # the one code path of `miner reconcile`: the gold's own source documents are never evidence for it
    result = reconcile_store(state.store, gold)
    state.tables["Gold findings supported by corpus evidence"] = result.support
    counts = result.counts()
    return ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))


def stage_export(state: RunState) -> str:
    from miner.export import export_findings

    from miner.export.curate import latest_decisions

    findings, texts = state.store.findings_with_texts()
    decisions = latest_decisions(state.store.iter_decisions())  # curators see what was already decided
    for fmt, name in EXPORT_FORMATS.items():
        export_findings(findings, texts, fmt, state.options.out_dir / name, force=True, decisions=decisions)
    return f"{len(findings)} findings -> " + ", ".join(EXPORT_FORMATS.values())


def stage_report(state: RunState) -> str:
    from miner.assemble import assemble_store
    from miner.report import build_report

    notes: list[str] = []
    assembly = assemble_store(state.store, gold=state.options.gold_dir, on_gold_error=notes.append)
    out = build_report(assembly, state.options.out_dir / "report.html", state.tables, force=True)
    sequences = sum(1 for s in assembly if s.sequential)
    return "; ".join([f"{out}: {len(assembly)} statements ({sequences} drug sequences) from "
                      f"{assembly.n_findings} findings", *notes])


class _Skip(Exception):
    """A stage with nothing to do (not an error)."""


#: (name, function, later stages need it)
STAGES: list[tuple[str, Callable[[RunState], str], bool]] = [
    ("corpus", stage_corpus, True),
    ("reviews", stage_reviews, False),
    ("extract", stage_extract, True),
    ("evaluate", stage_evaluate, False),
    ("reconcile", stage_reconcile, False),
    ("export", stage_export, False),
    ("report", stage_report, False),
]


def run(settings: Settings, options: RunOptions, console: Console | None = None) -> list[StageOutcome]:
    """Run every stage; returns one outcome per stage (failed prerequisites stop the job)."""
    console = console or Console(stderr=True)
    options.out_dir.mkdir(parents=True, exist_ok=True)
    state = RunState(settings, options, console)
    outcomes: list[StageOutcome] = []
    try:
        for name, stage, required in STAGES:
            start = time.perf_counter()
            console.rule(f"[bold]{name}")
            try:
                outcomes.append(StageOutcome(name, "ok", stage(state), time.perf_counter() - start))
            except _Skip as skip:
                outcomes.append(StageOutcome(name, "skipped", str(skip), time.perf_counter() - start))
            except MinerError as exc:
                outcomes.append(StageOutcome(name, "failed", str(exc), time.perf_counter() - start))
                if required:
                    break
    finally:
        if state.store is not None:
            state.store.close()
    return outcomes
