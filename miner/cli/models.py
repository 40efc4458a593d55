"""``miner models``: rebuild miner's spaCy models and print their held-out scores."""

from __future__ import annotations

import json
from pathlib import Path
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
    encoder: Optional[Path] = typer.Option(
        None, "--encoder", help="Train the transformer variant (configs/<name>_trf.cfg) on this local Hugging Face "
        "checkpoint directory -> models/<name>_trf; --model then takes ner_cdr, ner_gene, ner_variant, relation or all "
        "(needs the trf extra: pip install -e \".\\[trf]\").", show_default=False),
    gpu_id: int = typer.Option(-1, "--gpu-id", help="Train on this CUDA GPU (spacy train --gpu-id); -1 or no usable "
                               "GPU: the CPU."),
) -> None:
    """Convert the corpora, train with `spacy train` and package into models/<name> (slow: hours on CPU)."""
    from miner.nlp.training.registry import spec
    from miner.nlp.training.train import train

    if encoder is not None:
        from miner.nlp.transformer import TRF_BASES, check_encoder, require
        from miner.nlp.transformer.train import train_trf, trf_name

        require("miner models train --encoder")
        checkpoint = check_encoder(encoder)
        for base in (list(TRF_BASES) if model == "all" else [model]):
            name = trf_name(base)
            console.print(f"[bold]training {name}[/] on {checkpoint} (log: training/logs/{name}.log)")
            out = train_trf(base, checkpoint, max_steps=max_steps, reconvert=reconvert, do_package=not no_package,
                            gpu_id=gpu_id)
            console.print(f"  packaged {out}" if not no_package else f"  done (not packaged): {out}")
        return
    for name in _names(model):
        console.print(f"[bold]training {name}[/] (log: training/logs/{name}.log)")
        train(spec(name), max_steps=max_steps, reconvert=reconvert, do_package=not no_package,
              gpu_id=gpu_id if gpu_id >= 0 else None)
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
    only: str = typer.Option("all", "--only", help="genia (core tags/parse), cdr (BC5CDR), bc2gm (BC2GM), variants (BioRED VARIANT: bare ner_variant and full pipeline), biored (cross-corpus CHEMICAL/DISEASE/GENE on BioRED test, full pipeline), abstracts (entity recall on the annotated dev abstracts, full pipeline) or all."),
    full: bool = typer.Option(True, "--full/--no-full", help="Also score NER through the full pipeline miner.nlp.load()."),
    save: bool = typer.Option(False, "--save", help="Record the scores in models/scores.json and rewrite the model cards."),
    as_json: bool = typer.Option(False, "--json", help="Print the scores as JSON instead of tables."),
) -> None:
    """Score the models in models/ on the held-out test sets (GENIA ud/test, BC5CDR test, BC2GM test, BioRED test) and the annotated dev abstracts."""
    from miner.nlp.training.scoring import print_tables, run_evaluation, save_scores

    from miner.nlp.training.scoring import CHOICES

    if only not in CHOICES:
        from miner.errors import MinerError

        raise MinerError(f"--only must be {', '.join(CHOICES[1:])} or all, not {only!r}")
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
