"""Input files of a scale run: which files, their identity (size, hash), and their records in order.

A shard reads records through the same readers as ``miner corpus import`` (format sniffed from content, gzip
and tar handled the same way), so a shard store holds what a sequential import of those records would hold.
"""

from __future__ import annotations

import hashlib
import os
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from miner.corpus.detect import UnknownFormatError, detect_format, sniff
from miner.corpus.document import Deletion, Document
from miner.corpus.fileio import ArchiveMember, damage_as_input_error, is_archive, open_input
from miner.corpus.importer import READERS, expand_paths
from miner.errors import InputFileError, MinerError

Item = Document | Deletion


@dataclass(frozen=True)
class InputInfo:
    """One input file: where it is, what kind it is, and what it holds (size and SHA-1 of its bytes)."""

    path: str
    size: int
    mtime_ns: int
    sha1: str
    format: str  # a corpus format name, or "tar"


def file_sha1(path: Path) -> str:
    """SHA-1 of the file's bytes (what a changed input is recognised by)."""
    h = hashlib.sha1()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def list_inputs(paths: Iterable[str | Path], known: dict[str, dict] | None = None) -> tuple[list[InputInfo], list[str]]:
    """The files to process, in ``corpus import`` order, and notes on files skipped inside directories.

    A missing path, or a file named explicitly whose format is unknown, is a :class:`MinerError`.  ``known``
    maps absolute paths to earlier :class:`InputInfo` dicts: a file whose size and modification time are
    unchanged keeps its recorded hash instead of being read again.
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
        if is_archive(path):
            fmt = "tar"
        else:
            try:
                fmt = detect_format(path)
            except UnknownFormatError as exc:
                if path == origin.resolve():
                    raise MinerError(str(exc)) from exc
                skipped.append(f"{path}: {exc.reason}")
                continue
            except InputFileError as exc:
                raise MinerError(str(exc)) from exc
        old = known.get(str(path))
        if old and old.get("size") == st.st_size and old.get("mtime_ns") == st.st_mtime_ns and old.get("sha1"):
            digest = old["sha1"]
        else:
            digest = file_sha1(path)
        out.append(InputInfo(str(path), st.st_size, st.st_mtime_ns, digest, fmt))
    return out, skipped


def iter_items(path: str | Path, fmt: str | None = None) -> Iterator[Item]:
    """The records of one input in file order (documents and deletion notices), as ``corpus import`` reads them.

    A tar archive yields the records of its importable members in archive order (members of unknown format are
    skipped, as the importer does).  Damage raises :class:`InputFileError`.
    """
    path = Path(path)
    fmt = fmt or ("tar" if is_archive(path) else detect_format(path))
    if fmt != "tar":
        with open_input(path) as infile, damage_as_input_error(infile):
            yield from READERS[fmt](infile, path.name)
        return
    with open_input(path) as outer:
        try:
            tar = tarfile.open(fileobj=outer.stream, mode="r|")
        except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
            raise InputFileError(path, f"not a readable tar archive ({exc})") from exc
        with tar:
            last = "(start)"
            try:
                for member in tar:
                    if not member.isfile() or Path(member.name).name.startswith("."):
                        continue
                    last = member.name
                    infile = ArchiveMember(tar, member, path)
                    try:
                        with damage_as_input_error(infile):
                            kind = sniff(infile.head())
                            if kind is None:
                                continue
                            yield from READERS[kind](infile, Path(member.name).name)
                    finally:
                        infile.release()
            except (tarfile.TarError, EOFError, zlib.error) as exc:
                raise InputFileError(path, f"corrupt or truncated archive ({exc})", f"after member {last}") from exc


def count_items(path: str | Path, fmt: str | None = None) -> int:
    """How many records (documents and deletion notices) an input holds (for cutting it into shards)."""
    return sum(1 for _ in iter_items(path, fmt))
