"""``miner corpus refresh``: update the corpus from PubMed through NCBI E-utilities."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from miner.errors import MinerError

console = Console(stderr=True)


class _RichProgress:
    """Adapts the engine's progress events to one rich bar (total grows as slices are counted)."""

    def __init__(self, progress: Progress, label: str) -> None:
        self._progress = progress
        self._task = progress.add_task(label, total=0)
        self._total = 0

    def add_total(self, n: int) -> None:
        self._total += n
        self._progress.update(self._task, total=self._total)

    def advance(self, n: int) -> None:
        self._progress.advance(self._task, n)

    def note(self, text: str) -> None:
        self._progress.console.print(text, highlight=False, markup=False)


def add_refresh_command(corpus_app: typer.Typer) -> None:
    """Add ``refresh`` to the ``corpus`` sub-app."""

    @corpus_app.command("refresh")
    def refresh(
        ctx: typer.Context,
        query: Optional[str] = typer.Option(
            None, "--query", "-q",
            help="Named query from corpora/queries.toml (see --list). Default: every named query.",
        ),
        term: Optional[str] = typer.Option(
            None, "--term", "-t", help='An ad-hoc PubMed search term, e.g. \'"cross-resistance"\\[tiab] AND osimertinib\'.'
        ),
        since: Optional[str] = typer.Option(
            None, "--since",
            help="Only records entered or revised since this date (YYYY-MM-DD, YYYY-MM or YYYY). "
            "Default: since the query's last complete refresh (full search the first time).",
        ),
        pmid_file: Optional[Path] = typer.Option(
            None, "--pmid-file", help="Fetch these PMIDs (one per line) with epost + efetch.", dir_okay=False
        ),
        doi_file: Optional[Path] = typer.Option(
            None, "--doi-file", help="Look up the PMIDs of these DOIs (one per line) and fetch the records.",
            dir_okay=False,
        ),
        max_records: Optional[int] = typer.Option(
            None, "--max", min=1,
            help="Stop after fetching this many records; the next run continues where this one stopped.",
        ),
        list_queries: bool = typer.Option(False, "--list", help="List the named queries and exit."),
    ) -> None:
        r"""Fetch new and revised PubMed records into the corpus (incremental and resumable).

        Needs a contact e-mail (NCBI_EMAIL, or email under \[ncbi] in miner.toml); uses NCBI_API_KEY when set (10 instead of 3 requests/s). MINER_EUTILS_URL redirects to a mirror or proxy.

        Each batch is committed together with its progress, so after Ctrl-C, a kill or a network failure the same command continues where it stopped. Records a search lists but PubMed does not serve (after refetches) are recorded and fetched by the next run; until then the run exits with code 1.
        """
        from miner.cli.common import settings as get_settings
        from miner.corpus.entrez import EntrezClient
        from miner.corpus.refresh import (
            Refresher,
            load_queries,
            parse_date,
            read_doi_file,
            read_pmid_file,
            term_state_name,
        )
        from miner.corpus.store import CorpusStore

        cfg = get_settings(ctx)
        if list_queries:
            for q in load_queries(cfg.queries_file).values():
                typer.echo(f"{q.name}\t{q.description}")
            return
        sources = [x for x in (query, term, pmid_file, doi_file) if x is not None]
        if len(sources) > 1:
            raise MinerError("give only one of --query, --term, --pmid-file, --doi-file")
        if since is not None and (pmid_file or doi_file):
            raise MinerError("--since applies to searches (--query/--term), not to --pmid-file/--doi-file")
        since_date = parse_date(since) if since else None
        # Validate everything the user gave before touching the network or the store.
        if term is not None:
            jobs = [(term_state_name(term), " ".join(term.split()))]
        elif pmid_file is None and doi_file is None:
            queries = load_queries(cfg.queries_file)
            if query is not None and query not in queries:
                raise MinerError(
                    f"unknown query '{query}' in {cfg.queries_file}; known: {', '.join(sorted(queries))}"
                )
            chosen = [queries[query]] if query else list(queries.values())
            jobs = [(q.name, q.term) for q in chosen]
        pmids = read_pmid_file(pmid_file) if pmid_file else None
        dois = read_doi_file(doi_file) if doi_file else None
        client = EntrezClient.from_settings(cfg)
        _show_retries_above_the_bar()
        summaries = []
        with CorpusStore(cfg.db) as store, Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=console, transient=False, disable=not console.is_terminal,
        ) as bar:
            refresher = Refresher(client, store, batch_size=cfg.batch_size, max_records=max_records)
            try:
                if pmids is not None:
                    refresher.progress = _RichProgress(bar, f"PMIDs from {pmid_file.name}")  # type: ignore[union-attr]
                    summaries.append(refresher.fetch_pmids(pmids))
                elif dois is not None:
                    refresher.progress = _RichProgress(bar, f"DOIs from {doi_file.name}")  # type: ignore[union-attr]
                    summary, mapping = refresher.fetch_dois(dois)
                    summaries.append(summary)
                else:
                    for name, q_term in jobs:
                        refresher.progress = _RichProgress(bar, name)
                        summaries.append(refresher.refresh_term(name, q_term, since_date))
                        if max_records is not None and not summaries[-1].complete:
                            break
            except KeyboardInterrupt:
                for s in summaries:
                    for line in s.lines():
                        typer.echo(line)
                console.print("interrupted: every committed batch is saved; run the same command to continue.")
                sys.exit(130)
        for s in summaries:
            for line in s.lines():
                typer.echo(line)
        typer.echo(f"corpus: {_count(cfg.db)} documents")
        if any(s.gaps for s in summaries):  # records PubMed listed but did not serve: not a success
            raise typer.Exit(1)


def _show_retries_above_the_bar() -> None:
    """Print the client's (already key-masked) retry warnings through rich, above the progress bar."""
    from rich.logging import RichHandler

    logger = logging.getLogger("miner.corpus.entrez")
    if not any(isinstance(h, RichHandler) for h in logger.handlers):
        logger.addHandler(RichHandler(console=console, show_time=False, show_path=False, markup=False))
        logger.setLevel(logging.WARNING)


def _count(db: Path) -> int:
    from miner.corpus.store import CorpusStore

    with CorpusStore(db) as store:
        return store.count()
