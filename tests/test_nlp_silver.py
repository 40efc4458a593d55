"""Silver CHEMICAL/DISEASE data for ensemble distillation: the texts it labels and the DocBin the vote writes
(the vote itself is tested in test_nlp_ensemble.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import spacy
from spacy.tokens import DocBin

from miner.nlp.training import silver
from shared_support import shared  # noqa: F401  (the miniature ../shared/data fixture)

pytestmark = pytest.mark.filterwarnings("ignore:Possible set union:FutureWarning")


def test_unlabelled_texts_leave_out_gold_and_heldout_documents(shared: Path) -> None:  # noqa: F811
    counts: dict[str, int] = {}
    texts = silver.unlabelled_texts(shared, stats=counts)
    # BC5CDR's own document (PMID 222) stays out, also where HoC repeats it; held-out PMIDs/sentences never come in
    assert texts == ["Kept BioRED. Text.", "A GENIA train abstract. Second line.", "Tamoxifen resistance in breast cancer ."]
    assert counts["skipped_heldout_pmid"] == 3 and "bc5cdr" not in counts and "bc2gm" not in counts


def _teacher(path: Path, patterns: list[dict]) -> Path:
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns(patterns)
    nlp.to_disk(path)
    return path


def test_build_writes_the_vote_as_training_docs(shared: Path, tmp_path: Path) -> None:  # noqa: F811
    tamoxifen = {"label": "CHEMICAL", "pattern": "Tamoxifen"}
    cancer = {"label": "DISEASE", "pattern": [{"LOWER": "breast"}, {"LOWER": "cancer"}]}
    text_only = {"label": "CHEMICAL", "pattern": "Text"}
    teachers = [
        _teacher(tmp_path / "t1", [tamoxifen, cancer]),
        _teacher(tmp_path / "t2", [tamoxifen, text_only]),
        _teacher(tmp_path / "t3", [cancer, {"label": "GENE", "pattern": "GENIA"}]),
    ]
    out = tmp_path / "silver" / "silver.spacy"
    stats = silver.build(teachers, out, shared, min_votes=2)
    docs = list(DocBin().from_disk(out).get_docs(spacy.blank("en").vocab))
    ents = {(d.text, e.text, e.label_) for d in docs for e in d.ents}
    text = "Tamoxifen resistance in breast cancer ."
    assert ents == {(text, "Tamoxifen", "CHEMICAL"), (text, "breast cancer", "DISEASE")}
    assert stats["documents"] == 3 and stats["entities"] == {"CHEMICAL": 1, "DISEASE": 1}
    assert stats["teacher_entities"] == [2, 2, 1]  # the GENE span is not a CHEMICAL/DISEASE vote
    assert json.loads(out.with_suffix(".json").read_text())["min_votes"] == 2
    with pytest.raises(ValueError):
        silver.build(teachers, out, shared, min_votes=4)
    # another threshold reuses the teachers' cached predictions (a teacher that no longer loads is never run)
    (teachers[2] / "config.cfg").write_text("not a config")
    stats = silver.build(teachers, out, shared, min_votes=1)
    assert stats["entities"] == {"CHEMICAL": 2, "DISEASE": 1}  # + "Text", which one teacher tagged

