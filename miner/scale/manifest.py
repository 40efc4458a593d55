"""The work directory of a scale run: its manifest, its lock and its shard files.

Layout of ``--work-dir DIR``::

    DIR/manifest.json          what each shard read (input path, size, SHA-1, record range), its versions and status
    DIR/shards/<id>.sqlite     one finished shard store (a miner corpus store plus the scale_* tables)
    DIR/shards/*.tmp           a shard being written (renamed to <id>.sqlite only when complete)
    DIR/.lock                  held by the running driver, so two drivers never share a work directory

The manifest is a record, not the source of truth: it is rewritten atomically (temporary file + rename) by the
driver alone, at most every :data:`SAVE_INTERVAL` seconds and at the end, so a driver killed in between loses at
most a second of status.  What decides whether a shard is done is its shard file: it exists under its final name,
opens, and carries a completion row with the shard's fingerprint (see :func:`shard_file_ok`).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import sqlite3
import tempfile
import time
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from miner.errors import MinerError

MANIFEST_VERSION = 1
#: Seconds between two manifest saves while shards complete.
SAVE_INTERVAL = 1.0
#: Bumped when the shard file layout or the merge rules change, so old shards are redone.
SHARD_FORMAT = 1
STATUSES = ("pending", "running", "done", "failed")


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class Shard:
    """One unit of work: records ``[start, start + count)`` of one input (``count`` None: to its end)."""

    id: str
    path: str
    input_sha1: str
    format: str
    start: int = 0
    count: int | None = None
    fingerprint: str = ""
    status: str = "pending"
    #: what the shard found (filled when it is done)
    records: int = 0
    documents: int = 0
    deletions: int = 0
    parsed: int = 0
    skipped: int = 0
    findings: int = 0
    #: annotations dropped with ``--lenient`` in records ``[0, start + count)`` of the input (the reader drops
    #: them as it reads, before the range starts too): the input's total is the largest over its shards
    dropped: int = 0
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    rss_mb: float = 0.0
    worker: str = ""
    error: str = ""
    #: the error is the input's own (damaged file): the whole file is rejected, as ``corpus import`` does
    input_error: bool = False
    finished: str = ""
    triage: dict[str, int] = field(default_factory=dict)

    @property
    def filename(self) -> str:
        return f"{self.id}.sqlite"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Shard":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def fingerprint(shard: Shard, versions: dict[str, Any], settings: dict[str, Any]) -> str:
    """What a shard's result depends on: its input bytes and record range, the pipeline and rules, the settings."""
    blob = json.dumps(
        {"input": shard.input_sha1, "start": shard.start, "count": shard.count, "versions": versions,
         "settings": settings, "format": SHARD_FORMAT},
        sort_keys=True,
    )
    return hashlib.sha1(blob.encode()).hexdigest()[:16]


@dataclass
class Manifest:
    """Everything a scale run records in ``manifest.json``."""

    shards: list[Shard] = field(default_factory=list)
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: record counts of inputs by SHA-1 (cutting a file into N-record shards needs its count once)
    counts: dict[str, int] = field(default_factory=dict)
    versions: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    created: str = ""
    updated: str = ""
    merges: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["version"] = MANIFEST_VERSION
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Manifest":
        return cls(
            shards=[Shard.from_dict(s) for s in data.get("shards", [])],
            inputs=dict(data.get("inputs", {})),
            counts={k: int(v) for k, v in data.get("counts", {}).items()},
            versions=dict(data.get("versions", {})),
            settings=dict(data.get("settings", {})),
            created=data.get("created", ""),
            updated=data.get("updated", ""),
            merges=list(data.get("merges", [])),
        )


class WorkDir:
    """The work directory: checked writable, locked for one driver, holding the manifest and the shard files."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser().resolve()
        self.shards = self.path / "shards"
        self.manifest_path = self.path / "manifest.json"
        self._lock_fh: Any = None
        self._last_save = 0.0

    # -- setup -----------------------------------------------------------------------------

    def prepare(self) -> None:
        """Create the directories and prove they are writable; a clear error otherwise."""
        if self.path.exists() and not self.path.is_dir():
            raise MinerError(f"{self.path}: work directory is a file, not a directory")
        try:
            self.shards.mkdir(parents=True, exist_ok=True)
            fd, probe = tempfile.mkstemp(prefix=".probe-", dir=self.shards)
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            reason = "read-only file system" if exc.errno == errno.EROFS else (exc.strerror or str(exc))
            raise MinerError(f"{self.path}: work directory is not writable ({reason})") from exc

    def lock(self) -> None:
        """Hold DIR/.lock for this process; another driver on the same directory is refused."""
        self._lock_fh = open(self.path / ".lock", "a+")
        try:
            fcntl.flock(self._lock_fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            self._lock_fh.close()
            self._lock_fh = None
            raise MinerError(f"{self.path}: another `miner scale` is using this work directory") from exc

    def unlock(self) -> None:
        if self._lock_fh is not None:
            fcntl.flock(self._lock_fh.fileno(), fcntl.LOCK_UN)
            self._lock_fh.close()
            self._lock_fh = None

    def clean_partial(self) -> int:
        """Remove shard files left half-written by a killed run (temporary names only); returns how many."""
        n = 0
        for tmp in self.shards.glob("*.tmp*"):
            tmp.unlink(missing_ok=True)
            n += 1
        return n

    # -- manifest --------------------------------------------------------------------------

    def load(self) -> Manifest:
        """The manifest, or an empty one; a damaged manifest is reported, never silently replaced."""
        if not self.manifest_path.exists():
            return Manifest(created=now())
        try:
            return Manifest.from_dict(json.loads(self.manifest_path.read_text(encoding="utf-8")))
        except (ValueError, TypeError, KeyError) as exc:
            raise MinerError(
                f"{self.manifest_path}: damaged manifest ({exc}); move it away to start the work directory afresh"
            ) from exc

    def save(self, manifest: Manifest, force: bool = True) -> None:
        """Write the manifest atomically (unless ``force`` is False and the last save was under a second ago)."""
        t = time.monotonic()
        if not force and t - self._last_save < SAVE_INTERVAL:
            return
        manifest.updated = now()
        fd, tmp = tempfile.mkstemp(prefix=".manifest.", suffix=".tmp", dir=self.path)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(manifest.to_dict(), fh, indent=1, ensure_ascii=False)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.manifest_path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._last_save = t

    def shard_file(self, shard: Shard) -> Path:
        return self.shards / shard.filename


def shard_file_ok(path: Path, fingerprint_: str) -> bool:
    """True if ``path`` is a complete shard store written for ``fingerprint_`` (anything else is redone)."""
    if not path.is_file():
        return False
    try:
        conn = sqlite3.connect(str(path))
        try:
            row = conn.execute("SELECT value FROM scale_shard WHERE key = 'complete'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    if row is None:
        return False
    try:
        return json.loads(row[0]).get("fingerprint") == fingerprint_
    except ValueError:
        return False


def iter_by_input(shards: list[Shard]) -> Iterator[list[Shard]]:
    """Shards grouped by input file, in plan order (a file's shards are consecutive)."""
    group: list[Shard] = []
    for s in shards:
        if group and s.path != group[-1].path:
            yield group
            group = []
        group.append(s)
    if group:
        yield group
