"""Compile the cancer vocabulary (``miner/data/lexicon/cancers.jsonl``) from the public corpora in ../shared/data.

Run ``python -m miner.nlp.build_cancers`` (options ``--shared DIR``, ``--out FILE``); deterministic output, committed.
Nothing is typed in by hand except the grammar of cancer names (the head words and qualifiers in
:mod:`miner.nlp.cancers`) and four short forms kept defined-only (:data:`NOT_FREE`). Inputs:

1. **Annotated disease mentions with MeSH ids**: BC5CDR train + dev and BioRED train + dev (PubTator; the test sets
   are never read). An id is a cancer when most of its written-out mentions end in a cancer head word ("non-small
   cell lung cancer", "hepatoma", "GISTs"); its mentions become synonyms, the short ones (no space, >= 2 capitals:
   "NSCLC", "HCC") abbreviation evidence. Composite ids ("D001943,D010051") are skipped.
2. **Abbreviation definitions** found by scispacy's Schwartz & Hearst detector (``miner_abbreviations``) in every
   non-held-out text the word vectors read (:func:`miner.nlp.training.vectors.iter_texts`: BC5CDR/BioRED train+dev,
   GENIA, HoC, DrugProt, MEDLINE, drug-combo, BC2GM/BioNLP13CG train), the crossres abstracts of the *train* split of
   ``annotations/dev/split.json`` (the dev split is kept out: it measures entity recall) and the CIViC statements.
   A long form ending in a cancer head word names a cancer: it joins the entry its name resolves to (after dropping
   stage/status qualifiers, "metastatic castration-resistant prostate cancer" -> "castration-resistant prostate
   cancer"), or starts a new entry ``cancer:<name>`` when no MeSH-identified entry has that name.
3. **CIViC disease names** (``civic/``, e.g. "Chronic Myeloid Leukemia"): synonyms of the entry they resolve to, or
   new ``cancer:`` entries.

Short forms. A short form is *free* (tagged wherever it occurs, case-sensitively, plural "-s" allowed) when its
definitions and annotations agree (>= 70% on one entry, at least 5 pieces of evidence,
a plural's evidence counted with its singular's), it is no gene alias of the
curated gene table, no drug-lexicon name and, if it has a lower-case letter, lower-cased no common English word
(UD EWT; "ALL" and "MM" in capitals are leukemia and myeloma, "Hb" is not hemangioblastoma); otherwise it is
*defined-only*: tagged only in a document that defines it ("acute lymphoblastic leukemia (ALL)"). Every definition of
the short form counts, not only the cancer ones: "OS" is mostly "overall survival", so "osteosarcoma (OS)" only
holds where the document says so.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Iterable, Iterator

from miner.config import REPO_ROOT, SHARED_DIR
from miner.lexicon.normalize import key

OUT = Path(__file__).resolve().parent.parent / "data" / "lexicon" / "cancers.jsonl"
GOLD_FILES = (
    ("bc5cdr", "CDR_TrainingSet.PubTator.txt.gz"),
    ("bc5cdr", "CDR_DevelopmentSet.PubTator.txt.gz"),
    ("biored", "Train.PubTator.gz"),
    ("biored", "Dev.PubTator.gz"),
)
DISEASE_TYPES = {"Disease", "DiseaseOrPhenotypicFeature"}
#: free short forms need this share of their evidence on one entry, and this much evidence
FREE_SHARE = 0.7
FREE_MIN_EVIDENCE = 5
#: short forms whose other senses the harvested texts do not show but oncology abstracts use: defined-only (the one
#: hand-made list of the build; each with the sense that rules it out)
NOT_FREE = {
    "ARMS": "amplification refractory mutation system, the PCR method of EGFR mutation testing",
    "BC": "many senses (birth cohort, bone conduction, ...)",
    "STS": "sequence-tagged sites; soft tissue sarcoma is defined where it is meant",
    "APA": "aldosterone-producing adenoma is no cancer type; American Psychiatric Association",
}


def is_short_form(text: str) -> bool:
    """"NSCLC", "mCRPC", "GISTs", "B-ALL": no space, at most 10 characters, at least 2 capitals."""
    return " " not in text and len(text) <= 10 and sum(ch.isupper() for ch in text) >= 2


def gold_mentions(data: Path) -> Iterator[tuple[str, str]]:
    """(mention, MeSH id) of every disease mention in the training/dev PubTator files."""
    for folder, name in GOLD_FILES:
        path = data / folder / name
        if not path.is_file():
            continue
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                parts = line.rstrip("\n").split("\t")
                if len(parts) >= 6 and parts[4] in DISEASE_TYPES and parts[5] not in ("", "-1"):
                    yield parts[3], parts[5]


def harvest_texts(data: Path, repo: Path = REPO_ROOT) -> Iterator[str]:
    """The texts whose abbreviation definitions are read (see the module docstring)."""
    from miner.nlp.training.vectors import collect_heldout, iter_texts

    yield from iter_texts(data, collect_heldout(data))
    split = repo / "annotations" / "dev" / "split.json"
    dev = set(json.loads(split.read_text(encoding="utf-8"))["dev"]) if split.is_file() else set()
    path = data / "crossres-abstracts" / "abstracts.jsonl"
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            if str(rec["pmid"]) not in dev:
                yield f"{rec['title']} {rec['abstract']}"
    path = data / "civic" / "civic_evidence_dev.jsonl.gz"
    if path.is_file():
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                yield json.loads(line)["text"]


def harvest_definitions(texts: Iterable[str]) -> Counter:
    """(short form, long form) -> number of documents defining it, by scispacy's Schwartz & Hearst detector."""
    import spacy

    import miner.nlp.abbreviations  # noqa: F401  (registers miner_abbreviations)
    from miner.nlp.extensions import register_extensions
    from miner.nlp.pipeline import tokenizer_pipeline

    register_extensions()
    nlp = spacy.blank("en")
    nlp.tokenizer = tokenizer_pipeline().tokenizer
    nlp.add_pipe("miner_abbreviations")
    pairs: Counter = Counter()
    for doc in nlp.pipe(texts, batch_size=64):
        seen = set()
        for short in doc._.abbreviations:
            long_form = short._.long_form
            pair = (short.text, " ".join(long_form.text.split()) if long_form is not None else "")
            if pair[1] and pair not in seen:
                seen.add(pair)
                pairs[pair] += 1
    return pairs


