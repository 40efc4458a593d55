"""Training data for ``miner_relation``: labelled candidate pairs from annotated rows.

Sources (never the two reviews' gold, ``annotations/gold``):

* **development abstracts** (:func:`abstract_sources`): rows in the Finding schema written for the abstracts of
  ``../shared/data/crossres-abstracts`` (``annotations/dev/abstracts.jsonl`` once merged, until then
  ``annotations/dev/parts/part*.jsonl`` restricted to the documents listed in ``parts/part*.done``), split by
  ``annotations/dev/split.json``: train only on ``train`` PMIDs. Annotation is exhaustive, so every candidate
  of a finished document that no row matches is a ``none`` example.
* **CIViC** (:func:`civic_sources`): ``miner.evaluate.civic.load_civic(split)``; its rows are single-drug
  resistance findings with the molecular profile as mechanism, so only (drug, gene/variant) pairs are labelled
  there (drug-drug pairs are left out: CIViC does not annotate sequences), and only those whose gene is the item's
  molecular profile (the statement's other variants are not annotated by that item). A Sensitivity/Response item
  without rows gives ``none`` pairs for its profile.
* **written examples** (:data:`WRITTEN`): a handful of sentences for tests and smoke runs.

Training vs selection: one group in five (a paper: the PMID of a CIViC item, the abstract itself) is held out to
choose the checkpoint (:func:`is_selection_doc`), with at most :data:`MAX_SELECT_PER_GROUP` documents a paper there
and :data:`MAX_TRAIN_PER_GROUP` in training (:func:`cap_groups`), so that no paper's run of near-identical
statements dominates.

Labelling (:func:`label_candidates`): the Doc of a document is parsed by miner's pipeline, its candidates are
generated exactly as at inference (:func:`miner.extract.relation.candidates.candidate_pairs`), and each candidate
lying inside a row's ``evidence_quote`` is matched against the row: a (drug, prior) candidate whose two spans name
the row's ``drug`` and ``prior_drug`` (as written, by lexicon ids, or as a part of a written combination such as
"carboplatin/paclitaxel") takes the row's effect and direction; a (drug, gene/variant) candidate whose agent names
the drug of a ``resistance`` row and whose gene span is one of the row's ``mechanism_genes`` (or a part of its
``mechanism``) is ``resistance``. A gene pair of a sequential row's mechanism, a negated resistance row, and every
candidate inside the quote of a row that could not be aligned to any candidate are left out of training (label -1)
rather than taught as ``none``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from miner.config import REPO_ROOT, SHARED_DIR
from miner.extract.relation.candidates import (
    CANDIDATES_KEY,
    DRUG_LABELS,
    Arg,
    Candidate,
    candidate_pairs,
    default_keep,
    doc_arguments,
)
from miner.extract.relation.component import GOLD_KEY, WEIGHT_KEY
from miner.extract.relation.model import DD_EFFECTS
from miner.lexicon.compounds import split_compound
from miner.lexicon.normalize import unify_dashes

DEV_DIR = REPO_ROOT / "annotations" / "dev"
ABSTRACTS_XML = SHARED_DIR / "data" / "crossres-abstracts" / "crossres_abstracts.xml.gz"
DOC_ID_KEY = "miner_doc_id"
GROUP_KEY = "miner_group"
#: share of the training groups (papers) held out to choose the checkpoint (by a hash of the group)
SELECT_MODULUS = 5
#: at most this many documents of one group (paper) in the selection set, and in the training set: CIViC has
#: papers with 20-50 near-identical statements (one per variant), which would otherwise dominate both
MAX_SELECT_PER_GROUP = 5
MAX_TRAIN_PER_GROUP = 10


@dataclass
class SourceDoc:
    """One document with its annotated rows (Finding dicts) and which candidate kinds its annotation covers."""

    doc_id: str
    text: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    label_dd: bool = True
    label_dg: bool = True
    #: documents of one group (a paper) fall on one side of the train/selection split
    group: str = ""
    #: when set (a dict with ``mechanism`` and ``mechanism_genes``), gene/variant pairs whose gene is outside it
    #: are not labelled: a CIViC item annotates one molecular profile, the other variants of its statement are
    #: unlabelled, not negatives
    mechanism_scope: dict[str, Any] | None = None


# -- sources ----------------------------------------------------------------------------------------


def read_split(path: Path | None = None) -> dict[str, str]:
    """PMID -> "train" | "dev" (``annotations/dev/split.json``)."""
    data = json.loads((path or DEV_DIR / "split.json").read_text(encoding="utf-8"))
    return {pmid: split for split in ("train", "dev") for pmid in data.get(split, [])}


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def annotated_rows(dev_dir: Path | None = None) -> tuple[list[dict[str, Any]], set[str]]:
    """(rows, finished doc ids) of the development abstracts: the merged file if present, else the parts."""
    dev_dir = dev_dir or DEV_DIR
    merged = dev_dir / "abstracts.jsonl"
    if merged.is_file():
        rows = _jsonl(merged)
        docs_file = dev_dir / "documents.jsonl"
        if docs_file.is_file():
            done = {str(d.get("doc_id")) for d in _jsonl(docs_file)}
        else:
            done = {r["doc_id"] for r in rows}
        return rows, done
    rows, done = [], set()
    for part in sorted((dev_dir / "parts").glob("part*.jsonl")):
        rows.extend(_jsonl(part))
        marker = part.with_suffix(".done")
        if marker.is_file():
            for line in marker.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    done.add("pmid:" + line.split()[0])
    return rows, done


def abstract_texts(path: Path = ABSTRACTS_XML) -> dict[str, str]:
    """doc_id ("pmid:N") -> Document.text of every crossres abstract (as ``miner corpus import`` stores it)."""
    from miner.corpus.pubmed_xml import parse_pubmed_xml

    return {d.doc_id: d.text for d in parse_pubmed_xml(path) if hasattr(d, "text")}


def abstract_sources(split: str = "train", dev_dir: Path | None = None) -> list[SourceDoc]:
    """Finished development abstracts of one split ("train" or "dev"), with their rows."""
    if split not in ("train", "dev"):
        raise ValueError(f"split must be train or dev, not {split!r}")
    splits = read_split((dev_dir or DEV_DIR) / "split.json")
    rows, done = annotated_rows(dev_dir)
    texts = abstract_texts()
    by_doc: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_doc.setdefault(row["doc_id"], []).append(row)
    out = []
    for doc_id in sorted(done):
        pmid = doc_id.split(":", 1)[1]
        if splits.get(pmid) != split or doc_id not in texts:
            continue
        out.append(SourceDoc(doc_id, texts[doc_id], by_doc.get(doc_id, [])))
    return out


def civic_sources(split: str = "train") -> list[SourceDoc]:
    """CIViC statements of one split with their resistance rows (drug-drug pairs not labelled)."""
    from miner.evaluate.civic import civic_records, load_civic, profile_genes

    documents, gold, covered = load_civic(split)
    records = civic_records()
    by_doc: dict[str, list[dict[str, Any]]] = {}
    for f in gold:
        by_doc.setdefault(f.doc_id, []).append(f.to_dict())
    out = []
    for d in documents:
        if d.doc_id not in covered:
            continue
        rows = by_doc.get(d.doc_id, [])
        record = records.get(int(d.doc_id.split(":", 1)[1]), {})
        profile = record.get("molecular_profile", "")
        out.append(SourceDoc(d.doc_id, d.text, rows, label_dd=any(r.get("prior_drug") for r in rows),
                             group=f"pmid:{record.get('pmid', d.doc_id)}",
                             mechanism_scope={"mechanism": profile, "mechanism_genes": profile_genes(profile)}))
    return out


def _row(drug: str, effect: str, prior: str = "", mechanism: str = "", genes: tuple[str, ...] = ()) -> dict:
    return {"drug": drug, "prior_drug": prior, "effect": effect, "mechanism": mechanism,
            "mechanism_genes": list(genes), "negated": False}


#: written examples (sentences made up for development and tests; whole text = the quote)
WRITTEN: tuple[tuple[str, tuple[dict, ...]], ...] = (
    ("Gefitinib-resistant PC9 cells were cross-resistant to afatinib but remained sensitive to osimertinib.",
     (_row("afatinib", "cross_resistance", "Gefitinib"), _row("osimertinib", "no_cross_resistance", "Gefitinib"))),
    ("Cabazitaxel retained activity in patients who progressed after docetaxel.",
     (_row("Cabazitaxel", "no_cross_resistance", "docetaxel"),)),
    ("Tumours harbouring the KIT D816V mutation are resistant to imatinib.",
     (_row("imatinib", "resistance", "", "KIT D816V", ("KIT",)),)),
    ("Paclitaxel-resistant ovarian cancer cells were more sensitive to cisplatin than the parental cells.",
     (_row("cisplatin", "collateral_sensitivity", "Paclitaxel"),)),
    ("Enzalutamide showed limited activity after abiraterone in men with mCRPC.",
     (_row("Enzalutamide", "reduced_efficacy", "abiraterone"),)),
    ("Cells expressing ERBB2 L755S were resistant to lapatinib.",
     (_row("lapatinib", "resistance", "", "ERBB2 L755S", ("ERBB2",)),)),
    ("Doxorubicin and vincristine were given together; resistance to vincristine was not observed.", ()),
    ("Sunitinib was well tolerated in patients previously treated with imatinib, with durable responses.",
     (_row("Sunitinib", "no_cross_resistance", "imatinib"),)),
)


def written_sources() -> list[SourceDoc]:
    return [SourceDoc(f"text:written-{i}", text, [dict(r, evidence_quote=text, offsets={"evidence_quote": [0, len(text)]})
                                                  for r in rows])
            for i, (text, rows) in enumerate(WRITTEN)]


# -- matching rows to spans ---------------------------------------------------------------------------

#: What joins the agents of a row's drug name ("X + Y", "X/Y", "X followed by Y").
_PARTS = re.compile(r"\s*(?:\+|/|,|;|\bplus\b|\band\b|\bor\b|\bwith\b|\bfollowed by\b)\s*", re.IGNORECASE)


def norm(text: str) -> str:
    text = unify_dashes(text or "").lower()
    return " ".join(text.split()).strip(" .,;:()[]")


def _ids_of(name: str, resolver) -> set[str]:
    if resolver is None or not name:
        return set()
    found = resolver.drug(name)
    return set(found[1]) if found else set()


def _contains_word(haystack: str, needle: str) -> bool:
    if len(needle) < 3:
        return False
    return re.search(r"(?<![a-z0-9])" + re.escape(needle) + r"(?![a-z0-9])", haystack) is not None


def agent_matches(row_name: str, row_ids: Iterable[str], span_text: str, arg: Arg, resolver=None) -> bool:
    """Whether an agent span names the row's agent (as written, by lexicon ids, or as part of a combination)."""
    r, t = norm(row_name), norm(span_text)
    if not r or not t:
        return False
    if r == t:
        return True
    span_ids = set(arg.key.split("|")) if arg.key != span_text.lower() else set()
    wanted = set(row_ids) | _ids_of(row_name, resolver)
    if span_ids and wanted & span_ids:
        return True
    parts = [p for p in (norm(x) for x in split_compound(r, _PARTS)) if p]
    if len(parts) > 1:
        if t in parts:
            return True
        if span_ids and any(_ids_of(p, resolver) & span_ids for p in parts):
            return True
    # "the EGFR-TKI gefitinib" / "gefitinib-based therapy": one side holds the other as whole words
    return _contains_word(r, t) or _contains_word(t, r)


