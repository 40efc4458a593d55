"""`miner export` and `miner curate`: findings out for curation, decisions back in."""

from __future__ import annotations

import getpass
from enum import Enum
from pathlib import Path

from typing import Optional

import typer
from rich.console import Console

from miner.cli.common import existing_store
from miner.config import REPO_ROOT

#: Messages go to stderr: with ``--out -`` stdout carries the export itself.
console = Console(stderr=True)
curate_app = typer.Typer(help="Read curated decisions back and promote accepted findings.", no_args_is_help=True)


class ExportFormat(str, Enum):
    csv = "csv"
    tsv = "tsv"
    jsonl = "jsonl"
    label_studio = "label-studio"
    brat = "brat"
    bioc = "bioc"
    bioc_json = "bioc-json"
    pubtator = "pubtator"
    parquet = "parquet"


class StatusFilter(str, Enum):
    all = "all"
    confirmed = "confirmed"
    novel = "novel"
    conflicting = "conflicting"


def export(
    ctx: typer.Context,
    fmt: ExportFormat = typer.Option(..., "--format", "-f", help="Output format. brat writes a directory; label-studio also writes <out>.labeling-config.xml."),
    out: Path = typer.Option(..., "--out", "-o", help="Output file (directory for brat); - writes to standard output."),
    status: StatusFilter = typer.Option(StatusFilter.all, "--status", help="Only findings with this reconciliation label (see `miner reconcile`)."),
    min_confidence: float = typer.Option(0.0, "--min-confidence", min=0.0, max=1.0, help="Only findings at or above this confidence."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing output."),
    bom: bool = typer.Option(False, "--bom", help="CSV/TSV: start with a UTF-8 byte-order mark (for Excel)."),
) -> None:
    """Export findings from the store for curation (CSV/TSV, JSONL, Label Studio, brat, BioC, PubTator).

    Each finding's latest curator decision is shown (read-only) where the format has room for it.
    """
    from miner.export import export_findings
    from miner.export.curate import latest_decisions

    with existing_store(ctx) as store:
        findings, texts = store.findings_with_texts(
            status=None if status is StatusFilter.all else status.value, min_confidence=min_confidence)
        decisions = latest_decisions(store.iter_decisions())
    n = export_findings(findings, texts, fmt.value, out, force=force, bom=bom, decisions=decisions)
    unit = "documents" if fmt.value in ("brat", "bioc", "bioc-json", "pubtator") else "findings"
    where = "standard output" if str(out) == "-" else str(out)
    console.print(f"wrote {n} {unit} ({len(findings)} findings) to {where}", markup=False, highlight=False)


@curate_app.command("import")
def curate_import(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="Edited CSV/TSV, a Label Studio JSON export, or a brat .ann file / directory."),
    curator: str = typer.Option("", "--curator", help="Curator name for rows that do not name one (default: your user name)."),
    encoding: Optional[str] = typer.Option(
        None, "--encoding",
        help="Encoding of the file (e.g. cp1252 for Excel's \"CSV\" save). Default: UTF-8, or UTF-16/32 by byte-order mark.",
        show_default=False),
) -> None:
    """Store curator decisions (accepted, rejected, corrected). All-or-nothing: any bad row rejects the file.

    One decision per finding per file. Decisions already stored (same finding, curator and content) are skipped,
    so importing a file again changes nothing.
    """
    from miner.export import read_decisions
    from miner.export.curate import new_decisions, validate_decisions

    with existing_store(ctx) as store:
        raw = read_decisions(path, encoding)
        findings = {f.id: f for f in store.iter_findings()}
        decisions = validate_decisions(raw, findings, curator=curator or getpass.getuser())
        with store.transaction():  # read and insert under one write lock: two imports of one file store it once
            fresh = new_decisions(decisions, store.iter_decisions())
            store.add_decisions(fresh)
    counts = {k: sum(d["decision"] == k for d in fresh) for k in ("accepted", "rejected", "corrected")}
    known = len(decisions) - len(fresh)
    console.print(f"stored {len(fresh)} new decision(s) from {path}: " + ", ".join(f"{v} {k}" for k, v in counts.items())
                  + (f"; {known} already stored" if known else ""), markup=False, highlight=False)


@curate_app.command("promote")
def curate_promote(
    ctx: typer.Context,
    out: Path = typer.Option(REPO_ROOT / "annotations" / "curated.jsonl", "--out", help="Curated findings file (appended to; the gold set is never touched)."),
) -> None:
    """Append accepted and corrected findings (with corrections applied) to annotations/curated.jsonl."""
    from miner.errors import MinerError
    from miner.export.curate import promote

    gold_dir = (REPO_ROOT / "annotations" / "gold").resolve()
    if gold_dir in out.resolve().parents:
        raise MinerError(f"{out} is inside the gold set ({gold_dir}); promote to a separate file")
    with existing_store(ctx) as store:
        findings = {f.id: f for f in store.iter_findings()}
        n = promote(findings, store.iter_decisions(), out)
    console.print(f"promoted {n} new finding(s) to {out}", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.command("export")(export)
    app.add_typer(curate_app, name="curate")
