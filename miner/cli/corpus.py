"""`miner corpus ...`: import files, add texts, inspect the corpus store.

The refresh from PubMed (`miner corpus refresh`) lives in :mod:`miner.cli.corpus_refresh`
and is attached to the same sub-app in :func:`register`.

Everything that comes from a file or a record (titles, names, messages quoting them) is
printed as plain text: rich would read "[/s]" or "[d-Ala2]" in an abstract as markup and
crash or swallow it.  Read commands (stats, show) never create a store.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from miner.errors import MinerError

corpus_app = typer.Typer(
    name="corpus",
    help="The local corpus: import PubMed/PubTator/BioC files, add texts, refresh from PubMed, inspect.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
console = Console()
#: Above this many files the summary shows one row per command-line argument (rendering
#: thousands of table rows costs more than importing them).
_MAX_FILE_ROWS = 30
_COUNTS = ("inserted", "updated", "unchanged", "deleted")
err_console = Console(stderr=True)


def _store(ctx: typer.Context):  # -> CorpusStore (imported lazily: keeps `miner --help` fast)
    """The store of ``--db`` for commands that write to it (created if missing)."""
    from miner.cli.common import settings
    from miner.corpus import CorpusStore

    return CorpusStore(settings(ctx).db)


@corpus_app.command("import")
def import_command(
    ctx: typer.Context,
    paths: Optional[List[Path]] = typer.Argument(
        None,
        help="Files, directories (walked recursively) or tar archives. PubMed XML (efetch, "
        "baseline/update files, MedlineCitationSet), MEDLINE text, PubTator, BioC XML/JSON; .gz "
        "read transparently; the format is detected from the content. Default: \\[corpus] "
        "import_paths of miner.toml.",
        show_default=False,
    ),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
    show_skipped: bool = typer.Option(
        False, "--show-skipped", help="List files inside directories that were skipped as not importable."
    ),
    per_file: bool = typer.Option(
        False, "--per-file", help=f"One summary row per file even when more than {_MAX_FILE_ROWS} files were imported."
    ),
    lenient: bool = typer.Option(
        False, "--lenient",
        help="Drop (and count) PubTator/BioC annotations whose offsets do not match the text, instead of rejecting "
        "their file.",
    ),
) -> None:
    """Import files into the corpus, one transaction per file.

    A damaged file (truncated gzip, malformed XML, a record cut short, unknown format, NUL characters, annotations whose offsets do not match the text) is rejected whole, with the position of the damage; the other files are still imported. A tar archive is one unit. Re-importing is idempotent. Exit code 1 if any file failed. Another import writing to the same store is waited for.
    """
    from miner.cli.common import settings
    from miner.corpus import import_paths

    if not paths:
        paths = [Path(p) for p in settings(ctx).import_paths]
        if not paths:
            raise MinerError("nothing to import: give files or directories, or set [corpus] import_paths in miner.toml")
    with _store(ctx) as store:
        before = store.count()
        report = import_paths(store, paths, progress=progress and console.is_terminal, lenient=lenient)
        after = store.count()
    table = Table(title="Import", title_justify="left")
    for col in ("file", "format", "inserted", "updated", "unchanged", "deleted", "status"):
        justify = "left" if col in ("file", "format", "status") else "right"
        table.add_column(col, justify=justify, overflow="fold")
    skipped = [f for f in report.files if f.skipped]
    shown = [f for f in report.files if show_skipped or not f.skipped]
    if per_file or len(shown) <= _MAX_FILE_ROWS:
        for f in shown:
            status = "[red]failed[/]" if f.failed else ("[dim]skipped[/]" if f.skipped else "[green]ok[/]")
            notes = [f.note] if f.note else []
            if f.dropped:
                notes.append(f"{f.dropped} annotation(s) dropped")
            if notes:
                status += f" ({escape('; '.join(notes))})"
            table.add_row(
                escape(Path(f.path).name), f.format, str(f.inserted), str(f.updated), str(f.unchanged), str(f.deleted),
                status,
            )
    else:  # many files (a directory of efetch records): one row per command-line argument
        for origin in dict.fromkeys(f.origin for f in shown):
            group = [f for f in shown if f.origin == origin and not f.skipped]
            formats = ",".join(sorted({f.format for f in group if f.format}))
            n_failed = sum(f.failed for f in group)
            sums = [str(sum(getattr(f, k) for f in group if not f.failed)) for k in _COUNTS]
            status = f"[red]{n_failed} failed[/]" if n_failed else "[green]ok[/]"
            table.add_row(f"{escape(origin)} ({len(group)} files)", formats, *sums, status)
    table.add_row(
        "[bold]total[/]", "", *(str(report.total(n)) for n in _COUNTS), f"{len(report.failed)} failed",
    )  # fmt: skip
    console.print(table)
    if skipped and not show_skipped:
        console.print(f"{len(skipped)} file(s) in directories skipped (not a corpus format); --show-skipped lists them.")
    console.print(f"live documents: {before} -> {after}")
    dropped = report.total("dropped")
    if dropped:
        console.print(f"{dropped} annotation(s) dropped (--lenient): their offsets did not match the text.")
    for f in report.failed:
        err_console.print(f"[bold red]failed:[/] {escape(f.error)} (nothing from this file was stored)",
                          highlight=False, soft_wrap=True)
    if report.failed:
        raise typer.Exit(1)


@corpus_app.command("add-text")
def add_text_command(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A UTF-8 plain-text file (e.g. a review article).", show_default=False),
    name: str = typer.Option(
        ..., "--id", help="Document name: stored as text:NAME (letters, digits, '.', '_', '-').", show_default=False
    ),
) -> None:
    """Add a plain-text document as text:NAME.

    The stored text is exactly the file content (title empty, content in the abstract field), so character offsets into the file, such as the gold set's, stay valid. Adding the same name again replaces the text if it changed.
    """
    from miner.corpus import read_text_document

    doc = read_text_document(file, name)
    with _store(ctx) as store, store.transaction():
        outcome = store.upsert(doc)
    console.print(f"{doc.doc_id}: {outcome} ({len(doc.text)} characters) \u2014 {doc.display_title[:80]}",
                  markup=False, highlight=False)


@corpus_app.command("stats")
def stats_command(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON (key `documents` = live documents)."),
) -> None:
    """Corpus counts: live and deleted documents, with/without abstract, by source, last refresh per query."""
    from miner.cli.common import existing_store, settings  # a read command: no store is an error, never created

    with existing_store(ctx) as store:
        stats = store.stats()
    if as_json:
        typer.echo(json.dumps(stats, indent=2, ensure_ascii=False))
        return
    table = Table(title=escape(f"Corpus {settings(ctx).db}"), title_justify="left")
    table.add_column("what")
    table.add_column("count", justify="right")
    for key in ("documents", "with_abstract", "without_abstract", "deleted", "findings"):
        table.add_row(key.replace("_", " "), str(stats[key]))
    for source, n in stats["by_source"].items():
        table.add_row(escape(f"  source: {source or '(none)'}"), str(n))
    for query, last in stats["queries"].items():
        table.add_row(escape(f"  query {query}: last refresh"), escape(str(last or "never completed")))
    console.print(table)


@corpus_app.command("show")
def show_command(
    ctx: typer.Context,
    doc_id: str = typer.Argument(..., help="pmid:12345 (or just 12345) or text:NAME.", show_default=False),
    as_json: bool = typer.Option(False, "--json", help="Print the stored record as JSON."),
) -> None:
    """Show one document: metadata and the text later stages read."""
    if doc_id.isdigit():
        doc_id = f"pmid:{doc_id}"
    from miner.cli.common import existing_store

    with existing_store(ctx) as store:
        doc = store.get(doc_id)
        info = store.record_info(doc_id)
    if doc is None or info is None:
        raise MinerError(f"{doc_id}: not in the corpus (ids look like pmid:12345 or text:NAME)")
    if as_json:
        typer.echo(json.dumps({**doc.to_dict(), **info, "text": doc.text}, indent=2, ensure_ascii=False))
        return
    console.print(f"[bold]{escape(doc.doc_id)}[/]" + ("  [red](deleted)[/]" if info["deleted"] else ""),
                  highlight=False)
    rows = [
        ("title", doc.display_title),
        ("journal", doc.journal),
        ("date", doc.pub_date),
        ("authors", ", ".join(doc.authors[:10]) + (" ..." if len(doc.authors) > 10 else "")),
        ("doi", doc.doi),
        ("pmcid", doc.pmcid),
        ("types", "; ".join(doc.publication_types)),
        ("mesh", "; ".join(doc.mesh_headings)),
        ("chemicals", "; ".join(doc.chemicals)),
        ("keywords", "; ".join(doc.keywords)),
        ("language", doc.language),
        ("source", f"{doc.source} (version {doc.version})"),
        ("annotations", str(len(doc.annotations)) if doc.annotations else ""),
        ("seen", f"first {info['first_seen']}, updated {info['updated']}"),
    ]
    for key, value in rows:
        if value:
            console.print(f"[bold]{key:>11}[/] {escape(value)}", highlight=False, soft_wrap=True)
    console.print()
    if doc.has_abstract:
        console.print(doc.abstract, highlight=False, markup=False)
    else:
        console.print("[dim](no abstract)[/]")


def register(app: typer.Typer) -> None:
    """Add `miner corpus ...` to the main app (refresh comes from miner.cli.corpus_refresh)."""
    from miner.cli.corpus_refresh import add_refresh_command

    add_refresh_command(corpus_app)
    app.add_typer(corpus_app, name="corpus")
