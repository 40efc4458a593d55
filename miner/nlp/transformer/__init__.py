"""Transformer encoders for miner's NER and relation models (issue 19), from any local Hugging Face checkpoint.

The CNN recognizers (``configs/ner_*.cfg``) each have a transformer variant, ``configs/<name>_trf.cfg``, whose
``tok2vec`` is a ``spacy-transformers`` ``Tok2VecTransformer`` embedded in the component (so the packaged
recognizer can be sourced into the core pipeline on its own, like the CNN ones). The encoder is a variable,
``[paths] encoder``: a local directory holding a Hugging Face checkpoint (``config.json``, tokenizer files,
PyTorch/safetensors weights: PubMedBERT, BioLinkBERT, BiomedBERT, ... saved with ``save_pretrained``). Nothing is
downloaded: training and loading run with the hub offline.

* ``miner models train --encoder PATH [--model ner_cdr|ner_gene|ner_variant|relation|all] [--gpu-id N]``
  (or ``weasel run train-ner-cdr-trf . --vars.encoder PATH``) trains ``<name>_trf`` and packages it into
  ``models/<name>_trf`` (the encoder's weights are stored inside the package, so it loads without the checkpoint);
* :func:`miner.nlp.load` loads the CNN packages by default; ``MINER_MODELS`` / ``[nlp] models`` (or
  ``load(models=...)``) choose the packages, e.g. ``MINER_MODELS=core,ner_cdr_trf,ner_gene,ner_variant`` or
  ``MINER_MODELS=trf`` (every packaged ``*_trf`` recognizer instead of its CNN counterpart), see
  :func:`select_packages`. A transformer recognizer writes its spans to its own ``ner:<name>`` span group, and
  ``miner_merge_ner`` merges them with the others exactly as it merges the CNN recognizers' spans;
* ``configs/relation_trf.cfg`` is the relation component ``miner_relation`` with the transformer as the tok2vec of its
  instance tensor (the same component, the same ``doc._.relations`` for the reader).

This module imports neither torch nor transformers: the default install is torch-free, and only code that trains or
loads a transformer package needs the optional extra ``pip install -e ".[trf]"`` (:func:`require`).
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Sequence
from pathlib import Path

from miner.errors import MinerError

#: suffix of a transformer variant's model, config, component and package name (``ner_cdr`` -> ``ner_cdr_trf``)
TRF_SUFFIX = "_trf"
#: the models that have a transformer variant (``miner models train --encoder PATH --model NAME``)
TRF_BASES = ("ner_cdr", "ner_gene", "ner_variant", "relation")
#: the environment variable and settings key that choose the packages miner.nlp.load() assembles
MODELS_ENV = "MINER_MODELS"
#: the shorthand value: every packaged transformer recognizer instead of its CNN counterpart
TRF_SHORTHAND = "trf"
EXTRA_HINT = 'install the optional extra: pip install -e ".[trf]" (torch, transformers, spacy-transformers)'
#: the weight files a checkpoint directory may hold (PyTorch or safetensors, single or sharded)
WEIGHT_FILES = (
    "model.safetensors", "pytorch_model.bin", "model.safetensors.index.json", "pytorch_model.bin.index.json",
)
#: tokenizer files: a fast tokenizer, a WordPiece vocabulary, a BPE vocabulary or a SentencePiece model
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "vocab.json", "spiece.model", "sentencepiece.bpe.model")


def available() -> bool:
    """Whether the ``trf`` extra is installed (spacy-transformers, transformers, torch)."""
    return all(importlib.util.find_spec(m) is not None for m in ("spacy_transformers", "transformers", "torch"))


def require(what: str = "a transformer model") -> None:
    """Raise a clear MinerError when the ``trf`` extra is missing."""
    if not available():
        raise MinerError(f"{what} needs torch, transformers and spacy-transformers; {EXTRA_HINT}")


def offline_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: this process's) with the Hugging Face hub switched off unless the caller set it: every
    encoder is a local directory, and a lookup on an unreachable hub would only hang or fail obscurely."""
    out = dict(os.environ if env is None else env)
    out.setdefault("HF_HUB_OFFLINE", "1")
    out.setdefault("TRANSFORMERS_OFFLINE", "1")
    out.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    return out


def check_encoder(path: str | Path) -> Path:
    """The absolute path of a local Hugging Face checkpoint directory, or a MinerError naming ``path`` and what is
    wrong with it (missing, not a directory, no ``config.json``, no model type, no tokenizer, no weights)."""
    p = Path(path).expanduser()
    hint = ("pass a local Hugging Face checkpoint directory (config.json, tokenizer files and PyTorch or safetensors "
            "weights, as save_pretrained writes them); no model hub is used")
    if not p.exists():
        raise MinerError(f"encoder checkpoint {path} does not exist; {hint}")
    if not p.is_dir():
        raise MinerError(f"encoder checkpoint {path} is not a directory; {hint}")
    config = p / "config.json"
    if not config.is_file():
        raise MinerError(f"encoder checkpoint {path} is not a Hugging Face model: it has no config.json; {hint}")
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MinerError(f"encoder checkpoint {path}: unreadable config.json ({exc})") from exc
    if not isinstance(data, dict) or not data.get("model_type"):
        raise MinerError(f"encoder checkpoint {path}: config.json names no model_type; {hint}")
    if not any((p / f).is_file() for f in TOKENIZER_FILES):
        raise MinerError(f"encoder checkpoint {path} has no tokenizer ({', '.join(TOKENIZER_FILES)}); {hint}")
    if not any((p / f).is_file() for f in WEIGHT_FILES) and not any(p.glob("*.safetensors")):
        raise MinerError(f"encoder checkpoint {path} has no PyTorch or safetensors weights "
                         f"({', '.join(WEIGHT_FILES)}); {hint}")
    return p.resolve()


