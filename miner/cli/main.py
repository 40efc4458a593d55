"""The ``miner`` command line.

Each stage owns one module in :mod:`miner.cli` exposing ``register(app)``; this
module only wires them together, holds the global ``--db`` option and turns
:class:`miner.errors.MinerError` into a one-line message instead of a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape

from miner.config import Settings
from miner.errors import MinerError

err_console = Console(stderr=True)


def report_error(exc: MinerError) -> None:
    """One line on stderr, no traceback."""
    err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)


app = typer.Typer(
    name="miner",
    help=(
        "Mine PubMed for cancer drug cross-resistance findings: keep a local corpus fresh, "
        "run the biomedical NLP pipeline and extraction rules, evaluate against the gold set, "
        "export for curation."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _global_options(
    ctx: typer.Context,
    db: Optional[Path] = typer.Option(
        None,
        "--db",
        envvar="MINER_DB",
        help="Corpus store (SQLite). Default: corpora/corpus.sqlite.",
        show_default=False,
    ),
) -> None:
    """Global options shared by every command."""
    ctx.obj = Settings.load(db=db)


def _register_all() -> None:
    from miner.cli import ask, corpus, curation, extract, gold, models, nlp, pipeline, rules

    for module in (corpus, nlp, models, gold, extract, rules, curation, pipeline, ask):
        module.register(app)
    from miner.cli import scale  # whole-PubMed runs on Dask (issue 18)

    scale.register(app)


_register_all()


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except MinerError as exc:  # raised outside a command (e.g. while reading the settings file)
        report_error(exc)
        sys.exit(exc.exit_code)
    except BrokenPipeError:  # e.g. `miner corpus show ... | head`
        sys.exit(0)


if __name__ == "__main__":
    main()
