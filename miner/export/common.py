"""Shared pieces of the curation exports: argument spans, grouping, safe file output, reading curated files.

Every exporter reads the same :class:`miner.schema.Finding` objects and the text of
their documents (``Finding.offsets`` index into ``Document.text``), so span
extraction, file naming, line-safe text and the write-then-rename discipline live here once.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import json
import os
import re
import shutil
import stat
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Mapping

from miner.errors import InputFileError, MinerError
from miner.schema import Finding

#: Finding field -> role name used in every curation format.
ROLES = {"drug": "Drug", "prior_drug": "PriorDrug", "mechanism": "Mechanism"}
ROLE_FIELDS = {v: k for k, v in ROLES.items()}


@dataclass(frozen=True)
class ArgSpan:
    """One argument of a finding located in its document."""

    role: str  # Drug | PriorDrug | Mechanism
    start: int
    end: int
    text: str


def argument_spans(finding: Finding, text: str) -> list[ArgSpan]:
    """The finding's arguments whose offsets are valid in ``text`` (exact slices)."""
    spans = []
    for field, role in ROLES.items():
        off = finding.offsets.get(field)
        if not off:
            continue
        start, end = int(off[0]), int(off[1])
        if 0 <= start < end <= len(text):
            spans.append(ArgSpan(role, start, end, text[start:end]))
    return spans


def group_by_doc(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    """Findings grouped by document, in first-seen order."""
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.doc_id, []).append(f)
    return groups


def document_text(doc_id: str, texts: Mapping[str, str]) -> str:
    try:
        return texts[doc_id]
    except KeyError:
        raise MinerError(f"document {doc_id} of a finding is not in the corpus store") from None


