"""Train and package the transformer variants (``configs/<name>_trf.cfg``) on a local checkpoint.

    python -m miner.nlp.transformer.train train ner_cdr --encoder PATH [--gpu-id 0] [--max-steps N] [--no-package]
    python -m miner.nlp.transformer.train package ner_cdr [ner_gene ner_variant relation]

(``miner models train --encoder PATH`` and the weasel commands ``train-*-trf`` / ``package-trf`` call these.)

* NER (``ner_cdr``, ``ner_gene``, ``ner_variant``): the CNN recognizer's converted corpus and training path
  (:func:`miner.nlp.training.train.train` with ``paths.encoder``), output ``training/output/<name>_trf``, package
  ``models/<name>_trf`` (model-best, the encoder's weights and tokenizer inside; a model card with the dev scores and
  the encoder);
* ``relation``: the relation component's converted corpus (``python -m miner.extract.relation.train convert``, made
  here if missing) and trainer with ``configs/relation_trf.cfg``, output ``training/output/relation_trf``, package
  ``models/relation_trf`` (float32).

Transformer packages are large (a BERT-base encoder is about 440 MB in float32), so they are not committed
(``models/*_trf/`` is ignored by git) and :func:`miner.nlp.load` loads them only when chosen (``MINER_MODELS``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from miner.config import REPO_ROOT
from miner.errors import MinerError
from miner.nlp.transformer import TRF_BASES, TRF_SUFFIX, check_encoder, offline_env, require

TRAINING_DIR = REPO_ROOT / "training"
MODELS_DIR = REPO_ROOT / "models"
RELATION_CONFIG = REPO_ROOT / "configs" / "relation_trf.cfg"
RELATION_OUTPUT = TRAINING_DIR / "output" / "relation_trf"
RELATION_LOG = TRAINING_DIR / "logs" / "relation_trf.log"
VERSION = "0.1.0"
#: what a transformer package needs beyond spaCy (recorded in its meta)
REQUIREMENTS = ("spacy-transformers>=1.4,<1.5", "transformers>=4.53,<4.53.3", "torch")


def trf_name(base: str) -> str:
    """``ner_cdr`` -> ``ner_cdr_trf`` (an error for a model without a transformer variant)."""
    base = base[: -len(TRF_SUFFIX)] if base.endswith(TRF_SUFFIX) else base
    if base not in TRF_BASES:
        raise MinerError(f"{base!r} has no transformer variant; choose one of {', '.join(TRF_BASES)} (or all)")
    return base + TRF_SUFFIX


def encoder_info(encoder: Path | None) -> dict[str, Any]:
    """What the model card and meta record about the checkpoint (never its weights)."""
    if encoder is None:
        return {}
    cfg = json.loads((encoder / "config.json").read_text(encoding="utf-8"))
    keys = ("model_type", "hidden_size", "num_hidden_layers", "num_attention_heads", "vocab_size", "_name_or_path")
    return {"path": str(encoder), **{k: cfg[k] for k in keys if k in cfg}}


def _encoder_from_config(package_dir: Path) -> dict[str, Any]:
    """The encoder the packaged config was trained from (its ``name``) and the stored transformer's shape."""
    from spacy.util import load_config

    cfg = load_config(package_dir / "config.cfg", interpolate=True)
    names = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if str(node.get("@architectures", "")).startswith("spacy-transformers.") and "name" in node:
                names.append(node["name"])
            for value in node.values():
                walk(value)

    walk(cfg["components"])
    return {"path": names[0]} if names else {}


def _write_card(package_dir: Path, name: str, info: dict[str, Any], meta: dict[str, Any]) -> None:
    perf = meta.get("performance") or {}
    lines = [
        f"# {meta.get('name', name)}",
        "",
        meta.get("description", ""),
        "",
        "Transformer variant (issue 19): a spacy-transformers `Tok2VecTransformer` embedded in the component; the "
        "encoder's weights and tokenizer are stored in this package, so it loads offline without the checkpoint.",
        "Load it in the full pipeline with `MINER_MODELS` (for example `MINER_MODELS=trf`, or "
        f"`MINER_MODELS=core,{name},...`); needs `pip install -e \".[trf]\"`.",
        "",
        "## Encoder",
        "",
    ]
    if info:
        lines += [f"- `{k}`: {v}" for k, v in info.items()]
    else:
        lines.append("- (not recorded)")
    lines += ["", "## Checkpoint-selection scores (spaCy's scorer, from training)", ""]
    shown = {k: v for k, v in perf.items() if isinstance(v, (int, float)) and "loss" not in k}
    if shown:
        lines += ["| score | value |", "|---|---|"] + [f"| {k} | {100 * v:.2f} |" if k != "speed" else
                                                        f"| {k} | {v:.0f} words/s |" for k, v in sorted(shown.items())]
    else:
        lines.append("(none recorded)")
    lines += ["", "Held-out test scores: `miner models evaluate` scores the CNN packages; a transformer package is "
              "scored through the full pipeline with `MINER_MODELS` set (see models/README.md).", ""]
    (package_dir / "README.md").write_text("\n".join(lines), encoding="utf-8")


