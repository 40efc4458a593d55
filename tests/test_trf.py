"""Transformer encoders (issue 19): a tiny random BERT checkpoint with a WordPiece vocabulary is built in tmp_path; the
NER config (configs/ner_cdr_trf.cfg) and the relation config (configs/relation_trf.cfg) train on it for a few steps
under ``spacy train``, are packaged, reload with plain ``spacy.load`` with the hub offline and the checkpoint gone,
and run inside ``miner.nlp.load()`` (the NER spans go through the same merge as the CNN recognizers'; the relation
component's output becomes valid findings). Bad encoder paths give errors naming the path.

These tests need the ``trf`` extra (torch, transformers, spacy-transformers); CI installs it and never skips them
(a missing extra fails there); a developer without it sees them skipped with the install command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from spacy.tokens import DocBin
from typer.testing import CliRunner

from miner.config import REPO_ROOT
from miner.errors import MinerError
from miner.nlp import transformer as trf

pytestmark = pytest.mark.trf

if not trf.available():
    if os.environ.get("CI"):
        pytest.fail(f"the trf extra is missing in CI; {trf.EXTRA_HINT}", pytrace=False)
    pytest.skip(f"transformer tests need the trf extra; {trf.EXTRA_HINT}", allow_module_level=True)

CODE = REPO_ROOT / "miner" / "nlp" / "transformer" / "spacy_code.py"
NER_TEXTS = (
    ("Cisplatin induced nephrotoxicity in rats.", (("Cisplatin", "CHEMICAL"), ("nephrotoxicity", "DISEASE"))),
    ("Doxorubicin causes cardiomyopathy in some patients.",
     (("Doxorubicin", "CHEMICAL"), ("cardiomyopathy", "DISEASE"))),
    ("Lithium treatment was associated with hypothyroidism.", (("Lithium", "CHEMICAL"), ("hypothyroidism", "DISEASE"))),
    ("Haloperidol-induced catalepsy was reversed by scopolamine.",
     (("Haloperidol", "CHEMICAL"), ("catalepsy", "DISEASE"), ("scopolamine", "CHEMICAL"))),
    ("Gefitinib-resistant cells were cross-resistant to afatinib.",
     (("Gefitinib", "CHEMICAL"), ("afatinib", "CHEMICAL"))),
    ("Paclitaxel caused neuropathy in breast cancer patients.",
     (("Paclitaxel", "CHEMICAL"), ("neuropathy", "DISEASE"), ("breast cancer", "DISEASE"))),
)
TEST_TEXT = "Cisplatin induced nephrotoxicity in rats, and paclitaxel caused neuropathy."
#: the CNN recognizer that runs beside the transformer one in the assembled pipeline
CNN_NER = "ner_gene"


def _env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _spacy_train(config: Path, out: Path, encoder: Path, train: Path, *overrides: str) -> None:
    """``spacy train`` as weasel and ``miner models train`` run it (a subprocess, the hub offline)."""
    cmd = [sys.executable, "-W", "ignore", "-m", "spacy", "train", str(config), "--output", str(out),
           "--code", str(CODE), "--paths.train", str(train), "--paths.dev", str(train),
           "--paths.encoder", str(encoder), *overrides]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=REPO_ROOT, env=_env())
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def _has_models() -> bool:
    return all((REPO_ROOT / "models" / name / "meta.json").is_file() for name in ("core", CNN_NER))


# -- fixtures: one tiny checkpoint, one trained NER package, one assembled pipeline ------------------------------


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("trf")


@pytest.fixture(scope="module")
def encoder(workdir: Path) -> Path:
    """A tiny random BertModel (2 layers, width 32) with a WordPiece vocabulary learned from the test texts."""
    from miner.extract.relation.data import WRITTEN
    from miner.nlp.transformer.checkpoint import save_random_bert

    texts = [t for t, _ in NER_TEXTS] + [t for t, _ in WRITTEN] + [TEST_TEXT]
    path = save_random_bert(workdir / "tiny-bert", texts * 3, vocab_size=300)
    assert trf.check_encoder(path) == path.resolve()
    return path


@pytest.fixture(scope="module")
def ner_package(workdir: Path, encoder: Path) -> Path:
    """configs/ner_cdr_trf.cfg trained for 12 steps on six sentences (a high learning rate so that it fits them),
    packaged into workdir/models/ner_cdr_trf beside links to the repository's core and CNN gene packages."""
    from miner.nlp.tokenizer import scispacy_nlp
    from miner.nlp.transformer.train import package_ner

    nlp = scispacy_nlp()
    db = DocBin()
    for text, ents in NER_TEXTS:
        doc = nlp.make_doc(text)
        spans = [doc.char_span(text.index(w), text.index(w) + len(w), label=label) for w, label in ents]
        assert all(s is not None for s in spans), text
        doc.ents = spans
        db.add(doc)
    db.to_disk(workdir / "ner.spacy")
    out = workdir / "ner_out"
    _spacy_train(REPO_ROOT / "configs" / "ner_cdr_trf.cfg", out, encoder, workdir / "ner.spacy",
                 "--training.max_steps", "12", "--training.eval_frequency", "6", "--training.dropout", "0.0",
                 "--training.optimizer.learn_rate.initial_rate", "0.003",
                 "--training.optimizer.learn_rate.warmup_steps", "1")
    models = workdir / "models"
    models.mkdir(exist_ok=True)
    for name in ("core", CNN_NER):
        if (REPO_ROOT / "models" / name).is_dir() and not (models / name).exists():
            (models / name).symlink_to(REPO_ROOT / "models" / name, target_is_directory=True)
    return package_ner("ner_cdr", encoder, checkpoint=out / "model-best", dest=models / "ner_cdr_trf")


