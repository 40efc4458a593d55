"""``miner annotate``: run the NLP pipeline on a text and print its entities with labels and ids.

Document text is printed as plain text, never as rich markup ("[/s]", "[d-Ala2]" are text).  Texts up to
:data:`WHOLE_TEXT` characters are annotated as one document; longer ones paragraph by paragraph (so abbreviation
definitions apply within their paragraph), and runs without whitespace are cut into pieces of at most
:data:`MAX_RUN` characters (spaCy's tokenizer takes quadratic time on a long run of punctuation).  Memory stays
bounded by the piece size; :data:`MAX_CHARS` is the most ``annotate`` accepts (about two minutes of work), for more
use ``miner corpus add-text`` and ``miner extract``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.markup import escape

from miner.errors import InputFileError, MinerError

console = Console()
err_console = Console(stderr=True)

#: The most ``miner annotate`` reads (characters): about 30,000 words, a long review.
MAX_CHARS = 200_000
#: Texts up to this size are one document; longer ones are annotated paragraph by paragraph.
WHOLE_TEXT = 20_000
#: A paragraph longer than this is cut at a sentence end (or, failing that, at whitespace).
MAX_PIECE = 20_000
#: Runs without whitespace longer than this are cut (no word is that long; the tokenizer is quadratic on them).
MAX_RUN = 200
_PARAGRAPH = re.compile(r"\n[^\S\n]*\n")
_LONG_RUN = re.compile(r"(?<!\S)\S{%d,}" % (MAX_RUN + 1))


def read_text_file(path: Path, strict: bool = False) -> str:
    """File contents decoded byte for byte (no newline translation, so offsets are file offsets).

    Invalid UTF-8 is an error when ``strict``, else replaced (U+FFFD) with a warning naming the first bad byte.
    """
    if not path.exists():
        raise InputFileError(path, "no such file")
    if not path.is_file():
        raise InputFileError(path, "not a regular file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError(path, f"cannot read ({exc.strerror})") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if strict:
            raise InputFileError(path, f"not UTF-8 text ({exc.reason})", f"byte {exc.start}") from None
        err_console.print(
            f"[yellow]warning:[/] {escape(str(path))}: invalid UTF-8 at byte {exc.start}; "
            "undecodable bytes replaced by U+FFFD",
            highlight=False,
        )
        return data.decode("utf-8", errors="replace")


def _cut(text: str, start: int, end: int, limit: int) -> list[tuple[int, int]]:
    """``[start, end)`` in pieces of at most ``limit`` characters, cut after a sentence end or whitespace if any."""
    out = []
    while end - start > limit:
        window = text[start + limit // 2:start + limit]
        cut = max(window.rfind(". "), window.rfind("\n"))
        if cut < 0:
            cut = max(window.rfind(" "), window.rfind("\t"))
        cut = start + limit // 2 + cut + 1 if cut >= 0 else start + limit
        out.append((start, cut))
        start = cut
    out.append((start, end))
    return out


def pieces(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of the pieces of ``text`` to annotate as separate documents; together they are the text."""
    spans = [(0, len(text))]
    if len(text) > WHOLE_TEXT:
        bounds = [0] + [m.end() for m in _PARAGRAPH.finditer(text)] + [len(text)]
        spans = [span for s, e in zip(bounds, bounds[1:]) if e > s for span in _cut(text, s, e, MAX_PIECE)]
    out = []
    for s, e in spans:
        pos = s
        for m in _LONG_RUN.finditer(text[s:e]):  # the slice: a piece may start inside a run
            if s + m.start() > pos:
                out.append((pos, s + m.start()))
            out.extend(_cut(text, s + m.start(), s + m.end(), MAX_RUN))
            pos = s + m.end()
        if e > pos:
            out.append((pos, e))
    return out


