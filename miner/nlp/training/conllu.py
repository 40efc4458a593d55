"""CoNLL-U trees (GENIA UD v1, UD English EWT v2) to spaCy Docs with one label set.

GENIA's trees use UD v1 labels from the Stanford converter; EWT uses UD v2.  The
parser must see one scheme, so EWT labels are mapped onto GENIA's (the one we are
evaluated on): ``obj`` -> ``dobj``, ``obl`` -> ``nmod``, passives, negation...
Both corpora keep PTB tags (GENIA in UPOS and XPOS, EWT in XPOS), which become
``token.tag_``.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from spacy.tokens import Doc
from spacy.vocab import Vocab

from miner.errors import InputFileError
from miner.nlp.training.tokenizer import guess_spaces

#: UD v2 relation -> the UD v1 (Stanford converter) relation GENIA uses.
UD2_TO_GENIA: dict[str, str] = {
    "obj": "dobj",
    "obl": "nmod",
    "obl:tmod": "nmod:tmod",
    "obl:npmod": "nmod:npmod",
    "obl:unmarked": "nmod:npmod",
    "nmod:unmarked": "nmod:npmod",
    "obl:agent": "nmod",
    "nmod:desc": "nmod",
    "nsubj:pass": "nsubjpass",
    "csubj:pass": "csubjpass",
    "aux:pass": "auxpass",
    "nsubj:outer": "nsubj",
    "csubj:outer": "csubj",
    "advcl:relcl": "advcl",
    "flat": "compound",
    "flat:foreign": "compound",
    "flat:name": "compound",
    "fixed": "mwe",
    "goeswith": "dep",
    "reparandum": "dep",
    "orphan": "dep",
    "dislocated": "dep",
    "discourse": "dep",
    "vocative": "dep",
    "list": "dep",
    "clf": "dep",
}
#: relations GENIA's trees actually use; anything else from EWT becomes ``dep``.
GENIA_LABELS = frozenset(
    "acl acl:relcl advcl advmod amod appos aux auxpass case cc cc:preconj ccomp compound "
    "compound:prt conj cop csubj csubjpass dep det det:predet dobj expl iobj mark mwe neg "
    "nmod nmod:npmod nmod:poss nmod:tmod nsubj nsubjpass nummod parataxis punct root xcomp".split()
)
#: UD v1 marks negation with ``neg``; v2 folds it into advmod/det.
_NEGATORS = {"not", "n't", "never", "no"}
#: EWT-only PTB-style tags -> the tag GENIA uses for the same thing.
EWT_TAG_MAP = {"HYPH": ":", "NFP": ":", "ADD": "NN", "GW": "XX", "AFX": "JJ"}


@dataclass
class Sentence:
    """One CoNLL-U sentence: tokens, PTB tags, 0-based heads (root points to itself)."""

    words: list[str] = field(default_factory=list)
    lemmas: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    heads: list[int] = field(default_factory=list)
    deps: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)


def open_text(path: Path):
    """Open a plain or gzip'd text file for reading."""
    if not Path(path).is_file():
        raise InputFileError(path, "file not found")
    return gzip.open(path, "rt", encoding="utf-8") if str(path).endswith(".gz") else open(path, encoding="utf-8")


def parse_conllu(lines: Iterable[str], source: str = "<conllu>") -> Iterator[Sentence]:
    """Yield sentences; multiword-token ranges and empty nodes are skipped."""
    sent = Sentence()
    rows: list[list[str]] = []

    def finish() -> Sentence | None:
        if not rows:
            return None
        ids = [r[0] for r in rows]
        index = {tok_id: i for i, tok_id in enumerate(ids)}
        out = Sentence(comments=sent.comments)
        for i, r in enumerate(rows):
            out.words.append(r[1])
            out.lemmas.append(r[2] if r[2] != "_" else "")
            out.tags.append(r[4] if r[4] != "_" else r[3])
            head = r[6]
            if head == "0":
                out.heads.append(i)
            elif head in index:
                out.heads.append(index[head])
            else:
                raise InputFileError(source, f"head {head} of token {r[0]} is not a token of its sentence")
            out.deps.append(r[7])
        return out

    for lineno, raw in enumerate(lines, 1):
        line = raw.rstrip("\n")
        if not line.strip():
            done = finish()
            if done is not None:
                yield done
            sent, rows = Sentence(), []
            continue
        if line.startswith("#"):
            sent.comments.append(line)
            continue
        cols = line.split("\t")
        if len(cols) != 10:
            raise InputFileError(source, f"expected 10 tab-separated columns, got {len(cols)}", f"line {lineno}")
        if "-" in cols[0] or "." in cols[0]:
            continue
        rows.append(cols)
    done = finish()
    if done is not None:
        yield done


def read_conllu(path: Path) -> list[Sentence]:
    """All sentences of a (gzip'd) CoNLL-U file."""
    with open_text(path) as fh:
        return list(parse_conllu(fh, str(path)))


def ud2_to_genia(sentence: Sentence) -> Sentence:
    """Map a UD v2 sentence (EWT) onto GENIA's UD v1 labels and PTB tags, in place."""
    for i, dep in enumerate(sentence.deps):
        word = sentence.words[i].lower()
        if dep in ("advmod", "det") and word in _NEGATORS:
            label = "neg"
        else:
            label = UD2_TO_GENIA.get(dep, dep)
        if label not in GENIA_LABELS:
            label = UD2_TO_GENIA.get(label.split(":")[0], label.split(":")[0])
            if label not in GENIA_LABELS:
                label = "dep"
        sentence.deps[i] = label
    sentence.tags = [EWT_TAG_MAP.get(t, t) for t in sentence.tags]
    return sentence


def sentences_to_doc(vocab: Vocab, sentences: list[Sentence], with_parse: bool = True) -> Doc:
    """One Doc from consecutive sentences (so the parser also learns sentence boundaries)."""
    words: list[str] = []
    spaces: list[bool] = []
    tags: list[str] = []
    lemmas: list[str] = []
    heads: list[int] = []
    deps: list[str] = []
    for sent in sentences:
        offset = len(words)
        sent_spaces = guess_spaces(sent.words)
        sent_spaces[-1] = True
        words += sent.words
        spaces += sent_spaces
        tags += sent.tags
        lemmas += sent.lemmas
        heads += [h + offset for h in sent.heads]
        deps += sent.deps
    if spaces:
        spaces[-1] = False
    kwargs = {"tags": tags}
    if lemmas and all(lemmas):
        kwargs["lemmas"] = lemmas
    if with_parse:
        kwargs["heads"] = heads
        kwargs["deps"] = deps
    return Doc(vocab, words=words, spaces=spaces, **kwargs)
