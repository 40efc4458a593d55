"""PubTator: ``id|t|title``, ``id|a|abstract`` and tab-separated annotations.

Offsets count into ``title + " " + abstract``, which has the same length as
``Document.text`` (``title + "\\n" + abstract``), so finding offsets carry over.  PubTator
is line- and tab-based, so every tab and line-break character of the title, the abstract
and the mentions (``\\r`` as much as ``\\n``, U+2028, form feed...) is written as a space:
the same length, so the offsets and the mention texts still agree, and miner (or any
reader) re-imports the file.  Relations are written as
``id<TAB>effect<TAB>drug ids<TAB>prior drug ids``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping

from miner.export.common import argument_spans, atomic_file, document_text, group_by_doc, one_line
from miner.schema import Finding

TYPES = {"Drug": "Chemical", "PriorDrug": "Chemical", "Mechanism": "Mechanism"}


def pubtator_id(doc_id: str) -> str:
    return doc_id.split(":", 1)[1] if doc_id.startswith("pmid:") else one_line(doc_id).replace("|", "_").replace(" ", "_")


def write_pubtator(findings: Iterable[Finding], texts: Mapping[str, str], out: Path, *, force: bool = False,
                   decisions: Mapping[str, dict] | None = None) -> int:
    """One block per document; ``decisions`` are not shown (PubTator has no place for them)."""
    groups = group_by_doc(findings)
    with atomic_file(out, force) as fh:
        for doc_id, items in groups.items():
            text = document_text(doc_id, texts)
            pid = pubtator_id(doc_id)
            title, sep, abstract = text.partition("\n")
            if not sep:
                title, abstract = text, ""
            fh.write(f"{pid}|t|{one_line(title)}\n{pid}|a|{one_line(abstract)}\n")
            seen: set[tuple[int, int, str]] = set()
            for f in items:
                for span in argument_spans(f, text):
                    key = (span.start, span.end, TYPES[span.role])
                    if key in seen:
                        continue
                    seen.add(key)
                    ids = {"Drug": f.drug_ids, "PriorDrug": f.prior_drug_ids, "Mechanism": f.mechanism_genes}[span.role]
                    fh.write(f"{pid}\t{span.start}\t{span.end}\t{one_line(span.text)}\t{TYPES[span.role]}\t{'|'.join(ids) or '-'}\n")
            for f in items:
                drug = "|".join(f.drug_ids) or one_line(f.drug)
                prior = "|".join(f.prior_drug_ids) or one_line(f.prior_drug) or "-"
                fh.write(f"{pid}\t{f.effect}\t{drug}\t{prior}\n")
            fh.write("\n")
    return len(groups)
