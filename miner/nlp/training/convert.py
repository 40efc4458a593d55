"""Build the training/dev DocBins for every model from ``../shared/data``.

Held-out sets (GENIA ud/test, BC5CDR test, BC2GM test, EWT test) are never read
here; GENIA POS abstracts that share a sentence with GENIA ud/test are dropped.
Run: ``python -m miner.nlp.training.convert [core|cdr|gene|all] --out training/corpus``.
"""

from __future__ import annotations

import random
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path

from rich.console import Console
from spacy.tokens import Doc, DocBin

from miner.config import SHARED_DIR
from miner.errors import MinerError
from miner.nlp.training.conllu import Sentence, open_text, read_conllu, sentences_to_doc, ud2_to_genia
from miner.nlp.training.genia_pos import drop_heldout, parse_genia_pos, sentence_key
from miner.nlp.training.ner_data import (
    BIONLP13CG_LABELS,
    BIORED_VARIANT_LABELS,
    PUBTATOR_LABELS,
    AlignStats,
    TextDoc,
    bc2_docs,
    iob_to_text,
    make_ner_doc,
    parse_bc2_eval,
    parse_bc2_sentences,
    parse_iob,
    parse_pubtator,
)
from miner.nlp.tokenizer import scispacy_nlp

console = Console(stderr=True)
SEED = 13
#: GENIA trees are few next to EWT: repeat them so the parser leans biomedical
GENIA_OVERSAMPLE = 3
#: abstracts of GENIA ud/dev kept out of training to pick the best core checkpoint
CORE_DEV_ABSTRACTS = 25
#: BC5CDR dev documents kept out of training to pick the best NER checkpoint
CDR_DEV_DOCS = 60
#: BC2GM dev-split sentences used for checkpoint selection (evaluation time is CPU taken from training)
GENE_DEV_SENTENCES = 600
#: share of EWT train documents mixed in (the GENIA test set is biomedical; CPU time is scarce)
EWT_FRACTION = 0.5


def save_docs(docs: Iterable[Doc], path: Path, store_user_data: bool = False, quiet: bool = False) -> int:
    """Write ``docs`` as a DocBin at ``path`` (user data only when asked: the relation data keeps its candidates
    there); returns how many."""
    db = DocBin(store_user_data=store_user_data)
    n = 0
    for doc in docs:
        db.add(doc)
        n += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    db.to_disk(path)
    if not quiet:
        console.print(f"  wrote {path} ({n} docs)")
    return n


def _group_genia(sentences: list[Sentence], pmids_file: Path) -> list[tuple[str, list[Sentence]]]:
    """Group GENIA UD sentences into abstracts using the per-sentence PMID list."""
    with open_text(pmids_file) as fh:
        pmids = [line.strip() for line in fh if line.strip()]
    if len(pmids) != len(sentences):
        raise MinerError(f"{pmids_file}: {len(pmids)} PMIDs for {len(sentences)} sentences")
    groups: list[tuple[str, list[Sentence]]] = []
    for pmid, sent in zip(pmids, sentences):
        if groups and groups[-1][0] == pmid:
            groups[-1][1].append(sent)
        else:
            groups.append((pmid, [sent]))
    return groups


def _group_ewt(sentences: list[Sentence], max_sents: int = 12) -> list[list[Sentence]]:
    """Group EWT sentences into their documents (``# newdoc``), at most ``max_sents`` at a time."""
    groups: list[list[Sentence]] = []
    for sent in sentences:
        newdoc = any(c.startswith("# newdoc") for c in sent.comments)
        if not groups or newdoc or len(groups[-1]) >= max_sents:
            groups.append([])
        groups[-1].append(sent)
    return groups


def build_core(data: Path, out: Path) -> None:
    """Tagger/parser/lemmatizer data: GENIA UD dev+future_use, EWT train (mapped), GENIA POS."""
    vocab = scispacy_nlp().vocab
    genia = data / "genia"
    abstracts = []
    for split in ("dev", "future_use"):
        sents = read_conllu(genia / "ud" / f"{split}.conllu.gz")
        abstracts += [(split, g) for g in _group_genia(sents, genia / "ud" / f"{split}_per_sentence.pmids")]
    dev_groups = [g for split, g in abstracts if split == "dev"][-CORE_DEV_ABSTRACTS:]
    dev_ids = {id(g) for g in dev_groups}
    train_groups = [g for _, g in abstracts if id(g) not in dev_ids]
    genia_docs = [sentences_to_doc(vocab, sents) for _pmid, sents in train_groups]
    ewt = [ud2_to_genia(s) for s in read_conllu(data / "ud-english-ewt" / "en_ewt-ud-train.conllu.gz")]
    ewt_groups = _group_ewt(ewt)
    ewt_groups = random.Random(SEED).sample(ewt_groups, int(len(ewt_groups) * EWT_FRACTION))
    ewt_docs = [sentences_to_doc(vocab, g) for g in ewt_groups]
    heldout = {sentence_key(s.words) for s in read_conllu(genia / "ud" / "test.conllu.gz")}
    pos, dropped = drop_heldout(parse_genia_pos(open_text(genia / "pos" / "train.tsv.gz")), heldout)
    pos_docs = [
        sentences_to_doc(vocab, [Sentence(words=[w for w, _ in s], tags=[t for _, t in s])], with_parse=False)
        for ab in pos
        for s in ab.sentences
    ]
    console.print(
        f"core: GENIA UD {len(genia_docs)} abstracts (x{GENIA_OVERSAMPLE}), EWT {len(ewt_docs)} docs, "
        f"GENIA POS {len(pos_docs)} sentences ({dropped} abstracts dropped: they overlap GENIA ud/test)"
    )
    train = genia_docs * GENIA_OVERSAMPLE + ewt_docs + pos_docs
    random.Random(SEED).shuffle(train)
    save_docs(train, out / "core_train.spacy")
    save_docs((sentences_to_doc(vocab, sents) for _pmid, sents in dev_groups), out / "core_dev.spacy")


