"""The annotated development abstracts (``annotations/dev/``) as documents, gold rows and covered documents.

The 158 abstracts of ``../shared/data/crossres-abstracts`` are annotated exhaustively
(annotations/GUIDELINES.md section 7); ``annotations/dev/split.json`` puts each document in
``train`` or ``dev`` (never train on dev).  While the annotation is in progress the rows live in
``annotations/dev/parts/part*.jsonl`` and a part's finished documents are listed in ``part*.done``
(one ``PMID<TAB>rows`` line each); once merged, ``annotations/dev/abstracts.jsonl`` holds the rows and
``annotations/dev/documents.jsonl`` every annotated document with its split.  :func:`load_abstracts`
reads whichever exists, so scoring and training never see a half-annotated document.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from miner.config import REPO_ROOT, SHARED_DIR
from miner.errors import MinerError
from miner.evaluate.sources import DOCUMENTS_FILE, SPLITS, load_documents, load_findings
from miner.schema import Finding

if TYPE_CHECKING:  # pragma: no cover
    from miner.extract import TextDoc

#: The development abstracts (PubMed XML); ``pmid:<PMID>`` rows quote their ``Document.text``.
CROSSRES_XML = SHARED_DIR / "data" / "crossres-abstracts" / "crossres_abstracts.xml.gz"
DEV_DIR = REPO_ROOT / "annotations" / "dev"
ROWS_FILE = "abstracts.jsonl"


@lru_cache(maxsize=4)
def _abstract_texts(path: Path) -> dict[str, str]:
    from miner.corpus.pubmed_xml import parse_pubmed_xml

    if not path.is_file():
        raise MinerError(f"{path}: abstracts file not found (pmid: rows are quoted from it)")
    return {d.doc_id: d.text for d in parse_pubmed_xml(path) if hasattr(d, "text")}


def abstract_texts(path: str | Path | None = None) -> dict[str, str]:
    """doc_id ("pmid:<PMID>") -> ``Document.text`` exactly as ``miner corpus import`` stores it (read once)."""
    return _abstract_texts(Path(path) if path is not None else CROSSRES_XML)


def document_split(dev_dir: str | Path | None = None) -> dict[str, str]:
    """doc_id -> split from ``split.json`` (``{"dev": [PMID, ...], "train": [...]}``)."""
    path = Path(dev_dir or DEV_DIR) / "split.json"
    if not path.is_file():
        raise MinerError(f"{path}: document split not found")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise MinerError(f"{path}: invalid JSON: {exc.msg}") from exc
    return {f"pmid:{pmid}": split for split in SPLITS for pmid in data.get(split, [])}


def done_documents(parts_dir: Path) -> set[str]:
    """doc_ids the annotators finished: the first field of each line of ``part*.done``."""
    done: set[str] = set()
    for file in sorted(parts_dir.glob("part*.done")):
        for line in file.read_text(encoding="utf-8").splitlines():
            fields = line.split()
            if fields and re.fullmatch(r"(?:pmid:)?\d+", fields[0]):
                done.add(fields[0] if fields[0].startswith("pmid:") else f"pmid:{fields[0]}")
    return done


def annotated(dev_dir: str | Path | None = None) -> tuple[list[Finding], dict[str, str], str]:
    """(gold rows, covered doc_id -> split, where they came from) of the development abstracts.

    ``abstracts.jsonl`` (+ ``documents.jsonl``) when merged; otherwise the finished documents of the parts.
    """
    dev = Path(dev_dir or DEV_DIR)
    split = document_split(dev)
    rows_file = dev / ROWS_FILE
    if rows_file.is_file():
        docs_file = dev / DOCUMENTS_FILE
        covered = load_documents(docs_file) if docs_file.is_file() else {}
        rows = load_findings(rows_file)
        for row in rows:
            covered.setdefault(row.doc_id, split.get(row.doc_id, ""))
        return rows, {d: s or split.get(d, "") for d, s in covered.items()}, str(rows_file)
    parts = dev / "parts"
    done = done_documents(parts) if parts.is_dir() else set()
    if not done:
        raise MinerError(f"{dev}: no annotated abstracts yet ({ROWS_FILE}, or parts/part*.done with parts/part*.jsonl)")
    rows = [r for f in sorted(parts.glob("part*.jsonl")) for r in load_findings(f) if r.doc_id in done]
    return rows, {d: split.get(d, "") for d in sorted(done)}, f"{parts}/part*.jsonl ({len(done)} finished documents)"


def load_abstracts(
    split: str = "dev",
    *,
    dev_dir: str | Path | None = None,
    abstracts: str | Path | None = None,
) -> tuple[list["TextDoc"], list[Finding], frozenset[str]]:
    """Annotated development abstracts of one split: ``(documents, gold_rows, covered_doc_ids)``, like
    :func:`miner.evaluate.civic.load_civic`.

    * ``split``: "train", "dev" or "all" (by document, ``annotations/dev/split.json``).
    * ``documents``: :class:`miner.extract.TextDoc` of every *annotated* abstract of the split
      (``doc_id`` = "pmid:<PMID>", ``text`` = ``Document.text``), sorted by doc_id.
    * ``gold_rows``: their rows (:class:`miner.schema.Finding`, offsets into that text).
    * ``covered_doc_ids``: the annotated documents of the split, including those without rows; pass it as
      ``documents=`` to :func:`miner.evaluate.evaluate`.
    """
    from miner.extract import TextDoc

    if split not in (*SPLITS, "all"):
        raise MinerError(f"split must be train, dev or all, got {split!r}")
    rows, covered, _ = annotated(dev_dir)
    keep = sorted(d for d, s in covered.items() if split == "all" or s == split)
    texts = abstract_texts(abstracts)
    missing = [d for d in keep if d not in texts]
    if missing:
        raise MinerError(f"annotated documents not in the abstracts file: {', '.join(missing[:5])}")
    kept = set(keep)
    return [TextDoc(d, texts[d]) for d in keep], [r for r in rows if r.doc_id in kept], frozenset(keep)
