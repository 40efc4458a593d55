"""Conversion of the training corpora (CoNLL-U, GENIA POS, PubTator, IOB, BC2) to spaCy Docs."""

from __future__ import annotations

import pytest

from miner.errors import InputFileError
from miner.nlp.training.conllu import parse_conllu, sentences_to_doc, ud2_to_genia
from miner.nlp.training.genia_pos import drop_heldout, parse_genia_pos, sentence_key
from miner.nlp.training.ner_data import (
    PUBTATOR_LABELS,
    char_to_nonspace,
    iob_to_text,
    make_ner_doc,
    nonspace_to_char,
    parse_bc2_eval,
    parse_iob,
    parse_pubtator,
)
from miner.nlp.tokenizer import scispacy_nlp, tokenize
from miner.nlp.training.tokenizer import guess_spaces

EWT = """# newdoc id = x
# text = He did not take the drug in 2010.
1\tHe\the\tPRON\tPRP\t_\t3\tnsubj\t_\t_
2\tdid\tdo\tAUX\tVBD\t_\t4\taux\t_\t_
3\tnot\tnot\tPART\tRB\t_\t4\tadvmod\t_\t_
4\ttake\ttake\tVERB\tVB\t_\t0\troot\t_\t_
5\tthe\tthe\tDET\tDT\t_\t6\tdet\t_\t_
6\tdrug\tdrug\tNOUN\tNN\t_\t4\tobj\t_\t_
7\tin\tin\tADP\tIN\t_\t8\tcase\t_\t_
8\t2010\t2010\tNUM\tCD\t_\t4\tobl\t_\t_
9\t.\t.\tPUNCT\t.\t_\t4\tpunct\t_\t_
"""
# note: heads above are deliberately off for token 1 (nsubj -> 3) to test index mapping


def test_conllu_parse_and_ud2_mapping():
    (sent,) = list(parse_conllu(EWT.splitlines(keepends=True)))
    assert sent.words[:3] == ["He", "did", "not"]
    assert sent.heads[3] == 3  # root points to itself (0-based)
    assert sent.heads[0] == 2
    ud2_to_genia(sent)
    assert sent.deps[2] == "neg"  # v2 advmod "not" -> v1 neg
    assert sent.deps[5] == "dobj"
    assert sent.deps[7] == "nmod"
    assert sent.tags[5] == "NN"


def test_conllu_skips_multiword_ranges_and_empty_nodes():
    text = (
        "1-2\tdon't\t_\t_\t_\t_\t_\t_\t_\t_\n"
        "1\tdo\tdo\tAUX\tVBP\t_\t3\taux\t_\t_\n"
        "2\tn't\tnot\tPART\tRB\t_\t3\tadvmod\t_\t_\n"
        "3\tgo\tgo\tVERB\tVB\t_\t0\troot\t_\t_\n"
        "3.1\tgo\tgo\tVERB\tVB\t_\t_\t_\t3:conj\t_\n"
    )
    (sent,) = list(parse_conllu(text.splitlines(keepends=True)))
    assert sent.words == ["do", "n't", "go"]
    assert ud2_to_genia(sent).deps == ["aux", "neg", "root"]


def test_conllu_bad_row_is_a_clear_error():
    with pytest.raises(InputFileError, match="line 1"):
        list(parse_conllu(["1\tonly\tthree\n"], "x.conllu"))


def test_sentences_to_doc_keeps_tree_and_sentence_boundaries():
    sents = list(parse_conllu((EWT + "\n" + EWT).splitlines(keepends=True)))
    doc = sentences_to_doc(scispacy_nlp().vocab, sents)
    assert len(doc) == 18
    assert [s.start for s in doc.sents] == [0, 9]
    assert doc[12].head.i == 12 and doc[12].dep_ == "root"
    assert doc[5].head.i == 3
    assert doc.text.startswith("He did not take the drug in 2010. He")


def test_guess_spaces():
    words = ["IL-2", "(", "a", "cytokine", ")", "is", "high", "."]
    text = "".join(w + (" " if s else "") for w, s in zip(words, guess_spaces(words)))
    assert text == "IL-2 (a cytokine) is high."


GENIA_POS = "UI\tLS\n-\t:\n111\tCD\n\nTI\tLS\n-\t:\nIL-2\tNN\n(\t(\nx\tNN\n)\t)\n\nIt\tPRP\nworks\tVBZ\n\nUI\tLS\n-\t:\n222\tCD\n\nTI\tLS\n-\t:\nOther\tJJ\ntitle\tNN\n"


def test_genia_pos_headers_and_heldout_filter():
    abstracts = list(parse_genia_pos(GENIA_POS.splitlines(keepends=True)))
    assert [a.ui for a in abstracts] == ["111", "222"]
    assert abstracts[0].sentences[0] == [("IL-2", "NN"), ("(", "-LRB-"), ("x", "NN"), (")", "-RRB-")]
    assert abstracts[0].sentences[1] == [("It", "PRP"), ("works", "VBZ")]
    kept, dropped = drop_heldout(abstracts, {sentence_key(["It", "wor", "ks"])})
    assert dropped == 1 and [a.ui for a in kept] == ["222"]


