"""Hostile text at the command line: inputs that stalled or exhausted the machine, markup in document text, CRLF
files, Ctrl-C in ``miner extract`` and resuming, streaming the store.

Time bounds here are generous (seconds, not milliseconds): the point is no catastrophic backtracking or quadratic
blow-up, which took minutes or was killed by the kernel before.
"""

from __future__ import annotations

import json
import random
import re
import time
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

import miner.extract as extract_pkg
from miner.cli.main import app
from miner.corpus.document import Document
from miner.corpus.store import CorpusStore
from miner.extract.mentions import drug_abbreviations
from miner.lexicon.abbreviations import DEFINITION
from miner.schema import Finding

runner = CliRunner()

# -- the abbreviation-definition pattern of the reader --------------------------------------------------------------

#: The pattern before issue 15: "-" both inside words and between them, so a run of dashes splits many ways.
OLD_ABBREV = re.compile(r"((?:[\w+\-/]+[ \u2010-]){0,4}[\w+\-/]+)\s*\((\w[\w\-]{1,9})[;,)]")


def _matches(pattern: re.Pattern, text: str) -> list:
    return [(m.span(), m.groups()) for m in pattern.finditer(text)]


def test_abbrev_pattern_matches_as_before_on_random_text() -> None:
    rng = random.Random(15)
    alphabet = list("aA1-/+ \u2010();,\n\t.") + ["AB", "  ", "ENZA", "enzalutamide"]
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert _matches(DEFINITION, text) == _matches(OLD_ABBREV, text), repr(text)


PATHOLOGICAL = {
    "130 dashes in 6 KB": ("Patients received drug A and drug B. " * 160)[:5860] + "\n" + "-" * 130 + "\n",  # 69 s
    "200 KB token": "x" * 200_000,  # about 15 minutes
    "200 KB of dashes": "-" * 200_000,
    "200 KB of hyphenated words": "a-" * 100_000,
    "words and spaces": "a " * 100_000,
    "open parentheses": "a (" * 70_000,
    "U+2010 chains": "a\u2010" * 100_000,
    "long whitespace runs": ("a" + " " * 2000 + "(") * 100,
    "abbreviations": "enzalutamide (ENZA), " * 10_000,
}


@pytest.mark.parametrize("name", list(PATHOLOGICAL))
def test_abbrev_pattern_is_linear_on_pathological_text(name: str) -> None:
    text = PATHOLOGICAL[name]
    start = time.perf_counter()
    n = sum(1 for _ in DEFINITION.finditer(text))
    assert time.perf_counter() - start < 5, name  # linear: well under 0.1 s; before: a minute to a quarter hour
    assert n == (10_000 if name == "abbreviations" else 0)


class _Resolver:
    def drug(self, text):
        return ("DRUG", ["DB08899"]) if text.lower() == "enzalutamide" else None

    def oncology(self, ids):
        return True


def test_drug_abbreviations_still_found_in_long_hostile_text() -> None:
    text = "-" * 50_000 + " Treated with enzalutamide (ENZA); " + "x" * 100_000
    start = time.perf_counter()
    assert drug_abbreviations(text, _Resolver()) == {"ENZA": ("DRUG", ["DB08899"], True)}
    assert time.perf_counter() - start < 5


# -- miner annotate --------------------------------------------------------------------------------------------------

def _annotate(*args: str):
    return runner.invoke(app, ["annotate", "--rules-only", *args])


@pytest.mark.parametrize("text, shown", [
    ("tumour [/s] necrosis factor (TNF) and TNF", "abbreviation: TNF = tumour [/s] necrosis factor"),  # MarkupError
    ("[red]gefitinib[/red] (GEF) and GEF", "abbreviation: GEF = [red]gefitinib[/red]"),  # markup swallowed
    ("[d-Ala2]deltorphin (DADL) and cisplatin", "abbreviation: DADL = [d-Ala2]deltorphin"),
])
def test_annotate_prints_document_text_as_plain_text(text: str, shown: str) -> None:
    result = _annotate("--text", text)
    assert result.exit_code == 0, result.output
    assert shown in result.output


def test_annotate_nested_parentheses_and_dense_abbreviations_stay_small() -> None:
    """16 KB of nested parentheses was killed at 23.9 GB; 190 KB dense with abbreviations used 11.7 GB."""
    import resource

    from miner.cli.nlp import annotate_text
    from miner.lexicon import load_lexicon
    from miner.nlp.pipeline import rules_only_pipeline

    nlp = rules_only_pipeline()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    annotate_text(nlp, "(" * 8_000 + ")" * 8_000, load_lexicon())
    dense = "".join(f"alpha beta gamma (ABG{i}) and ABG{i} (x) with gefitinib (GEF) " for i in range(3_200))
    record = annotate_text(nlp, dense[:190_000], load_lexicon())
    assert time.perf_counter() - start < 120
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 1_000_000  # KB: under 1 GB more
    assert {"short": "GEF", "long": "gefitinib"} in record["abbreviations"]
    starts = [e["start"] for e in record["entities"] if e["text"] == "gefitinib"]
    assert len(starts) > 3_000 and all(dense[s:s + 9] == "gefitinib" for s in starts)  # offsets into the whole text


