"""Drug-lexicon recall on the gold drug spans of the drug-combination test set (Tiktinsky et al. 2022).

Run ``python -m miner.nlp.lexicon_recall [--split test] [--context sentence|paragraph] [--show-misses N]``.
Each gold span counts as found when the lexicon produces a mention with exactly the same character offsets
("exact"), or one overlapping it ("overlap"). ``sentence``: the dictionary matcher
(:meth:`miner.nlp.drug_linker.DrugLinker.find_mentions`) on the annotated sentence alone. ``paragraph``: the
rule pipeline (abbreviations + linker, no statistical model) on the whole abstract, so that short forms defined
earlier in the abstract ("bevacizumab (BEV)") count. The test spans are only read here, never used to build
the lexicon.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from miner.config import SHARED_DIR
from miner.errors import InputFileError


@dataclass
class RecallReport:
    """Counts of gold spans found exactly / by overlap, with the missed span texts."""

    gold: int = 0
    exact: int = 0
    overlap: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def exact_recall(self) -> float:
        return self.exact / self.gold if self.gold else 0.0

    @property
    def overlap_recall(self) -> float:
        return self.overlap / self.gold if self.gold else 0.0


def drug_combo_path(split: str = "test", shared: Path = SHARED_DIR) -> Path:
    return shared / "data" / "drug-combo" / f"final_{split}_set.jsonl.gz"


def measure(split: str = "test", shared: Path = SHARED_DIR, context: str = "sentence") -> RecallReport:
    """Match every sentence (or its abstract) of the split with the lexicon and compare with the gold drug spans."""
    from miner.nlp.drug_linker import SPAN_GROUP, DrugLinker
    from miner.nlp.pipeline import rules_only_pipeline, tokenizer_pipeline

    path = drug_combo_path(split, shared)
    if not path.is_file():
        raise InputFileError(path, "missing (drug-combo dataset not available)")
    nlp = tokenizer_pipeline()
    linker = DrugLinker()
    rules = rules_only_pipeline() if context == "paragraph" else None
    report = RecallReport()
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh]
    paragraphs: dict[str, list[tuple[int, int]]] = {}
    for rec in records:
        offset = rec["paragraph"].find(rec["sentence"]) if rules is not None and rec.get("paragraph") else -1
        if offset >= 0:
            if rec["paragraph"] not in paragraphs:
                pdoc = rules(rec["paragraph"])
                paragraphs[rec["paragraph"]] = [(s.start_char, s.end_char) for s in pdoc.spans[SPAN_GROUP]]
            found = [(s - offset, e - offset) for s, e in paragraphs[rec["paragraph"]]]
        else:
            doc = nlp.make_doc(rec["sentence"])
            found = [(doc[s].idx, doc[e - 1].idx + len(doc[e - 1].text)) for s, e, _ in linker.find_mentions(doc)]
        for span in rec["spans"]:
            report.gold += 1
            if (span["start"], span["end"]) in found:
                report.exact += 1
                report.overlap += 1
            elif any(s < span["end"] and span["start"] < e for s, e in found):
                report.overlap += 1
            else:
                report.misses.append(span["text"])
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m miner.nlp.lexicon_recall", description=__doc__.split("\n")[0])
    parser.add_argument("--split", default="test", choices=["test", "train"], help="drug-combo split (default test)")
    parser.add_argument("--context", default="sentence", choices=["sentence", "paragraph"],
                        help="match the sentence alone (default) or the whole abstract with abbreviations")
    parser.add_argument("--show-misses", type=int, default=0, metavar="N", help="print N missed span texts")
    args = parser.parse_args(argv)
    report = measure(args.split, context=args.context)
    print(
        f"drug-combo {args.split} ({args.context}): {report.gold} gold drug spans; exact recall {report.exact_recall:.2%} "
        f"({report.exact}); overlap recall {report.overlap_recall:.2%} ({report.overlap})"
    )
    for text in report.misses[: args.show_misses]:
        print(f"  missed: {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
