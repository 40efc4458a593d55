"""Where evaluation inputs come from: JSONL files or directories of them, and the review texts.

Gold and predictions may each be one JSONL file or a directory of ``*.jsonl`` files
(read in name order, so results never depend on directory listing order).  Review
texts are found by their number prefix (``000_*.txt``), so the seed file names can
change without touching code.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Union

from miner.config import GOLD_DIR, REVIEWS_DIR
from miner.errors import MinerError
from miner.schema import Finding, read_jsonl

DEFAULT_GOLD_DIR = GOLD_DIR
DEFAULT_REVIEWS_DIR = REVIEWS_DIR

FindingsSource = Union[str, Path, Iterable[Finding]]

_REVIEW_RE = re.compile(r"review_(\d{3})\b|(?:^|[:/])(\d{3})_[0-9a-f]+")


def jsonl_files(path: str | Path) -> list[Path]:
    """The JSONL files a path denotes (itself, or the ``*.jsonl`` of a directory)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.jsonl"))
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