@pytest.fixture(scope="module")
def trf_nlp(ner_package: Path):
    """miner.nlp.load() with the transformer CHEMICAL/DISEASE recognizer instead of the CNN one."""
    if not _has_models():
        pytest.fail("the repository's models/core and models/ner_gene are needed (they are committed)")
    import miner.nlp

    return miner.nlp.load(models_dir=ner_package.parent, models=["core", "ner_cdr_trf", CNN_NER])


# -- the encoder path ----------------------------------------------------------------------------------------------


def test_bad_encoder_paths_name_the_path(tmp_path: Path, encoder: Path) -> None:
    missing = tmp_path / "no-such-checkpoint"
    with pytest.raises(MinerError, match=f"{missing}.*does not exist"):
        trf.check_encoder(missing)
    a_file = tmp_path / "weights.bin"
    a_file.write_bytes(b"\0")
    with pytest.raises(MinerError, match=f"{a_file}.*not a directory"):
        trf.check_encoder(a_file)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(MinerError, match=f"{empty}.*no config.json"):
        trf.check_encoder(empty)
    typeless = tmp_path / "typeless"
    typeless.mkdir()
    (typeless / "config.json").write_text("{}")
    with pytest.raises(MinerError, match=f"{typeless}.*model_type"):
        trf.check_encoder(typeless)
    no_weights = tmp_path / "no-weights"
    no_weights.mkdir()
    for name in ("config.json", "vocab.txt", "tokenizer.json"):
        (no_weights / name).write_bytes((encoder / name).read_bytes())
    with pytest.raises(MinerError, match=f"{no_weights}.*no PyTorch or safetensors weights"):
        trf.check_encoder(no_weights)
    no_tokenizer = tmp_path / "no-tokenizer"
    no_tokenizer.mkdir()
    for name in ("config.json", "model.safetensors"):
        (no_tokenizer / name).write_bytes((encoder / name).read_bytes())
    with pytest.raises(MinerError, match=f"{no_tokenizer}.*no tokenizer"):
        trf.check_encoder(no_tokenizer)


def test_cli_and_spacy_train_refuse_a_bad_encoder_naming_it(tmp_path: Path, encoder: Path) -> None:
    import spacy

    from miner.cli.main import app
    from miner.nlp.transformer.spacy_code import trf_before_init

    missing = tmp_path / "not-a-model"
    def message(result) -> str:  # miner's main() prints a MinerError; the bare app raises it
        return " ".join((result.output + " " + str(result.exception or "")).split())

    result = CliRunner().invoke(app, ["models", "train", "--model", "ner_cdr", "--encoder", str(missing)])
    assert result.exit_code != 0 and f"{missing} does not exist" in message(result), message(result)
    result = CliRunner().invoke(app, ["models", "train", "--model", "core", "--encoder", str(encoder)])
    assert result.exit_code != 0 and "'core' has no transformer variant" in message(result), message(result)
    # the weasel / plain `spacy train` path: the config's before_init callback checks [paths] encoder first
    with pytest.raises(MinerError, match=str(missing)):
        trf_before_init(str(missing))(spacy.blank("en"))