def gene_matches(row: dict[str, Any], span_text: str, arg: Arg, resolver=None) -> bool:
    """Whether a GENE/VARIANT span is (part of) the row's mechanism."""
    genes = {g.upper() for g in row.get("mechanism_genes") or []}
    mech = norm(row.get("mechanism", ""))
    if not genes and not mech:
        return False
    key = arg.key
    if arg.label == "VARIANT" and "@" in key:
        if genes & {g.upper() for g in key.split("@", 1)[1].split("|")}:
            return True
    elif arg.label == "GENE" and key.upper() in genes:
        return True
    if resolver is not None and genes:
        symbol = resolver.gene(span_text)
        if symbol and symbol.upper() in genes:
            return True
    t = norm(span_text)
    return bool(mech) and (_contains_word(mech, t) or (len(t) >= 4 and t in mech))


# -- labelling ------------------------------------------------------------------------------------------


@dataclass
class LabelStats:
    candidates: int = 0
    labels: Counter = field(default_factory=Counter)
    rows: int = 0
    rows_aligned: int = 0
    unaligned: list[str] = field(default_factory=list)

    def add(self, other: "LabelStats") -> None:
        self.candidates += other.candidates
        self.labels.update(other.labels)
        self.rows += other.rows
        self.rows_aligned += other.rows_aligned
        self.unaligned.extend(other.unaligned)

    def summary(self) -> str:
        labels = ", ".join(f"{k}: {v}" for k, v in sorted(self.labels.items()))
        return (f"{self.candidates} candidates ({labels}); rows aligned to a candidate: {self.rows_aligned} of "
                f"{self.rows}")


