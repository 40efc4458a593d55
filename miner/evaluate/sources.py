"""Where evaluation inputs come from: JSONL files or directories of them, document lists, the review texts.

Gold and predictions may each be one JSONL file or a directory of ``*.jsonl`` files
(read in name order, so results never depend on directory listing order).  Review
texts are found by their number prefix (``000_*.txt``), so the seed file names can
change without touching code.

A gold set may come with a *documents list* (``documents.jsonl`` beside its rows, one
``{"doc_id": ..., "split": "train"|"dev"}`` per line): the documents it covers,
including exhaustively annotated documents without any row.  It is not a findings
file, so directory listings skip it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Mapping, Union

from miner.config import GOLD_DIR, REVIEWS_DIR
from miner.errors import InputFileError, MinerError
from miner.schema import Finding, jsonl_lines, read_jsonl

DEFAULT_GOLD_DIR = GOLD_DIR
DEFAULT_REVIEWS_DIR = REVIEWS_DIR

FindingsSource = Union[str, Path, Iterable[Finding]]
#: A documents list: a ``documents.jsonl`` path, doc_id -> split, or bare doc ids (no split).
DocumentsSource = Union[str, Path, Mapping[str, str], Iterable[str]]
#: Name of the documents list beside a gold set.
DOCUMENTS_FILE = "documents.jsonl"
SPLITS = ("train", "dev")

_REVIEW_RE = re.compile(r"review_(\d{3})\b|(?:^|[:/])(\d{3})_[0-9a-f]+")


def jsonl_files(path: str | Path) -> list[Path]:
    """The JSONL files a path denotes (itself, or the ``*.jsonl`` of a directory)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(f for f in path.glob("*.jsonl") if f.name != DOCUMENTS_FILE)
        if not files:
            raise MinerError(f"{path}: directory holds no .jsonl file")
        return files
    if not path.exists():
        raise MinerError(f"{path}: no such file or directory")
    return [path]


def load_findings(source: FindingsSource) -> list[Finding]:
    """Findings from a file, a directory of JSONL files, or an iterable of findings."""
    if isinstance(source, (str, Path)):
        out: list[Finding] = []
        for file in jsonl_files(source):
            out.extend(read_jsonl(file))
        return out
    return list(source)


def review_of(doc_id: str) -> str:
    """The review number of a document id ("text:review_000" -> "000"); "" if it names none."""
    m = _REVIEW_RE.search(doc_id or "")
    return (m.group(1) or m.group(2)) if m else ""


def review_text(reviews_dir: str | Path, review: str) -> str:
    """The text of review ``NNN`` (the file ``NNN_*.txt`` in ``reviews_dir``)."""
    reviews_dir = Path(reviews_dir)
    if not reviews_dir.is_dir():
        raise MinerError(f"{reviews_dir}: reviews directory not found")
    files = sorted(reviews_dir.glob(f"{review}_*.txt"))
    if not files:
        raise MinerError(f"{reviews_dir}: no review file {review}_*.txt")
    return files[0].read_text(encoding="utf-8")


def document_key(doc_id: str) -> str:
    """What a finding is matched within: its review number for a review text, else its doc_id.

    Review texts are stored under several ids ("text:review_000", "text:000_21accde0..."),
    so the review number stands for all of them; every other document is its own key.
    """
    return review_of(doc_id) or doc_id


def documents_beside(gold: str | Path) -> Path | None:
    """The ``documents.jsonl`` of a gold directory, or beside a gold file; None if there is none."""
    gold = Path(gold)
    base = gold if gold.is_dir() else gold.parent
    path = base / DOCUMENTS_FILE
    return path if path.is_file() else None


def load_documents(source: DocumentsSource) -> dict[str, str]:
    """doc_id -> split ("" when unknown) of a documents list (file, mapping or iterable of ids).

    A file holds one ``{"doc_id": ..., "split": ...}`` object per line; a damaged line, a
    missing doc_id, an unknown split or a repeated document is an error naming the line.
    """
    if isinstance(source, Mapping):
        return {str(k): str(v or "") for k, v in source.items()}
    if not isinstance(source, (str, Path)):
        return {str(d): "" for d in source}
    path = Path(source)
    if not path.is_file():
        raise MinerError(f"{path}: documents list not found")
    out: dict[str, str] = {}
    for lineno, data, error in jsonl_lines(path):
        where = f"line {lineno}"
        if error:
            raise InputFileError(path, error, where)
        if not isinstance(data, dict) or not isinstance(data.get("doc_id"), str) or not data["doc_id"].strip():
            raise InputFileError(path, 'expected {"doc_id": "...", "split": "train|dev"}', where)
        split = str(data.get("split", "") or "")
        if split and split not in SPLITS:
            raise InputFileError(path, f"split {split!r} is not one of {', '.join(SPLITS)}", where)
        if data["doc_id"] in out:
            raise InputFileError(path, f"document {data['doc_id']} listed twice", where)
        out[data["doc_id"]] = split
    return out
