"""Static word vectors: held-out test texts never reach the training text; the full pipeline shares the NER vectors."""

from __future__ import annotations

from pathlib import Path

import numpy
import pytest
import spacy
from spacy.vectors import Vectors

from miner.errors import MinerError
from miner.nlp.pipeline import share_vectors
from miner.nlp.training import vectors as V
from shared_support import HELDOUT_BC2, HELDOUT_GENIA, shared  # noqa: F401  (shared: the miniature data fixture)

# scispacy's tokenizer regex triggers a harmless FutureWarning when compiled
pytestmark = pytest.mark.filterwarnings("ignore:Possible set union:FutureWarning")


def test_heldout_texts_never_reach_the_vector_corpus(shared: Path) -> None:
    held = V.collect_heldout(shared)
    assert {"111", "333", "444", "445"} <= held.pmids
    stats: dict[str, int] = {}
    texts = list(V.iter_texts(shared, held, stats))
    assert texts == [
        "Cisplatin nephrotoxicity. Rats got cisplatin.",
        "Kept BioRED. Text.",
        "A GENIA train abstract. Second line.",
        "Tamoxifen resistance in breast cancer .",
        "A kept BC2GM training sentence about TP53 .",
    ]
    joined = V.sentence_key(" ".join(texts))
    assert V.sentence_key(HELDOUT_BC2) not in joined and V.sentence_key(" ".join(HELDOUT_GENIA)) not in joined
    assert stats["skipped_heldout_pmid"] == 3 and stats["skipped_heldout_sentence"] == 2


def test_heldout_file_missing_is_an_error(shared: Path) -> None:
    (shared / "bc5cdr" / "CDR_TestSet.PubTator.txt.gz").unlink()
    with pytest.raises(Exception):
        V.collect_heldout(shared)


def test_tokens_are_the_models_norms() -> None:
    (words,) = V.tokenize_texts(["Cisplatin-induced AKI in HER2-positive patients"])
    assert words == ["cisplatin", "-", "induced", "aki", "in", "her2", "-", "positive", "patients"]


def test_build_writes_a_spacy_vectors_table(shared: Path, tmp_path: Path) -> None:
    pytest.importorskip("gensim")
    stats = V.build(tmp_path / "vec", shared, dims=8, max_rows=50, epochs=2, min_count=1)
    nlp = spacy.load(tmp_path / "vec" / "spacy")
    assert nlp.vocab.vectors.shape == (stats["rows"], 8) and stats["rows"] > 0
    # learned on norms; the surface forms seen ("Cisplatin") share the lower-case row
    table = nlp.vocab.vectors
    assert stats["surface_keys"] > 0
    assert table.find(key="Cisplatin") == table.find(key="cisplatin") >= 0
    doc = nlp.make_doc("Cisplatin cisplatin")
    assert doc[0].has_vector and list(doc[0].vector) == list(doc[1].vector)


def _with_vectors(rows: dict[str, list[float]]) -> spacy.language.Language:
    nlp = spacy.blank("en")
    table = Vectors(shape=(len(rows), 3), attr="NORM")
    for word, vec in rows.items():
        table.add(word, vector=numpy.asarray(vec, dtype="f"))
    nlp.vocab.vectors = table
    return nlp


def test_share_vectors_copies_once_and_refuses_a_second_table() -> None:
    core = spacy.blank("en")
    ner = _with_vectors({"cisplatin": [1, 2, 3], "tumour": [0, 1, 0]})
    share_vectors(core, ner)
    assert core.vocab.vectors.shape == (2, 3) and core.vocab.vectors.attr == spacy.attrs.NORM
    assert list(core.make_doc("Cisplatin")[0].vector) == [1, 2, 3]
    share_vectors(core, _with_vectors({"cisplatin": [1, 2, 3], "tumour": [0, 1, 0]}))  # the same table: fine
    share_vectors(core, spacy.blank("en"))  # a source without vectors leaves them
    assert core.vocab.vectors.shape == (2, 3)
    with pytest.raises(MinerError, match="different static word vectors"):
        share_vectors(core, _with_vectors({"cisplatin": [3, 2, 1], "tumour": [0, 1, 0]}))


def test_full_pipeline_gives_ner_cdr_its_static_vectors() -> None:
    """The packaged ner_cdr is trained with static vectors (configs/ner_cdr.cfg); sourced into the core pipeline it
    must predict exactly what it predicts alone, which it only does when the vectors came along."""
    from spacy.util import load_config

    from miner.nlp.pipeline import DEFAULT_MODELS_DIR, load
    from miner.nlp.training.registry import MODELS

    cfg = load_config(MODELS["ner_cdr"].config)
    assert cfg["components"]["ner_cdr"]["model"]["tok2vec"]["embed"]["include_static_vectors"] is True
    bare = spacy.load(DEFAULT_MODELS_DIR / "ner_cdr")
    assert bare.vocab.vectors.shape[0] > 1000
    full = load()
    assert full.vocab.vectors.shape == bare.vocab.vectors.shape
    text = (
        "Cisplatin-induced nephrotoxicity (CIN) and 5-FU cardiotoxicity were seen in HER2-positive breast cancer. "
        "AKI after vancomycin; Doxorubicin and tamoxifen caused no hepatotoxicity in these patients."
    )
    alone = [(e.start_char, e.end_char, e.label_) for e in bare(text).ents]
    doc = full(text)
    sourced = [(s.start_char, s.end_char, s.label_) for s in doc.spans["ner:ner_cdr"]]
    assert alone and sourced == alone
