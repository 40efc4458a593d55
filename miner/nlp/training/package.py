"""Package a trained checkpoint into ``models/<name>`` with its meta and model card."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import spacy
from spacy.language import Language

from miner.errors import MinerError
from miner.nlp.training.lemmas import add_rule_lemmatizer
from miner.nlp.training.registry import MODELS_DIR, ModelSpec

VERSION = "0.1.0"


def dir_size_mb(path: Path) -> float:
    """Size of a directory tree in MB."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def _load_checkpoint(path: Path, spec: ModelSpec, **kwargs) -> Language:
    if not (path / "config.cfg").is_file():
        raise MinerError(f"no trained model at {path}; run `miner models train --model {spec.name}` first")
    return spacy.load(path, **kwargs)


def load_trained(spec: ModelSpec, checkpoint: Path | None = None) -> Language:
    """The trained pipeline of ``spec``: a checkpoint (default: ``model-best``), or for an ensemble spec the first
    run's pipeline whose NER is replaced by the vote of every run's checkpoint (``Run.checkpoint``)."""
    if not spec.is_ensemble:
        return _load_checkpoint(checkpoint or spec.output / spec.runs[0].checkpoint, spec)
    if checkpoint is not None:
        raise MinerError(f"{spec.name} is an ensemble of {len(spec.runs)} runs; it is packaged from their checkpoints")
    from miner.nlp.ensemble import from_pipelines

    bests = [spec.run_output(run) / run.checkpoint for run in spec.runs]
    sources = [_load_checkpoint(path, spec) for path in bests]
    (name,) = spec.components
    nlp = _load_checkpoint(bests[0], spec, exclude=[name])
    from_pipelines(nlp, name, sources, name, spec.min_votes)
    return nlp


def package(spec: ModelSpec, checkpoint: Path | None = None) -> Path:
    """Copy a checkpoint (default: ``model-best``; every run's for an ensemble) to ``models/<name>`` with miner's meta.

    The new package is written beside the old one and swapped in only when complete,
    so a failure never leaves ``models/`` without a working model.
    """
    nlp = load_trained(spec, checkpoint)
    if "tagger" in nlp.pipe_names:
        add_rule_lemmatizer(nlp)
    if spec.is_ensemble:
        nlp.meta.pop("performance", None)  # the first run's training scores; the ensemble's are in the model card
    nlp.meta.update(
        {
            "name": f"miner_{spec.name}",
            "version": VERSION,
            "description": spec.description,
            "license": "see models/README.md (training data licences)",
            "author": "miner project",
            "sources": [{"name": s} for s in spec.sources],
            "notes": "Tokenizer: scispacy combined_rule_tokenizer + miner infixes (miner/nlp/training/tokenizer.py).",
        }
    )
    return write_package(nlp, spec.package_dir)


def write_package(nlp, dest: Path) -> Path:
    """Write pipeline ``nlp`` to the package directory ``dest`` atomically: to ``<dest>.new`` (keeping ``dest``'s
    model card), then swapped in, so a failure never leaves ``dest`` half-written."""
    tmp = dest.with_name(dest.name + ".new")
    if tmp.exists():
        shutil.rmtree(tmp)
    nlp.to_disk(tmp)
    card = dest / "README.md"
    if card.is_file():
        shutil.copy2(card, tmp / "README.md")
    swap_in(tmp, dest)
    return dest


def swap_in(tmp: Path, dest: Path) -> None:
    """Replace ``dest`` by the complete directory ``tmp`` (a failure never leaves ``dest`` half-written)."""
    if dest.exists():
        old = dest.with_name(dest.name + ".old")
        if old.exists():
            shutil.rmtree(old)
        dest.rename(old)
        tmp.rename(dest)
        shutil.rmtree(old)
    else:
        tmp.rename(dest)


def load_scores(models_dir: Path = MODELS_DIR) -> dict:
    """The last saved held-out scores (``models/scores.json``), or {}."""
    path = models_dir / "scores.json"
    return json.loads(path.read_text()) if path.is_file() else {}


if __name__ == "__main__":
    import sys

    from miner.nlp.training.registry import spec

    try:
        for model_name in sys.argv[1:]:
            print(f"packaged {package(spec(model_name))}")
    except MinerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
