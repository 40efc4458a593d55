"""``miner annotate``: run the NLP pipeline on a text and print its entities with labels and ids."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from miner.errors import InputFileError, MinerError

console = Console()
err_console = Console(stderr=True)


def read_text_file(path: Path) -> str:
    """File contents as text; invalid UTF-8 bytes are replaced (U+FFFD) with a warning naming the first one."""
    if not path.exists():
        raise InputFileError(path, "no such file")
    if not path.is_file():
        raise InputFileError(path, "not a regular file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError(path, f"cannot read ({exc.strerror})") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        err_console.print(
            f"[yellow]warning:[/] {path}: invalid UTF-8 at byte {exc.start}; undecodable bytes replaced by U+FFFD",
            highlight=False,
        )
        return data.decode("utf-8", errors="replace")


def annotate(
    text: Optional[str] = typer.Option(None, "--text", "-t", help="Text to annotate."),
    file: Optional[Path] = typer.Option(None, "--file", "-f", help="UTF-8 text file to annotate (one document)."),
    as_json: bool = typer.Option(
        False, "--json", help="Print JSON (entities and abbreviations) instead of one line per entity."
    ),
    models_dir: Optional[Path] = typer.Option(
        None, "--models", help="Directory of trained spaCy pipelines. Default: models/ in the repository."
    ),
    rules_only: bool = typer.Option(
        False,
        "--rules-only",
        help="Skip the statistical models: lexicon drugs/classes, abbreviations and variant patterns only "
        "(no DISEASE/GENE entities).",
    ),
) -> None:
    """Print the entities of a text: CHEMICAL (drug / regimen / drug-class sub-label, DrugBank or class ids,
    classes), DISEASE, GENE (normalised symbol), VARIANT (type, genes), with abbreviation long forms."""
    if (text is None) == (file is None):
        raise MinerError("give exactly one of --text or --file")
    content = text if text is not None else read_text_file(file)  # type: ignore[arg-type]
    if not content.strip():
        raise MinerError("nothing to annotate: the text is empty")
    from miner.nlp.pipeline import check_length, load, rules_only_pipeline

    check_length(content)  # before loading models: a too-long text fails fast
    from miner.nlp.lexicon import load_lexicon
    from miner.nlp.records import doc_record

    with err_console.status("loading the NLP pipeline..."):
        nlp = rules_only_pipeline() if rules_only else load(models_dir)
    check_length(content, nlp)
    with err_console.status("annotating..."):
        doc = nlp(content)
    record = doc_record(doc, load_lexicon())
    if as_json:
        typer.echo(json.dumps(record, ensure_ascii=False, indent=2))
        return
    console.print(f"{len(record['entities'])} entities", style="bold")
    for ent in record["entities"]:
        parts = [f"{ent['label']:<8}", f"{ent['start']:>6}-{ent['end']:<6}", repr(ent["text"])]
        if ent.get("id"):
            parts.append(ent["id"])
        detail = ent.get("drug_label") or ent.get("variant_type")
        if detail:
            parts.append(detail)
        if ent.get("name") and ent["name"].lower() != ent["text"].lower():
            parts.append(f"= {ent['name']}")
        if ent.get("classes"):
            parts.append("classes: " + ", ".join(ent["classes"]))
        if ent.get("gene_ids"):
            parts.append("genes: " + ", ".join(ent["gene_ids"]))
        if ent.get("long_form"):
            parts.append(f"long form: {ent['long_form']!r}")
        console.print("  ".join(parts), highlight=False, soft_wrap=True)
    for abbr in record["abbreviations"]:
        console.print(f"abbreviation: {abbr['short']} = {abbr['long']}", highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the main app."""
    app.command("annotate")(annotate)
