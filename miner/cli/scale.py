"""`miner scale`: import + extraction of many PubMed files on Dask, sharded and resumable, merged into --db."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from miner.errors import MinerError

console = Console(stderr=True)


def scale_command(
    ctx: typer.Context,
    paths: List[Path] = typer.Argument(..., help="PubMed baseline/update files (or any file or directory `corpus "
                                       "import` reads), processed and merged in this order.", show_default=False),
    work_dir: Path = typer.Option(..., "--work-dir", help="Where the shard stores and manifest.json go (reuse it "
                                  "to resume; a finished shard is never redone).", show_default=False),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, max=1024, help="Local worker processes "
                                          "(default: one per core). Not with --scheduler.", show_default=False),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Address of a running Dask scheduler "
                                            "(tcp://host:8786), e.g. from dask-jobqueue on SLURM; its workers need "
                                            "miner and a file system shared with this machine.", show_default=False),
    shard_records: Optional[int] = typer.Option(None, "--shard-records", min=1, help="Cut each input into shards "
                                                "of this many records (default: one shard per file).",
                                                show_default=False),
    triage: bool = typer.Option(True, "--triage/--no-triage", help="Skip parsing documents that name no anticancer "
                                "agent or have no sentence with a cue and a drug (BENCHMARKS.md: its recall cost)."),
    merge: bool = typer.Option(True, "--merge/--no-merge", help="Merge finished inputs into --db (off: only build "
                               "shard stores; a later run merges them)."),
    batch_size: int = typer.Option(32, "--batch-size", min=1, help="Texts per nlp.pipe batch in a worker."),
    lenient: bool = typer.Option(False, "--lenient", help="As `corpus import --lenient`: drop (and count) "
                                 "PubTator/BioC annotations whose offsets do not match the text, instead of "
                                 "rejecting their file."),
) -> None:
    """Import and extract many PubMed files on Dask (a local cluster by default), resumably, into the store.

    Each shard (a file, or --shard-records records of one) is imported and extracted by one Dask task into its own store under --work-dir; finished inputs are merged into --db in input order, so revisions and DeleteCitation resolve as `miner corpus import` would, and findings are stored once. Rerunning skips finished shards and redoes failed or half-written ones. Inputs are read as `corpus import` reads them: a damaged file or record (truncated gzip, malformed XML, NUL characters, annotations outside the text) rejects that whole file, with the position of the damage, and the other files are still merged; exit code 1 if any file was rejected.
    """
    from miner.cli.common import settings
    from miner.scale import ScaleOptions, run_scale

    if workers is not None and scheduler:
        raise MinerError("--workers starts local workers; with --scheduler the cluster's workers are used: give one")
    db = settings(ctx).db
    options = ScaleOptions(paths=list(paths), work_dir=work_dir, db=Path(db), workers=workers, scheduler=scheduler,
                           shard_records=shard_records, triage=triage, batch_size=batch_size, merge=merge,
                           lenient=lenient)
    report = run_scale(options, console)
    table = Table(title="miner scale", show_header=False)
    table.add_column("what")
    table.add_column("result", overflow="fold")
    table.add_row("shards", f"{report.shards} ({report.ran} run now, {report.reused} already done) on "
                  f"{report.workers} worker(s)")
    table.add_row("read now", f"{report.documents:,} documents, {report.findings:,} findings, "
                  f"{report.cpu_seconds:.1f} CPU s in shards, peak worker memory {report.max_rss_mb:.0f} MB")
    if report.merge is not None:
        m = report.merge
        outcome = ", ".join(f"{v:,} {k}" for k, v in sorted(m.outcomes.items())) or "nothing new"
        table.add_row("merged into " + str(db), f"{m.shards} shard(s): {outcome}; {m.findings:,} findings stored"
                      + (f"; {m.reextracted} re-extracted" if m.reextracted else ""))
    if report.dropped:
        table.add_row("dropped (--lenient)", f"{report.dropped:,} annotation(s): their offsets did not match the text")
    for path in report.rejected_files:
        table.add_row("[red]rejected input[/]", escape(path))
    for s in report.failed:
        table.add_row("[red]failed shard[/]", f"{s.id}: {s.error}")
    for note in report.skipped_inputs:
        table.add_row("[yellow]skipped[/]", note)
    table.add_row("wall time", f"{report.wall_seconds:.1f} s; manifest {report.manifest}")
    Console().print(table)
    if report.failed:
        console.print(f"[red]{len(report.failed)} shard(s) failed[/]: rerun the same command to retry them")
        raise typer.Exit(1)
    for path in report.rejected_files:
        reason = report.rejected_reasons.get(path, f"{path}: rejected in an earlier run (see {report.manifest})")
        console.print(f"[bold red]failed:[/] {escape(reason)} (nothing from this file was stored)", highlight=False,
                      soft_wrap=True)
    if report.rejected_files:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``miner scale`` to the main app."""
    app.command("scale")(scale_command)