def test_linear_abbreviation_detector_matches_scispacy() -> None:
    from scispacy.abbreviation import AbbreviationDetector

    from miner.nlp.abbreviations import Abbreviations
    from miner.nlp.pipeline import rules_only_pipeline

    nlp = rules_only_pipeline()
    texts = [
        "Trastuzumab emtansine (T-DM1) after trastuzumab; T-DM1 (n = 12) failed. Cisplatin (CDDP) and CDDP.",
        "Tumor necrosis factor (TNF (alpha)) and TNF; interleukin 6 (IL-6) (IL6) with IL-6 and IL6.",
        "((a (b) c)) epidermal growth factor receptor (EGFR) ((EGFR)) x (y) EGFR (z w v u t s r q p o).",
        "(Tyrosine kinase inhibitors) TKI and (TKIs); osimertinib (AZD9291; Tagrisso) AZD9291.",
    ]
    old, new = AbbreviationDetector(nlp), Abbreviations(nlp, "x")

    def run(detector, text):
        doc = nlp.make_doc(text)
        doc._.abbreviations = []
        detector(doc)
        return sorted((s.start, s.end, s._.long_form.start, s._.long_form.end) for s in doc._.abbreviations)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scispacy's own detector warns (W036) on texts without definitions
        for text in texts:
            assert run(new, text) == run(old, text), text
    assert run(new, texts[1]) and run(new, texts[2])  # it does find definitions


def test_annotate_long_text_is_cut_into_pieces_that_cover_it() -> None:
    from miner.cli.nlp import MAX_RUN, WHOLE_TEXT, pieces

    rng = random.Random(2)
    for _ in range(300):
        text = "".join(rng.choice(["a", " ", "\n", "\n\n", ". ", "(" * 300, "x" * 250, "word "])
                       for _ in range(rng.randint(0, 300)))
        spans = pieces(text)
        assert "".join(text[s:e] for s, e in spans) == text
        assert all(e - s <= max(WHOLE_TEXT, MAX_RUN) for s, e in spans)
    assert pieces("short text") == [(0, 10)]
    token = "x(" * 100_000  # 200 KB without whitespace, cut into paragraph-sized pieces first
    assert max(e - s for s, e in pieces(token)) <= MAX_RUN


