"""Readers of the unannotated text collections in ``../shared/data`` that several tools read.

The benchmarks measure speed on them and the relation component draws silver training text from them; one reader
per collection keeps their parsing (duplicate paragraphs, ids from the source URL) in one place.
"""

from __future__ import annotations

import gzip
import json
import re
from typing import Iterator

from miner.config import SHARED_DIR

_PMID_AT_END = re.compile(r"(\d{5,9})/?$")


def drug_combo_paragraphs() -> Iterator[tuple[str, str, str]]:
    """(paragraph, PMID or "", row id) of the drug-combo corpus, each distinct paragraph once (train then test)."""
    seen: set[str] = set()
    for split in ("final_train_set", "final_test_set"):
        path = SHARED_DIR / "data" / "drug-combo" / f"{split}.jsonl.gz"
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                text = row.get("paragraph") or ""
                if not text or text in seen:
                    continue
                seen.add(text)
                src = row.get("source") or ""
                m = _PMID_AT_END.search(src) if "pubmed" in src else None
                yield text, (m.group(1) if m else ""), str(row.get("doc_id", ""))[:12]


def hoc_abstracts(detokenize: bool = False) -> Iterator[tuple[str, str]]:
    """(PMID, text) of the Hallmarks-of-Cancer abstracts; the corpus is tokenised ("( EGFR )", "cells ."), and
    ``detokenize`` removes the spaces before closing and after opening punctuation."""
    path = SHARED_DIR / "data" / "hallmarks-of-cancer" / "hoc_abstracts.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            text = " ".join(row["sentences"])
            if detokenize:
                text = re.sub(r" ([.,;:)\]%])", r"\1", text)
                text = re.sub(r"([(\[]) ", r"\1", text)
            yield str(row["pmid"]), text
