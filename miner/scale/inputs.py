"""Input files of a scale run: which files, their identity (size, hash), and their records in order.

A shard reads its records through ``miner corpus import``'s own code (:class:`RecordSink` stands in for the store
in :func:`miner.corpus.importer.import_file` and ``import_archive``): format sniffed from content, gzip and tar
handled the same way, each document checked the same way, ``--lenient`` meaning the same, so a shard store holds
what a sequential import of those records would hold and a damaged input is rejected with the same message.
"""

from __future__ import annotations

import hashlib
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from miner.corpus.detect import UnknownFormatError, detect_format
from miner.corpus.document import Deletion, Document
from miner.corpus.fileio import is_archive
from miner.corpus.importer import FileResult, expand_paths, import_archive, import_file
from miner.errors import InputFileError, MinerError

Item = Document | Deletion


@dataclass(frozen=True)
class InputInfo:
    """One input file: where it is, what kind it is, and what it holds (size and SHA-1 of its bytes)."""

    path: str
    size: int
    mtime_ns: int
    sha1: str
    format: str  # a corpus format name, or "tar" ("" when ``error``)
    #: why the file cannot be read at all (damaged before its format could be told, or named explicitly and of
    #: no corpus format): its shards are rejected with this message, as ``corpus import`` rejects the file
    error: str = ""


def file_sha1(path: Path) -> str:
    """SHA-1 of the file's bytes (what a changed input is recognised by)."""
    h = hashlib.sha1()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def list_inputs(paths: Iterable[str | Path], known: dict[str, dict] | None = None) -> tuple[list[InputInfo], list[str]]:
    """The files to process, in ``corpus import`` order, and notes on files skipped inside directories.

    A missing or unreadable path is a :class:`MinerError`.  A file named explicitly whose format is unknown, or
    one damaged before its format can be told, is listed with its ``error`` (``corpus import`` reports such a
    file as failed and goes on with the others).  ``known`` maps absolute paths to earlier :class:`InputInfo`
    dicts: a file whose size and modification time are unchanged keeps its recorded hash instead of being read
    again.
    """
    known = known or {}
    out: list[InputInfo] = []
    skipped: list[str] = []
    for path, origin in expand_paths(paths):
        path = path.resolve()
        try:
            st = path.stat()
        except OSError as exc:
            raise MinerError(f"{path}: cannot read: {exc.strerror}") from exc
        if not os.access(path, os.R_OK):
            raise MinerError(f"{path}: not readable")
        error = ""
        if is_archive(path):
            fmt = "tar"
        else:
            try:
                fmt = detect_format(path)
            except UnknownFormatError as exc:
                if path != origin.resolve():  # a README or licence inside a directory
                    skipped.append(f"{path}: {exc.reason}")
                    continue
                fmt, error = "", str(exc)
            except InputFileError as exc:
                fmt, error = "", str(exc)
        old = known.get(str(path))
        if old and old.get("size") == st.st_size and old.get("mtime_ns") == st.st_mtime_ns and old.get("sha1"):
            digest = old["sha1"]
        else:
            digest = file_sha1(path)
        out.append(InputInfo(str(path), st.st_size, st.st_mtime_ns, digest, fmt, error))
    return out, skipped


class _RangeEnd(Exception):
    """Raised by a :class:`RecordSink` at the first record past its range: stops reading (not an error)."""


class RecordSink:
    """Stands in for the :class:`~miner.corpus.store.CorpusStore` that ``corpus import`` writes into.

    :func:`read_records` hands it to the importer's own :func:`~miner.corpus.importer.import_file` and
    :func:`~miner.corpus.importer.import_archive`, so a shard reads its input exactly as ``corpus import`` does:
    the same readers and tar walk, the same ``--lenient`` (annotations that do not fit their text dropped and
    counted, else the file rejected) and the same last check of every document before it is stored
    (:func:`miner.corpus.document.document_problem`: damaged text rejects the file, naming the record).  Of the
    records the importer would store, those of ``[start, start + count)`` go to ``on_item`` in file order; earlier
    ones are only counted, and reading stops at the first record after the range.
    """

    def __init__(self, on_item: Callable[[Item], None], start: int = 0, count: int | None = None) -> None:
        self.on_item = on_item
        self.start = start
        self.end = None if count is None else start + count
        #: records (documents and deletion notices) read so far
        self.seen = 0
        #: records passed to ``on_item``
        self.taken = 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """The importer's per-file transaction: here only where the end of the range stops the reading."""
        try:
            yield
        except _RangeEnd:
            pass  # the importer then finishes the file normally (counts, dropped annotations)

    def upsert(self, doc: Document) -> str:
        self._take(doc)
        return "inserted"

    def mark_deleted(self, doc_id: str) -> bool:
        self._take(Deletion(doc_id))
        return True

    def _take(self, item: Item) -> None:
        n = self.seen
        if self.end is not None and n >= self.end:
            # the first record past the range (not at its last record: the last shard of a file reads on to
            # the file's end, so damage after its last record rejects the file as `corpus import` would)
            raise _RangeEnd
        self.seen += 1
        if n >= self.start:
            self.on_item(item)
            self.taken += 1


def read_records(path: str | Path, fmt: str | None = None, on_item: Callable[[Item], None] | None = None,
                 start: int = 0, count: int | None = None, lenient: bool = False) -> tuple[RecordSink, FileResult]:
    """Read records ``[start, start + count)`` of one input (``count`` None: to its end) into ``on_item``.

    ``fmt`` is a corpus format name or ``"tar"`` (None: detected).  Returns the sink (``seen``, ``taken``) and the
    importer's :class:`~miner.corpus.importer.FileResult` (``dropped``: annotations dropped with ``lenient`` in the
    records read, i.e. records ``[0, start + count)``).  Damage raises :class:`InputFileError` with the message
    ``corpus import`` prints for the same file.
    """
    path = Path(path)
    fmt = fmt or ("tar" if is_archive(path) else detect_format(path))
    sink = RecordSink(on_item or (lambda item: None), start, count)
    if count == 0:
        return sink, FileResult(path=str(path), format=fmt)
    store: Any = sink  # duck-typed: transaction(), upsert(), mark_deleted() are all the importer calls
    if fmt == "tar":
        result = import_archive(store, path, lenient=lenient)
    else:
        result = import_file(store, path, fmt, lenient=lenient)
    return sink, result


def count_items(path: str | Path, fmt: str | None = None, lenient: bool = False) -> int:
    """How many records (documents and deletion notices) an input holds (for cutting it into shards).

    Damage (including a record ``corpus import`` would reject) raises :class:`InputFileError`."""
    return read_records(path, fmt, lenient=lenient)[0].seen
