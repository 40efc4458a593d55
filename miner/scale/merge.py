"""Merging finished shard stores into the main store, in input order, exactly once.

Each shard's records are replayed in file order (``upsert`` for a document, ``mark_deleted`` for a
``DeleteCitation``), so revisions and deletions resolve exactly as a sequential ``miner corpus import`` of the
same files would.  A shard's findings for a document are taken when the main store's text of that document, after
the replay, is the text the shard read; when a record was merged field by field with an earlier one and the text
differs, the document is queued for re-extraction (``pending``), so the merged store holds the findings that
``miner extract`` would produce.  Documents this run deleted lose their findings.

Bookkeeping lives in the main store itself, in the same transaction as each shard's data (one ``query_state`` row
named ``scale:<work dir>``): how many shards of the plan are merged, a hash chain over their fingerprints, and the
pending documents.  A killed merge therefore resumes at the first shard whose transaction did not commit, and a
rerun with the same plan merges nothing.  If the plan changed before the merged prefix ends (an input changed or
was inserted), the merge starts again from the first shard: replaying a shard twice changes nothing (an identical
record is "unchanged", findings replace themselves), so this costs time, never correctness.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from miner.corpus.document import Document
from miner.corpus.store import CorpusStore
from miner.errors import MinerError
from miner.scale.manifest import Shard
from miner.scale.worker import text_sha1
from miner.schema import Finding


def bookkeeping_key(work_dir: Path) -> str:
    """The ``query_state`` row of a work directory in the main store."""
    return f"scale:{work_dir}"


def chain_of(shards: list[Shard]) -> list[str]:
    """``c[i]``: hash chain over the fingerprints of the first ``i`` shards (``c[0]`` is empty)."""
    out = [""]
    for s in shards:
        out.append(hashlib.sha1((out[-1] + s.id + s.fingerprint).encode()).hexdigest()[:20])
    return out


@dataclass
class MergeStats:
    """What merging did (summed over shards)."""

    shards: int = 0
    rejected_files: list[str] = field(default_factory=list)
    outcomes: Counter = field(default_factory=Counter)
    findings: int = 0
    reextracted: int = 0
    seconds: float = 0.0


class Merger:
    """Merges the plan's shards into ``store`` as they become ready, strictly in plan order."""

    def __init__(self, store: CorpusStore, work_dir: Path, plan: list[Shard], shard_files: dict[str, Path]) -> None:
        self.store = store
        self.key = bookkeeping_key(work_dir)
        self.plan = plan
        self.files = shard_files
        self.chain = chain_of(plan)
        state = store.get_query_state(self.key) or {}
        #: chain values recorded after each merged input: the longest prefix of the plan still equal to what
        #: was merged is where to go on (an input added at the end merges alone; one changed in the middle
        #: merges again from there on, as importing it again would)
        self.marks: dict[str, str] = dict(state.get("marks", {}))
        self.marks[str(int(state.get("merged", 0)))] = state.get("chain", "")
        #: index of the next shard to merge
        self.next = max((int(i) for i, c in self.marks.items() if int(i) <= len(plan) and self.chain[int(i)] == c),
                        default=0)
        self.marks = {i: c for i, c in self.marks.items() if int(i) <= self.next}
        self.pending: set[str] = set(state.get("pending", []))
        self.stats = MergeStats()

    @property
    def done(self) -> bool:
        return self.next >= len(self.plan)

    def advance(self) -> int:
        """Merge every input whose shards are all finished, from the next one on; returns shards merged now.

        Stops at the first input with a shard not finished (order matters).  An input whose shards report a
        damage of the input itself is rejected whole and passed over, as ``corpus import`` does.
        """
        merged = 0
        while not self.done:
            first = self.plan[self.next]
            group = self.plan[self.next : self.next + _run_length(self.plan, self.next)]
            if any(s.input_error for s in group) and all(s.status == "done" or s.input_error for s in group):
                self._record(self.next + len(group), rejected=first.path)
                self.stats.rejected_files.append(first.path)
                continue
            if not all(s.status == "done" for s in group):
                break
            for s in group:
                self._merge_one(s)
                merged += 1
        return merged

    # -- one shard ----------------------------------------------------------------------------

    def _merge_one(self, shard: Shard) -> None:
        path = self.files[shard.id]
        start = time.perf_counter()
        try:
            conn = sqlite3.connect(str(path))
        except sqlite3.Error as exc:  # pragma: no cover (the runner validated the file)
            raise MinerError(f"{path}: cannot open shard store ({exc})") from exc
        store = self.store
        try:
            info = json.loads(conn.execute("SELECT value FROM scale_shard WHERE key = 'complete'").fetchone()[0])
            changed: set[str] = set()
            outcomes: Counter = Counter()
            self._hashes: dict[str, str] = {}
            with store.transaction():
                # documents the main store did not have before this shard and that only this shard's upserts
                # touched: the store then holds exactly the shard's record, so the text check is not needed
                fresh: set[str] = set()
                seen_events: set[str] = set()
                for op, doc_id, doc in conn.execute("SELECT op, doc_id, doc FROM scale_events ORDER BY seq"):
                    first = doc_id not in seen_events
                    seen_events.add(doc_id)
                    if op == "delete":
                        fresh.discard(doc_id)
                        if store.mark_deleted(doc_id):
                            outcomes["deleted"] += 1
                            changed.add(doc_id)
                    else:
                        outcome = store.upsert(Document.from_dict(json.loads(doc)))
                        outcomes[outcome] += 1
                        if outcome != "unchanged":
                            changed.add(doc_id)
                        if first and outcome == "inserted":
                            fresh.add(doc_id)
                accept: list[str] = []
                clear: list[str] = []
                extracted = conn.execute("SELECT doc_id, text_sha1 FROM scale_extracted").fetchall()
                if not _SAME_HASH:
                    fresh.clear()
                for doc_id, sha in extracted:
                    state = "same" if doc_id in fresh else self._text_state(doc_id, sha)
                    if doc_id in fresh:
                        self._hashes[doc_id] = sha[:16]
                    if state == "same":
                        accept.append(doc_id)
                        self.pending.discard(doc_id)
                    elif state == "deleted":
                        if doc_id in changed:
                            clear.append(doc_id)
                        self.pending.discard(doc_id)
                    elif doc_id in changed:
                        self.pending.add(doc_id)
                seen = {d for d, _ in extracted}
                for doc_id in sorted(changed - seen):  # deleted by this shard, read by none of it
                    record = store.record_info(doc_id)
                    if record is not None and record["deleted"]:
                        clear.append(doc_id)
                        self.pending.discard(doc_id)
                wanted = set(accept)
                findings = []
                for data, status in conn.execute("SELECT data, status FROM findings ORDER BY doc_id, id"):
                    f = Finding.from_dict(json.loads(data))
                    if f.doc_id in wanted:
                        f.status = status
                        findings.append(f)
                # recorded as an extraction run, so that `miner extract` afterwards passes over these documents
                # (miner.extract.store.extracted_documents: same rules, pipeline and prefilter, same text)
                meta = {"stage": "extract", "via": "scale", "shard": shard.id, "input": shard.path,
                        "start": shard.start, "fingerprint": shard.fingerprint, "rules_version": info.get("rules", ""),
                        "pipeline": info.get("pipeline", ""), "prefilter": True, "triage": info.get("triage", False),
                        "doc_ids": accept + clear, "extracted": {d: self._hashes[d] for d in accept}}
                self.stats.findings += store.add_findings(findings, meta)
                self._record(self.next + 1)
        finally:
            conn.close()
        self.stats.outcomes.update(outcomes)
        self.stats.shards += 1
        self.stats.seconds += time.perf_counter() - start

    def _text_state(self, doc_id: str, sha: str) -> str:
        """'same' (main holds the text the shard read), 'deleted', or 'other'."""
        record = self.store.record_info(doc_id)
        if record is None:
            return "other"
        if record["deleted"]:
            return "deleted"
        doc = self.store.get(doc_id)
        if doc is None or text_sha1(doc.text) != sha:
            return "other"
        self._hashes[doc_id] = _extract_hash(doc.text)
        return "same"

    def _record(self, next_index: int, rejected: str = "") -> None:
        """Advance the bookkeeping row (inside the caller's transaction when there is one)."""
        self.next = next_index
        old = self.store.get_query_state(self.key) or {}
        rejected_files = set(old.get("rejected", [])) | ({rejected} if rejected else set())
        if next_index == len(self.plan) or self.plan[next_index].path != self.plan[next_index - 1].path:
            self.marks[str(next_index)] = self.chain[next_index]  # an input boundary
        state: dict[str, Any] = {"merged": next_index, "chain": self.chain[next_index], "marks": self.marks,
                                 "pending": sorted(self.pending), "rejected": sorted(rejected_files),
                                 "last_success": None}
        self.store.set_query_state(self.key, state)

    # -- documents whose merged text differs from every shard's ---------------------------------

    def pending_documents(self) -> list[tuple[str, str]]:
        """(doc_id, text) of the live documents queued for re-extraction."""
        ids = sorted(self.pending)
        return [(d.doc_id, d.text) for d in self.store.iter_documents(doc_ids=ids)]

    def store_reextracted(self, findings: list[Finding], doc_ids: list[str], meta: dict[str, Any]) -> None:
        """Store the findings of re-extracted documents and clear them from the queue, in one transaction."""
        with self.store.transaction():
            self.stats.findings += self.store.add_findings(findings, {**meta, "doc_ids": list(doc_ids)})
            self.pending -= set(doc_ids)
            self.stats.reextracted += len(doc_ids)
            self._record(self.next)


def _extract_hash(text: str) -> str:
    """The text hash ``miner extract`` records for a document it read (so it knows what is done)."""
    try:
        from miner.extract.store import text_hash
    except ImportError:  # pragma: no cover (an extractor without resumable runs)
        return text_sha1(text)[:16]
    return text_hash(text)


#: ``miner extract``'s text hash is the first 16 hex digits of the shard's SHA-1, so fresh documents need no reread
_SAME_HASH = _extract_hash("abc\u00e9") == text_sha1("abc\u00e9")[:16]


def _run_length(plan: list[Shard], i: int) -> int:
    """How many shards from ``i`` on belong to the same input (consecutive in the plan)."""
    n = 0
    while i + n < len(plan) and plan[i + n].path == plan[i].path and plan[i + n].input_sha1 == plan[i].input_sha1:
        n += 1
    return n
