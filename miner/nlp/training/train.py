"""Rebuild a model from ``../shared/data``: convert its corpus, ``spacy train``, package.

Training runs ``python -m spacy train`` in a subprocess with single-threaded BLAS
(the machine is shared), logging to ``training/logs/<name>.log``.  Checkpoints land
in ``training/output/<name>``; only a finished run is packaged into ``models/``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from miner.config import REPO_ROOT
from miner.errors import MinerError
from miner.nlp.training.convert import convert
from miner.nlp.training.package import package
from miner.nlp.training.registry import TRAINING_DIR, ModelSpec, Run

CODE_FILE = Path(__file__).with_name("tokenizer.py")


def corpus_ready(spec: ModelSpec) -> bool:
    """Whether the converted train/dev DocBins of ``spec`` exist, and every corpus path its runs train on."""
    corpus = TRAINING_DIR / "corpus"
    run_paths = [REPO_ROOT / value for run in spec.runs for key, value in run.overrides if key.startswith("paths.")]
    return all((corpus / f"{spec.corpus}_{split}.spacy").is_file() for split in ("train", "dev")) and all(
        p.exists() for p in run_paths
    )


def train_command(spec: ModelSpec, max_steps: int | None = None, run: Run | None = None, encoder: Path | None = None,
                  gpu_id: int | None = None) -> list[str]:
    """The ``spacy train`` command line for one run of ``spec`` (default: its first); ``encoder`` sets a transformer
    config's ``paths.encoder``, ``gpu_id`` (>= 0) is passed as ``--gpu-id``."""
    run = run or spec.runs[0]
    cmd = [sys.executable, "-W", "ignore", "-m", "spacy", "train", str(spec.config), "--output", str(spec.run_output(run)),
           "--code", str(spec.code or CODE_FILE)]
    for key, value in run.overrides:
        cmd += [f"--{key}", value]
    if max_steps:
        cmd += ["--training.max_steps", str(max_steps)]
    if encoder is not None:
        cmd += ["--paths.encoder", str(encoder)]
    if gpu_id is not None and gpu_id >= 0:
        cmd += ["--gpu-id", str(gpu_id)]
    return cmd


def vectors_path(spec: ModelSpec) -> Path | None:
    """The static-vectors directory ``spec``'s config initializes from (``[paths] vectors``), if any."""
    from spacy.util import load_config

    value = load_config(spec.config)["paths"].get("vectors")
    return (REPO_ROOT / value) if value else None


def train(spec: ModelSpec, max_steps: int | None = None, reconvert: bool = False, do_package: bool = True,
          encoder: Path | None = None, gpu_id: int | None = None) -> Path:
    """Convert (if needed), build the static vectors (if the config wants them and they are missing), train every
    run of one model and package it; returns the last run's log file.

    ``encoder``: the local Hugging Face checkpoint of a transformer config (``configs/*_trf.cfg``; checked first, and
    the hub is kept offline). ``gpu_id``: train on that GPU; None, -1 or no usable CUDA GPU trains on the CPU.
    """
    if encoder is not None:
        from miner.nlp.transformer import check_encoder, require

        require(f"training {spec.name}")
        encoder = check_encoder(encoder)
    elif spec.name.endswith("_trf"):
        raise MinerError(f"{spec.name} trains on a transformer encoder: give its local checkpoint directory "
                         f"(miner models train --model {spec.name[:-4]} --encoder PATH)")
    if gpu_id is not None:
        from miner.nlp.transformer.gpu import usable_gpu

        gpu_id = usable_gpu(gpu_id)
    if reconvert or not corpus_ready(spec):
        convert(spec.corpus, TRAINING_DIR / "corpus")
    vectors = vectors_path(spec)
    if vectors is not None and vectors.name == "spacy" and not (vectors / "config.cfg").is_file():
        from miner.nlp.training.vectors import build

        build(vectors.parent)
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    if encoder is not None:
        from miner.nlp.transformer import offline_env

        env = offline_env(env)
    for number, run in enumerate(spec.runs, 1):
        log = TRAINING_DIR / "logs" / f"{spec.name}{run.suffix}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        if len(spec.runs) > 1:
            print(f"  run {number}/{len(spec.runs)} of {spec.name} -> {spec.run_output(run)} (log: {log})", flush=True)
        with log.open("w") as fh:
            proc = subprocess.run(
                train_command(spec, max_steps, run, encoder=encoder, gpu_id=gpu_id), cwd=REPO_ROOT, env=env, stdout=fh,
                stderr=subprocess.STDOUT,
            )
        if proc.returncode != 0:
            raise MinerError(f"training {spec.name}{run.suffix} failed (exit {proc.returncode}); see {log}")
    if do_package:
        package(spec)
    return log
