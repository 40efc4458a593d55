"""Assembly from the corpus store: its findings, curator decisions, documents and the gold set."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from miner.assemble.statements import Assembly, DocInfo, assemble
from miner.errors import MinerError
from miner.evaluate import LexiconLike
from miner.schema import Finding

if TYPE_CHECKING:  # for type hints only
    from miner.corpus.store import CorpusStore


def doc_infos(store: "CorpusStore", doc_ids: Iterable[str]) -> dict[str, DocInfo]:
    """Titles, years, PMIDs and texts of the given documents (those the store has)."""
    return {
        d.doc_id: DocInfo(d.doc_id, pmid=d.pmid, title=d.display_title,
                          year=d.pub_year, doi=d.doi, text=d.text)
        for d in store.iter_documents(doc_ids=sorted(set(doc_ids)))
    }


def load_gold(gold: str | Path | None) -> list[Finding]:
    """The gold rows (a JSONL file or a directory of them); none when ``gold`` is None or absent."""
    if gold is None or not Path(gold).exists():
        return []
    from miner.evaluate.sources import load_findings

    return list(load_findings(gold))


def assemble_store(store: "CorpusStore", gold: str | Path | None = None, lexicon: LexiconLike | None = None,
                   on_gold_error: Callable[[str], None] | None = None) -> Assembly:
    """Assemble everything the store holds, with its curator decisions, documents and the gold rows.

    A gold set that cannot be read raises, unless ``on_gold_error`` is given: then it is told why
    and the statements are assembled without gold links (the corpus can still answer).
    """
    findings = list(store.iter_findings())
    documents = doc_infos(store, {f.doc_id for f in findings})
    try:
        gold_rows = load_gold(gold)
    except MinerError as exc:
        if on_gold_error is None:
            raise
        on_gold_error(f"gold set not used: {exc}")
        gold_rows = []
    return assemble(findings, lexicon=lexicon, decisions=list(store.iter_decisions()), documents=documents,
                    gold=gold_rows)
