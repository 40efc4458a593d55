"""Importing files into the store: one transaction per file, damaged files rejected whole.

A file either lands completely or not at all: its records are upserted inside one
:meth:`CorpusStore.transaction`, and any damage found while streaming it (truncated
gzip, malformed XML, unknown format, a record cut short, annotations that do not match
their text, NUL characters) rolls that file back and is reported, while the files
before and after it are imported normally.  A tar archive counts as one file.  With
``lenient`` only annotations that do not fit their text are dropped (and counted)
instead of rejecting the file.
"""

from __future__ import annotations

import tarfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from miner.corpus import bioc_io, medline, pubmed_xml, pubtator
from miner.corpus.detect import UnknownFormatError, detect_format, sniff
from miner.corpus.document import Deletion, Document, document_problem
from miner.corpus.fileio import ArchiveMember, InputFile, ReadOptions, damage_as_input_error, is_archive, open_input
from miner.corpus.store import CorpusStore
from miner.errors import InputFileError, MinerError

Reader = Callable[[InputFile, str, ReadOptions], Iterator["Document | Deletion"]]
READERS: dict[str, Reader] = {
    "pubmed_xml": pubmed_xml.parse_opened,
    "medline": medline.parse_opened,
    "pubtator": pubtator.parse_opened,
    "bioc_xml": bioc_io.parse_opened_xml,
    "bioc_json": bioc_io.parse_opened_json,
}
#: Update the progress bar every this many records (per-record updates cost more than parsing).
_PROGRESS_EVERY = 250


@dataclass
class FileResult:
    """What importing one file did."""

    path: str
    format: str = ""
    #: The path given on the command line this file came from (itself, or its directory).
    origin: str = ""
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    #: Annotations dropped because they did not fit their text (``lenient`` imports only).
    dropped: int = 0
    error: str = ""
    #: Why the whole file was skipped (unknown format inside a directory).
    skipped: str = ""
    #: Anything else worth reporting (e.g. archive members skipped).
    note: str = ""
    seconds: float = 0.0

    @property
    def records(self) -> int:
        return self.inserted + self.updated + self.unchanged

    @property
    def failed(self) -> bool:
        return bool(self.error)


@dataclass
class ImportReport:
    """Per-file results of one import run."""

    files: list[FileResult] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(getattr(f, name) for f in self.files if not f.failed)

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.failed]

    @property
    def ok(self) -> bool:
        return not self.failed


def expand_paths(paths: Iterable[str | Path]) -> list[tuple[Path, Path]]:
    """Files to import, as (file, the argument it came from); directories are walked recursively, sorted.

    Hidden files are skipped.  A missing path is a user error.
    """
    out: list[tuple[Path, Path]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path)
                if child.is_file() and not any(part.startswith(".") for part in rel.parts):
                    out.append((child, path))
        elif path.is_file():
            out.append((path, path))
        elif path.exists():
            raise MinerError(f"{path}: not a regular file or directory")
        else:
            raise MinerError(f"{path}: no such file or directory")
    return out


def _ingest(store: CorpusStore, items: Iterator[Document | Deletion], result: FileResult,
            tick: Callable[[], None] | None, path: object) -> None:
    """Upsert documents / apply deletions, counting outcomes into ``result``.

    Each document is checked before it is stored (whatever its format): text the store cannot
    keep faithfully (NUL, unpaired surrogates) or annotations outside it reject the file.
    """
    for n, item in enumerate(items, 1):
        if isinstance(item, Deletion):
            if store.mark_deleted(item.doc_id):
                result.deleted += 1
        else:
            problem = document_problem(item)
            if problem:
                raise InputFileError(path, problem, f"document {item.doc_id}")
            outcome = store.upsert(item)
            setattr(result, outcome, getattr(result, outcome) + 1)
        if tick is not None and n % _PROGRESS_EVERY == 0:
            tick()


def import_file(
    store: CorpusStore, path: str | Path, fmt: str | None = None, on_progress: Callable[[int], None] | None = None,
    lenient: bool = False,
) -> FileResult:
    """Import one file in one transaction; raises InputFileError (nothing committed) if it is damaged.

    ``on_progress`` receives the number of bytes of the file read so far.
    """
    path = Path(path)
    result = FileResult(path=str(path))
    started = time.perf_counter()
    result.format = fmt or detect_format(path)
    reader = READERS[result.format]
    options = ReadOptions(lenient=lenient)
    with open_input(path) as infile, store.transaction():
        tick = (lambda: on_progress(infile.consumed)) if on_progress is not None else None
        _ingest(store, reader(infile, path.name, options), result, tick, path)
    result.dropped = options.dropped
    if on_progress is not None:
        on_progress(infile.consumed)
    result.seconds = time.perf_counter() - started
    return result