def _quote_range(row: dict[str, Any], text: str) -> tuple[int, int] | None:
    span = (row.get("offsets") or {}).get("evidence_quote")
    if span:
        return int(span[0]), int(span[1])
    quote = row.get("evidence_quote") or ""
    if quote:
        at = text.find(quote)
        if at >= 0:
            return at, at + len(quote)
    return None


def label_candidates(
    doc: Doc, cands: list[Candidate], args: list[Arg], source: SourceDoc, resolver=None
) -> tuple[list[tuple[int, int]], LabelStats]:
    """Gold (label index, direction) for each candidate of one document (see the module docstring)."""
    by_span = {(a.start, a.end): a for a in args}
    stats = LabelStats(candidates=len(cands))
    ranges = [_quote_range(r, doc.text) for r in source.rows]
    matched_rows: set[int] = set()
    found: list[list[tuple[int, int, int]]] = [[] for _ in cands]  # per candidate: (row, label, direction)
    ignore = [False] * len(cands)

    def inside(span, rng) -> bool:
        return rng[0] - 1 <= span.start_char and span.end_char <= rng[1] + 1

    # pass 1: pairs within the quote; pass 2: cross-sentence pairs for the rows pass 1 left unaligned, whose
    # affected drug (gene, for a mechanism row) is in the quote and whose prior (agent) is named in the sentence
    # next to it ("Cisplatin-resistant NTUB1/P cells were established. NTUB1/P had cross-resistance to paclitaxel.")
    order = [ci for ci, c in enumerate(cands) if not c.cross] + [ci for ci, c in enumerate(cands) if c.cross]
    first_pass: set[int] = set()
    for ci in order:
        c = cands[ci]
        if c.cross and not first_pass:
            first_pass = {ri for cj in range(len(cands)) for ri, _y, _d in found[cj]} | matched_rows | {-1}
        a_span, b_span = doc[c.a_start:c.a_end], doc[c.b_start:c.b_end]
        a, b = by_span.get((c.a_start, c.a_end)), by_span.get((c.b_start, c.b_end))
        if a is None or b is None:
            ignore[ci] = True
            continue
        lo = min(a_span.start_char, b_span.start_char)
        hi = max(a_span.end_char, b_span.end_char)
        for ri, row in enumerate(source.rows):
            rng = ranges[ri]
            if rng is None:
                continue
            if c.cross:
                if ri in first_pass:
                    continue
            elif lo < rng[0] - 1 or hi > rng[1] + 1:
                continue
            drug, prior = row.get("drug", ""), row.get("prior_drug", "")
            d_ids, p_ids = row.get("drug_ids") or [], row.get("prior_drug_ids") or []
            effect = row.get("effect", "")
            if c.kind == "DD" and prior and effect in DD_EFFECTS:
                y = DD_EFFECTS.index(effect)
                if agent_matches(drug, d_ids, a_span.text, a, resolver) and \
                        agent_matches(prior, p_ids, b_span.text, b, resolver) and (not c.cross or inside(a_span, rng)):
                    found[ci].append((ri, y, 0))
                elif agent_matches(drug, d_ids, b_span.text, b, resolver) and \
                        agent_matches(prior, p_ids, a_span.text, a, resolver) and (not c.cross or inside(b_span, rng)):
                    found[ci].append((ri, y, 1))
            elif c.kind == "DG" and c.cross and not inside(b_span, rng):
                continue
            elif c.kind == "DG":
                if not gene_matches(row, b_span.text, b, resolver):
                    continue
                if prior:  # a sequential row's mechanism: which agent it explains is not labelled
                    if agent_matches(drug, d_ids, a_span.text, a, resolver) or \
                            agent_matches(prior, p_ids, a_span.text, a, resolver):
                        ignore[ci] = True
                        matched_rows.add(ri)
                elif effect == "resistance" and agent_matches(drug, d_ids, a_span.text, a, resolver):
                    if row.get("negated"):
                        ignore[ci] = True
                        matched_rows.add(ri)
                    else:
                        found[ci].append((ri, 1, -1))
    for ci in range(len(cands)):
        matched_rows.update(ri for ri, _y, _d in found[ci])
    unaligned = [ranges[ri] for ri in range(len(source.rows)) if ri not in matched_rows and ranges[ri] is not None]
    gold: list[tuple[int, int]] = []
    for ci, c in enumerate(cands):
        labelled = source.label_dd if c.kind == "DD" else source.label_dg
        if found[ci]:
            votes = Counter((y, d) for _ri, y, d in found[ci])
            (y, d), _n = votes.most_common(1)[0]
            gold.append((y, d))
        elif ignore[ci] or not labelled:
            gold.append((-1, -1))
        elif c.kind == "DG" and source.mechanism_scope is not None and not gene_matches(
                source.mechanism_scope, doc[c.b_start:c.b_end].text, by_span[(c.b_start, c.b_end)], resolver):
            gold.append((-1, -1))
        else:
            a_span, b_span = doc[c.a_start:c.a_end], doc[c.b_start:c.b_end]
            lo = min(a_span.start_char, b_span.start_char)
            hi = max(a_span.end_char, b_span.end_char)
            # inside the quote of a row no candidate matched: the alignment failed, do not teach "none" (a
            # cross-sentence pair: one of its arguments inside such a quote)
            if any(s - 1 <= lo and hi <= e + 1 for s, e in unaligned) or c.cross and any(
                    s - 1 <= sp.start_char and sp.end_char <= e + 1 for s, e in unaligned for sp in (a_span, b_span)):
                gold.append((-1, -1))
            else:
                gold.append((0, -1))
    stats.rows = len(source.rows)
    stats.rows_aligned = len(matched_rows)
    stats.unaligned = [f"{source.doc_id}: {r.get('drug')!r} <- {r.get('prior_drug')!r} / {r.get('mechanism')!r}"
                       for ri, r in enumerate(source.rows) if ri not in matched_rows]
    for c, (y, _d) in zip(cands, gold):
        name = "ignored" if y < 0 else (DD_EFFECTS[y] if c.kind == "DD" else ("none", "resistance")[y])
        stats.labels[f"{c.kind}:{name}"] += 1
    return gold, stats


