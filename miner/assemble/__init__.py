"""Assembly: statements and their evidence across documents, belief, and answers to drug-sequence questions.

Public API::

    from miner.assemble import assemble, ask
    assembly = assemble(findings, decisions=store.iter_decisions(), gold=gold_rows)
    assembly.to_frame()                       # one row per statement, best supported first
    answer = ask(assembly, after="gefitinib")  # osimertinib, afatinib, ... after gefitinib
    answer.frame, answer.evidence             # DataFrames

Reading stays in :mod:`miner.extract` (one finding per sentence); this package only groups,
normalises and scores what was read.
"""

from __future__ import annotations

from miner.assemble.belief import belief, evidence_probability
from miner.assemble.query import Answer, UnknownAgentError, ask
from miner.assemble.sources import assemble_store, doc_infos, load_gold
from miner.assemble.statements import (
    Assembly,
    DocInfo,
    Evidence,
    GoldLink,
    Statement,
    assemble,
)

__all__ = [
    "Answer",
    "Assembly",
    "DocInfo",
    "Evidence",
    "GoldLink",
    "Statement",
    "UnknownAgentError",
    "ask",
    "assemble",
    "assemble_store",
    "belief",
    "doc_infos",
    "evidence_probability",
    "load_gold",
]
