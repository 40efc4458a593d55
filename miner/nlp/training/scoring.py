"""``miner models evaluate``: load the packaged models, score them, print/save the results."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import spacy
from rich.console import Console
from rich.table import Table

from miner.config import SHARED_DIR
from miner.errors import MinerError
from miner.nlp import tokenizer as _tokenizer  # noqa: F401  (silences scispacy's regex FutureWarning)
from miner.nlp.training.card import NER_SCORES
from miner.nlp.training.evaluate import evaluate_bc2gm, evaluate_cdr, evaluate_genia, evaluate_variants
from miner.nlp.training.registry import MODELS, MODELS_DIR

DATA = SHARED_DIR / "data"
GENIA_TEST = DATA / "genia" / "ud" / "test.conllu.gz"
CDR_TEST = DATA / "bc5cdr" / "CDR_TestSet.PubTator.txt.gz"
BC2GM_TEST = DATA / "bc2gm" / "original" / "test"
BIORED_TEST = DATA / "biored" / "Test.PubTator.gz"
#: what ``--only`` accepts
CHOICES = ("all", "genia", "cdr", "bc2gm", "variants", "biored", "abstracts")


def load_model(name: str) -> spacy.language.Language:
    """spacy.load a packaged model with a clear error when it is missing."""
    path = MODELS[name].package_dir
    if not (path / "config.cfg").is_file():
        raise MinerError(f"model {name} not found at {path}; run `miner models train --model {name}`")
    return spacy.load(path)


def _full_pipeline(console: Console) -> tuple[Any, str | None]:
    """The full pipeline of :mod:`miner.nlp` if it can be built, else (None, reason)."""
    try:
        from miner.nlp import load
    except ImportError:
        return None, "miner.nlp.load() does not exist yet"
    try:
        return load(), None
    except Exception as exc:  # the full pipeline is another stage's code: report, keep scoring ours
        console.print(f"[yellow]full pipeline unavailable:[/] {exc}")
        return None, f"miner.nlp.load() failed: {exc}"


def run_evaluation(only: str = "all", full: bool = True, console: Console | None = None) -> dict:
    """Scores of the packaged models (and of the full pipeline when ``full``) on the held-out sets."""
    console = console or Console(stderr=True)
    for path in (GENIA_TEST, CDR_TEST, BC2GM_TEST):
        if not path.exists():
            raise MinerError(f"held-out test data missing: {path} (is ../shared mounted? set MINER_SHARED)")
    scores: dict[str, Any] = {"measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    if only in ("all", "genia"):
        scores["genia"] = evaluate_genia(load_model("core"), GENIA_TEST)
    if only in ("all", "cdr"):
        scores["cdr"] = evaluate_cdr(load_model("ner_cdr"), CDR_TEST)
    if only in ("all", "bc2gm"):
        scores["bc2gm"] = evaluate_bc2gm(load_model("ner_gene"), BC2GM_TEST)
    if only in ("all", "variants") and BIORED_TEST.is_file():
        # the bare statistical VARIANT recognizer (the full pipeline adds the patterns of miner/nlp/variants.py)
        scores["variant"] = evaluate_variants(load_model("ner_variant"), BIORED_TEST)
    if full and only in ("all", "cdr", "bc2gm", "variants", "biored", "abstracts"):
        nlp, reason = _full_pipeline(console)
        if nlp is None:
            scores["full_pipeline"] = reason
        else:
            try:
                if only in ("all", "cdr"):
                    scores["cdr_full"] = evaluate_cdr(nlp, CDR_TEST)
                if only in ("all", "bc2gm"):
                    scores["bc2gm_full"] = evaluate_bc2gm(nlp, BC2GM_TEST)
                if only in ("all", "variants") and BIORED_TEST.is_file():
                    # ner_variant + the pattern VARIANT recognizer (miner/nlp/variants.py) on BioRED test SequenceVariant mentions
                    scores["biored_variants"] = evaluate_variants(nlp, BIORED_TEST)
                if only in ("all", "biored") and BIORED_TEST.is_file():
                    # cross-corpus: CHEMICAL/DISEASE/GENE on BioRED test, types mapped (miner/nlp/training/crosseval.py)
                    from miner.nlp.training.crosseval import evaluate_biored

                    scores["biored_ner_full"] = evaluate_biored(nlp, BIORED_TEST)
                if only in ("all", "abstracts"):
                    # entity recall on the annotated development abstracts (gold rows' strings; dev split reported)
                    from miner.nlp.training.crosseval import CROSSRES_XML, DEV_DIR, evaluate_dev_abstracts

                    if (DEV_DIR / "abstracts.jsonl").is_file() and CROSSRES_XML.is_file():
                        scores["dev_abstracts_full"] = evaluate_dev_abstracts(nlp)
            except Exception as exc:  # another stage's components: keep the bare-model scores
                console.print(f"[yellow]full pipeline failed while scoring:[/] {type(exc).__name__}: {exc}")
                scores["full_pipeline"] = f"miner.nlp.load() pipeline failed: {type(exc).__name__}: {exc}"
    return scores


def print_tables(scores: dict, console: Console) -> None:
    """Human-readable tables of :func:`run_evaluation`'s result."""
    if "genia" in scores:
        g = scores["genia"]
        t = Table(title=f"GENIA ud/test, gold tokens ({g['sentences']} sentences) - core")
        for col in ("POS", "UAS", "LAS", "UAS+punct", "LAS+punct", "lemma", "words/s"):
            t.add_column(col, justify="right")
        t.add_row(*(f"{g[k]:.2f}" for k in ("pos_acc", "uas", "las", "uas_with_punct", "las_with_punct", "lemma_acc")), str(g["words_per_sec"]))
        console.print(t)
    for ner in NER_SCORES:
        s = scores.get(ner.key)
        if not isinstance(s, dict) or ner.rows[0][0] not in s:
            continue
        t = Table(title=f"{ner.corpus} - {ner.setting} ({s[ner.unit]} {ner.unit}, {s['words_per_sec']} words/s)")
        for col in (ner.header, "P", "R", "F1", "TP", "FP", "FN"):
            t.add_column(col, justify="right")
        for key, label in ner.rows:
            r = s[key]
            t.add_row(label, f"{r['p']:.2f}", f"{r['r']:.2f}", f"{r['f']:.2f}", str(r["tp"]), str(r["fp"]), str(r["fn"]))
        console.print(t)
    for key, setting in (("variant", "bare ner_variant model"), ("biored_variants", "full pipeline VARIANT")):
        v = scores.get(key)
        if not isinstance(v, dict):
            continue
        t = Table(title=f"BioRED test SequenceVariant - {setting} ({v['documents']} documents, {v['gold']} gold, "
                        f"{v['words_per_sec']} words/s)")
        for col in ("matching", "P", "R", "F1"):
            t.add_column(col, justify="right")
        for match in ("exact", "overlap"):
            t.add_row(match, f"{v[match]['p']:.2f}", f"{v[match]['r']:.2f}", f"{v[match]['f']:.2f}")
        console.print(t)
    b = scores.get("biored_ner_full")
    if isinstance(b, dict):
        t = Table(title=f"BioRED test, cross-corpus (types mapped) - full pipeline ({b['documents']} documents, "
                        f"{b['words_per_sec']} words/s)")
        for col in ("label", "gold", "exact P", "exact R", "exact F1", "overlap P", "overlap R", "overlap F1"):
            t.add_column(col, justify="right")
        for label in ("CHEMICAL", "DISEASE", "GENE"):
            e, o = b[label]["exact"], b[label]["overlap"]
            t.add_row(label, str(b[label]["gold"]), f"{e['p']:.2f}", f"{e['r']:.2f}", f"{e['f']:.2f}",
                      f"{o['p']:.2f}", f"{o['r']:.2f}", f"{o['f']:.2f}")
        m = b["micro"]["exact"]
        t.add_row("micro", "", f"{m['p']:.2f}", f"{m['r']:.2f}", f"{m['f']:.2f}", "", "", "")
        console.print(t)
    a = scores.get("dev_abstracts_full")
    if isinstance(a, dict):
        t = Table(title=f"Entity recall on the annotated development abstracts - full pipeline ({a['words_per_sec']} words/s)")
        for col in ("split", "kind", "gold mentions", "recall (overlap)", "recall (exact)", "not located"):
            t.add_column(col, justify="right")
        for split in ("dev", "train"):
            for kind in ("drug", "cancer", "gene", "all"):
                r = a.get(split, {}).get(kind)
                if r:
                    t.add_row(split, kind, str(r["gold"]), f"{r['recall_overlap']:.2f}", f"{r['recall_exact']:.2f}",
                              str(r.get("not_located", "")))
        console.print(t)
    if isinstance(scores.get("full_pipeline"), str):
        console.print(f"full pipeline not scored: {scores['full_pipeline']}")


def save_scores(scores: dict) -> None:
    """Merge ``scores`` into models/scores.json and rewrite the model cards from it."""
    from miner.nlp.training.card import write_card

    path = MODELS_DIR / "scores.json"
    merged = json.loads(path.read_text()) if path.is_file() else {}
    merged.update(scores)
    path.write_text(json.dumps(merged, indent=2) + "\n")
    for spec in MODELS.values():
        if (spec.package_dir / "meta.json").is_file():
            write_card(spec, merged)
