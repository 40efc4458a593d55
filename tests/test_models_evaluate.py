"""Held-out scoring code, checked on tiny hand-made test files with a rule-based 'model'."""

from __future__ import annotations

import gzip
from pathlib import Path

import spacy
from typer.testing import CliRunner

from miner.cli.main import app
from miner.nlp.training.evaluate import PRF, evaluate_bc2gm, evaluate_cdr, evaluate_genia, span_prf


def _ruler(patterns: list[dict]) -> spacy.language.Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns(patterns)
    return nlp


def test_prf_and_span_scores():
    assert PRF(tp=3, fp=1, fn=2).as_dict()["f"] == round(2 * 75 * 60 / 135, 2)
    gold = {("d", 0, 4, "CHEMICAL"), ("d", 10, 14, "DISEASE")}
    pred = {("d", 0, 4, "CHEMICAL"), ("d", 10, 15, "DISEASE")}
    s = span_prf(gold, pred, ["CHEMICAL", "DISEASE"])
    assert s["CHEMICAL"]["f"] == 100.0 and s["DISEASE"]["f"] == 0.0
    assert (s["micro"]["tp"], s["micro"]["fp"], s["micro"]["fn"]) == (1, 1, 1)


def test_evaluate_cdr_exact_spans(tmp_path: Path):
    f = tmp_path / "test.PubTator.txt"
    f.write_text(
        "7|t|Cisplatin nephrotoxicity\n7|a|Rats given cisplatin had acute renal failure.\n"
        "7\t0\t9\tCisplatin\tChemical\tD1\n7\t10\t24\tnephrotoxicity\tDisease\tD2\n"
        "7\t36\t45\tcisplatin\tChemical\tD1\n7\t50\t69\tacute renal failure\tDisease\tD3\n\n"
    )
    nlp = _ruler(
        [
            {"label": "CHEMICAL", "pattern": [{"LOWER": "cisplatin"}]},
            {"label": "DISEASE", "pattern": "renal failure"},  # boundary error: misses "acute"
            {"label": "GENE", "pattern": "Rats"},  # other labels are ignored
        ]
    )
    s = evaluate_cdr(nlp, f)
    assert s["CHEMICAL"]["f"] == 100.0
    assert (s["DISEASE"]["tp"], s["DISEASE"]["fp"], s["DISEASE"]["fn"]) == (0, 1, 2)
    assert s["documents"] == 1


def test_evaluate_bc2gm_official_alternatives(tmp_path: Path):
    d = tmp_path
    with gzip.open(d / "test.in.gz", "wt") as fh:
        fh.write("S1 The human p53 protein binds MDM2 .\n")
    # GENE: "p53 protein" (non-space offsets 8-17) and "MDM2" (23-26); ALTGENE accepts "human p53 protein"
    (d / "GENE.eval").write_text("S1|8 17|p53 protein\nS1|23 26|MDM2\n")
    (d / "ALTGENE.eval").write_text("S1|3 17|human p53 protein\n")
    nlp = _ruler([{"label": "GENE", "pattern": "human p53 protein"}, {"label": "GENE", "pattern": "binds"}])
    s = evaluate_bc2gm(nlp, d)
    assert (s["official"]["tp"], s["official"]["fp"], s["official"]["fn"]) == (1, 1, 1)
    assert (s["strict"]["tp"], s["strict"]["fp"], s["strict"]["fn"]) == (0, 2, 2)


def test_evaluate_genia_uses_gold_tokens(tmp_path: Path):
    f = tmp_path / "t.conllu"
    f.write_text("1\tIL-2\til-2\tNN\tNN\t_\t2\tnsubj\t_\t_\n2\tworks\twork\tVBZ\tVBZ\t_\t0\troot\t_\t_\n3\t.\t.\t.\t.\t_\t2\tpunct\t_\t_\n\n")

    nlp = spacy.blank("en")

    @spacy.Language.component("fake_parse")
    def fake_parse(doc):  # every token headed by token 1, tagged NN
        for tok in doc:
            tok.tag_ = "NN"
        heads = [1] * len(doc)
        deps = ["nsubj", "ROOT", "punct"]
        from spacy.tokens import Doc

        parsed = Doc(doc.vocab, words=[t.text for t in doc], spaces=[bool(t.whitespace_) for t in doc], tags=["NN"] * len(doc), heads=heads, deps=deps)
        return parsed

    nlp.add_pipe("fake_parse")
    s = evaluate_genia(nlp, f)
    assert s["tokens"] == 3  # gold tokenization kept ("IL-2" not re-tokenized)
    assert s["pos_acc"] == round(100 * 1 / 3, 2)
    assert s["uas"] == 100.0 and s["las"] == 100.0  # punctuation excluded; ROOT matches root


def test_models_evaluate_help():
    result = CliRunner().invoke(app, ["models", "evaluate", "--help"])
    assert result.exit_code == 0
    assert "held-out" in result.output and "--save" in result.output


def test_models_evaluate_rejects_bad_choice():
    result = CliRunner().invoke(app, ["models", "evaluate", "--only", "nonsense"])
    assert result.exit_code != 0
    assert "--only must be" in str(result.exception)


def test_models_train_help_and_unknown_model():
    runner = CliRunner()
    result = runner.invoke(app, ["models", "train", "--help"])
    assert result.exit_code == 0 and "--max-steps" in result.output
    result = runner.invoke(app, ["models", "train", "--model", "bogus"])
    assert result.exit_code != 0
    assert "unknown model 'bogus'" in str(result.exception)


def test_train_command_uses_config_and_code_file():
    from miner.nlp.training.registry import MODELS
    from miner.nlp.training.train import train_command

    cmd = train_command(MODELS["ner_cdr"], max_steps=10)
    assert cmd[cmd.index("train") + 1].endswith("configs/ner_cdr.cfg")
    assert cmd[-2:] == ["--training.max_steps", "10"]
    assert cmd[cmd.index("--code") + 1].endswith("tokenizer.py")


def test_train_command_of_an_ensemble_run_carries_its_output_and_overrides():
    from miner.nlp.training.registry import MODELS
    from miner.nlp.training.train import train_command

    spec = MODELS["ner_cdr"]
    assert spec.is_ensemble and len(spec.runs) == 5
    cmd = train_command(spec, run=spec.runs[1])
    assert cmd[cmd.index("--output") + 1].endswith("training/output/ner_cdr_all1")
    assert cmd[cmd.index("--paths.train") + 1] == "training/corpus/cdr_all"
    assert cmd[-2:] == ["--system.seed", "1"]
    first = train_command(spec)
    assert first[first.index("--output") + 1].endswith("training/output/ner_cdr_all0") and "--system.seed" not in first


def test_corpus_ready_wants_the_corpus_every_run_trains_on(tmp_path, monkeypatch):
    """An older conversion without cdr_all/ is not ready for the ensemble runs, so `miner models train` reconverts."""
    from miner.nlp.training import train as train_module
    from miner.nlp.training.registry import MODELS

    corpus = tmp_path / "training" / "corpus"
    corpus.mkdir(parents=True)
    for split in ("train", "dev"):
        (corpus / f"cdr_{split}.spacy").write_bytes(b"")
    monkeypatch.setattr(train_module, "TRAINING_DIR", tmp_path / "training")
    monkeypatch.setattr(train_module, "REPO_ROOT", tmp_path)
    assert not train_module.corpus_ready(MODELS["ner_cdr"])
    (corpus / "cdr_all").mkdir()
    assert train_module.corpus_ready(MODELS["ner_cdr"])