def civic_diseases(data: Path) -> Counter:
    path = data / "civic" / "civic_evidence_dev.jsonl.gz"
    names: Counter = Counter()
    if path.is_file():
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                name = (json.loads(line).get("disease") or "").strip()
                if name:
                    names[name] += 1
    return names


def build(data: Path, pairs: Counter, common: frozenset[str], gene_keys: frozenset[str],
          drug_keys: frozenset[str]) -> list[dict]:
    """The vocabulary entries (see the module docstring)."""
    import difflib

    from miner.nlp.cancers import CancerVocabulary, ckey, clinical_base, is_cancer_name, plausible_name

    # 1. MeSH-identified entries from annotated mentions
    mentions: dict[str, Counter] = defaultdict(Counter)
    for text, mesh in gold_mentions(data):
        if re.fullmatch(r"[A-Z]\d+", mesh):
            mentions[mesh][" ".join(text.split())] += 1
    entries: dict[str, dict] = {}
    #: short form -> entry -> annotated mentions / cancer definitions naming it
    short_evidence: dict[str, Counter] = defaultdict(Counter)
    annotated_short: Counter = Counter()
    for mesh, counter in sorted(mentions.items()):
        long_forms = Counter({m: n for m, n in counter.items() if not is_short_form(m)})
        cancerous = sum(n for m, n in long_forms.items() if is_cancer_name(m))
        if not long_forms or cancerous * 2 <= sum(long_forms.values()):
            continue
        entry_id = f"MESH:{mesh}"
        entries[entry_id] = {"id": entry_id, "names": Counter(), "short": {}}
        for m, n in counter.items():
            if is_short_form(m):
                short_evidence[m][entry_id] += n
                annotated_short[m] += n
            elif is_cancer_name(m):
                entries[entry_id]["names"][m.lower()] += n
    vocab = CancerVocabulary.from_entries(
        [{"id": e["id"], "name": e["names"].most_common(1)[0][0] if e["names"] else "", "synonyms": sorted(e["names"])}
         for e in entries.values()]
    )

    def entry_for(name: str, siblings: list[str] = ()) -> str:
        """The entry a cancer long form belongs to: the one its name resolves to, else a sibling's (an unresolved
        definition of the same short form with a similar name: "chronic myeloid/myelogenous leukemia"), else a new
        ``cancer:<name>`` entry named without stage words."""
        base = vocab.singular_name(clinical_base(" ".join(name.lower().split())))
        hit = vocab._exact(name) or vocab._exact(base)  # noqa: SLF001  (exact: a subtype keeps its own entry)
        if hit is not None:
            return hit
        for entry_id in siblings:
            if difflib.SequenceMatcher(None, ckey(base), ckey(vocab.entry_name[entry_id])).ratio() >= 0.8:
                vocab.add(entry_id, base)
                return entry_id
        entry_id = "cancer:" + re.sub(r"[^a-z0-9]+", "-", base).strip("-")
        entries.setdefault(entry_id, {"id": entry_id, "names": Counter(), "short": {}})
        vocab.entry_name.setdefault(entry_id, base)
        vocab.add(entry_id, base)
        return entry_id

    # 2. abbreviation definitions (every long form of a short form counts as evidence; cancer ones name entries)
    definitions: Counter = Counter()
    for (short, long_form), n in pairs.items():
        definitions[short] += n
    created: dict[str, list[str]] = defaultdict(list)  # short form -> entries its definitions created
    for (short, long_form), n in sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0])):
        long_form = " ".join(long_form.split())
        if not is_short_form(short) or not plausible_name(long_form) or re.search(r"[()\[\]]", long_form) \
                or long_form.lower().startswith("cell "):
            continue
        known = set(entries)
        entry_id = entry_for(long_form, created[short])
        if entry_id not in known:
            created[short].append(entry_id)
        entries[entry_id]["names"][clinical_base(long_form.lower())] += n
        short_evidence[short][entry_id] += n
    # 3. CIViC disease names
    for name, n in sorted(civic_diseases(data).items(), key=lambda kv: (-kv[1], kv[0])):
        if plausible_name(name) and not re.search(r"[,(;]", name):
            entry_id = entry_for(name)
            entries[entry_id]["names"][" ".join(name.lower().split())] += n

    # a plural short form ("GISTs") is evidence for its singular ("GIST"); the tagger reads plurals of free forms
    for short in sorted(short_evidence):
        singular = short[:-1]
        if short.endswith("s") and len(singular) >= 2 and singular in short_evidence:
            short_evidence[singular].update(short_evidence.pop(short))
            definitions[singular] += definitions.pop(short, 0)
            annotated_short[singular] += annotated_short.pop(short, 0)
    # short forms: free or defined-only
    for short, by_entry in sorted(short_evidence.items()):
        (best, n_best), = by_entry.most_common(1)
        evidence = definitions[short] + annotated_short[short]
        free = (
            short not in NOT_FREE
            and evidence >= FREE_MIN_EVIDENCE
            and n_best >= FREE_SHARE * evidence
            and key(short) not in gene_keys
            and key(short) not in drug_keys
            and (short.isupper() or short.lower() not in common and short.lower().rstrip("s") not in common)
        )
        entries[best]["short"][short] = free

    out = []
    for entry in entries.values():
        names = entry["names"]
        if not names:
            continue
        singular = Counter()
        for name, n in names.items():
            singular[vocab.singular_name(name)] += n
        name = sorted(singular.items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))[0][0]
        out.append({
            "id": entry["id"],
            "name": name,
            "synonyms": sorted(set(names) | {name}),
            "abbreviations": sorted(s for s, free in entry["short"].items() if free),
            "defined_only": sorted(s for s, free in entry["short"].items() if not free),
        })
    out.sort(key=lambda e: e["id"])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=SHARED_DIR)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--pairs", type=Path, help="cache of the harvested definitions (JSON), read if present")
    args = parser.parse_args(argv)
    from miner.nlp.build_lexicon import common_english_words
    from miner.lexicon import load_lexicon

    data = args.shared / "data"
    if args.pairs and args.pairs.is_file():
        pairs = Counter({(s, lf): n for s, lf, n in json.loads(args.pairs.read_text())})
    else:
        pairs = harvest_definitions(harvest_texts(data))
        if args.pairs:
            args.pairs.write_text(json.dumps(sorted([s, lf, n] for (s, lf), n in pairs.items())))
    lexicon = load_lexicon()
    gene_keys = frozenset(lexicon._gene_keys)  # noqa: SLF001  (the curated gene aliases, keyed)
    drug_keys = frozenset(lexicon._match) | frozenset(k.lower() for k in lexicon._match_exact)  # noqa: SLF001
    entries = build(data, pairs, common_english_words(args.shared), gene_keys, drug_keys)
    args.out.write_text("".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in entries),
                        encoding="utf-8")
    print(f"{len(entries)} cancer entries -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