# -- conversion -------------------------------------------------------------------------------------------


def training_doc(doc: Doc, cands: list[Candidate], gold: list[tuple[int, int]] | None, doc_id: str,
                 group: str = "", weights: list[float] | None = None) -> Doc:
    """A lean copy of a parsed Doc for a DocBin: tokens (with their norms), sentence starts, entities, and the
    candidates with their gold labels (and optional loss weights) in ``user_data``."""
    new = Doc(doc.vocab, words=[t.text for t in doc], spaces=[bool(t.whitespace_) for t in doc],
              sent_starts=[bool(t.is_sent_start) for t in doc])
    for t, src in zip(new, doc):
        if t.norm_ != src.norm_:
            t.norm_ = src.norm_
    new.ents = [new.char_span(e.start_char, e.end_char, label=e.label_) for e in doc.ents
                if new.char_span(e.start_char, e.end_char) is not None]
    new.user_data[CANDIDATES_KEY] = [c.to_tuple() for c in cands]
    if gold is not None:
        new.user_data[GOLD_KEY] = [list(g) for g in gold]
    if weights is not None and any(float(w) != 1.0 for w in weights):
        new.user_data[WEIGHT_KEY] = [float(w) for w in weights]
    new.user_data[DOC_ID_KEY] = doc_id
    if group:
        new.user_data[GROUP_KEY] = group
    return new