def test_annotate_refuses_more_than_its_maximum_with_a_message(tmp_path: Path) -> None:
    from miner.cli.nlp import MAX_CHARS

    big = tmp_path / "big.txt"
    big.write_text("gefitinib " * (MAX_CHARS // 10 + 1), encoding="utf-8")
    result = _annotate("--file", str(big))
    assert result.exit_code == 1 and "at most 200,000" in str(result.exception)
    assert "miner extract" in str(result.exception)


# -- miner extract --text ---------------------------------------------------------------------------------------------

def _fake_extract_docs(seen: list[str]):
    def extract_docs(docs, nlp=None, n_process=1, batch_size=32, prefilter=True, on_doc=None):
        for doc in docs:
            seen.append(doc.text)
            i = doc.text.find("osimertinib")
            if i >= 0:
                yield Finding(drug="osimertinib", effect="resistance", doc_id=doc.doc_id, offsets={"drug": [i, i + 11]})
            if on_doc:
                on_doc(doc.doc_id, 0)
    return extract_docs


def test_extract_text_reads_crlf_bytes_as_they_are(tmp_path: Path, monkeypatch) -> None:
    src = tmp_path / "review.txt"
    src.write_bytes(b"Title\r\n\r\nCells resistant to gefitinib\r\nwere cross-resistant to osimertinib.\r\n")
    seen: list[str] = []
    monkeypatch.setattr(extract_pkg, "extract_docs", _fake_extract_docs(seen))
    out = tmp_path / "f.jsonl"
    result = runner.invoke(app, ["extract", "--text", str(src), "--out", str(out)])
    assert result.exit_code == 0, result.output
    content = src.read_bytes().decode("utf-8")
    assert seen == [content]  # before: "\r\n" read as "\n", offsets 4 characters short of the file's
    (f,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert content[slice(*f["offsets"]["drug"])] == "osimertinib"


# -- miner extract over the store: Ctrl-C, resume, streaming ------------------------------------------------------------

class _FakeNlp:
    meta = {"name": "fake", "version": "1"}
    pipe_names = ["fake"]


class _FakeReader:
    nlp = _FakeNlp()
    version = "rules-test"


@pytest.fixture()
def fake_reader(monkeypatch):
    state = {"read": [], "interrupt_after": None, "yielded_at_first": None}

    def extract_docs(docs, nlp=None, n_process=1, batch_size=32, prefilter=True, on_doc=None):
        for doc in docs:
            if state["interrupt_after"] is not None and len(state["read"]) >= state["interrupt_after"]:
                raise KeyboardInterrupt
            state["read"].append(doc.doc_id)
            yield Finding(drug="osimertinib", effect="resistance", doc_id=doc.doc_id, rule="fake",
                          offsets={"drug": [0, 11]})
            if on_doc:
                on_doc(doc.doc_id, 1)

    monkeypatch.setattr(extract_pkg, "extract_docs", extract_docs)
    monkeypatch.setattr(extract_pkg, "get_reader", lambda nlp=None: _FakeReader())
    return state


def _store(tmp_path: Path, n: int) -> Path:
    db = tmp_path / "c.sqlite"
    with CorpusStore(db) as store:
        for i in range(n):
            store.upsert(Document(doc_id=f"pmid:{i + 1}", pmid=str(i + 1), title="Osimertinib", abstract=f"Text {i}."))
    return db


def _findings_by_doc(db: Path) -> dict[str, int]:
    with CorpusStore(db) as store:
        out: dict[str, int] = {}
        for f in store.iter_findings():
            out[f.doc_id] = out.get(f.doc_id, 0) + 1
        return out


def test_ctrl_c_saves_says_how_to_resume_and_extract_resumes(tmp_path: Path, fake_reader) -> None:
    from miner.extract import store as extract_store_module

    db = _store(tmp_path, 450)
    fake_reader["interrupt_after"] = 300
    result = runner.invoke(app, ["--db", str(db), "extract"])
    # before: exit 130 with nothing said, and the next run started again from the first document
    assert result.exit_code == 130
    assert "interrupted: 300 document(s) read and saved" in result.output
    assert "run the same command again to continue" in result.output
    assert len(_findings_by_doc(db)) == 300 > extract_store_module.SAVE_EVERY  # the partial batch was saved too
    fake_reader["interrupt_after"] = None
    fake_reader["read"].clear()
    result = runner.invoke(app, ["--db", str(db), "extract"])
    assert result.exit_code == 0, result.output
    assert len(fake_reader["read"]) == 150 and "300 document(s) skipped" in result.output
    assert len(_findings_by_doc(db)) == 450
    # nothing left: a third run reads nothing; --force reads everything again; a changed text is read again
    fake_reader["read"].clear()
    assert runner.invoke(app, ["--db", str(db), "extract"]).exit_code == 0 and fake_reader["read"] == []
    with CorpusStore(db) as store:
        store.upsert(Document(doc_id="pmid:7", pmid="7", title="Osimertinib", abstract="Revised text."))
    runner.invoke(app, ["--db", str(db), "extract"])
    assert fake_reader["read"] == ["pmid:7"]
    fake_reader["read"].clear()
    assert runner.invoke(app, ["--db", str(db), "extract", "--force"]).exit_code == 0
    assert len(fake_reader["read"]) == 450
    assert set(_findings_by_doc(db).values()) == {1}  # re-reading replaced, never duplicated


def test_a_new_rule_set_reads_everything_again(tmp_path: Path, fake_reader, monkeypatch) -> None:
    db = _store(tmp_path, 5)
    assert runner.invoke(app, ["--db", str(db), "extract"]).exit_code == 0
    monkeypatch.setattr(_FakeReader, "version", "rules-test-2")
    fake_reader["read"].clear()
    assert runner.invoke(app, ["--db", str(db), "extract"]).exit_code == 0
    assert len(fake_reader["read"]) == 5


def test_extract_store_pulls_documents_only_as_the_parser_asks(tmp_path: Path, monkeypatch) -> None:
    from miner.extract.store import extract_store

    db = _store(tmp_path, 1200)
    pulled: list[str] = []
    ahead: list[int] = []

    def extract_docs(docs, nlp=None, n_process=1, batch_size=32, prefilter=True, on_doc=None):
        for doc in docs:
            ahead.append(len(pulled) - len(ahead))  # documents pulled from the store but not yet read
            if on_doc:
                on_doc(doc.doc_id, 0)
            yield from ()

    monkeypatch.setattr(extract_pkg, "extract_docs", extract_docs)
    monkeypatch.setattr(extract_pkg, "get_reader", lambda nlp=None: _FakeReader())
    with CorpusStore(db) as store:
        original = store.iter_documents

        def counting(*args, **kwargs):
            for doc in original(*args, **kwargs):
                pulled.append(doc.doc_id)
                yield doc

        monkeypatch.setattr(store, "iter_documents", counting)
        stats = extract_store(store)
    assert stats.documents == 1200 and len(ahead) == 1200
    assert max(ahead) <= 1  # before: all 1,200 pulled before the first was read
