"""Evaluation stage: gold-set tooling, scoring predictions, reconciling mined findings.

Public API::

    from miner.evaluate import evaluate, reconcile
    result = evaluate("annotations/gold", "pred.jsonl", review="000")
    result.scores            # DataFrame: level, effect, review, tp, fp, fn, precision, recall, f1
    result.misses, result.false_positives, result.matches, result.slices, result.not_scored

Development sets as ``(documents, gold_rows, covered_doc_ids)``, for scoring and training::

    from miner.evaluate import load_abstracts, load_civic
    docs, gold, covered = load_civic("dev")          # CIViC statements (annotations/civic)
    docs, gold, covered = load_abstracts("train")    # crossres abstracts (annotations/dev)
    evaluate(gold, predictions, documents=covered)   # per document; rowless documents are covered

The subpackage itself is also callable, so ``import miner; miner.evaluate(gold, pred)``
works as the issue asks: ``miner.evaluate`` cannot be both a package and a function,
so the package module's class gets a ``__call__`` that forwards to :func:`evaluate`.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from miner.evaluate.devset import load_abstracts
from miner.evaluate.gold import CheckReport, LinkReport, check, cited_dois, link
from miner.evaluate.metrics import EvaluationResult, NoCommonDocumentsError, evaluate
from miner.evaluate.names import LexiconLike, default_lexicon, resolve_name
from miner.evaluate.reconcile import ReconcileResult, reconcile
from miner.evaluate.report import write_report

__all__ = [
    "CheckReport",
    "EvaluationResult",
    "LexiconLike",
    "LinkReport",
    "NoCommonDocumentsError",
    "ReconcileResult",
    "check",
    "cited_dois",
    "default_lexicon",
    "evaluate",
    "link",
    "load_abstracts",
    "load_civic",
    "reconcile",
    "resolve_name",
    "write_report",
]


def __getattr__(name: str) -> Any:
    """``load_civic`` on first use (imported lazily so that ``python -m miner.evaluate.civic`` runs cleanly)."""
    if name == "load_civic":
        from miner.evaluate.civic import load_civic

        return load_civic
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _CallableModule(types.ModuleType):
    """Lets ``miner.evaluate(gold, pred, ...)`` call :func:`evaluate`."""

    def __call__(self, *args: Any, **kwargs: Any) -> EvaluationResult:
        return evaluate(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
