"""What every ``miner`` command module shares: the settings of the global options and the corpus store.

Kept apart from :mod:`miner.cli.main`, which imports every command module, so that the command modules import
this one and nothing imports back from ``main``.
"""

from __future__ import annotations

from pathlib import Path

import typer

from miner.config import Settings
from miner.errors import MinerError


def settings(ctx: typer.Context) -> Settings:
    """The settings resolved by the global callback (for use inside commands)."""
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Settings) else Settings.load()


def existing_store(ctx: typer.Context):  # -> CorpusStore, imported lazily to keep `miner --help` fast
    """The corpus store of ``--db`` for commands that read it; a clear error when there is none yet."""
    from miner.corpus.store import CorpusStore

    db = settings(ctx).db
    if not Path(db).parent.is_dir():  # a mistyped --db / MINER_DB: say so rather than create anything
        raise MinerError(f"{db}: no corpus store yet: its directory {Path(db).parent} does not exist "
                         "(check --db or MINER_DB)")
    if not Path(db).is_file():
        raise MinerError(f"{db}: no corpus store yet (import documents with `miner corpus import` or run "
                         "`miner run`, or pass --db)")
    return CorpusStore(db)