def annotate_text(nlp: Any, text: str, lexicon: Any) -> dict[str, Any]:
    """The entities and abbreviations of ``text`` (see :func:`pieces`), with offsets into ``text``."""
    from miner.nlp.records import doc_record

    spans = [(s, e) for s, e in pieces(text) if text[s:e].strip()]
    entities: list[dict] = []
    abbreviations: list[dict] = []
    # one piece at a time: spaCy's default batch (1,000 texts) would hold every piece's parse in memory at once
    for (base, _), doc in zip(spans, nlp.pipe((text[s:e] for s, e in spans), batch_size=1)):
        record = doc_record(doc, lexicon)
        for ent in record["entities"]:
            entities.append({**ent, "start": ent["start"] + base, "end": ent["end"] + base})
        abbreviations.extend(a for a in record["abbreviations"] if a not in abbreviations)
    return {"entities": entities, "abbreviations": abbreviations}


def annotate(
    text: Optional[str] = typer.Option(None, "--text", "-t", help="Text to annotate."),
    file: Optional[Path] = typer.Option(None, "--file", "-f", help="UTF-8 text file to annotate (one document)."),
    as_json: bool = typer.Option(
        False, "--json", help="Print JSON (entities and abbreviations) instead of one line per entity."
    ),
    models_dir: Optional[Path] = typer.Option(
        None, "--models", help="Directory of trained spaCy pipelines. Default: models/ in the repository."
    ),
    rules_only: bool = typer.Option(
        False,
        "--rules-only",
        help="Skip the statistical models: lexicon drugs/classes, abbreviations and variant patterns only "
        "(no DISEASE/GENE entities).",
    ),
) -> None:
    """Print the entities of a text: CHEMICAL (drug / regimen / drug-class sub-label, DrugBank or class ids,
    classes), DISEASE, GENE (normalised symbol), VARIANT (type, genes), with abbreviation long forms.

    At most 200,000 characters; texts over 20,000 are annotated paragraph by paragraph."""
    if (text is None) == (file is None):
        raise MinerError("give exactly one of --text or --file")
    content = text if text is not None else read_text_file(file)  # type: ignore[arg-type]
    if not content.strip():
        raise MinerError("nothing to annotate: the text is empty")
    if len(content) > MAX_CHARS:  # before loading models: a too-long text fails fast
        raise MinerError(
            f"text is {len(content):,} characters; annotate reads at most {MAX_CHARS:,} "
            "(for longer texts: `miner corpus add-text FILE --id NAME`, then `miner extract --doc-id text:NAME`)"
        )
    from miner.lexicon import load_lexicon
    from miner.nlp.pipeline import load, rules_only_pipeline

    with err_console.status("loading the NLP pipeline..."):
        nlp = rules_only_pipeline() if rules_only else load(models_dir)
    with err_console.status("annotating..."):
        record = annotate_text(nlp, content, load_lexicon())
    if as_json:
        typer.echo(json.dumps(record, ensure_ascii=False, indent=2))
        return
    console.print(f"{len(record['entities'])} entities", style="bold", markup=False)
    for ent in record["entities"]:
        parts = [f"{ent['label']:<8}", f"{ent['start']:>6}-{ent['end']:<6}", repr(ent["text"])]
        if ent.get("id"):
            parts.append(ent["id"])
        detail = ent.get("drug_label") or ent.get("variant_type")
        if detail:
            parts.append(detail)
        if ent.get("name") and ent["name"].lower() != ent["text"].lower():
            parts.append(f"= {ent['name']}")
        if ent.get("classes"):
            parts.append("classes: " + ", ".join(ent["classes"]))
        if ent.get("gene_ids"):
            parts.append("genes: " + ", ".join(ent["gene_ids"]))
        if ent.get("long_form"):
            parts.append(f"long form: {ent['long_form']!r}")
        console.print("  ".join(parts), markup=False, highlight=False, soft_wrap=True)
    for abbr in record["abbreviations"]:
        console.print(f"abbreviation: {abbr['short']} = {abbr['long']}", markup=False, highlight=False,
                      soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the main app."""
    app.command("annotate")(annotate)