def test_train_command_passes_the_encoder_and_the_gpu_only_when_usable(encoder: Path) -> None:
    from miner.nlp.training.registry import spec
    from miner.nlp.training.train import train_command
    from miner.nlp.transformer.gpu import gpu_available, use_gpu, usable_gpu

    cmd = train_command(spec("ner_cdr_trf"), encoder=encoder, gpu_id=usable_gpu(0, quiet=True))
    assert cmd[cmd.index("--paths.encoder") + 1] == str(encoder)
    assert cmd[cmd.index("--code") + 1] == str(CODE)
    assert cmd[cmd.index("train") + 1].endswith("configs/ner_cdr_trf.cfg")
    if not gpu_available():  # this machine and CI: --gpu-id is a no-op
        assert "--gpu-id" not in cmd
        assert usable_gpu(0, quiet=True) == -1 and use_gpu(0, quiet=True) is False
    assert "--gpu-id" in train_command(spec("ner_cdr_trf"), encoder=encoder, gpu_id=1)
    assert use_gpu(None) is False and use_gpu(-1) is False
    # miner extract / miner run take --gpu-id; here it is a no-op and the command goes on (to its own input error)
    from miner.cli.main import app

    result = CliRunner().invoke(app, ["extract", "--gpu-id", "0", "--text", str(encoder / "no-such.txt"), "--out",
                                      str(encoder / "out.jsonl")])
    assert "No such option" not in result.output and "no-such.txt" in " ".join(
        (result.output + str(result.exception or "")).split())
    assert "--gpu-id" in " ".join(CliRunner().invoke(app, ["run", "--help"]).output.split())
    # the CNN configs keep miner's tokenizer code file and take no encoder
    assert "--paths.encoder" not in train_command(spec("ner_cdr"))
    assert train_command(spec("ner_cdr"))[train_command(spec("ner_cdr")).index("--code") + 1].endswith("tokenizer.py")


# -- which packages load ---------------------------------------------------------------------------------------------


def _fake_package(root: Path, name: str, transformer: bool) -> tuple[Path, dict]:
    path = root / name
    path.mkdir()
    arch = "spacy-transformers.Tok2VecTransformer.v3" if transformer else "spacy.Tok2Vec.v2"
    (path / "config.cfg").write_text(f'[components.x.model.tok2vec]\n@architectures = "{arch}"\n')
    return path, {"pipeline": [name]}


def test_package_selection_default_names_and_trf_shorthand(tmp_path: Path, monkeypatch) -> None:
    found = [_fake_package(tmp_path, n, n.endswith("_trf"))
             for n in ("core", "ner_cdr", "ner_cdr_trf", "ner_gene", "ner_variant", "ner_variant_trf")]
    names = lambda chosen: [p.name for p, _m in chosen]  # noqa: E731
    assert names(trf.select_packages(found, None)) == ["core", "ner_cdr", "ner_gene", "ner_variant"]
    assert names(trf.select_packages(found, ["trf"])) == ["core", "ner_cdr_trf", "ner_gene", "ner_variant_trf"]
    assert names(trf.select_packages(found, ["core", "ner_cdr_trf", "ner_cdr"])) == ["core", "ner_cdr_trf", "ner_cdr"]
    with pytest.raises(MinerError, match="ner_chem.*packages there: core, ner_cdr"):
        trf.select_packages(found, ["core", "ner_chem"])
    # MINER_MODELS, else [nlp] models of the settings file
    monkeypatch.setenv("MINER_MODELS", " core, ner_cdr_trf ,")
    assert trf.configured_models() == ["core", "ner_cdr_trf"]
    monkeypatch.delenv("MINER_MODELS")
    settings = tmp_path / "miner.toml"
    settings.write_text('[nlp]\nmodels = ["core", "trf"]\n')
    monkeypatch.setenv("MINER_CONFIG", str(settings))
    assert trf.configured_models() == ["core", "trf"]
    settings.write_text("[nlp]\nmodels = 3\n")
    with pytest.raises(MinerError, match="package names"):
        trf.configured_models()
    # the relation component's package follows the same setting
    assert trf.relation_package(tmp_path, ["core"]) == tmp_path / "relation"
    assert trf.relation_package(tmp_path, ["core", "relation_trf"]) == tmp_path / "relation_trf"
    assert trf.relation_package(tmp_path, ["trf"]) == tmp_path / "relation"  # no relation_trf packaged there
    _fake_package(tmp_path, "relation_trf", True)
    assert trf.relation_package(tmp_path, ["trf"]) == tmp_path / "relation_trf"