def import_archive(
    store: CorpusStore, path: str | Path, on_progress: Callable[[int], None] | None = None, lenient: bool = False
) -> FileResult:
    """Import every importable member of a tar archive (.tar, .tar.gz, ...) in ONE transaction.

    The archive is the unit, like a file: a damaged member or a truncated archive rolls
    the whole archive back.  Members of unknown format (READMEs) are skipped.
    """
    path = Path(path)
    result = FileResult(path=str(path), format="tar")
    started = time.perf_counter()
    formats: set[str] = set()
    skipped = 0
    options = ReadOptions(lenient=lenient)
    with open_input(path) as outer:
        counter = outer  # .consumed: bytes of the archive file read, for progress
        try:  # stream mode: the archive is read strictly forward, once
            tar = tarfile.open(fileobj=outer.stream, mode="r|")
        except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
            raise InputFileError(path, f"not a readable tar archive ({exc})") from exc
        last = "(start)"
        with tar, store.transaction():
            try:
                for member in tar:
                    if not member.isfile() or Path(member.name).name.startswith("."):
                        continue
                    last = member.name
                    infile = ArchiveMember(tar, member, path)
                    try:
                        with damage_as_input_error(infile):
                            fmt = sniff(infile.head())
                            if fmt is None:
                                skipped += 1
                                continue
                            formats.add(fmt)
                            tick = (lambda: on_progress(counter.consumed)) if on_progress is not None else None
                            _ingest(store, READERS[fmt](infile, Path(member.name).name, options), result, tick,
                                    infile.path)
                    finally:
                        infile.release()
                    if on_progress is not None:
                        on_progress(counter.consumed)
            except (tarfile.TarError, EOFError, zlib.error) as exc:
                raise InputFileError(path, f"corrupt or truncated archive ({exc})", f"after member {last}") from exc
    result.dropped = options.dropped
    result.format = "tar:" + ",".join(sorted(formats)) if formats else "tar"
    if skipped:
        result.note = f"{skipped} member(s) of unknown format skipped"
    result.seconds = time.perf_counter() - started
    return result


def _import_one(store: CorpusStore, path: Path, origin: Path, on_progress: Callable[[int], None],
                lenient: bool = False) -> FileResult:
    """Import one file or archive; failures are recorded in the result, never raised."""
    result = FileResult(path=str(path), origin=str(origin))
    try:
        if is_archive(path):
            result.format = "tar"
            result = import_archive(store, path, on_progress, lenient)
        else:
            result.format = detect_format(path)
            result = import_file(store, path, result.format, on_progress, lenient)
    except UnknownFormatError as exc:
        if path == origin:  # named explicitly: the user expected it to import
            result.error = str(exc)
        else:  # a README or licence inside a directory
            result.skipped = exc.reason
    except InputFileError as exc:
        result.error = str(exc)
    result.origin = str(origin)
    return result


def import_paths(
    store: CorpusStore, paths: Iterable[str | Path], progress: bool = True, lenient: bool = False
) -> ImportReport:
    """Import files and directories; each file is atomic, and a damaged file does not stop the run.

    Inside directories, files of an unrecognised format (READMEs, licences) are skipped;
    a file named explicitly must be importable, else it counts as failed.  ``lenient``
    drops annotations that do not fit their text instead of failing their file.
    """
    files = expand_paths(paths)
    report = ImportReport()
    total = sum(p.stat().st_size for p, _ in files)
    progress_bar = None
    if progress:
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

        progress_bar = Progress(
            TextColumn("[bold]importing[/] {task.fields[name]}"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            transient=True,
        )
        progress_bar.start()
    task = progress_bar.add_task("import", total=total, name="") if progress_bar else None
    done = 0
    try:
        for path, origin in files:
            size = path.stat().st_size
            if progress_bar is not None:
                progress_bar.update(task, completed=done, name=path.name)

            def on_progress(consumed: int, _done: int = done) -> None:
                if progress_bar is not None:
                    progress_bar.update(task, completed=_done + consumed)

            report.files.append(_import_one(store, path, origin, on_progress, lenient))
            done += size
    finally:
        if progress_bar is not None:
            progress_bar.stop()
    return report