def _swap_in(tmp: Path, dest: Path) -> None:
    """Replace ``dest`` by the complete package ``tmp`` (one implementation: :func:`miner.nlp.training.package.swap_in`)."""
    from miner.nlp.training.package import swap_in

    swap_in(tmp, dest)


def write_package(checkpoint: Path, dest: Path, meta: dict[str, Any], encoder: Path | None = None,
                  component_cfg: dict[str, Any] | None = None) -> Path:
    """Load a trained checkpoint, update its meta (``meta``, the encoder, the requirements), write it to ``dest``
    with a model card, swapped in only when complete."""
    import spacy

    require("packaging a transformer model")
    import miner.nlp.transformer.spacy_code  # noqa: F401  (the factories a trf checkpoint may use: miner_relation)

    if not (checkpoint / "config.cfg").is_file():
        raise MinerError(f"no trained model at {checkpoint}; train it first "
                         "(miner models train --model NAME --encoder PATH)")
    nlp = spacy.load(checkpoint)
    for name, cfg in (component_cfg or {}).items():
        nlp.get_pipe(name).cfg.update(cfg)
    nlp.meta.update(meta)
    nlp.meta["requirements"] = list(REQUIREMENTS)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".new")
    if tmp.exists():
        shutil.rmtree(tmp)
    nlp.to_disk(tmp)
    info = encoder_info(encoder) if encoder is not None else _encoder_from_config(tmp)
    meta_path = tmp / "meta.json"
    stored = json.loads(meta_path.read_text(encoding="utf-8"))
    stored["encoder"] = info
    meta_path.write_text(json.dumps(stored, indent=2) + "\n", encoding="utf-8")
    _write_card(tmp, dest.name, info, stored)
    _swap_in(tmp, dest)
    return dest


def package_ner(base: str, encoder: Path | None = None, checkpoint: Path | None = None,
                dest: Path | None = None) -> Path:
    """``training/output/<name>_trf/model-best`` (or ``checkpoint``) -> ``models/<name>_trf`` (or ``dest``)."""
    from miner.nlp.training.registry import spec

    model = spec(trf_name(base))
    return write_package(
        checkpoint or model.output / model.runs[0].checkpoint,
        dest or model.package_dir,
        {
            "name": f"miner_{model.name}",
            "version": VERSION,
            "description": model.description,
            "license": "see models/README.md (training data licences)",
            "author": "miner project",
            "sources": [{"name": s} for s in model.sources],
            "notes": "Tokenizer: scispacy combined_rule_tokenizer + miner infixes (miner/nlp/training/tokenizer.py); "
                     "the encoder's own WordPiece/BPE tokenizer runs on those tokens (spacy-transformers alignment).",
        },
        encoder,
    )


def package_relation(checkpoint: Path | None = None, dest: Path | None = None, encoder: Path | None = None) -> Path:
    """A trained ``configs/relation_trf.cfg`` checkpoint -> ``models/relation_trf``, float32, miner's meta."""
    return write_package(
        checkpoint or RELATION_OUTPUT / "model-best",
        dest or MODELS_DIR / ("relation" + TRF_SUFFIX),
        {
            "name": "miner_relation_trf",
            "version": VERSION,
            "description": "Relation classifier over miner's entities on a transformer encoder: (drug, prior drug) -> "
                           "effect + direction, (drug, gene/variant) -> resistance (configs/relation_trf.cfg).",
            "license": "see models/README.md (training data licences)",
            "author": "miner project",
            "sources": [{"name": "miner development abstracts (annotations/dev), train split only"},
                        {"name": "CIViC evidence statements (CC0), train split only (miner.evaluate.civic)"}],
            "notes": "Needs miner's pipeline for its input: miner.extract.relation.add_relation_component("
                     "miner.nlp.load(), 'models/relation_trf').",
        },
        encoder,
        component_cfg={"miner_relation": {"store_8bit": False}},
    )