# -- NER: train, package, reload offline, assemble ------------------------------------------------------------------


def test_ner_package_is_self_contained_and_reloads_offline(ner_package: Path, encoder: Path, workdir: Path) -> None:
    meta = json.loads((ner_package / "meta.json").read_text())
    assert meta["pipeline"] == ["ner_cdr_trf"] and meta["labels"]["ner_cdr_trf"] == ["CHEMICAL", "DISEASE"]
    assert meta["encoder"]["model_type"] == "bert" and meta["encoder"]["num_hidden_layers"] == 2
    assert any(r.startswith("spacy-transformers") for r in meta["requirements"])
    assert "Encoder" in (ner_package / "README.md").read_text()
    assert trf.is_transformer_package(ner_package)
    script = ("import json, sys, spacy; nlp = spacy.load(sys.argv[1]); doc = nlp(sys.argv[2]); "
              "print(json.dumps([[e.start, e.end, e.label_] for e in doc.ents]))")
    moved = encoder.with_name(encoder.name + ".gone")
    encoder.rename(moved)  # the package must not need the checkpoint it was trained from
    try:
        proc = subprocess.run([sys.executable, "-W", "ignore", "-c", script, str(ner_package), TEST_TEXT],
                              capture_output=True, text=True, timeout=600, env=_env())
    finally:
        moved.rename(encoder)
    assert proc.returncode == 0, proc.stderr[-3000:]
    offline = [tuple(e) for e in json.loads(proc.stdout.strip().splitlines()[-1])]
    import spacy

    here = spacy.load(ner_package)(TEST_TEXT)
    assert offline == [(e.start, e.end, e.label_) for e in here.ents]
    assert {label for _s, _e, label in offline} <= {"CHEMICAL", "DISEASE"}
    assert ("CHEMICAL" in {label for _s, _e, label in offline}), "the fitted model should tag a trained drug name"


def test_load_assembles_the_transformer_recognizer_and_merges_its_spans(trf_nlp) -> None:
    names = trf_nlp.pipe_names
    assert "ner_cdr_trf" in names and "ner_cdr" not in names and CNN_NER in names
    assert names.index("stash_ner_cdr_trf") == names.index("ner_cdr_trf") + 1
    assert names.index("ner_cdr_trf") > names.index("parser")
    assert names.index("miner_merge_ner") > names.index("stash_ner_cdr_trf")
    doc = trf_nlp(TEST_TEXT)
    group = list(doc.spans["ner:ner_cdr_trf"])
    assert group, "the transformer recognizer's spans reach its span group"
    for span in group:
        assert 0 <= span.start < span.end <= len(doc) and span.label_ in ("CHEMICAL", "DISEASE")
    assert f"ner:{CNN_NER}" in doc.spans  # the CNN recognizer stashes beside it
    ents = {(e.start, e.end, e.label_) for e in doc.ents}
    for span in group:  # each span is either kept by the merge or lost to an overlapping one
        kept = (span.start, span.end, span.label_) in ents
        assert kept or any(e.start < span.end and span.start < e.end for e in doc.ents)
    chems = [e for e in doc.ents if e.label_ == "CHEMICAL" and (e.start, e.end, "CHEMICAL") in
             {(s.start, s.end, s.label_) for s in group}]
    assert chems, "a transformer CHEMICAL span becomes an entity"
    # the rule components run on them as on the CNN's: the drug linker labels the lexicon's drugs
    cisplatin = [e for e in doc.ents if e.text == "Cisplatin"]
    if cisplatin:
        assert cisplatin[0]._.drug_label == "DRUG"