#: Longest file stem of a brat document (file systems allow 255 bytes; ids can be any length).
MAX_STEM = 80
_HASH_LEN = 8
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def safe_name(doc_id: str) -> str:
    """A file-system-safe stem for a document id (``pmid:123`` -> ``pmid_123``); not unique on its own."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", doc_id).strip("._") or "doc"


def _hashed(doc_id: str, base: str, length: int) -> str:
    digest = hashlib.sha1(doc_id.encode("utf-8", "surrogatepass")).hexdigest()[:length]
    return f"{base[:MAX_STEM - length - 1]}-{digest}"


def unique_stems(doc_ids: Iterable[str]) -> dict[str, str]:
    """Document id -> file stem, unique even on case-insensitive file systems and at most :data:`MAX_STEM` long.

    ``a/b``, ``a:b`` and ``a_b`` all make the stem ``a_b``: the id that *is* ``a_b`` keeps it, the others get a
    short hash of their id appended (``a_b-1f3c9e2a``), as do stems cut to length and reserved Windows names, so
    no document overwrites another and the name does not depend on the order of the export.
    """
    ids = list(dict.fromkeys(doc_ids))
    groups: dict[str, list[str]] = {}
    for doc_id in ids:
        groups.setdefault(safe_name(doc_id).casefold(), []).append(doc_id)
    stems: dict[str, str] = {}
    for members in groups.values():
        exact = [d for d in members if safe_name(d) == d]
        for doc_id in members:
            base = safe_name(doc_id)
            plain = (len(members) == 1 or exact == [doc_id]) and len(base) <= MAX_STEM
            if base.split(".")[0].upper() in _WINDOWS_RESERVED:
                plain = False
            stems[doc_id] = base if plain else _hashed(doc_id, base, _HASH_LEN)
    # a hashed stem could equal another document's plain stem (vanishingly rare): lengthen its hash
    for length in (16, 40):
        taken: dict[str, str] = {}
        clash = False
        for doc_id in ids:
            key = stems[doc_id].casefold()
            if key in taken:
                clash = True
                stems[doc_id] = _hashed(doc_id, safe_name(doc_id), length)
            taken.setdefault(stems[doc_id].casefold(), doc_id)
        if not clash:
            break
    return stems


#: Characters that end a line for some reader (``str.splitlines``, universal newlines, brat, PubTator) or split a
#: field (tab): line-based formats carry them as spaces, which keeps every offset valid.
LINE_BREAKS = "\t\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
_ONE_LINE = str.maketrans(dict.fromkeys(LINE_BREAKS, " "))


def one_line(text: str) -> str:
    """``text`` with tabs and every line-break character as a space (same length, so offsets still hold)."""
    return text.translate(_ONE_LINE)


_JSON_LINE_ENDS = {0x85: "\\u0085", 0x2028: "\\u2028", 0x2029: "\\u2029"}


def json_line(value: object) -> str:
    """One JSONL line: UTF-8 text kept readable, but NEL, U+2028 and U+2029 escaped (the same JSON value), since
    ``str.splitlines`` and JavaScript end lines there; JSON already escapes the control characters."""
    return json.dumps(value, ensure_ascii=False).translate(_JSON_LINE_ENDS)


#: Characters XML 1.0 cannot hold at all (not even as references): C0 controls but tab/LF/CR, surrogates, U+FFFE/F.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """``text`` with every character XML cannot hold as a space (same length, so offsets still hold)."""
    return _XML_INVALID.sub(" ", text)


def passage_around(text: str, start: int, end: int, limit: int = 6000) -> tuple[str, int]:
    """The paragraph holding ``[start, end)`` when ``text`` is long, else the whole text.

    Returns ``(passage, base)`` with ``passage == text[base:base + len(passage)]``, so
    document offsets become passage offsets by subtracting ``base``.  Long documents (the
    reviews) would otherwise put 150 KB into every curation task.
    """
    if len(text) <= limit:
        return text, 0
    lo = text.rfind("\n", 0, start) + 1
    hi = text.find("\n", end)
    hi = len(text) if hi < 0 else hi
    return text[lo:hi], lo


#: ``--out -``: write to standard output.
STDOUT = "-"


def is_stdout(path: str | Path) -> bool:
    return str(path) == STDOUT


def _umask() -> int:
    """The process umask (only readable by setting it; set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _in_place(path: Path) -> bool:
    """An existing target to write into, never to replace: a device, a FIFO, anything under /dev or /proc.

    ``/dev/stdout`` links to ``/proc/self/fd/1``, which is a pipe, a terminal or (redirected) a regular file.
    """
    if str(path).startswith(("/dev/", "/proc/")):
        return path.exists()
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def is_stream(path: str | Path) -> bool:
    """Standard output, a device or a FIFO: written in place, with no room for companion files beside it."""
    return is_stdout(path) or _in_place(Path(path))


def check_target(path: Path, force: bool) -> None:
    """Refuse to overwrite a file without ``force``, or to write where the directory is missing.

    Devices and FIFOs are written in place (nothing is overwritten), so they need no ``--force``.
    """
    path = Path(path)
    if is_stream(path):
        return
    if path.exists() and not force:
        raise MinerError(f"{path} exists; use --force to overwrite it")
    if not path.parent.exists():
        raise MinerError(f"{path.parent} does not exist")


@contextmanager
def _write_errors(path: Path) -> Iterator[None]:
    """A failed write (disk full, permission denied) is a one-line error naming the file, not a traceback."""
    try:
        yield
    except BrokenPipeError:  # `miner export --out - | head`: the CLI ends quietly
        raise
    except OSError as exc:
        raise MinerError(f"{path}: cannot write: {exc.strerror or exc}") from exc


@contextmanager
def atomic_file(path: Path, force: bool = False, encoding: str = "utf-8", newline: str | None = None) -> Iterator:
    """Open a temporary file beside ``path``; rename it over ``path`` only on success.

    ``-`` is standard output.  A device or FIFO (``/dev/stdout``, ``/dev/null``) is written in place: renaming over
    it would replace it with a regular file.  A symlink to a file is followed, so the link stays a link.  The file
    gets the permissions the process umask gives new files (``mkstemp`` alone would make it private).
    """
    if is_stdout(path):
        sys.stdout.flush()
        if not hasattr(sys.stdout, "buffer"):  # a text-only stand-in (some test harnesses)
            yield sys.stdout
            return
        stream = io.TextIOWrapper(sys.stdout.buffer, encoding=encoding, newline=newline, write_through=True)
        try:
            yield stream
            stream.flush()
        finally:
            stream.detach()  # closing the wrapper must not close standard output
        return
    path = Path(path)
    if path.is_dir():
        raise MinerError(f"{path} is a directory; give a file name")
    check_target(path, force)
    with _write_errors(path):
        if _in_place(path):
            with open(path, "w", encoding=encoding, newline=newline) as fh:
                yield fh
            return
        target = path.resolve() if path.is_symlink() else path
        if not target.parent.is_dir():
            raise MinerError(f"{target.parent} does not exist")
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            os.fchmod(fd, 0o666 & ~_umask())
            with os.fdopen(fd, "w", encoding=encoding, newline=newline) as fh:
                yield fh
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


#: A directory that ``atomic_dir`` may replace holds this file (a brat collection), or nothing.
DIR_MARKER = "annotation.conf"


@contextmanager
def atomic_dir(path: Path, force: bool = False) -> Iterator[Path]:
    """Build a directory under a temporary name; swap it into place only on success.

    With ``force`` an existing directory is replaced only if it is empty or an earlier export (it holds
    :data:`DIR_MARKER`), so a mistyped ``--out ~`` cannot delete anything else.
    """
    path = Path(path)
    if is_stream(path):
        raise MinerError(f"{path}: this format writes a directory of files; give a directory name")
    check_target(path, force)
    if path.is_symlink() and path.is_dir():
        path = path.resolve()
    if path.exists():
        if not path.is_dir():
            raise MinerError(f"{path} exists and is not a directory")
        if any(path.iterdir()) and not (path / DIR_MARKER).is_file():
            raise MinerError(f"{path} is a directory that is not an earlier export (no {DIR_MARKER}); not replacing it")
    with _write_errors(path):
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
        try:
            tmp.chmod(0o777 & ~_umask())
            yield tmp
            if path.exists():
                old = path.with_name(f".{path.name}.old")
                shutil.rmtree(old, ignore_errors=True)
                path.rename(old)
                tmp.rename(path)
                shutil.rmtree(old, ignore_errors=True)
            else:
                tmp.rename(path)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise


def read_text(path: Path, encoding: str | None = None) -> str:
    """A curated file's text: in ``encoding`` if given, else UTF-8/16/32 by byte-order mark, else UTF-8.

    Anything else is an error naming the first bad byte and, when the file reads as Windows-1252 (what Excel's
    "CSV" save writes), saying so: guessing a legacy encoding silently would corrupt corrected names and notes.
    """
    try:
        data = Path(path).read_bytes()
    except IsADirectoryError:
        raise InputFileError(path, "is a directory") from None
    except OSError as exc:
        raise InputFileError(path, f"cannot read: {exc.strerror or exc}") from exc
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise MinerError(f"unknown encoding {encoding!r} (e.g. utf-8, cp1252, latin-1, utf-16)") from None
        return _decode(path, data, encoding)
    for bom, name in _BOMS:
        if data.startswith(bom):
            return _decode(path, data[len(bom):], name)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        hint = "give its encoding with --encoding"
        try:
            data.decode("cp1252")
            hint = ("it reads as Windows-1252, which Excel's \"CSV\" save writes: add --encoding cp1252 "
                    "(or save as \"CSV UTF-8\")")
        except UnicodeDecodeError:
            pass
        raise InputFileError(path, f"not UTF-8 (byte 0x{data[exc.start]:02x}); {hint}", f"line {line}") from None


_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def _decode(path: Path, data: bytes, encoding: str) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputFileError(path, f"not valid {encoding} (byte {exc.start}: {exc.reason})") from None
    return text[1:] if text.startswith("\ufeff") else text  # a BOM under --encoding utf-8


def decision_summary(decision: Mapping | None) -> dict[str, str]:
    """The latest curator decision of a finding as display fields (empty strings when there is none).

    Exports show it read-only (it is not an input column), so re-importing an unedited export adds nothing.
    """
    if not decision:
        return {"latest_decision": "", "latest_curator": "", "latest_decision_time": "", "latest_correction": ""}
    corrected = {k: v for k, v in (decision.get("corrected") or {}).items() if k != "offsets"}
    return {
        "latest_decision": str(decision.get("decision", "")),
        "latest_curator": str(decision.get("curator", "")),
        "latest_decision_time": str(decision.get("time", "")),
        "latest_correction": "; ".join(f"{k}: {v}" for k, v in corrected.items()),
    }