def train_relation(encoder: Path, max_steps: int | None = None, gpu_id: int = -1, do_package: bool = True,
                   corpus: Path | None = None) -> Path:
    """Convert the relation corpus if it is missing (the relation component's converter), train
    ``configs/relation_trf.cfg`` with ``spacy train`` (single-threaded, the hub offline), package it."""
    import subprocess

    from miner.extract.relation import train as relation_train
    from miner.nlp.training.registry import TRF_CODE

    corpus = corpus or relation_train.CORPUS_DIR
    if not (corpus / "relation_train.spacy").is_file():
        relation_train.convert(corpus)
    cmd = [sys.executable, "-W", "ignore", "-m", "spacy", "train", str(RELATION_CONFIG), "--output",
           str(RELATION_OUTPUT), "--code", str(TRF_CODE), "--paths.encoder", str(encoder),
           "--paths.train", str(corpus / "relation_train.spacy"), "--paths.dev", str(corpus / "relation_select.spacy")]
    if max_steps:
        cmd += ["--training.max_steps", str(max_steps)]
    if gpu_id >= 0:
        cmd += ["--gpu-id", str(gpu_id)]
    env = offline_env(dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1"))
    RELATION_LOG.parent.mkdir(parents=True, exist_ok=True)
    with RELATION_LOG.open("w") as fh:
        proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise MinerError(f"training relation_trf failed (exit {proc.returncode}); see {RELATION_LOG}")
    return package_relation(encoder=encoder) if do_package else RELATION_OUTPUT


def train_trf(base: str, encoder: str | Path, max_steps: int | None = None, reconvert: bool = False,
              do_package: bool = True, gpu_id: int | None = None) -> Path:
    """Train (and package) the transformer variant of ``base`` on the checkpoint ``encoder``; returns the package
    directory (or the training output with ``do_package=False``)."""
    from miner.nlp.transformer.gpu import usable_gpu

    name = trf_name(base)
    require(f"training {name}")
    enc = check_encoder(encoder)
    gpu = usable_gpu(gpu_id)
    if name == "relation" + TRF_SUFFIX:
        return train_relation(enc, max_steps=max_steps, gpu_id=gpu, do_package=do_package)
    from miner.nlp.training.registry import spec
    from miner.nlp.training.train import train

    train(spec(name), max_steps=max_steps, reconvert=reconvert, do_package=False, encoder=enc, gpu_id=gpu)
    return package_ner(base, enc) if do_package else spec(name).output


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("step", choices=("train", "package"))
    ap.add_argument("models", nargs="+", help=f"{', '.join(TRF_BASES)} or all")
    ap.add_argument("--encoder", default="", help="local Hugging Face checkpoint directory (train)")
    ap.add_argument("--skip-without-encoder", action="store_true",
                    help="train: do nothing (exit 0) when --encoder is empty (weasel's `all` without --vars.encoder)")
    ap.add_argument("--gpu-id", type=int, default=-1, help="GPU to train on (-1: CPU; no GPU: a no-op)")
    ap.add_argument("--max-steps", type=int, default=None)
    ap.add_argument("--no-package", action="store_true")
    args = ap.parse_args(argv)
    names = list(TRF_BASES) if args.models == ["all"] else args.models
    encoder = Path(args.encoder) if args.encoder.strip() else None
    if args.step == "train" and encoder is None and args.skip_without_encoder:
        print(f"{', '.join(trf_name(n) for n in names)}: skipped (no encoder; give --vars.encoder PATH to weasel or "
              "--encoder PATH)")
        return 0
    try:
        for base in names:
            if args.step == "train":
                if encoder is None:
                    raise MinerError("train needs --encoder PATH (a local Hugging Face checkpoint directory)")
                out = train_trf(base, encoder, max_steps=args.max_steps, do_package=not args.no_package,
                                gpu_id=args.gpu_id)
            else:
                out = package_relation() if trf_name(base) == "relation" + TRF_SUFFIX else package_ner(base)
            print(f"{trf_name(base)}: {out}")
    except MinerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