def ner_docs(docs: Iterable[TextDoc], name: str) -> list[Doc]:
    """Tokenized Docs with the gold entities of ``docs`` (see :func:`make_ner_doc`); prints the alignment counts."""
    stats = AlignStats()
    out = []
    for td in docs:
        doc, st = make_ner_doc(td.text, td.spans)
        stats.add(st)
        out.append(doc)
    console.print(
        f"  {name}: {len(out)} docs, {stats.aligned} spans aligned to tokens, "
        f"{stats.misaligned} misaligned (marked missing), {stats.overlapping} overlapping dropped"
    )
    return out


def build_cdr(data: Path, out: Path) -> None:
    """CHEMICAL/DISEASE: BC5CDR train + dev (the last 60 dev docs are the checkpoint-selection dev set; `cdr_all/` has all)."""
    bc = data / "bc5cdr"
    train = list(parse_pubtator(open_text(bc / "CDR_TrainingSet.PubTator.txt.gz"), PUBTATOR_LABELS))
    dev = list(parse_pubtator(open_text(bc / "CDR_DevelopmentSet.PubTator.txt.gz"), PUBTATOR_LABELS))
    train += dev[:-CDR_DEV_DOCS]
    save_docs(ner_docs(train, "BC5CDR train+dev"), out / "cdr_train.spacy")
    save_docs(ner_docs(dev[-CDR_DEV_DOCS:], "BC5CDR dev (selection)"), out / "cdr_dev.spacy")
    # every document, for the final ner_cdr runs (spaCy reads all .spacy files of a directory)
    (out / "cdr_all").mkdir(exist_ok=True)
    for name in ("cdr_train.spacy", "cdr_dev.spacy"):
        shutil.copyfile(out / name, out / "cdr_all" / name)


def build_gene(data: Path, out: Path) -> None:
    """GENE: BC2GM official train (600 dev-split sentences kept for selection) + BioNLP13CG Gene_or_gene_product."""
    bc2 = data / "bc2gm" / "devel-split"
    train = list(
        bc2_docs(
            parse_bc2_sentences(open_text(bc2 / "train" / "train.in.gz")),
            parse_bc2_eval(open_text(bc2 / "train" / "GENE.eval")),
        )
    )
    dev = list(
        bc2_docs(
            parse_bc2_sentences(open_text(bc2 / "devel" / "devel.in")),
            parse_bc2_eval(open_text(bc2 / "devel" / "GENE.eval")),
        )
    )
    train += dev[GENE_DEV_SENTENCES:]
    dev = dev[:GENE_DEV_SENTENCES]
    cg = []
    for split in ("train", "devel"):
        for i, (words, tags) in enumerate(parse_iob(open_text(data / "bionlp13cg-iob" / f"{split}.tsv.gz"))):
            text, spans = iob_to_text(words, tags, BIONLP13CG_LABELS)
            cg.append(TextDoc(f"cg-{split}-{i}", text, spans))
    docs = ner_docs(train, "BC2GM train (+ unused dev-split sentences)") + ner_docs(cg, "BioNLP13CG train+devel")
    random.Random(SEED).shuffle(docs)
    save_docs(docs, out / "gene_train.spacy")
    save_docs(ner_docs(dev, "BC2GM devel split (selection)"), out / "gene_dev.spacy")


def build_variant(data: Path, out: Path) -> None:
    """VARIANT: BioRED train SequenceVariant mentions; BioRED dev is the checkpoint-selection set (test is held out)."""
    biored = data / "biored"
    train = list(parse_pubtator(open_text(biored / "Train.PubTator.gz"), BIORED_VARIANT_LABELS))
    dev = list(parse_pubtator(open_text(biored / "Dev.PubTator.gz"), BIORED_VARIANT_LABELS))
    save_docs(ner_docs(train, "BioRED train"), out / "variant_train.spacy")
    save_docs(ner_docs(dev, "BioRED dev (selection)"), out / "variant_dev.spacy")


BUILDERS = {"core": build_core, "cdr": build_cdr, "gene": build_gene, "variant": build_variant}


def convert(which: str, out: Path, shared: Path = SHARED_DIR) -> None:
    """Build the DocBins of one model (or ``all``) under ``out``."""
    data = shared / "data"
    if not data.is_dir():
        raise MinerError(f"shared data not found at {data} (set MINER_SHARED)")
    names = list(BUILDERS) if which == "all" else [which]
    for name in names:
        if name not in BUILDERS:
            raise MinerError(f"unknown corpus {name!r}; choose one of {', '.join(BUILDERS)} or all")
        console.print(f"[bold]building {name}[/]")
        BUILDERS[name](data, out)


if __name__ == "__main__":
    args = sys.argv[1:]
    target = args[0] if args else "all"
    dest = Path(args[args.index("--out") + 1]) if "--out" in args else Path("training/corpus")
    try:
        convert(target, dest)
    except MinerError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        sys.exit(1)
