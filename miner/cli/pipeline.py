"""`miner run` (the main job) and `miner report`."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from miner.cli.common import existing_store, settings
from miner.config import GOLD_DIR, REVIEWS_DIR

console = Console(stderr=True)


def run_command(
    ctx: typer.Context,
    from_paths: Optional[List[Path]] = typer.Option(
        None, "--from", help="Import these PubMed XML/MEDLINE/PubTator/BioC files or directories (repeatable) "
        "instead of refreshing from PubMed. Default: NCBI when configured and reachable, else [corpus] import_paths of miner.toml.",
        show_default=False),
    out_dir: Path = typer.Option(Path("runs/latest"), "--out-dir", help="Where exports, evaluation and report.html go (overwritten)."),
    refresh: Optional[bool] = typer.Option(None, "--refresh/--no-refresh", help="Force or forbid a PubMed refresh (default: when NCBI_EMAIL is set and NCBI answers).", show_default=False),
    refresh_max: int = typer.Option(2000, "--refresh-max", min=1, help="At most this many records fetched per run."),
    reviews_dir: Path = typer.Option(REVIEWS_DIR, "--reviews", help="Folder with the two review texts (added as text:review_000/001)."),
    gold_dir: Path = typer.Option(GOLD_DIR, "--gold", help="Gold set (JSONL files)."),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="Parser processes for extraction."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Extract from at most this many documents (quick trial runs).", show_default=False),
    gpu_id: int = typer.Option(-1, "--gpu-id", help="Run the NLP models on this CUDA GPU (spacy.prefer_gpu; for "
                               "transformer packages, see MINER_MODELS); -1 or no usable GPU: the CPU, as before."),
) -> None:
    """Run the whole pipeline: corpus, review texts, extraction, evaluation, reconciliation, exports, report.

    Ends with a summary table; exits 1 if a stage failed.
    """
    from miner.pipeline import RunOptions, run

    from miner.nlp.transformer.gpu import use_gpu

    use_gpu(gpu_id)  # a no-op (with a note) without a usable CUDA GPU

    options = RunOptions(out_dir=out_dir, from_paths=list(from_paths or []), reviews_dir=reviews_dir,
                         gold_dir=gold_dir, refresh=refresh, refresh_max=refresh_max, workers=workers, limit=limit)
    outcomes = run(settings(ctx), options, console)
    table = Table(title="miner run", show_lines=False)
    for col in ("stage", "status", "result", "time"):
        table.add_column(col, overflow="fold")
    colours = {"ok": "green", "skipped": "yellow", "failed": "red"}
    for o in outcomes:
        table.add_row(o.stage, f"[{colours[o.status]}]{o.status}[/]", o.detail, f"{o.seconds:.1f} s")
    Console().print(table)
    if any(o.status == "failed" for o in outcomes):
        raise typer.Exit(1)


def report_command(
    ctx: typer.Context,
    out: Path = typer.Option(Path("report.html"), "--out", "-o", help="HTML file to write."),
    gold_dir: Path = typer.Option(GOLD_DIR, "--gold", help="Gold set for the evaluation tables and the gold links of statements."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing report."),
) -> None:
    """Write the HTML report: cross-resistance matrix, statements with their evidence, network, curation, evaluation."""
    from miner.assemble import assemble_store
    from miner.pipeline import REVIEWS, evaluation_tables
    from miner.report import build_report

    warn = lambda msg: console.print(f"[yellow]warning:[/] {escape(msg)}")  # noqa: E731
    with existing_store(ctx) as store:
        assembly = assemble_store(store, gold=gold_dir, on_gold_error=warn)
        review_findings = list(store.iter_findings(doc_ids=[f"text:{n}" for n in REVIEWS]))
    tables = {}
    if review_findings and gold_dir.exists():
        _, tables, _ = evaluation_tables(gold_dir, review_findings)
    build_report(assembly, out, tables, force=force)
    console.print(f"wrote {escape(str(out))} ({len(assembly)} statements from {assembly.n_findings} findings)")


def register(app: typer.Typer) -> None:
    app.command("run")(run_command)
    app.command("report")(report_command)