def test_tokenizer_splits_adjectival_hyphens_and_slashes_only():
    words = [t.text for t in tokenize("cisplatin-induced HER2-positive BRAF/MEK IL-2 anti-PD-1 CDK4/6 T-DM1 EML4-ALK")]
    assert words == ["cisplatin", "-", "induced", "HER2", "-", "positive", "BRAF", "/", "MEK", "IL-2", "anti-PD-1", "CDK4/6", "T-DM1", "EML4-ALK"]


PUBTATOR = (
    "1|t|Cisplatin-induced nephrotoxicity.\n"
    "1|a|Rats got cisplatin.\n"
    "1\t0\t9\tCisplatin\tChemical\tD002945\n"
    "1\t18\t32\tnephrotoxicity\tDisease\tD007674\n"
    "1\t43\t46\tpla\tChemical\t-1\n"
    "1\tCID\tD002945\tD007674\n"
    "\n"
)


def test_pubtator_alignment_marks_misaligned_spans_missing():
    (td,) = list(parse_pubtator(PUBTATOR.splitlines(keepends=True), PUBTATOR_LABELS))
    assert td.text == "Cisplatin-induced nephrotoxicity. Rats got cisplatin."
    doc, stats = make_ner_doc(td.text, td.spans)
    assert [(e.text, e.label_) for e in doc.ents] == [("Cisplatin", "CHEMICAL"), ("nephrotoxicity", "DISEASE")]
    assert stats.aligned == 2 and stats.misaligned == 1
    cis = [t for t in doc if t.text == "cisplatin"][0]
    assert cis.ent_iob_ == ""  # missing, not "O"
    assert doc[1].ent_iob_ == "O"


def test_pubtator_garbage_line_is_a_clear_error():
    with pytest.raises(InputFileError, match="line 2"):
        list(parse_pubtator(["1|t|x\n", "nonsense\n"], PUBTATOR_LABELS, "f.txt"))


def test_iob_to_text_spans():
    lines = "The\tO\nTGF\tB-Gene_or_gene_product\n-\tI-Gene_or_gene_product\nbeta\tI-Gene_or_gene_product\nin\tO\nleukemia\tB-Cancer\n.\tO\n".splitlines(keepends=True)
    ((words, tags),) = list(parse_iob(lines))
    text, spans = iob_to_text(words, tags, {"Gene_or_gene_product": "GENE"})
    assert [(text[s:e], label) for s, e, label in spans] == [("TGF - beta", "GENE")]
    doc, stats = make_ner_doc(text, spans)
    assert [e.text for e in doc.ents] == ["TGF - beta"] and stats.misaligned == 0


def test_bc2_offsets_count_non_space_characters():
    text = "Abl and gamma-glutamyl transpeptidase cooperate"
    genes = parse_bc2_eval(["S1|0 2|Abl\n", "S1|6 33|gamma-glutamyl transpeptidase\n"])
    spans = [nonspace_to_char(text, a, b) for a, b, _ in genes["S1"]]
    assert [text[s:e] for s, e in spans] == ["Abl", "gamma-glutamyl transpeptidase"]
    assert [char_to_nonspace(text, s, e) for s, e in spans] == [(0, 2), (6, 33)]
    with pytest.raises(InputFileError):
        parse_bc2_eval(["S1|zero two|Abl\n"])


def test_cdr_conversion_writes_the_selection_split_and_the_all_documents_set(tmp_path):
    """cdr_train + cdr_dev (the last CDR_DEV_DOCS dev documents) and cdr_all/ holding both, for the final runs."""
    import gzip

    from spacy.tokens import DocBin

    from miner.nlp.training.convert import CDR_DEV_DOCS, build_cdr

    def pubtator(first: int, n: int) -> str:
        return "".join(
            f"{p}|t|Cisplatin nephrotoxicity.\n{p}|a|Rats got cisplatin.\n{p}\t0\t9\tCisplatin\tChemical\tD002945\n\n"
            for p in range(first, first + n)
        )

    bc = tmp_path / "data" / "bc5cdr"
    bc.mkdir(parents=True)
    for name, text in (("CDR_TrainingSet", pubtator(1, 3)), ("CDR_DevelopmentSet", pubtator(100, CDR_DEV_DOCS + 2))):
        with gzip.open(bc / f"{name}.PubTator.txt.gz", "wt") as fh:
            fh.write(text)
    out = tmp_path / "corpus"
    out.mkdir()
    build_cdr(tmp_path / "data", out)

    def count(path) -> int:
        return len(DocBin().from_disk(path))

    assert count(out / "cdr_train.spacy") == 5 and count(out / "cdr_dev.spacy") == CDR_DEV_DOCS
    assert sorted(p.name for p in (out / "cdr_all").iterdir()) == ["cdr_dev.spacy", "cdr_train.spacy"]
    assert sum(count(p) for p in (out / "cdr_all").iterdir()) == 5 + CDR_DEV_DOCS
