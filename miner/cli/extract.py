"""`miner extract`: read cross-resistance findings from the corpus store or a plain-text file."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.markup import escape

from miner.errors import MinerError

console = Console(stderr=True)


def extract_command(
    ctx: typer.Context,
    text: Optional[Path] = typer.Option(
        None, "--text", help="Read this plain-text file instead of the corpus store (nothing is written to the store).",
        show_default=False,
    ),
    doc_ids: Optional[List[str]] = typer.Option(
        None, "--doc-id",
        help="With the store: only these documents (repeatable). With --text: the doc_id to give the "
        "findings (default text:<file stem>), e.g. text:review_001 so evaluation can group by review.",
        show_default=False,
    ),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Also write the findings to this JSONL file.",
                                       show_default=False),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="Worker processes (above 1: a local Dask "
                                "cluster, as `miner scale` runs; same findings as one process)."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Read at most this many store documents.",
                                        show_default=False),
    prefilter: bool = typer.Option(
        True, "--prefilter/--no-prefilter",
        help="Skip parsing sentences with no drug name or no trigger cue (faster; see BENCHMARKS.md for its cost).",
    ),
    batch_size: int = typer.Option(32, "--batch-size", min=1, help="Texts per nlp.pipe batch."),
    force: bool = typer.Option(
        False, "--force", help="Read again the documents already read with the same rules and pipeline (skipped by default)."
    ),
    gpu_id: int = typer.Option(-1, "--gpu-id", help="Run the NLP models on this CUDA GPU (spacy.prefer_gpu; for "
                               "transformer packages, see MINER_MODELS); -1 or no usable GPU: the CPU, as before."),
) -> None:
    """Extract findings (drug, prior drug, mechanism, effect) with the rule-based reader.

    Over the corpus store (default): every live document, or those given by --doc-id. Findings replace earlier ones of the same documents and are saved every 200 documents with the run metadata (pipeline and rule versions). Documents already read with the same rules and pipeline (and unchanged since) are skipped unless --force, so after Ctrl-C the same command continues where it stopped.

    With --text FILE: a plain-text file (e.g. a review), read paragraph by paragraph; findings go to --out (required).
    The file is read byte for byte (no newline translation), so offsets are offsets into the file as it is.
    """
    from miner.cli.nlp import read_text_file
    from miner.extract import TextDoc, extract_docs
    from miner.schema import write_jsonl

    from miner.nlp.transformer.gpu import use_gpu

    use_gpu(gpu_id)  # a no-op (with a note) without a usable CUDA GPU

    if text is not None:
        if out is None:
            raise MinerError("--text needs --out F.jsonl (findings of a text file are not stored)")
        if doc_ids and len(doc_ids) > 1:
            raise MinerError("--text takes at most one --doc-id (the id to give the text)")
        if limit is not None:
            raise MinerError("--limit applies to the corpus store, not to --text")
        content = read_text_file(text, strict=True)
        doc_id = doc_ids[0] if doc_ids else f"text:{text.stem}"
        with console.status(escape(f"reading {text.name} ({len(content):,} characters)")):
            findings = list(
                extract_docs([TextDoc(doc_id, content)], n_process=1, batch_size=batch_size, prefilter=prefilter)
            )
        n = write_jsonl(findings, out)
        console.print(f"{n} finding(s) from {text} -> {out}", markup=False, highlight=False)
        return

    from miner.cli.common import existing_store, settings
    from miner.extract.store import ExtractInterrupted, extract_store

    db = settings(ctx).db
    if workers > 1:  # the parallel path of `miner scale`: Dask worker processes that load the pipeline once
        from miner.scale.parallel import extract_store_parallel as extract_store  # noqa: F811
    try:
        with existing_store(ctx) as store:
            stats = extract_store(
                store, doc_ids=doc_ids or None, limit=limit, workers=workers, prefilter=prefilter,
                batch_size=batch_size, console=console, keep=out is not None, force=force,
            )
    except ExtractInterrupted as exc:
        console.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
    if out is not None:
        write_jsonl(stats.read, out)
    console.print(
        f"{stats.findings} finding(s) from {stats.documents} document(s) stored in {db} in {stats.seconds:.1f}s"
        + (f"; {stats.skipped} document(s) skipped, already read with these rules (--force reads them again)"
           if stats.skipped else "")
        + (f"; written to {out}" if out else ""),
        markup=False, highlight=False, soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    """Add ``miner extract`` to the main app."""
    app.command("extract")(extract_command)
