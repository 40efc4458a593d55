"""project.yml (weasel) and the spaCy configs are valid and agree with the model registry."""

from __future__ import annotations

from miner.config import REPO_ROOT
from miner.nlp.training.registry import MODELS


def test_project_yml_is_a_valid_weasel_project():
    from weasel.util import load_project_config

    config = load_project_config(REPO_ROOT)
    names = [c["name"] for c in config["commands"]]
    assert config["workflows"]["all"] == names
    scripts = " ".join(" ".join(c["script"]) for c in config["commands"])
    for spec in MODELS.values():
        assert f"configs/{spec.name}.cfg" in scripts


def test_configs_use_scispacy_tokenizer_callback_and_own_tok2vec():
    from spacy.util import load_config

    for spec in MODELS.values():
        cfg = load_config(spec.config)
        assert cfg["initialize"]["before_init"]["@callbacks"] == "miner.replace_tokenizer"
        embed_owner = "tok2vec" if spec.name == "core" else spec.name
        assert cfg["nlp"]["pipeline"][0] == embed_owner
        if spec.name != "core":  # NER components embed their own tok2vec so they can be sourced
            tok2vec = cfg["components"][spec.name]["model"]["tok2vec"]
            assert tok2vec["@architectures"] == "spacy.Tok2Vec.v2"
            assert tok2vec["encode"]["depth"] == 4


def test_project_trains_every_run_the_registry_packages():
    """Each run of a spec (an ensemble member) appears in project.yml with its output directory and overrides."""
    from weasel.util import load_project_config

    commands = {c["name"]: c for c in load_project_config(REPO_ROOT)["commands"]}
    for spec in MODELS.values():
        script = commands[f"train-{spec.name.replace('_', '-')}"]["script"]
        assert len(script) == len(spec.runs)
        for run, line in zip(spec.runs, script):
            rel = spec.run_output(run).relative_to(REPO_ROOT)
            assert f"--output {rel} " in line
            for key, value in run.overrides:
                assert f"--{key} {value}" in line
            assert f"{rel}/{run.checkpoint}" in commands["package"]["deps"]
