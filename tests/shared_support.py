"""A miniature ../shared/data (fixture ``shared``) with one held-out item of each kind, for the tests of what may
read the shared corpora (static word vectors, silver training data)."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest

HELDOUT_BC2 = "The BRCA1 protein binds RAD51 in nuclear foci of irradiated cells ."
HELDOUT_GENIA = ["Interleukin-2", "gene", "expression", "requires", "NF-kappa", "B", "in", "activated", "T", "cells", "."]


def _gz(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(text)


def _pubtator(*docs: tuple[str, str, str]) -> str:
    return "".join(f"{pmid}|t|{title}\n{pmid}|a|{abstract}\n\n" for pmid, title, abstract in docs)


@pytest.fixture()
def shared(tmp_path: Path) -> Path:
    """A miniature ../shared/data with one held-out item of each kind and texts that repeat or contain them."""
    d = tmp_path / "data"
    _gz(d / "bc5cdr" / "CDR_TestSet.PubTator.txt.gz", _pubtator(("111", "Test title one.", "Test abstract one.")))
    _gz(d / "bc5cdr" / "CDR_TrainingSet.PubTator.txt.gz", _pubtator(("222", "Cisplatin nephrotoxicity.", "Rats got cisplatin.")))
    _gz(d / "biored" / "Test.PubTator.gz", _pubtator(("333", "BioRED test title.", "Held out.")))
    _gz(d / "biored" / "Train.PubTator.gz", _pubtator(("333", "BioRED test title.", "Held out."), ("334", "Kept BioRED.", "Text.")))
    (d / "genia" / "ud").mkdir(parents=True)
    (d / "genia" / "ud" / "test_per_sentence.pmids").write_text("444\n")
    rows = "".join(f"{i}\t{w}\t{w}\tNN\tNN\t_\t0\tdep\t_\t_\n" for i, w in enumerate(HELDOUT_GENIA, 1))
    _gz(d / "genia" / "ud" / "test.conllu.gz", rows + "\n")
    with tarfile.open(d / "genia" / "raw_abstracts.tar.gz", "w:gz") as tar:
        for name, text in (("raw/test/445.txt", "A GENIA test abstract.\n"), ("raw/train/555.txt", "A GENIA train abstract.\nSecond line.\n")):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    _gz(d / "bc2gm" / "original" / "test" / "test.in.gz", f"P1T1 {HELDOUT_BC2}\n")
    _gz(d / "bc2gm" / "original" / "train" / "train.in.gz", f"P2T1 A kept BC2GM training sentence about TP53 .\nP3T1 {HELDOUT_BC2}\n")
    hoc = [
        {"pmid": "111", "sentences": ["Test title one .", "Test abstract one ."]},  # BC5CDR test PMID in another corpus
        {"pmid": "444", "sentences": ["GENIA test PMID ."]},
        {"pmid": "666", "sentences": ["Tamoxifen resistance in breast cancer ."]},
        {"pmid": "667", "sentences": ["Context sentence .", " ".join(HELDOUT_GENIA)]},  # contains a GENIA test sentence
        {"pmid": "222", "sentences": ["Cisplatin nephrotoxicity .", "Rats got cisplatin ."]},  # already read from BC5CDR
    ]
    _gz(d / "hallmarks-of-cancer" / "hoc_abstracts.jsonl.gz", "".join(json.dumps(r) + "\n" for r in hoc))
    return d
