"""An ensemble of NER models that votes on spans (the ``ner_cdr`` CHEMICAL/DISEASE recognizer).

Algorithm: several transition-based recognizers of one architecture, trained on the same data with different seeds
or dropout, each tag the document; a span (start, end, label) is kept when at least ``min_votes`` of them predict
it exactly, overlaps going to the span with more votes, then the longer, then the earlier one. Majority voting over
independently trained models (Dietterich 2000, "Ensemble methods in machine learning") averages away the errors the
runs do not share; span-level voting is how NER ensembles are combined when the members' scores are not comparable
(e.g. Wu et al. 2003, CoNLL; the "majority vote" baseline of Sang & Buchholz).

Measured on the 60 BC5CDR selection-dev documents (BENCHMARKS.md): five runs alone 85.04-85.90 exact-span F1, three of
five votes 86.49-86.72. The members are stored 8-bit (:mod:`miner.nlp.quantize`) so five of them fit in ``models/``.

The component is registered as the spaCy factory ``miner_ner_vote`` (also as an entry point, so plain
``spacy.load`` of the package works once miner is installed). Its members are ordinary spaCy
``EntityRecognizer`` objects; :func:`from_pipelines` fills them from trained ``spacy train`` outputs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import srsly
from spacy.language import Language
from spacy.pipeline import EntityRecognizer
from spacy.tokens import Doc, Span
from spacy.util import ensure_path, minibatch
from spacy.vocab import Vocab
from thinc.api import Model

from miner.nlp.quantize import dequantize_params, quantize_params

#: a predicted mention: (start, end, label); token or character offsets, as long as all voters use the same ones
Mention = tuple[int, int, str]


def vote(predictions: Sequence[Iterable[Mention]], min_votes: int) -> list[Mention]:
    """Mentions predicted by at least ``min_votes`` voters, without overlaps.

    Among overlapping candidates the one with more votes wins, then the longer one, then the earlier one.
    """
    if min_votes < 1:
        raise ValueError("min_votes must be at least 1")
    votes = Counter(m for pred in predictions for m in set(pred))
    candidates = sorted((m for m, n in votes.items() if n >= min_votes), key=lambda m: (-votes[m], m[0] - m[1], m[0]))
    kept: list[Mention] = []
    for m in candidates:
        if all(m[1] <= k[0] or k[1] <= m[0] for k in kept):
            kept.append(m)
    return sorted(kept)


def copy_model(model: Model) -> Model:
    """A deep copy of a thinc model, references included (``Model.copy`` drops them, and spaCy's parser model
    finds its output layer through the ``upper`` reference)."""
    copied = model.copy()
    originals, copies = list(model.walk()), list(copied.walk())
    index = {node.id: i for i, node in enumerate(originals)}
    for orig, node in zip(originals, copies):
        for ref in orig.ref_names:
            if orig.has_ref(ref):
                node.set_ref(ref, copies[index[orig.get_ref(ref).id]])
    return copied


@Language.factory("miner_ner_vote", default_config={"members": 5, "min_votes": 3, "cascade": True})
def make_ner_vote(nlp: Language, name: str, model: Model, members: int, min_votes: int, cascade: bool) -> "NerVote":
    """Factory for :class:`NerVote`; ``model`` is the architecture every member shares."""
    return NerVote(nlp.vocab, model, name=name, members=members, min_votes=min_votes, cascade=cascade)


#: tokens of context around a sentence the later members re-read in the cascade: the tok2vec's receptive field
#: (MaxoutWindowEncoder depth 4 x window 1 = 4 tokens a side) plus the token before the sentence, whose vector the
#: NER state reads, with its own 4 tokens of context
CASCADE_CONTEXT = 8


class NerVote:
    """``members`` EntityRecognizers whose exact-span majority (``min_votes``) becomes ``doc.ents``."""

    def __init__(self, vocab: Vocab, model: Model, name: str = "ner", members: int = 5, min_votes: int = 3,
                 cascade: bool = True) -> None:
        if members < 1 or not 1 <= min_votes <= members:
            raise ValueError(f"{name}: need members >= 1 and 1 <= min_votes <= members (got {members}, {min_votes})")
        self.vocab = vocab
        self.name = name
        self.stored_min_votes = min_votes
        self.members = [
            EntityRecognizer(vocab, model if i == 0 else copy_model(model), name=f"{name}.{i}") for i in range(members)
        ]
        self.voting = members  # how many members tag, the first ones (see select)
        self.cascade = cascade

    @property
    def active(self) -> list[EntityRecognizer]:
        """The members that tag."""
        return self.members[: self.voting]

    @property
    def min_votes(self) -> int:
        """Votes a span needs: the stored threshold when every member tags, else a majority of those that do."""
        return self.stored_min_votes if self.voting == len(self.members) else self.voting // 2 + 1

    def select(self, runs: int | None) -> None:
        """Vote with the first ``runs`` members only, a majority of them deciding; ``None`` restores the stored vote.

        Speed for accuracy: each member costs as much as a single recognizer, so one member runs about five times as
        fast as the five-member vote (BENCHMARKS.md). Serialization always keeps every member.
        """
        runs = len(self.members) if runs is None else runs
        if not 1 <= runs <= len(self.members):
            raise ValueError(f"{self.name} has {len(self.members)} runs; choose between 1 and {len(self.members)}, not {runs}")
        self.voting = runs

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(sorted({label for m in self.members for label in m.labels}))

    def __call__(self, doc: Doc) -> Doc:
        return next(self.pipe([doc]))

    def pipe(self, stream: Iterable[Doc], batch_size: int = 128) -> Iterator[Doc]:
        for batch in minibatch(stream, size=batch_size):
            yield from self._tag(list(batch))

    def _tag(self, docs: list[Doc]) -> list[Doc]:
        """Run the members on ``docs`` and set the vote as ``doc.ents`` (in cascade when it can be exact)."""
        k = self.min_votes
        active = self.active
        if self.cascade and k < len(active) < 2 * k:
            return self._tag_cascade(docs, active[:k], active[k:])
        preset = [list(doc.ents) for doc in docs]
        predictions = self._predict(active, docs, preset)
        for doc, preds in zip(docs, predictions):
            doc.ents = [Span(doc, s, e, label=label) for s, e, label in vote(preds, k)]
        return docs

    @staticmethod
    def _predict(members: Sequence[EntityRecognizer], docs: list[Doc], preset: list[list[Span]]) -> list[list[list[Mention]]]:
        """Each member's mentions on each doc, every member run as if it were alone."""
        predictions: list[list[list[Mention]]] = [[] for _ in docs]
        for member in members:
            member.set_annotations(docs, member.predict(docs))
            for i, doc in enumerate(docs):
                predictions[i].append([(e.start, e.end, e.label_) for e in doc.ents])
                doc.ents = preset[i]
        return predictions

    def _tag_cascade(self, docs: list[Doc], first: Sequence[EntityRecognizer], rest: Sequence[EntityRecognizer]) -> list[Doc]:
        """The same vote, the later members only where they can change it.

        With ``k = min_votes`` first members and fewer than ``k`` later ones, a mention all first members predict has
        ``k`` votes and no rival (every first member predicted it, so none predicted an overlapping one, and the later
        members alone cannot give a rival ``k`` votes), and a mention no first member predicts can never reach ``k``.
        Only mentions with 1 to ``k - 1`` first votes are open, so the later members run only on the sentences that
        hold one, with :data:`CASCADE_CONTEXT` tokens of context on each side so that every token of the sentence
        gets the vectors it gets in the whole document; their mentions inside the sentence join the vote. Sentences
        come from the parser (a document without sentence starts is one sentence). On the BC5CDR selection dev
        documents the cascade's entities are those of the full vote (BENCHMARKS.md).
        """
        k = len(first)
        preset = [list(doc.ents) for doc in docs]
        predictions = self._predict(first, docs, preset)
        windows: list[tuple[int, int, int, int]] = []  # (doc index, window start, region start, region end)
        for i, (doc, preds) in enumerate(zip(docs, predictions)):
            votes = Counter(m for pred in preds for m in set(pred))
            open_ = [m for m, n in votes.items() if n < k]
            if not open_:
                continue
            if doc.has_annotation("SENT_START"):
                regions = sorted({(s.start, s.end) for s in doc.sents if any(s.start <= m[0] < s.end for m in open_)})
            else:
                regions = [(0, len(doc))]
            merged: list[list[int]] = []
            for a, b in regions:
                if merged and a <= merged[-1][1] + 2 * CASCADE_CONTEXT:
                    merged[-1][1] = max(merged[-1][1], b)
                else:
                    merged.append([a, b])
            windows += [(i, max(0, a - CASCADE_CONTEXT), a, b) for a, b in merged]
        if windows:
            window_docs = [docs[i][w: min(len(docs[i]), b + CASCADE_CONTEXT)].as_doc() for i, w, a, b in windows]
            window_preset = [list(d.ents) for d in window_docs]
            window_preds = self._predict(rest, window_docs, window_preset)
            extra: list[list[list[Mention]]] = [[[] for _ in rest] for _ in docs]
            for (i, w, a, b), preds in zip(windows, window_preds):
                for r, pred in enumerate(preds):
                    extra[i][r] += [(s + w, e + w, label) for s, e, label in pred if a <= s + w and e + w <= b]
            for i in range(len(docs)):
                predictions[i] += extra[i]
        for doc, preds in zip(docs, predictions):
            doc.ents = [Span(doc, s, e, label=label) for s, e, label in vote(preds, self.min_votes)]
        return docs

    # -- serialization: the members' transition systems and configs as spaCy stores them, their weights 8-bit --

    def _payload(self) -> dict[str, Any]:
        return {
            "members": [
                {
                    "moves": m.moves.to_bytes(exclude=["strings"]),
                    "cfg": dict(m.cfg),
                    "model": quantize_params(m.model.to_dict()),
                }
                for m in self.members
            ]
        }

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        return srsly.msgpack_dumps(self._payload())

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> "NerVote":
        stored = srsly.msgpack_loads(data)["members"]
        if len(stored) != len(self.members):
            raise ValueError(f"{self.name}: the stored ensemble has {len(stored)} members, the config {len(self.members)}")
        for member, payload in zip(self.members, stored):
            member.moves.from_bytes(payload["moves"], exclude=["strings"])
            member.cfg.update(payload["cfg"])
            member._resize()  # the output layer's width follows the transition system, as Parser.from_bytes does
            member.model.from_dict(dequantize_params(payload["model"]))
        return self

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        path = ensure_path(path)
        path.mkdir(parents=True, exist_ok=True)
        (path / "members").write_bytes(self.to_bytes())

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> "NerVote":
        return self.from_bytes((ensure_path(path) / "members").read_bytes())


def from_pipelines(nlp: Language, name: str, sources: Sequence[Language], source_name: str, min_votes: int) -> NerVote:
    """Add a ``miner_ner_vote`` component to ``nlp`` whose members are the ``source_name`` NER of each of ``sources``.

    ``nlp`` should share the sources' tokenizer and vectors (build it from the first source); every source must
    have been trained with the same model architecture (the config of the first one is used).
    """
    model_cfg = sources[0].config["components"][source_name]["model"]
    ensemble: NerVote = nlp.add_pipe(
        "miner_ner_vote",
        name=name,
        config={"model": model_cfg, "members": len(sources), "min_votes": min_votes},
    )
    for member, source in zip(ensemble.members, sources):
        member.from_bytes(source.get_pipe(source_name).to_bytes(exclude=["vocab"]), exclude=["vocab"])
    return ensemble
