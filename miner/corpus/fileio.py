"""Opening input files: gzip by content (not by name), byte counting, and damage reporting.

Every importer reads through :func:`open_input`, so a truncated ``.gz`` or an I/O error
surfaces the same way everywhere: as :class:`InputFileError` naming the file and how far
into it the damage was found.
"""

from __future__ import annotations

import codecs
import gzip
import io
import shutil
import tarfile
import tempfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator, TextIO

from miner.corpus.document import text_problem
from miner.errors import InputFileError

GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class ReadOptions:
    """What a reader does with an annotation that does not fit its text: reject the file, or
    (``lenient``, ``miner corpus import --lenient``) drop the annotation and count it."""

    lenient: bool = False
    #: Annotations dropped so far (lenient only).
    dropped: int = 0

    def bad_annotation(self, path: object, position: str, reason: str) -> None:
        """Report one bad annotation: an :class:`InputFileError`, or with ``lenient`` a count."""
        if not self.lenient:
            raise InputFileError(path, f"{reason} (import with --lenient to drop such annotations)", position)
        self.dropped += 1


class CountingReader(io.RawIOBase):
    """A read-only wrapper that counts the bytes read from the underlying file (for progress)."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._raw.seekable()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.count += n
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


class InputFile:
    """An opened input: ``stream`` yields decompressed bytes, ``consumed`` counts bytes of the file read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.size = path.stat().st_size
            raw = open(path, "rb")
        except OSError as exc:
            raise InputFileError(path, f"cannot read: {exc.strerror or exc}") from exc
        with raw:
            magic = raw.read(2)
        self.compressed = magic == GZIP_MAGIC
        self._counter = CountingReader(open(path, "rb"))
        buffered = io.BufferedReader(self._counter, buffer_size=1 << 16)
        self.stream: BinaryIO = gzip.GzipFile(fileobj=buffered, mode="rb") if self.compressed else buffered  # type: ignore[assignment]
        self._buffered = buffered

    @property
    def consumed(self) -> int:
        return self._counter.count

    def position(self) -> str:
        """Where reading stopped, for error messages."""
        kind = "compressed byte" if self.compressed else "byte"
        return f"{kind} {self.consumed} of {self.size}"

    def reopen(self) -> "InputFile":
        """A fresh reader of the same input, from its start (for a parser's second pass)."""
        return InputFile(self.path)

    def close(self) -> None:
        self.stream.close()
        self._buffered.close()

    def __enter__(self) -> "InputFile":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ArchiveMember(InputFile):
    """One regular file inside a tar archive, read like a file of its own (gzip members too).

    The member is copied into a spooled temporary file (memory up to 64 MB, disk beyond),
    so the archive itself is read strictly forward (a compressed tar cannot seek back
    cheaply) while the member can be sniffed and re-read.
    """

    SPOOL_MAX = 64 << 20

    def __init__(self, tar: tarfile.TarFile, member: tarfile.TarInfo, archive: Path) -> None:
        #: Named "archive:member" in messages, so a damaged member is easy to find.
        self.path = Path(f"{archive}:{member.name}")
        self.size = member.size
        source = tar.extractfile(member)
        if source is None:
            raise InputFileError(self.path, "not a regular file")
        self._raw = tempfile.SpooledTemporaryFile(max_size=self.SPOOL_MAX)
        shutil.copyfileobj(source, self._raw, 1 << 20)
        self._open_stream()

    def _open_stream(self) -> None:
        self._raw.seek(0)
        self.compressed = self._raw.read(2) == GZIP_MAGIC
        self._raw.seek(0)
        self.stream = gzip.GzipFile(fileobj=self._raw, mode="rb") if self.compressed else self._raw  # type: ignore[assignment]

    @property
    def consumed(self) -> int:
        return self._raw.tell()

    def position(self) -> str:
        kind = "compressed byte" if self.compressed else "byte"
        return f"{kind} {self.consumed} of {self.size}"

    def reopen(self) -> "ArchiveMember":
        """The same member from its start (it is spooled, so this costs no archive read)."""
        self._open_stream()
        return self

    def close(self) -> None:
        pass  # the spool lives until release(): reopen() may hand it out again

    def release(self) -> None:
        self._raw.close()

    def head(self, n: int = 8192) -> bytes:
        """The first n decompressed bytes (for format sniffing); the stream is rewound."""
        data = self.stream.read(n)
        self._open_stream()
        return data


def is_archive(path: str | Path) -> bool:
    """True for tar archives (plain or compressed), which are imported member by member."""
    try:
        return tarfile.is_tarfile(path)
    except (OSError, EOFError, zlib.error):
        return False