def convert_sources(
    sources: Iterable[SourceDoc], nlp: Language, neighbours: bool = False, resolver=None, batch_size: int = 16,
    keep=default_keep,
) -> tuple[list[Doc], LabelStats]:
    """Parse each source document with ``nlp`` (miner's pipeline), generate and label its candidates."""
    from miner.extract.mentions import default_resolver

    resolver = resolver if resolver is not None else default_resolver()
    sources = list(sources)
    stats = LabelStats()
    out: list[Doc] = []
    texts = ((s.text, s) for s in sources)
    for doc, source in nlp.pipe(texts, as_tuples=True, batch_size=batch_size):
        args = doc_arguments(doc, resolver)
        cands = candidate_pairs(doc, keep=keep, neighbours=neighbours, resolver=resolver, args=args)
        gold, st = label_candidates(doc, cands, args, source, resolver)
        stats.add(st)
        out.append(training_doc(doc, cands, gold, source.doc_id, source.group or source.doc_id))
    return out, stats


def is_selection_doc(group: str) -> bool:
    """About one training group (paper) in five is held out to choose the checkpoint (by a hash of the group)."""
    return int(hashlib.sha1(group.encode("utf-8")).hexdigest(), 16) % SELECT_MODULUS == 0


def cap_groups(docs: list[Doc], per_group: int) -> list[Doc]:
    """The first ``per_group`` documents of each group (``user_data[GROUP_KEY]``), in order."""
    seen: Counter = Counter()
    out = []
    for doc in docs:
        group = doc.user_data.get(GROUP_KEY) or doc.user_data.get(DOC_ID_KEY)
        seen[group] += 1
        if seen[group] <= per_group:
            out.append(doc)
    return out


