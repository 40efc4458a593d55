"""Plain-text documents (``miner corpus add-text``): the two seed reviews and similar files.

The gold set's character offsets point into the review files, so the stored text must
be the file content byte-for-byte decoded: the whole content goes into ``abstract`` with
an empty title, which makes :attr:`Document.text` equal to the file content.
"""

from __future__ import annotations

import re
from pathlib import Path

from miner.corpus.document import Document
from miner.errors import InputFileError, MinerError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def read_text_document(path: str | Path, name: str) -> Document:
    """The file as document ``text:<name>``; invalid UTF-8, an empty file or a bad name is an error."""
    path = Path(path)
    if not _NAME.match(name or ""):
        raise MinerError(
            f"invalid document name {name!r}: use letters, digits, '.', '_' or '-' (e.g. review-2023)"
        )
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise MinerError(f"{path}: no such file") from exc
    except IsADirectoryError as exc:
        raise MinerError(f"{path}: is a directory, expected a text file") from exc
    except OSError as exc:
        raise InputFileError(path, f"cannot read: {exc.strerror or exc}") from exc
    try:
        content = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(path, f"not valid UTF-8 ({exc.reason})", f"byte {exc.start}") from exc
    if not content.strip():
        raise InputFileError(path, "the file is empty")
    return Document(doc_id=f"text:{name}", title="", abstract=content, source=path.name)
