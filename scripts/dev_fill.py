"""Fill the mechanical fields of development-abstract annotation rows, in place.

Annotators write rows (the judgement fields and a verbatim ``evidence_quote``) for the
abstracts of ``../shared/data/crossres-abstracts`` into ``annotations/dev/*.jsonl``
files, with ``doc_id`` = ``pmid:<PMID>``. This tool, which is idempotent:

* reads each document's text exactly as ``miner corpus import`` stores it
  (``Document.text`` = title + newline + abstract, structured sections one per line),
* locates ``evidence_quote`` in that text and stores ``offsets["evidence_quote"]``
  (the occurrence at or after the previous row's quote of the same document),
* sets ``id`` (``a<PMID>-<NN>``, kept if present), ``source = "gold"``, ``references = []``.

Rows whose quote is not found are reported (exit 1) and left unchanged.

Usage: python scripts/dev_fill.py FILE.jsonl [FILE.jsonl ...]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from miner.config import SHARED_DIR  # noqa: E402
from miner.evaluate.gold import locate_quote, write_rows  # noqa: E402

ABSTRACTS_XML = SHARED_DIR / "data" / "crossres-abstracts" / "crossres_abstracts.xml.gz"


def document_texts(path: Path = ABSTRACTS_XML) -> dict[str, str]:
    """doc_id -> Document.text of every abstract in the crossres file."""
    from miner.corpus.pubmed_xml import parse_pubmed_xml

    return {d.doc_id: d.text for d in parse_pubmed_xml(path) if hasattr(d, "text")}


def fill(path: Path, texts: dict[str, str]) -> int:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    problems = 0
    last: dict[str, int] = {}
    used = {r["id"] for r in rows if r.get("id")}
    for n, row in enumerate(rows, 1):
        doc_id = str(row.get("doc_id", ""))
        text = texts.get(doc_id)
        if text is None:
            print(f"{path.name} row {n}: doc_id {doc_id!r} is not a crossres abstract", file=sys.stderr)
            problems += 1
            continue
        quote = row.get("evidence_quote", "")
        offsets = row.setdefault("offsets", {})
        found = locate_quote(text, quote, offsets.get("evidence_quote"), last.get(doc_id, 0))
        if found is None:
            print(f"{path.name} row {n} ({doc_id}, {row.get('drug')!r} / {row.get('prior_drug')!r}): "
                  f"quote not found: {quote[:80]!r}", file=sys.stderr)
            problems += 1
            continue
        offsets["evidence_quote"] = found
        last[doc_id] = offsets["evidence_quote"][0]
        if not row.get("id"):
            pmid = doc_id.split(":", 1)[1]
            k = 1
            while f"a{pmid}-{k:02d}" in used:
                k += 1
            row["id"] = f"a{pmid}-{k:02d}"
            used.add(row["id"])
        row["source"] = "gold"
        row.setdefault("references", [])
        row.setdefault("refs", [])
    write_rows(path, rows)
    print(f"{path}: {len(rows)} rows, {problems} problem(s)")
    return problems


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", type=Path)
    args = ap.parse_args()
    texts = document_texts()
    problems = sum(fill(p, texts) for p in args.files)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
