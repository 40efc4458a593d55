"""Parser for the MEDLINE text format (PubMed's "Save as PubMed format", ``PMID- ...``).

Each field is a four-character tag, a dash and a value; six-space lines continue the
previous field; a blank line ends a record.  Values are mapped onto the same
:class:`Document` fields the XML parser fills, so a record gives the same content
whichever format it came in (as far as the text format carries it).

PubMed closes every record with its SO (source) field, so in a file whose records carry SO,
a record without one was cut short: the file is rejected as truncated rather than stored
with a record missing its tail.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import BinaryIO, Iterator

from miner.corpus.document import Document, parse_pmid, pmid_doc_id
from miner.corpus.fileio import InputFile, Lines, ReadOptions, read_text_opened, read_text_source
from miner.corpus.pubmed_xml import clean_title
from miner.errors import InputFileError

_TAG_LINE = re.compile(r"^([A-Z][A-Z0-9]{1,3}) {0,3}- ?(.*)$")
_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
_DP = re.compile(r"^(\d{4})(?: ([A-Za-z]{3})[a-z]*(?: (\d{1,2}))?)?(?:$|[ -])")
#: A structured-abstract label ("RESULTS:", "MATERIALS AND METHODS:") after a sentence end;
#: the XML keeps sections on separate lines, and so do we.
_SECTION = re.compile(r"(?<=[.!?]) (?=[A-Z][A-Z ,&/-]{2,}[A-Z]: )")


def _pub_date(dp: str) -> tuple[str, int | None]:
    m = _DP.match(dp.strip())
    if not m:
        year = re.search(r"\b(\d{4})\b", dp)
        return (year.group(1), int(year.group(1))) if year else ("", None)
    year, month, day = m.groups()
    parts = [year]
    num = _MONTHS.get((month or "").lower())
    if num:
        parts.append(f"{num:02d}")
        if day:
            parts.append(f"{int(day):02d}")
    return "-".join(parts), int(year)


def _descriptor(mh: str) -> str:
    """"Information Storage and Retrieval/*methods" -> "Information Storage and Retrieval"."""
    return mh.split("/", 1)[0].lstrip("*").strip()


def _substance(rn: str) -> str:
    """"EC 3.6.1.23 (dUTP pyrophosphatase)" -> "dUTP pyrophosphatase"."""
    m = re.search(r"\((.*)\)\s*$", rn)
    return m.group(1).strip() if m else rn.strip()


def _to_document(fields: list[tuple[str, str]], source: str, path: object, line: int) -> Document:
    first: dict[str, str] = {}
    many: dict[str, list[str]] = {}
    for tag, value in fields:
        first.setdefault(tag, value)
        many.setdefault(tag, []).append(value)
    pmid = parse_pmid(first["PMID"])
    if pmid is None:
        raise InputFileError(path, f"PMID {first['PMID'][:40]!r} is not a PubMed id (digits only)", f"line {line}")
    doi = ""
    for value in many.get("LID", []) + many.get("AID", []):
        if value.endswith("[doi]"):
            doi = value[: -len("[doi]")].strip()
            break
    abstract = _SECTION.sub("\n", first.get("AB", ""))
    pub_date, pub_year = _pub_date(first.get("DP", ""))
    revised = first.get("LR", "")
    if re.fullmatch(r"\d{8}", revised):
        revised = f"{revised[:4]}-{revised[4:6]}-{revised[6:]}"
    return Document(
        doc_id=pmid_doc_id(pmid),
        pmid=pmid,
        title=clean_title(first.get("TI", "")),
        abstract=abstract,
        journal=first.get("JT", "") or first.get("TA", ""),
        pub_date=pub_date,
        pub_year=pub_year,
        authors=many.get("AU", []) or many.get("FAU", []),
        doi=doi,
        pmcid=first.get("PMC", "").strip(),
        publication_types=many.get("PT", []),
        mesh_headings=[_descriptor(v) for v in many.get("MH", [])],
        chemicals=[_substance(v) for v in many.get("RN", [])],
        keywords=many.get("OT", []),
        language=first.get("LA", ""),
        vernacular_title=first.get("VTI", ""),
        date_revised=revised,
        source=source,
    )


def _records(lines: Lines, source: str, path: object, options: ReadOptions) -> Iterator[Document]:
    fields: list[tuple[str, str]] = []
    start = 0
    closed: int | None = None  # start line of a record closed by SO
    unclosed: int | None = None  # start line of the first record without SO

    def finish() -> Iterator[Document]:
        nonlocal closed, unclosed
        if not fields:
            return
        if not any(tag == "PMID" for tag, _ in fields):
            raise InputFileError(path, "MEDLINE record without a PMID field", f"line {start}")
        if any(tag == "SO" for tag, _ in fields):
            closed = start
        elif unclosed is None:
            unclosed = start
        if closed is not None and unclosed is not None:
            raise InputFileError(
                path, "MEDLINE record without its closing SO (source) field while the file's other records "
                "have one: the file looks truncated or the record is damaged", f"line {unclosed}",
            )
        yield _to_document(fields, source, path, start)
        fields.clear()

    for lineno, line in lines:
        if not line.strip():
            yield from finish()
            continue
        if line.startswith("      ") and fields:
            tag, value = fields[-1]
            fields[-1] = (tag, f"{value} {line.strip()}".strip())
            continue
        m = _TAG_LINE.match(line)
        if not m:
            raise InputFileError(path, f"not a MEDLINE field line: {line[:60]!r}", f"line {lineno}")
        tag, value = m.group(1), m.group(2).strip()
        if tag == "PMID" and fields:
            yield from finish()  # records not separated by a blank line
        if not fields:
            start = lineno
        fields.append((tag, value))
    yield from finish()


def parse_opened(infile: InputFile, source_name: str, options: ReadOptions | None = None) -> Iterator[Document]:
    """Records of an opened input file (see :func:`miner.corpus.fileio.open_input`)."""
    return read_text_opened(infile, source_name, _records, options)


def parse_medline(source: BinaryIO | str | Path, source_name: str = "") -> Iterator[Document]:
    """Documents from a MEDLINE text file (path, gzip allowed) or binary stream."""
    return read_text_source(source, source_name, _records)
