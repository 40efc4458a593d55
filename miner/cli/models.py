"""``miner models``: rebuild miner's spaCy models and print their held-out scores."""

from __future__ import annotations

import json
from typing import Optional

import typer
from rich.console import Console

console = Console()
models_app = typer.Typer(
    help="Train miner's own biomedical spaCy models from ../shared/data and score them on held-out test sets.",
    no_args_is_help=True,
)

MODEL_HELP = "Which model: core (tagger/parser/lemmatizer), ner_cdr (CHEMICAL/DISEASE), ner_gene (GENE), ner_variant (VARIANT) or all."


def _names(model: str) -> list[str]:
    from miner.nlp.training.registry import MODELS, spec

    return list(MODELS) if model == "all" else [spec(model).name]


@models_app.command("train")
def train_cmd(
    model: str = typer.Option("all", "--model", "-m", help=MODEL_HELP),
    max_steps: Optional[int] = typer.Option(None, "--max-steps", min=1, help="Stop after this many updates (default: the config's)."),
    reconvert: bool = typer.Option(False, "--reconvert", help="Rebuild the training DocBins even if they exist."),
    no_package: bool = typer.Option(False, "--no-package", help="Train only; do not copy model-best into models/."),
) -> None:
    """Convert the corpora, train with `spacy train` and package into models/<name> (slow: hours on CPU)."""
    from miner.nlp.training.registry import spec
    from miner.nlp.training.train import train

    for name in _names(model):
        console.print(f"[bold]training {name}[/] (log: training/logs/{name}.log)")
        train(spec(name), max_steps=max_steps, reconvert=reconvert, do_package=not no_package)
        console.print(f"  packaged models/{name}" if not no_package else "  done (not packaged)")


@models_app.command("convert")
def convert_cmd(
    corpus: str = typer.Option("all", "--corpus", help="core, cdr, gene, variant or all."),
) -> None:
    """Only convert ../shared/data into the training DocBins under training/corpus/."""
    from miner.nlp.training.convert import convert
    from miner.nlp.training.registry import TRAINING_DIR

    convert(corpus, TRAINING_DIR / "corpus")


@models_app.command("evaluate")
def evaluate_cmd(
    only: str = typer.Option("all", "--only", help="genia (core tags/parse), cdr (BC5CDR), bc2gm (BC2GM), variants (BioRED VARIANT: bare ner_variant and full pipeline) or all."),
    full: bool = typer.Option(True, "--full/--no-full", help="Also score NER through the full pipeline miner.nlp.load()."),
    save: bool = typer.Option(False, "--save", help="Record the scores in models/scores.json and rewrite the model cards."),
    as_json: bool = typer.Option(False, "--json", help="Print the scores as JSON instead of tables."),
) -> None:
    """Score the models in models/ on the held-out test sets (GENIA ud/test, BC5CDR test, BC2GM test, BioRED test)."""
    from miner.nlp.training.scoring import print_tables, run_evaluation, save_scores

    if only not in ("all", "genia", "cdr", "bc2gm", "variants"):
        from miner.errors import MinerError

        raise MinerError(f"--only must be genia, cdr, bc2gm, variants or all, not {only!r}")
    scores = run_evaluation(only, full=full, console=console)
    if as_json:
        console.print_json(json.dumps(scores))
    else:
        print_tables(scores, console)
    if save:
        save_scores(scores)
        console.print("saved models/scores.json and the model cards")


def register(app: typer.Typer) -> None:
    """Add `miner models ...` to the main app."""
    app.add_typer(models_app, name="models")