def open_input(path: str | Path) -> InputFile:
    """Open a file for import; gzip is detected from its magic bytes, whatever its name."""
    return InputFile(Path(path))


@contextmanager
def damage_as_input_error(infile: InputFile) -> Iterator[None]:
    """Turn low-level read failures (truncated gzip, zlib, I/O, encoding) into InputFileError."""
    try:
        yield
    except InputFileError:
        raise
    except EOFError as exc:
        raise InputFileError(infile.path, f"file is truncated ({exc})", infile.position()) from exc
    except (zlib.error, gzip.BadGzipFile) as exc:
        raise InputFileError(infile.path, f"corrupt gzip data ({exc})", infile.position()) from exc
    except UnicodeDecodeError as exc:
        raise InputFileError(infile.path, f"not valid UTF-8 ({exc.reason})", infile.position()) from exc
    except tarfile.TarError as exc:
        raise InputFileError(infile.path, f"corrupt archive ({exc})", infile.position()) from exc
    except OSError as exc:
        raise InputFileError(infile.path, f"read error ({exc})", infile.position()) from exc


def head_bytes(path: str | Path, n: int = 8192) -> bytes:
    """The first ``n`` decompressed bytes of a file (for format sniffing)."""
    with open_input(path) as infile, damage_as_input_error(infile):
        return infile.stream.read(n)


#: The numbered lines of a line-based file: (line number, line without its line end).
Lines = Iterator[tuple[int, str]]
#: A line-based format's record reader: (numbered lines, source name, path for messages, options) -> records.
TextRecords = Callable[[Lines, str, object, ReadOptions], Iterator[Any]]


def numbered_lines(text: TextIO, path: object) -> Lines:
    """The lines of ``text``, numbered from 1, without their ``\\n`` or ``\\r\\n`` ends.

    Only ``\\n`` ends a line (``text`` must be opened with ``newline="\\n"``): a bare CR inside a
    title is text, as the PubTator offsets count it.  A last line without a line end means the
    file stops mid-record (a cut download or copy), and a NUL character means a damaged file:
    both are errors naming the line.
    """
    for lineno, raw in enumerate(text, 1):
        if not raw.endswith("\n"):
            raise InputFileError(
                path, "the file ends in the middle of a line: it looks truncated (if it is complete, "
                "end it with a line break)", f"line {lineno}",
            )
        line = raw[:-1].removesuffix("\r")
        if "\x00" in line:
            raise InputFileError(path, text_problem(line) or "NUL character", f"line {lineno}")
        yield lineno, line


def utf16_codec(head: bytes) -> str | None:
    """The UTF-16 codec of content starting with ``head`` (by its byte-order mark, or, without one, by the
    zero byte beside its first ASCII character, as JSON's RFC 8259 detects it), or None if it is not UTF-16."""
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return "utf-16"
    if len(head) >= 2 and head[0] and not head[1] and head[0] < 0x80:
        return "utf-16-le"
    if len(head) >= 2 and not head[0] and head[1] and head[1] < 0x80:
        return "utf-16-be"
    return None


def _text_encoding(stream: BinaryIO) -> str:
    """UTF-16 (see :func:`utf16_codec`) or else UTF-8, with or without BOM (the default for a stream that
    can neither peek nor seek)."""
    if hasattr(stream, "peek"):
        head = stream.peek(2)[:2]
    elif stream.seekable():
        where = stream.tell()
        head = stream.read(2)
        stream.seek(where)
    else:
        head = b""
    return utf16_codec(head) or "utf-8-sig"


def read_text_opened(
    infile: InputFile, source_name: str, records: TextRecords, options: ReadOptions | None = None
) -> Iterator[Any]:
    """Run a line-based reader over an opened input, turning damage into :class:`InputFileError`."""
    with damage_as_input_error(infile):
        text = io.TextIOWrapper(infile.stream, encoding=_text_encoding(infile.stream), newline="\n")
        yield from records(numbered_lines(text, infile.path), source_name, infile.path, options or ReadOptions())


def read_text_source(
    source: BinaryIO | str | Path, source_name: str, records: TextRecords, options: ReadOptions | None = None
) -> Iterator[Any]:
    """Run a line-based reader over a path (gzip allowed) or a binary stream."""
    if isinstance(source, (str, Path)):
        with open_input(source) as infile:
            yield from read_text_opened(infile, source_name or Path(source).name, records, options)
        return
    name = source_name or getattr(source, "name", "") or "<stream>"
    text = io.TextIOWrapper(source, encoding=_text_encoding(source), newline="\n")
    yield from records(numbered_lines(text, name), str(name), name, options or ReadOptions())
