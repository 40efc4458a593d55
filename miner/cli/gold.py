"""Gold-set and evaluation commands: `miner gold check|dois|link`, `miner evaluate`, `miner reconcile`.

Thin wrappers: the logic lives in :mod:`miner.evaluate`; this module parses options,
shows progress and rich tables, and maps outcomes to exit codes.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from miner.errors import MinerError
from miner.config import GOLD_DIR as DEFAULT_GOLD_DIR
from miner.config import REVIEWS_DIR as DEFAULT_REVIEWS_DIR
from miner.config import SHARED_DIR
from miner.schema import write_jsonl

if TYPE_CHECKING:
    import pandas as pd

console = Console()
# the same defaults as miner.evaluate.gold.CROSSRES_XML / miner.evaluate.civic.CIVIC_FILE (not imported here:
# importing miner.evaluate loads pandas and would slow every command's start)
CROSSRES_XML = SHARED_DIR / "data" / "crossres-abstracts" / "crossres_abstracts.xml.gz"
CIVIC_FILE = SHARED_DIR / "data" / "civic" / "civic_evidence_dev.jsonl.gz"
gold_app = typer.Typer(
    help="Gold sets (the two seed reviews, the development abstracts): link drug ids, check rows, list cited DOIs.",
    no_args_is_help=True,
)

GOLD_OPTION = typer.Option(
    DEFAULT_GOLD_DIR, "--gold", help="Gold JSONL file or directory of review_NNN.jsonl files."
)


def default_lexicon():  # module-level so tests can substitute a small lexicon
    """The drug lexicon used for name normalization (loaded on first use)."""
    from miner.evaluate.names import default_lexicon as load

    return load()


@contextmanager
def _progress(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """A rich progress bar (hidden for small inputs and when output is not a terminal)."""
    with Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=True, disable=total < 200,
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def _table(df: pd.DataFrame, title: str, columns: list[str], limit: int | None = None) -> Table:
    table = Table(title=title, title_justify="left", show_lines=False)
    for col in columns:
        table.add_column(col, overflow="fold", justify="right" if df[col].dtype.kind in "if" else "left")
    rows = df if limit is None else df.head(limit)
    for row in rows[columns].itertuples(index=False):
        table.add_row(*[f"{v:.3f}" if isinstance(v, float) else str(v) for v in row])
    return table


@gold_app.command("check")
def gold_check(
    reviews: Path = typer.Option(DEFAULT_REVIEWS_DIR, "--reviews", help="Directory holding the review texts 000_*.txt and 001_*.txt."),
    gold: Path = GOLD_OPTION,
    abstracts: Path = typer.Option(CROSSRES_XML, "--abstracts", help="PubMed XML of the development abstracts (rows with doc_id pmid:<PMID> quote its Document.text)."),
    civic: Path = typer.Option(CIVIC_FILE, "--civic", help="CIViC evidence file (rows with doc_id civic:<evidence_id> quote its statements)."),
    warnings: bool = typer.Option(True, "--warnings/--no-warnings", help="Also list warnings (unlinked names, long quotes); they never fail the check."),
) -> None:
    """Validate every gold row: schema and enums, lexicon ids, duplicates, and that each
    evidence_quote sits at its offsets in its document's text (a review, a development abstract
    or a CIViC statement). Works on the review gold and on annotations/dev files alike. Exit 1 if any row fails."""
    from miner.evaluate import check
    from miner.evaluate.sources import jsonl_files

    jsonl_files(gold)  # fail fast on a wrong path, before loading the lexicon
    report = check(gold, reviews, default_lexicon(), abstracts=abstracts, civic_file=civic)
    shown = report.problems if warnings else report.errors
    if shown:
        table = Table(title="gold check", title_justify="left")
        for col in ("row", "id", "severity", "reason"):
            table.add_column(col, overflow="fold")
        for p in shown:
            table.add_row(p.where, p.row_id, p.severity, p.reason)
        console.print(table)
    console.print(
        f"{report.rows} rows, {report.failing_rows} failing ({len(report.errors)} errors), {len(report.warnings)} warnings"
    )
    if report.errors:
        raise typer.Exit(1)


@gold_app.command("dois")
def gold_dois(
    out: Path = typer.Option(..., "--out", help="File to write: one DOI per line (input for `miner corpus refresh --doi-file`)."),
    gold: Path = GOLD_OPTION,
) -> None:
    """Write the DOIs of every reference cited by a gold row, sorted and deduplicated."""
    from miner.evaluate import cited_dois

    dois = cited_dois(gold)
    if out.is_dir():
        raise MinerError(f"{out}: is a directory, expected a file")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text("".join(d + "\n" for d in dois), encoding="utf-8")
    tmp.replace(out)
    console.print(f"{len(dois)} DOIs written to {out}")


@gold_app.command("link")
def gold_link(
    gold: Path = GOLD_OPTION,
    overwrite: bool = typer.Option(False, "--overwrite", help="Recompute id lists that are already filled (default: fill only empty ones)."),
) -> None:
    """Fill drug_ids / prior_drug_ids of gold rows from the drug lexicon, in place.

    Combinations ("X plus Y", "X + Y", "X and Y") become their member ids, classes
    their class id; names the lexicon does not know are listed and left empty.
    Idempotent and atomic per file."""
    from miner.evaluate import link
    from miner.evaluate.sources import jsonl_files

    jsonl_files(gold)
    report = link(gold, default_lexicon(), overwrite=overwrite)
    if report.unknown:
        table = Table(title="names not in the lexicon (ids left empty)", title_justify="left")
        for col in ("row", "field", "name"):
            table.add_column(col, overflow="fold")
        for where, field, name in report.unknown:
            table.add_row(where, field, name)
        console.print(table)
    console.print(
        f"{report.rows} rows, {report.filled} id lists filled, {len(report.unknown)} unknown names, "
        f"{len(report.files_changed)} file(s) rewritten"
    )


def evaluate_command(
    gold: Path = typer.Option(DEFAULT_GOLD_DIR, "--gold", help="Gold findings: JSONL file or directory."),
    pred: Path = typer.Option(..., "--pred", help="Predicted findings: JSONL file or directory."),
    review: Optional[str] = typer.Option(None, "--review", help="Score one review (000 or 001); every prediction is taken to come from it."),
    report: Optional[Path] = typer.Option(None, "--report", help="Also write a report with misses and false positives: .md, .html or .json."),
    show: int = typer.Option(10, "--show", min=0, help="How many misses and false positives to print per list (full lists in --report)."),
    level: str = typer.Option("pair+effect", "--level", help="Level whose misses/false positives are printed: pair, pair+effect, pair+exact_effect or full."),
    kind: Optional[str] = typer.Option(None, "--kind", help="Score one kind of finding on both sides: sequential (every finding with a prior drug), acquired, primary, adaptive or multidrug."),
    documents: Optional[Path] = typer.Option(None, "--documents", help="Documents the gold covers, including annotated documents without rows (JSONL of {\"doc_id\", \"split\"}). Default: documents.jsonl beside the gold, if any."),
    split: Optional[str] = typer.Option(None, "--split", help="Score only the documents of this split of the documents list: train or dev."),
) -> None:
    """Score predicted findings against the gold set, per document: precision, recall and F1 at the levels
    pair, pair+effect (by polarity), pair+exact_effect and full (pair+effect+mechanism), per effect and per review,
    and for sequential and single-drug findings apart.
    A prediction counts only against the gold rows of its own document; predictions on documents the gold does
    not cover are not scored (counted, not false positives). Matching is one-to-one and deterministic."""
    from miner.evaluate import evaluate, write_report
    from miner.evaluate.sources import SPLITS, documents_beside, load_findings

    from miner.evaluate.matcher import LEVELS

    if level not in LEVELS:
        raise MinerError(f"--level must be one of {', '.join(LEVELS)}, got {level!r}")
    if split is not None and split not in SPLITS:
        raise MinerError(f"--split must be one of {', '.join(SPLITS)}, got {split!r}")
    if report is not None and report.suffix.lower() not in (".md", ".html", ".json"):
        raise MinerError(f"--report {report}: use a .md, .html or .json file name")
    gold_rows, predictions = load_findings(gold), load_findings(pred)
    documents = documents if documents is not None else documents_beside(gold)
    if documents is not None:
        console.print(f"covered documents from {documents}")
    lexicon = default_lexicon()
    with _progress("matching", len(predictions)) as advance:
        result = evaluate(gold_rows, predictions, review=review, lexicon=lexicon, progress=advance, kind=kind,
                          documents=documents, split=split)
    s = result.scores
    overall = s[s.effect == "all"]
    title = f"{result.n_gold} gold rows, {result.n_pred} predictions on {len(result.documents)} covered document(s)"
    console.print(_table(overall, title, ["level", "review", "tp", "fp", "fn", "precision", "recall", "f1"]))
    slices = result.slices[result.slices.review == "all"]
    console.print(_table(slices, "sequential (prior drug) and single-drug findings", ["level", "slice", "tp", "fp", "fn", "precision", "recall", "f1"]))
    per_effect = s[(s.effect != "all") & (s.review == "all") & (s.level.isin(["pair", "pair+exact_effect"]))]
    console.print(_table(per_effect, "per effect (gold effect for tp/fn, predicted effect for fp)", ["level", "effect", "tp", "fp", "fn", "precision", "recall", "f1"]))
    if result.n_not_scored:
        console.print(f"{result.n_not_scored} prediction(s) on {result.not_scored.doc_id.nunique()} document(s) "
                      "the gold does not cover: not scored (listed in --report)")
    if show:
        misses = result.misses[result.misses.level == level]
        fps = result.false_positives[result.false_positives.level == level]
        console.print(_table(misses, f"misses at level {level} ({len(misses)}, first {min(show, len(misses))})", ["gold_id", "drug", "prior_drug", "effect", "evidence", "reason"], show))
        console.print(_table(fps, f"false positives at level {level} ({len(fps)}, first {min(show, len(fps))})", ["pred_id", "drug", "prior_drug", "effect", "sentence", "reason"], show))
    if report is not None:
        meta = {"gold": str(gold), "pred": str(pred), "review": review or "all", "kind": kind or "all",
                "documents": str(documents or ""), "split": split or "all", "gold rows": result.n_gold,
                "predictions": result.n_pred, "not scored": result.n_not_scored}
        write_report(report, "miner evaluation", result.tables(), meta)
        console.print(f"report written to {report}")


def reconcile_command(
    ctx: typer.Context,
    gold: Path = typer.Option(DEFAULT_GOLD_DIR, "--gold", help="Gold findings: JSONL file or directory."),
    pred: Optional[Path] = typer.Option(None, "--pred", help="Mined findings (JSONL file or directory). Default: the findings in the corpus store (--db)."),
    out: Optional[Path] = typer.Option(None, "--out", help="With --pred: write the findings with their labels (status) to this JSONL file."),
    min_confidence: float = typer.Option(0.0, "--min-confidence", min=0.0, max=1.0, help="Store mode: only findings at or above this confidence."),
    report: Optional[Path] = typer.Option(None, "--report", help="Write labels and gold support to a .md, .html or .json report."),
) -> None:
    """Label mined findings confirmed / novel / conflicting against the gold set, each with the gold ids it
    rests on and a reason, and report which gold findings the corpus supports (with PMIDs). Findings from the
    documents the gold was built from (the reviews) are never evidence for it and stay unlabelled; a class-level
    gold row counts for a specific drug only when the mechanisms agree. Labels are written back to the
    store (default) or, with --pred, to --out."""
    from miner.evaluate import reconcile, write_report
    from miner.evaluate.sources import load_findings

    from miner.cli.common import existing_store, settings

    if report is not None and report.suffix.lower() not in (".md", ".html", ".json"):
        raise MinerError(f"--report {report}: use a .md, .html or .json file name")
    if out is not None and pred is None:
        raise MinerError("--out goes with --pred; without --pred the labels are written to the store")
    from miner.evaluate.reconcile import reconcile_store

    db = settings(ctx).db
    if pred is None:
        with existing_store(ctx) as store:
            n = sum(1 for _ in store.iter_findings(min_confidence=min_confidence))
            if not n:
                raise MinerError(f"{db}: the store holds no findings (run `miner extract` first) or none above "
                                 "--min-confidence")
            with _progress("reconciling", n) as advance:  # the same code path as `miner run`
                result = reconcile_store(store, gold, min_confidence, default_lexicon(), advance)
        findings = result.findings
    else:
        findings = load_findings(pred)
        with _progress("reconciling", len(findings)) as advance:
            result = reconcile(load_findings(gold), findings, lexicon=default_lexicon(), progress=advance)
    counts = result.counts()
    console.print(" ".join(f"{k}: {counts.get(k, 0)}" for k in ("confirmed", "novel", "conflicting")))
    if len(result.excluded):
        console.print(f"{len(result.excluded)} finding(s) from the documents the gold set was built from "
                      f"({', '.join(sorted(set(result.excluded.doc_id))[:3])}): not evidence for it, left unlabelled")
    supported = result.support[result.support.confirmed_by > 0]
    console.print(_table(supported, f"gold findings supported by corpus evidence ({len(supported)} of {len(result.support)})",
                         ["gold_id", "drug", "prior_drug", "effect", "confirmed_by", "pmids", "cited_pmid_confirms"], 30))
    if pred is None:
        console.print(f"labels written to {db}")
    elif out is not None:
        write_jsonl(result.findings, out)
        console.print(f"labelled findings written to {out}")
    else:
        console.print("labels not saved (pass --out to write them)")
    if report is not None:
        write_report(report, "miner reconciliation", result.tables(), {"gold": str(gold), "findings": len(findings), **counts})
        console.print(f"report written to {report}")


def register(app: typer.Typer) -> None:
    """Add `gold`, `evaluate` and `reconcile` to the main app."""
    app.add_typer(gold_app, name="gold")
    app.command("evaluate")(evaluate_command)
    app.command("reconcile")(reconcile_command)