# -- which packages miner.nlp.load() assembles ----------------------------------------------------------------------


def is_transformer_package(path: Path) -> bool:
    """Whether the spaCy package in ``path`` uses spacy-transformers (read from its config, nothing imported)."""
    try:
        return "spacy-transformers." in (path / "config.cfg").read_text(encoding="utf-8")
    except OSError:
        return False


def configured_models() -> list[str] | None:
    """The ``MINER_MODELS`` environment variable (comma-separated), else ``[nlp] models`` of the settings file (a list
    or a comma-separated string), else None (the default choice)."""
    raw: object = os.environ.get(MODELS_ENV)
    if not raw:
        from miner.config import _config_file, _read_toml

        raw = _read_toml(_config_file()).get("nlp", {}).get("models")
    return parse_models(raw)


def parse_models(raw: object) -> list[str] | None:
    """``"core, ner_cdr_trf"`` or ``["core", "ner_cdr_trf"]`` -> a list of names; empty -> None."""
    if raw is None:
        return None
    items = raw.split(",") if isinstance(raw, str) else list(raw) if isinstance(raw, (list, tuple)) else None
    if items is None or not all(isinstance(i, str) for i in items):
        raise MinerError(f"{MODELS_ENV} / [nlp] models must be package names separated by commas, not {raw!r}")
    names = [i.strip() for i in items if i.strip()]
    return names or None


def select_packages(found: Sequence[tuple[Path, dict]], models: Sequence[str] | None) -> list[tuple[Path, dict]]:
    """The packages of ``found`` (``(path, meta)`` of every package in the models directory) that load.

    ``models`` None: every package except the transformer ones (the default install has no torch, and the CNN
    recognizers are what the figures in README and BENCHMARKS describe). ``["trf"]``: every package, each recognizer
    that has a packaged ``<name>_trf`` variant replaced by it. Otherwise exactly the named package directories
    (``"trf"`` may be one of them); an unknown name is an error that lists the packages there are.
    """
    by_name = {p.name: (p, m) for p, m in found}
    cnn = [(p, m) for p, m in found if not is_transformer_package(p)]
    if models is None:
        return cnn
    chosen: list[tuple[Path, dict]] = []
    for name in models:
        if name == TRF_SHORTHAND:
            for p, m in found:
                if is_transformer_package(p):
                    base = p.name[: -len(TRF_SUFFIX)] if p.name.endswith(TRF_SUFFIX) else ""
                    pick = None if base in by_name and not is_transformer_package(by_name[base][0]) else (p, m)
                else:
                    variant = by_name.get(p.name + TRF_SUFFIX)
                    pick = variant if variant is not None and is_transformer_package(variant[0]) else (p, m)
                if pick is not None and pick not in chosen:
                    chosen.append(pick)
        elif name in by_name:
            if by_name[name] not in chosen:
                chosen.append(by_name[name])
        else:
            there = ", ".join(sorted(by_name)) or "none"
            raise MinerError(f"{MODELS_ENV} / [nlp] models names {name!r}, which is not a package in the models "
                             f"directory (packages there: {there})")
    transformers = [p.name for p, _m in chosen if is_transformer_package(p)]
    if transformers:
        require(f"loading a transformer package ({', '.join(transformers)})")
        configure_torch()
    return chosen


def configure_torch() -> None:
    """One torch thread per process unless ``OMP_NUM_THREADS`` says otherwise, and no tokenizers thread pool.

    spaCy's ``nlp.pipe(n_process=N)`` (``extract_docs(..., n_process=N)``) forks worker processes; a torch (OpenMP)
    thread pool that exists before the fork deadlocks them (measured: a 2-process run with a transformer recognizer
    hung; with one torch thread it gives the single-process result, tests/test_trf.py). One thread per process is also
    the project's convention on the shared machine (Dask workers are single-threaded processes too); set
    ``OMP_NUM_THREADS`` to give a single process more. Called before a transformer package is loaded.
    """
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if not os.environ.get("OMP_NUM_THREADS"):
        import torch

        torch.set_num_threads(1)


def relation_package(models_dir: Path | None = None, models: Sequence[str] | None = None) -> Path:
    """The relation component package the same setting chooses, for
    :func:`miner.extract.relation.add_relation_component`: ``relation_trf`` when ``models`` (default: the
    ``MINER_MODELS`` / ``[nlp] models`` setting) names it, or says ``trf`` and it is packaged; else ``relation``."""
    from miner.config import REPO_ROOT

    root = Path(models_dir) if models_dir is not None else REPO_ROOT / "models"
    names = list(models) if models is not None else (configured_models() or [])
    variant = root / ("relation" + TRF_SUFFIX)
    if "relation" + TRF_SUFFIX in names or (TRF_SHORTHAND in names and is_transformer_package(variant)):
        if is_transformer_package(variant):
            require(f"the relation package {variant}")
            configure_torch()
        return variant
    return root / "relation"
