"""Every finding's argument text is the document text at its offsets (issue 15: curation round trips rely on it).

Real data: both seed reviews and the 158 crossres abstracts from ../shared, read by the trained pipeline. A name that
an elliptical list stands for ("first-" of "first- and second-generation TRK inhibitors") stays verbatim in the
argument and is spelled out in ``note``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))


def test_arguments_are_the_text_at_their_offsets():
    from extract_snapshot import documents

    from miner.extract import extract_docs

    docs = documents()
    assert len(docs) == 160, "both reviews and the 158 crossres abstracts are expected in ../shared"
    texts = {d.doc_id: d.text for d in docs}
    findings = list(extract_docs(docs))
    assert len(findings) > 100
    wrong = []
    for f in findings:
        text = texts[f.doc_id]
        for role in ("drug", "prior_drug", "mechanism"):
            if role in f.offsets:
                s, e = f.offsets[role]
                if text[s:e] != getattr(f, role):
                    wrong.append((f.doc_id, role, getattr(f, role), text[s:e]))
        s, e = f.offsets["sentence"]
        assert text[s:e] == f.sentence
    assert wrong == []
    assert any("stands for" in f.note for f in findings)  # the elliptical names of review 000 are spelled out