def test_worker_processes_run_the_transformer_recognizer(ner_package: Path) -> None:
    """``nlp.pipe(n_process=N)`` (``extract_docs(..., n_process=N)``) forks spaCy workers: with a transformer
    recognizer they must neither hang (a torch thread pool made before the fork deadlocks them) nor differ from one
    process. No OMP_NUM_THREADS here."""
    if not _has_models():
        pytest.fail("the repository's models/core and models/ner_gene are needed (they are committed)")
    script = (
        "import json, sys, miner.nlp\n"
        f"nlp = miner.nlp.load(models_dir={str(ner_package.parent)!r}, models=['core', 'ner_cdr_trf', {CNN_NER!r}])\n"
        f"texts = {[t for t, _ in NER_TEXTS[:3]]!r} * 2\n"
        "one = [[(e.start, e.end, e.label_) for e in d.ents] for d in nlp.pipe(texts)]\n"
        "two = [[(e.start, e.end, e.label_) for e in d.ents] for d in nlp.pipe(texts, n_process=2, batch_size=2)]\n"
        "print(json.dumps(one == two and any(one)))\n"
    )
    env = {k: v for k, v in _env().items() if k not in ("OMP_NUM_THREADS", "TOKENIZERS_PARALLELISM")}
    proc = subprocess.run([sys.executable, "-W", "ignore", "-c", script], capture_output=True, text=True,
                          timeout=300, env=env, cwd=REPO_ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == "true"


def test_trf_shorthand_and_missing_variant_fall_back_to_cnn(ner_package: Path) -> None:
    from miner.nlp.pipeline import _pipelines

    chosen = [p.name for p, _m in trf.select_packages(_pipelines(ner_package.parent), ["trf"])]
    assert chosen == ["core", "ner_cdr_trf", CNN_NER]


# -- relation: the transformer config trains, packages and feeds the reader ---------------------------------------


def test_relation_config_trains_packages_and_its_output_becomes_findings(trf_nlp, encoder: Path,
                                                                           workdir: Path) -> None:
    from miner.extract.relation import add_relation_component
    from miner.extract.relation.component import GOLD_KEY
    from miner.extract.relation.data import WRITTEN, convert_sources, save_docbin, written_sources
    from miner.extract.relation.findings import relation_findings
    from miner.nlp.transformer.train import package_relation
    from miner.schema import validate

    docs, _stats = convert_sources(written_sources(), trf_nlp)
    labelled = [d for d in docs if any(int(y) >= 0 for y, _d in d.user_data.get(GOLD_KEY, ()))]
    assert labelled, "the written examples give labelled candidates"
    save_docbin(labelled, workdir / "relation.spacy")
    out = workdir / "relation_out"
    _spacy_train(REPO_ROOT / "configs" / "relation_trf.cfg", out, encoder, workdir / "relation.spacy",
                 "--training.max_steps", "4", "--training.eval_frequency", "2")
    package = package_relation(checkpoint=out / "model-best", dest=workdir / "models" / "relation_trf",
                               encoder=encoder)
    meta = json.loads((package / "meta.json").read_text())
    assert meta["pipeline"] == ["miner_relation"] and meta["encoder"]["model_type"] == "bert"
    assert json.loads((package / "miner_relation" / "cfg").read_text())["store_8bit"] is False
    assert trf.is_transformer_package(package)
    # the packaged component joins the assembled pipeline (threshold 0: every candidate becomes a relation)
    add_relation_component(trf_nlp, package, threshold=0.0, mechanism_threshold=0.0)
    try:
        findings = []
        for i, (text, _rows) in enumerate(WRITTEN):
            doc = trf_nlp(text)
            for rel in doc._.relations:
                assert rel.kind in ("prior", "mechanism") and 0.0 <= rel.score <= 1.0
                assert rel.head.doc is doc and rel.tail.doc is doc
            findings.extend(relation_findings(doc, f"text:trf-{i}"))
    finally:
        trf_nlp.remove_pipe("miner_relation")
    assert findings, "the relation component's output becomes findings"
    for finding in findings:
        validate(finding.to_dict())
        assert finding.rule == "model:miner_relation"
