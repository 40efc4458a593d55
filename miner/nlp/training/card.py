"""Model cards (``models/<name>/README.md``) written from the measured held-out scores."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from miner.nlp.training.package import dir_size_mb
from miner.nlp.training.registry import ModelSpec


@dataclass(frozen=True)
class NerScores:
    """How one held-out NER result in ``scores.json`` is shown (model cards and the terminal)."""

    key: str  # key in scores.json
    model: str  # the model whose card shows it
    corpus: str
    setting: str
    unit: str  # "documents" | "sentences": the count field of the result
    header: str  # first column
    rows: tuple[tuple[str, str], ...]  # (result key, label)
    detail: str = ""


_CDR_ROWS = (("CHEMICAL", "CHEMICAL"), ("DISEASE", "DISEASE"), ("micro", "micro"))
_BC2GM_ROWS = (("official", "official (GENE + ALTGENE)"), ("strict", "strict (GENE.eval exact)"))
NER_SCORES = (
    NerScores("cdr", "ner_cdr", "BC5CDR test", "bare ner_cdr model", "documents", "label", _CDR_ROWS,
              "exact character spans, "),
    NerScores("cdr_full", "ner_cdr", "BC5CDR test", "full pipeline `miner.nlp.load()`", "documents", "label",
              _CDR_ROWS, "exact character spans, "),
    NerScores("bc2gm", "ner_gene", "BC2GM test", "bare ner_gene model", "sentences", "scoring", _BC2GM_ROWS),
    NerScores("bc2gm_full", "ner_gene", "BC2GM test", "full pipeline `miner.nlp.load()`", "sentences", "scoring",
              _BC2GM_ROWS),
)
_VARIANT_ROWS = (("exact", "exact character spans"), ("overlap", "overlap (see `evaluate_variants`)"))
#: BioRED test SequenceVariant results (``evaluate_variants``: exact and overlap P/R/F, no per-label rows)
VARIANT_SCORES = (
    NerScores("variant", "ner_variant", "BioRED test SequenceVariant", "bare ner_variant model", "documents",
              "matching", _VARIANT_ROWS),
    NerScores("biored_variants", "ner_variant", "BioRED test SequenceVariant",
              "full pipeline `miner.nlp.load()` (ner_variant + pattern recognizer miner_variants)", "documents",
              "matching", _VARIANT_ROWS),
)


def _prf_row(name: str, s: dict) -> str:
    return f"| {name} | {s['p']:.2f} | {s['r']:.2f} | {s['f']:.2f} |"


def score_lines(spec: ModelSpec, scores: dict) -> list[str]:
    """Markdown lines with the held-out scores that concern ``spec``."""
    lines: list[str] = []
    if spec.name == "core" and "genia" in scores:
        g = scores["genia"]
        lines += [
            f"GENIA `ud/test.conllu`, gold tokens and sentences ({g['sentences']} sentences, {g['tokens']} tokens):",
            "",
            "| metric | score |",
            "|---|---|",
            f"| POS (PTB tag) accuracy | {g['pos_acc']:.2f} |",
            f"| UAS (punctuation excluded) | {g['uas']:.2f} |",
            f"| LAS (punctuation excluded) | {g['las']:.2f} |",
            f"| UAS / LAS with punctuation | {g['uas_with_punct']:.2f} / {g['las_with_punct']:.2f} |",
            f"| lemma accuracy (case-insensitive) | {g['lemma_acc']:.2f} |",
            f"| speed (words/s, this 2-core machine) | {g['words_per_sec']} |",
        ]
    for ner in NER_SCORES + VARIANT_SCORES:
        s = scores.get(ner.key)
        if ner.model != spec.name or not isinstance(s, dict) or ner.rows[0][0] not in s:
            continue
        lines += [
            f"{ner.corpus} ({s[ner.unit]} {ner.unit}), {ner.detail}{ner.setting}:",
            "",
            f"| {ner.header} | P | R | F1 |",
            "|---|---|---|---|",
            *(_prf_row(label, s[key]) for key, label in ner.rows),
            "",
            f"Speed: {s['words_per_sec']} words/s.",
            "",
        ]
    lines += cross_corpus_lines(spec, scores)
    return lines or ["No held-out scores recorded yet: run `miner models evaluate --save`."]


#: the cross-corpus labels each model card shows (``miner.nlp.training.crosseval``)
CROSS_LABELS_OF = {"ner_cdr": ("CHEMICAL", "DISEASE"), "ner_gene": ("GENE",)}
#: the dev-abstract entity kinds each model card shows
DEV_KINDS_OF = {"ner_cdr": ("drug", "cancer"), "ner_gene": ("gene",)}


def cross_corpus_lines(spec: ModelSpec, scores: dict) -> list[str]:
    """Cross-corpus figures of the full pipeline that concern ``spec``: BioRED test (types mapped) and entity recall
    on the annotated development abstracts (dev split)."""
    lines: list[str] = []
    b = scores.get("biored_ner_full")
    if isinstance(b, dict) and spec.name in CROSS_LABELS_OF:
        lines += [
            f"Cross-corpus, BioRED test ({b['documents']} documents; ChemicalEntity/DiseaseOrPhenotypicFeature/"
            "GeneOrGeneProduct mapped to CHEMICAL/DISEASE/GENE; annotation differences in BENCHMARKS.md), "
            "full pipeline `miner.nlp.load()`:",
            "",
            "| label | exact P | exact R | exact F1 | overlap F1 |",
            "|---|---|---|---|---|",
            *(f"| {label} | {b[label]['exact']['p']:.2f} | {b[label]['exact']['r']:.2f} | {b[label]['exact']['f']:.2f} "
              f"| {b[label]['overlap']['f']:.2f} |" for label in CROSS_LABELS_OF[spec.name]),
            "",
        ]
    a = scores.get("dev_abstracts_full")
    if isinstance(a, dict) and spec.name in DEV_KINDS_OF and isinstance(a.get("dev"), dict):
        lines += [
            "Entity recall on the annotated development abstracts (dev split of annotations/dev/split.json; gold rows' "
            "strings located in their evidence quotes), full pipeline:",
            "",
            "| kind | gold mentions | recall (overlap) | recall (exact) |",
            "|---|---|---|---|",
            *(f"| {kind} | {a['dev'][kind]['gold']} | {a['dev'][kind]['recall_overlap']:.2f} | "
              f"{a['dev'][kind]['recall_exact']:.2f} |" for kind in DEV_KINDS_OF[spec.name] if kind in a["dev"]),
            "",
        ]
    return lines


def _has_vectors(meta: dict) -> bool:
    return bool(meta.get("vectors", {}).get("vectors"))


def _config_name(spec: ModelSpec) -> str:
    return f"configs/{spec.name}.cfg" if spec.config.is_file() else ""


def _vectors_line(meta: dict) -> str:
    """The card's sentence about static word vectors (from spaCy's meta)."""
    v = meta.get("vectors", {})
    if not v.get("vectors"):
        return "No static vectors."
    return (
        f"Static word vectors `{v.get('name', '')}`: {v['vectors']:,} rows x {v.get('width')} dims, {v.get('keys', 0):,} keys "
        "(gensim word2vec on the abstracts in ../shared/data, held-out test texts excluded; "
        "`python -m miner.nlp.training.vectors`). `miner.nlp.load()` copies them into the full pipeline's vocab."
    )


def _selection_lines(meta: dict) -> list[str]:
    """The checkpoint-selection dev score spaCy saved in the meta (not held out: it picked the checkpoint)."""
    perf = meta.get("performance", {})
    shown = {k: v for k, v in perf.items() if k in ("ents_f", "ents_p", "ents_r", "tag_acc", "dep_uas", "dep_las") and v is not None}
    if not shown:
        return []
    values = ", ".join(f"{k} {100 * v:.2f}" for k, v in shown.items())
    return [f"Checkpoint-selection dev set (spaCy's scorer; used to pick the checkpoint, so not a held-out figure): {values}.", ""]


def _notes_lines(spec: ModelSpec) -> list[str]:
    """Decisions measured while building the model (``configs/<name>.notes.md``), carried by every rewrite of the card."""
    notes = spec.config.with_suffix(".notes.md")
    return [notes.read_text(encoding="utf-8").rstrip("\n"), ""] if notes.is_file() else []


def write_card(spec: ModelSpec, scores: dict) -> Path:
    """Write the model card of ``spec`` from ``scores`` (the output of the evaluation)."""
    path = spec.package_dir
    meta = json.loads((path / "meta.json").read_text())
    labels = meta.get("labels", {})
    label_lines = [f"- `{comp}`: {', '.join(map(str, labs))}" for comp, labs in labels.items() if labs and len(labs) <= 12]
    label_lines += [f"- `{comp}`: {len(labs)} labels" for comp, labs in labels.items() if labs and len(labs) > 12]
    text = "\n".join(
        [
            f"# {meta['name']} {meta['version']}",
            "",
            spec.description,
            "",
            "```python",
            "import spacy",
            f'nlp = spacy.load("models/{spec.name}")  # no extra imports needed; miner.nlp.load() assembles the full pipeline',
            "```",
            "",
            f"Pipeline: {', '.join(meta.get('pipeline', []))}. spaCy {meta.get('spacy_version', '')}. "
            f"Size on disk: {dir_size_mb(path):.1f} MB. {_vectors_line(meta)}",
            "",
            "Tokenizer: scispacy's `combined_rule_tokenizer` plus two infix rules (a hyphen before an adjectival head, "
            "`cisplatin-induced`, and a slash between words, `BRAF/MEK`, are split); the rules are saved in the "
            "tokenizer files, so plain `spacy.load` reproduces them.",
            "",
            "Architecture: `spacy.Tok2Vec.v2` = `MultiHashEmbed.v2` (NORM, PREFIX, SUFFIX, SHAPE"
            + (", + static vectors" if _has_vectors(meta) else "")
            + ") + `MaxoutWindowEncoder.v2` (depth 4); `TransitionBasedParser.v2` for parser/NER"
            + (f"; see `{_config_name(spec)}` for widths." if _config_name(spec) else "."),
            "",
            "Labels:",
            "",
            *label_lines,
            "",
            "## Training data",
            "",
            *[f"- {s}" for s in spec.sources],
            "",
            "Held-out test sets (GENIA ud/test, BC5CDR test, BC2GM test, EWT test, BioRED test) were never used for training "
            "or selection.",
            "",
            "## Held-out scores (measured by `miner models evaluate`)",
            "",
            *score_lines(spec, scores),
            "",
            *_selection_lines(meta),
            *_notes_lines(spec),
            "Rebuild: `miner models train --model " + spec.name + "` (or `weasel run all` with project.yml).",
            "",
        ]
    )
    card = path / "README.md"
    card.write_text(text)
    return card