def iter_gold(doc: Doc) -> Iterator[tuple[Candidate, int, int]]:
    from miner.extract.relation.candidates import get_candidates

    for c, (y, d) in zip(get_candidates(doc), doc.user_data.get(GOLD_KEY, ())):
        yield c, int(y), int(d)


__all__ = [
    "SourceDoc", "abstract_sources", "civic_sources", "written_sources", "label_candidates", "convert_sources",
    "training_doc", "agent_matches", "gene_matches", "DRUG_LABELS",
]


# -- spaCy corpus reader ------------------------------------------------------------------------------------


def read_docbin(path: str | Path, vocab) -> list[Doc]:
    """The Docs of a ``.spacy`` file (or every ``.spacy`` file of a directory), user data included."""
    from spacy.tokens import DocBin

    path = Path(path)
    files = sorted(path.glob("*.spacy")) if path.is_dir() else [path]
    docs: list[Doc] = []
    for f in files:
        docs.extend(DocBin(store_user_data=True).from_disk(f).get_docs(vocab))
    return docs


def save_docbin(docs: Iterable[Doc], path: Path) -> int:
    """Write the relation examples as a DocBin that keeps their user data (the candidates and labels)."""
    from miner.nlp.training.convert import save_docs

    return save_docs(docs, path, store_user_data=True, quiet=True)


def make_relation_corpus(path: str | Path, limit: int = 0):
    """A spaCy corpus reader (registered as ``miner.RelationCorpus.v1``): Examples whose predicted Doc is a copy of
    the reference (same tokens, entities and stored candidates; the gold labels are read from the reference)."""
    from spacy.training import Example

    def reader(nlp: Language) -> Iterator[Example]:
        docs = read_docbin(path, nlp.vocab)
        for doc in docs[:limit] if limit else docs:
            yield Example(doc.copy(), doc)

    return reader


def _register_reader() -> None:
    from spacy.util import registry

    if "miner.RelationCorpus.v1" not in registry.readers.get_all():
        registry.readers.register("miner.RelationCorpus.v1", func=make_relation_corpus)


_register_reader()
