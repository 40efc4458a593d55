"""Shared pieces of the curation exports: argument spans, grouping, safe file output.

Every exporter reads the same :class:`miner.schema.Finding` objects and the text of
their documents (``Finding.offsets`` index into ``Document.text``), so span
extraction and the write-then-rename discipline live here once.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Mapping

from miner.errors import MinerError
from miner.schema import Finding

#: Finding field -> role name used in every curation format.
ROLES = {"drug": "Drug", "prior_drug": "PriorDrug", "mechanism": "Mechanism"}
ROLE_FIELDS = {v: k for k, v in ROLES.items()}


@dataclass(frozen=True)
class ArgSpan:
    """One argument of a finding located in its document."""

    role: str  # Drug | PriorDrug | Mechanism
    start: int
    end: int
    text: str


def argument_spans(finding: Finding, text: str) -> list[ArgSpan]:
    """The finding's arguments whose offsets are valid in ``text`` (exact slices)."""
    spans = []
    for field, role in ROLES.items():
        off = finding.offsets.get(field)
        if not off:
            continue
        start, end = int(off[0]), int(off[1])
        if 0 <= start < end <= len(text):
            spans.append(ArgSpan(role, start, end, text[start:end]))
    return spans


def group_by_doc(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    """Findings grouped by document, in first-seen order."""
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.doc_id, []).append(f)
    return groups


def document_text(doc_id: str, texts: Mapping[str, str]) -> str:
    try:
        return texts[doc_id]
    except KeyError:
        raise MinerError(f"document {doc_id} of a finding is not in the corpus store") from None


def safe_name(doc_id: str) -> str:
    """A file-system-safe stem for a document id (``pmid:123`` -> ``pmid_123``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", doc_id).strip("._") or "doc"


def passage_around(text: str, start: int, end: int, limit: int = 6000) -> tuple[str, int]:
    """The paragraph holding ``[start, end)`` when ``text`` is long, else the whole text.

    Returns ``(passage, base)`` with ``passage == text[base:base + len(passage)]``, so
    document offsets become passage offsets by subtracting ``base``.  Long documents (the
    reviews) would otherwise put 150 KB into every curation task.
    """
    if len(text) <= limit:
        return text, 0
    lo = text.rfind("\n", 0, start) + 1
    hi = text.find("\n", end)
    hi = len(text) if hi < 0 else hi
    return text[lo:hi], lo


def check_target(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise MinerError(f"{path} exists; use --force to overwrite it")
    if not path.parent.exists():
        raise MinerError(f"{path.parent} does not exist")


@contextmanager
def atomic_file(path: Path, force: bool = False, encoding: str = "utf-8", newline: str | None = None) -> Iterator:
    """Open a temporary file beside ``path``; rename it over ``path`` only on success."""
    path = Path(path)
    check_target(path, force)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline=newline) as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def atomic_dir(path: Path, force: bool = False) -> Iterator[Path]:
    """Build a directory under a temporary name; swap it into place only on success."""
    path = Path(path)
    check_target(path, force)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        yield tmp
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            path.rename(old)
            tmp.rename(path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
