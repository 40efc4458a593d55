"""The refresh engine: bring the corpus up to date from PubMed, resumably.

Three ways in: a search term (named in ``corpora/queries.toml`` or given
ad hoc), a list of PMIDs (epost + efetch) and a list of DOIs (esearch on
``[doi]``, then efetch).  Each fetched batch is upserted and the cursor saved in
the *same* store transaction, so a Ctrl-C, a kill or a network failure leaves
either the whole batch and its cursor or neither: the next run re-searches the
slice it was in and continues at the saved offset (no gaps, no duplicates).

PubMed pages at most 9,999 records of one search, so a search whose count is
larger is split into two date ranges, recursively, until each slice fits.  A
named query remembers the day of its last complete refresh; the next run asks
only for records entered (``edat``) or revised (``mdat``) since that day.

Every efetch batch is checked against the exact PMIDs it should hold (esearch
lists them): the history server can answer short, empty, with a record twice or
with an HTTP-200 error body, and counting records hides all of these.  Missing
records are refetched by id; any still missing are *gaps*, saved with the
cursor, reported, and fetched by the next run before the query counts as complete.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Protocol

from miner.corpus.document import Deletion, Document, pmid_doc_id
from miner.corpus.entrez import PUBMED_MAX_RETRIEVABLE, BadResponse, EntrezClient, EntrezError, SearchResult
from miner.corpus.pubmed_xml import parse_pubmed_xml
from miner.corpus.store import CorpusStore
from miner.errors import ConfigError, InputFileError, MinerError

#: Date bounds of an unrestricted search when it must be sliced by publication date.
FULL_RANGE = (date(1700, 1, 1), date(2999, 12, 31))
#: DOIs per esearch (an OR of quoted ``[doi]`` terms; keeps the term well under URL/POST limits).
DOI_CHUNK = 50
#: Refetches by id of the records a well-formed batch lacked, before they are recorded as gaps.
MISSING_REFETCHES = 2
#: NCBI's error texts for an efetch by id list in which no id is a PubMed record: nothing to fetch, not a failure.
_NO_IDS = re.compile(r"empty id list|id list is empty|no correct ids", re.I)
SOURCE = "eutils"
_QUERY_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")


# ---------------------------------------------------------------------------- named queries


@dataclass(frozen=True)
class NamedQuery:
    """One saved PubMed search from ``corpora/queries.toml``."""

    name: str
    term: str
    description: str


def load_queries(path: Path) -> dict[str, NamedQuery]:
    """Read and validate the named-queries file (clear errors for bad TOML or entries)."""
    try:
        with Path(path).open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: queries file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    table = data.get("queries")
    if not isinstance(table, dict) or not table:
        raise ConfigError(f"{path}: expected a [queries.<name>] table per named query")
    unknown_top = set(data) - {"queries", "blocks"}
    if unknown_top:
        raise ConfigError(f"{path}: unknown top-level key(s): {', '.join(sorted(unknown_top))}")
    blocks = data.get("blocks", {})
    if not isinstance(blocks, dict) or not all(isinstance(v, str) and v.strip() for v in blocks.values()):
        raise ConfigError(f"{path}: [blocks] must map names to non-empty PubMed sub-expressions")
    for name, block in blocks.items():
        problem = check_term(block)
        if problem or "{" in block:
            raise ConfigError(f"{path}: block '{name}': {problem or 'blocks cannot contain other blocks'}")
    queries = {}
    for name, entry in table.items():
        where = f"{path}: query '{name}'"
        if not _QUERY_NAME.match(name):
            raise ConfigError(f"{where}: names are lower-case letters, digits, '-' and '_'")
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: expected a table with 'term' and 'description'")
        extra = set(entry) - {"term", "description"}
        if extra:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(extra))} (allowed: term, description)")
        term, description = entry.get("term"), entry.get("description")
        if not isinstance(term, str) or not term.strip():
            raise ConfigError(f"{where}: 'term' must be a non-empty string")
        if not isinstance(description, str) or not description.strip():
            raise ConfigError(f"{where}: 'description' must be a non-empty string")
        unknown = sorted(set(re.findall(r"\{([^{}]*)\}", term)) - set(blocks))
        if unknown:
            raise ConfigError(f"{where}: unknown block(s) {', '.join('{' + u + '}' for u in unknown)}")
        term = re.sub(r"\{([^{}]*)\}", lambda m: blocks[m.group(1)], term)
        problem = check_term(term)
        if problem:
            raise ConfigError(f"{where}: {problem}")
        queries[name] = NamedQuery(name, " ".join(term.split()), description.strip())
    return queries


def check_term(term: str) -> str | None:
    """A syntax problem in a PubMed term (unbalanced quotes/parentheses/brackets), or None."""
    if term.count('"') % 2:
        return "unbalanced double quotes in term"
    depth = 0
    for ch in re.sub(r'"[^"]*"', "", term):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return "')' without '(' in term"
    if depth:
        return "unbalanced parentheses in term"
    unquoted = re.sub(r'"[^"]*"', "", term)
    if unquoted.count("[") != unquoted.count("]"):
        return "unbalanced field-tag brackets in term"
    return None


def get_query(path: Path, name: str) -> NamedQuery:
    """The named query ``name`` (unknown names list the known ones)."""
    queries = load_queries(path)
    if name not in queries:
        raise MinerError(f"unknown query '{name}' in {path}; known: {', '.join(sorted(queries))}")
    return queries[name]


# ---------------------------------------------------------------------------- id files


def read_pmid_file(path: Path) -> list[str]:
    """Unique PMIDs from a file (one per line or separated by commas/spaces; '#' starts a comment)."""
    pmids: list[str] = []
    for lineno, line in enumerate(_read_lines(path), 1):
        for token in re.split(r"[\s,;]+", line.split("#", 1)[0].strip()):
            if not token:
                continue
            token = token.removeprefix("pmid:").removeprefix("PMID:")
            if not token.isdigit() or int(token) == 0:
                raise InputFileError(path, f"not a PMID: {token!r}", f"line {lineno}")
            pmids.append(token.lstrip("0"))
    return list(dict.fromkeys(pmids))


def normalize_doi(raw: str) -> str:
    """A DOI in canonical lower-case form, without ``doi:`` or resolver prefixes."""
    doi = raw.strip().strip(".,;")
    doi = re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", doi, flags=re.I)
    return doi.lower()


def read_doi_file(path: Path) -> list[str]:
    """Unique, normalised DOIs from a file (one per line; '#' starts a comment)."""
    dois: list[str] = []
    for lineno, line in enumerate(_read_lines(path), 1):
        text = line.split(" #", 1)[0].strip()
        if not text or text.startswith("#"):
            continue
        doi = normalize_doi(text).split()[0]  # a DOI, optionally followed by other columns
        if not _DOI.match(doi) or '"' in doi:
            raise InputFileError(path, f"not a DOI: {text[:80]!r}", f"line {lineno}")
        dois.append(doi)
    return list(dict.fromkeys(dois))


def _read_lines(path: Path) -> list[str]:
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputFileError(path, "file not found") from None
    except UnicodeDecodeError as exc:
        raise InputFileError(path, "not UTF-8 text", f"byte {exc.start}") from None
    except OSError as exc:
        raise InputFileError(path, exc.strerror or str(exc)) from None


# ---------------------------------------------------------------------------- dates and slices


def ncbi_date(day: date) -> str:
    return f"{day.year:04d}/{day.month:02d}/{day.day:02d}"


def parse_date(text: str) -> date:
    """A ``--since`` date: YYYY-MM-DD, YYYY/MM/DD, YYYY-MM or YYYY (missing parts = first day)."""
    parts = [p for p in re.split(r"[/-]", text.strip()) if p]
    try:
        if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
            raise ValueError
        numbers = [int(p) for p in parts] + [1] * (3 - len(parts))
        return date(numbers[0], numbers[1], numbers[2])
    except ValueError:
        raise MinerError(f"not a date: {text!r} (use YYYY-MM-DD, YYYY-MM or YYYY)") from None


def _slice(datetype: str | None, lo: date | None = None, hi: date | None = None) -> dict[str, Any]:
    return {
        "datetype": datetype,
        "mindate": ncbi_date(lo) if lo else None,
        "maxdate": ncbi_date(hi) if hi else None,
    }


def split_slice(piece: dict[str, Any]) -> list[dict[str, Any]] | None:
    """Two halves of a date slice (an unrestricted one splits by publication date), or None for one day."""
    if piece["datetype"] is None:
        lo, hi, datetype = FULL_RANGE[0], FULL_RANGE[1], "pdat"
    else:
        lo, hi, datetype = parse_date(piece["mindate"]), parse_date(piece["maxdate"]), piece["datetype"]
    if lo >= hi:
        return None
    mid = lo + timedelta(days=(hi - lo).days // 2)
    halves = [_slice(datetype, lo, mid), _slice(datetype, mid + timedelta(days=1), hi)]
    if piece.get("not_entered"):
        for half in halves:
            half["not_entered"] = piece["not_entered"]
    return halves


def describe_slice(piece: dict[str, Any]) -> str:
    if piece["datetype"] is None:
        return "all dates"
    return f"{piece['datetype']} {piece['mindate']}-{piece['maxdate']}"


# ---------------------------------------------------------------------------- the engine


class Progress(Protocol):
    """What the engine reports while it works (the CLI draws a rich progress bar)."""

    def add_total(self, n: int) -> None: ...
    def advance(self, n: int) -> None: ...
    def note(self, text: str) -> None: ...


class _NoProgress:
    def add_total(self, n: int) -> None:
        pass

    def advance(self, n: int) -> None:
        pass

    def note(self, text: str) -> None:
        pass


@dataclass
class RefreshSummary:
    """The outcome of one refresh run (printed at the end, also kept in the query state)."""

    name: str
    mode: str = ""  # full | incremental | pmids | dois
    since: str | None = None
    resumed: bool = False
    complete: bool = False
    slices: int = 0
    matched: int = 0
    fetched: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    requests: int = 0
    retries: int = 0
    retry_reasons: dict[str, int] = field(default_factory=dict)
    not_found: list[str] = field(default_factory=list)
    #: PMIDs the search listed that could not be fetched; saved, and fetched first by the next run.
    gaps: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    def lines(self) -> list[str]:
        state = "complete" if self.complete else "INCOMPLETE (run again to continue)"
        head = f"{self.name}: {self.mode}" + (f" since {self.since}" if self.since else "")
        head += " (resumed)" if self.resumed else ""
        out = [
            f"{head}: {state}",
            f"  matched {self.matched} in {self.slices} slice(s); fetched {self.fetched}: "
            f"{self.inserted} new, {self.updated} updated, {self.unchanged} unchanged"
            + (f", {self.deleted} deleted" if self.deleted else ""),
            f"  {self.requests} request(s), {self.retries} retried"
            + (f" ({', '.join(f'{k} {v}' for k, v in sorted(self.retry_reasons.items()))})" if self.retries else ""),
        ]
        if self.not_found:
            out.append(f"  not found in PubMed ({len(self.not_found)}): {_shown(self.not_found)}")
        if self.gaps:
            out.append(
                f"  {len(self.gaps)} record(s) listed by the search could not be fetched; they are recorded "
                f"and the next run fetches them: {_shown(self.gaps)}"
            )
        out.extend(f"  warning: {w}" for w in self.warnings)
        return out


class Refresher:
    """Runs refreshes of one store through one E-utilities client."""

    def __init__(
        self,
        client: EntrezClient,
        store: CorpusStore,
        *,
        batch_size: int = 500,
        max_records: int | None = None,
        progress: Progress | None = None,
        today: date | None = None,
        max_retrievable: int = PUBMED_MAX_RETRIEVABLE,
    ) -> None:
        if batch_size < 1 or batch_size > PUBMED_MAX_RETRIEVABLE:
            raise ConfigError(f"batch size must be between 1 and {PUBMED_MAX_RETRIEVABLE}, got {batch_size}")
        if max_records is not None and max_records < 1:
            raise MinerError(f"--max must be at least 1, got {max_records}")
        self.client = client
        self.store = store
        self.batch_size = batch_size
        self.max_records = max_records
        self.progress: Progress = progress or _NoProgress()
        self.today = today or datetime.now(timezone.utc).date()
        #: PubMed's paging limit (9,999); tests lower it to exercise slicing on small sets.
        self.limit = max_retrievable
        self._fetched_this_run = 0

    # ------------------------------------------------------------------ helpers
    def _budget(self, wanted: int) -> int:
        if self.max_records is None:
            return wanted
        return max(0, min(wanted, self.max_records - self._fetched_this_run))

    def _plan(self, start: int, end: int) -> list[tuple[int, int]]:
        """(retstart, retmax) of the batches from ``start`` to ``end``, within the --max budget."""
        budget = self._budget(end - start)
        plan = []
        while budget > 0:
            n = min(self.batch_size, budget)
            plan.append((start, n))
            start += n
            budget -= n
        return plan

    def _parse_batch(self, body: bytes) -> list[Document | Deletion]:
        """The records of an efetch answer; anything else (NCBI's HTTP-200 error body too) is a BadResponse."""
        head = body[:4096]
        if b"<eFetchResult" in head or (b"<ERROR>" in head and b"<PubmedArticleSet" not in head):
            raise _ErrorBody(_ncbi_errors(body))
        if b"<PubmedArticleSet" not in head:
            raise BadResponse("not a PubmedArticleSet")
        try:
            return list(parse_pubmed_xml(io.BytesIO(body), source_name=SOURCE))
        except InputFileError as exc:
            raise BadResponse(f"{exc.reason}{' at ' + exc.position if exc.position else ''}") from None

    def _parse_by_ids(self, body: bytes) -> list[Document | Deletion]:
        """Like :meth:`_parse_batch`, for a fetch by id list: NCBI's "no valid id" answer means no records."""
        try:
            return self._parse_batch(body)
        except _ErrorBody as exc:
            if _NO_IDS.search(str(exc)):
                return []
            raise

    def _store_batch(self, items: list[Document | Deletion], summary: RefreshSummary,
                     save: Callable[[], None], advance: bool = True) -> None:
        """Upsert one batch and save the advanced cursor in the same transaction."""
        with self.store.transaction():
            for item in items:
                if isinstance(item, Deletion):
                    if self.store.mark_deleted(item.doc_id):
                        summary.deleted += 1
                    continue
                item.source = SOURCE
                summary.count(self.store.upsert(item))
            save()
        docs = sum(1 for i in items if isinstance(i, Document))
        summary.fetched += docs
        self._fetched_this_run += docs
        if advance:
            self.progress.advance(docs)

    def _fetch_history(self, search: SearchResult, retstart: int, n: int, what: str,
                       summary: RefreshSummary) -> tuple[list[Document | Deletion], list[str]]:
        """One batch from the history server, checked against the PMIDs esearch listed for it."""
        expected = search.ids[retstart: retstart + n]
        return self._fetch_exact(
            expected,
            lambda: self.client.efetch(self._parse_batch, webenv=search.webenv, query_key=search.query_key,
                                       retstart=retstart, retmax=n, what=what),
            what, summary,
        )

    def _fetch_exact(self, expected: list[str], fetch: Callable[[], list[Document | Deletion]], what: str,
                     summary: RefreshSummary) -> tuple[list[Document | Deletion], list[str]]:
        """The records of the ``expected`` PMIDs, each once, and the PMIDs still missing.

        ``fetch`` gets the batch; PMIDs it lacked are refetched by id (:data:`MISSING_REFETCHES`
        times).  Records repeated or not asked for are dropped with a warning: a batch can be
        short, empty, or miss one record while repeating another, so items are never counted.
        """
        wanted = {pmid_doc_id(p): p for p in expected}
        got: dict[str, Document] = {}
        deletions: list[Deletion] = []
        odd = {"twice": 0, "not asked for": 0}

        def take(items: list[Document | Deletion]) -> None:
            for item in items:
                if isinstance(item, Deletion):
                    deletions.append(item)
                elif item.doc_id not in wanted:
                    odd["not asked for"] += 1
                elif item.doc_id in got:
                    odd["twice"] += 1
                else:
                    got[item.doc_id] = item

        take(fetch())
        missing = [p for d, p in wanted.items() if d not in got]
        for _ in range(MISSING_REFETCHES):
            if not missing:
                break
            self.client.stats.retried("short_batch")
            take(self.client.efetch(self._parse_by_ids, ids=missing,
                                    what=f"{what} (refetch of {len(missing)} missing)"))
            missing = [p for d, p in wanted.items() if d not in got]
        if any(odd.values()):
            summary.warnings.append(
                f"{what}: NCBI returned " + " and ".join(f"{v} record(s) {k}" for k, v in odd.items() if v)
                + "; each record was stored once"
            )
        return [got[d] for d in wanted if d in got] + deletions, missing

    def _fetch_gaps(self, cursor: dict[str, Any], summary: RefreshSummary, save: Callable[[], None]) -> None:
        """Fetch the recorded gaps by id; those still missing stay in ``cursor["gaps"]`` (saved with the records)."""
        gaps = list(cursor.get("gaps") or [])
        for start in range(0, len(gaps), self.batch_size):
            chunk = gaps[start: start + self.batch_size]
            what = f"recorded gaps {start + 1}-{start + len(chunk)} of {len(gaps)}"
            items, missing = self._fetch_exact(
                chunk, lambda c=chunk, w=what: self.client.efetch(self._parse_by_ids, ids=c, what=w), what, summary
            )
            fetched = set(chunk) - set(missing)
            cursor["gaps"] = [p for p in cursor["gaps"] if p not in fetched]
            self._store_batch(items, summary, save)

    def _finish_stats(self, summary: RefreshSummary, before: tuple[int, int, dict[str, int]]) -> None:
        stats = self.client.stats
        summary.requests = stats.requests - before[0]
        summary.retries = stats.retries - before[1]
        summary.retry_reasons = {
            k: v - before[2].get(k, 0) for k, v in stats.by_reason.items() if v - before[2].get(k, 0)
        }

    def _snapshot(self) -> tuple[int, int, dict[str, int]]:
        s = self.client.stats
        return s.requests, s.retries, dict(s.by_reason)

    # ------------------------------------------------------------------ searches
    def refresh_term(self, name: str, term: str, since: date | None = None) -> RefreshSummary:
        """Refresh one search: full the first time, incremental afterwards, resuming an unfinished run.

        ``name`` keys the saved state (a named query, or ``term:<hash>`` for ad-hoc terms).
        """
        problem = check_term(term)
        if problem:
            raise MinerError(f"query '{name}': {problem}")
        state = self.store.get_query_state(name) or {}
        cursor = state.get("cursor")
        since_text = ncbi_date(since) if since else None
        summary = RefreshSummary(name=name)
        before = self._snapshot()
        same_term = bool(cursor) and cursor.get("term") == term
        searching = bool(cursor) and bool(cursor["pending"] or cursor["current"])
        if same_term and searching and (since_text is None or cursor.get("since") == since_text):
            summary.resumed = True
        else:
            # Gaps of the same search are carried into the new run.  A run whose searches all
            # finished but left gaps covered everything entered up to its run date: the new run
            # searches only what came since, so a record PubMed lists but never serves cannot
            # hold the query back, and is still retried every run until it arrives.
            carried = list(cursor.get("gaps") or []) if same_term else []
            if same_term and not searching and since_text is None:
                since_text = cursor["run_date"]
            elif cursor and (searching or not same_term):
                summary.warnings.append("discarded an unfinished run of a different term/--since")
            if since_text is None and state.get("last_success") and state.get("term") == term:
                since_text = state["last_success"]
            elif since_text is None and state.get("last_success"):
                summary.warnings.append("the query term changed since the last refresh: doing a full refresh")
            run_date = ncbi_date(self.today)
            if since_text is None:
                pending = [_slice(None)]
            else:
                lo = parse_date(since_text)
                # Revised records, minus those just entered (the edat pass fetches them already).
                revised = {**_slice("mdat", lo, self.today), "not_entered": [ncbi_date(lo), run_date]}
                pending = [_slice("edat", lo, self.today), revised]
            cursor = {"term": term, "since": since_text, "run_date": run_date, "pending": pending, "current": None,
                      "gaps": carried}
        summary.mode = "incremental" if cursor["since"] else "full"
        summary.since = cursor["since"]

        def save() -> None:
            self.store.set_query_state(name, {**state, "cursor": cursor})

        with self.store.transaction():
            save()
        search: SearchResult | None = None
        where = "the initial search"
        try:
            while True:
                current = cursor["current"]
                if self._budget(1) == 0:
                    break  # --max reached: the cursor is saved, the next run continues
                if current is None:
                    if not cursor["pending"]:
                        break
                    piece = cursor["pending"][0]
                    where = f"search of {describe_slice(piece)}"
                    search = self._search(term, piece, where)
                    halves = split_slice(piece) if search.count > self.limit else None
                    cursor["pending"] = (halves or []) + cursor["pending"][1:]
                    if halves:
                        with self.store.transaction():
                            save()
                        continue
                    if search.count > self.limit:
                        summary.warnings.append(
                            f"{describe_slice(piece)}: {search.count} records on one day; PubMed serves only "
                            f"the first {self.limit}"
                        )
                    summary.slices += 1 if search.count else 0
                    summary.matched += search.count
                    self.progress.add_total(min(search.count, self.limit))
                    cursor["current"] = {"slice": piece, "count": search.count, "retstart": 0}
                    with self.store.transaction():
                        save()
                else:
                    piece = current["slice"]
                    where = f"search of {describe_slice(piece)} (resuming)"
                    search = self._search(term, piece, where)
                    if search.count != current["count"]:
                        # The slice changed on the server since the interruption: offsets are no
                        # longer meaningful, so fetch it again from the start (upserts are idempotent).
                        summary.warnings.append(
                            f"{describe_slice(piece)} changed from {current['count']} to {search.count} records "
                            "since the interrupted run; refetched it from the start"
                        )
                        halves = split_slice(piece) if search.count > self.limit else None
                        if halves:
                            cursor["pending"] = halves + cursor["pending"]
                            cursor["current"] = None
                            with self.store.transaction():
                                save()
                            continue
                        current.update(count=search.count, retstart=0)
                    summary.slices += 1 if search.count else 0
                    summary.matched += search.count
                    self.progress.add_total(max(0, min(search.count, self.limit) - current["retstart"]))
                current = cursor["current"]
                end = min(current["count"], self.limit)
                plan = self._plan(current["retstart"], end)
                label = f"of {current['count']} ({describe_slice(current['slice'])})"
                ahead: _Background | None = None
                for k, (start, n) in enumerate(plan):
                    where = f"batch {start + 1}-{start + n} {label}"
                    if ahead is None:
                        ahead = _Background(self._fetch_history, search, start, n, where, summary)
                    items, missing = ahead.result()
                    ahead = None
                    if k + 1 < len(plan):  # fetch the next batch while this one is stored
                        s2, n2 = plan[k + 1]
                        ahead = _Background(self._fetch_history, search, s2, n2, f"batch {s2 + 1}-{s2 + n2} {label}",
                                            summary)
                    current["retstart"] = start + n
                    cursor["gaps"] = cursor.get("gaps", []) + missing  # saved with the batch
                    self._store_batch(items, summary, save)
                if current["retstart"] < end:
                    break  # stopped by --max
                cursor["current"] = None
                with self.store.transaction():
                    save()
            if not cursor["pending"] and cursor["current"] is None and cursor.get("gaps"):
                where = "the refetch of recorded gaps"
                self._fetch_gaps(cursor, summary, save)
        except EntrezError as exc:
            self._finish_stats(summary, before)
            raise MinerError(
                f"refresh of '{name}' stopped at {where}: {exc}. Progress is saved "
                f"({summary.fetched} records this run); run the same command again to resume."
            ) from None
        self._finish_stats(summary, before)
        summary.gaps = list(cursor.get("gaps") or [])
        if cursor["current"] is not None or cursor["pending"] or summary.gaps:
            return summary  # --max reached before the end, or records still missing: the cursor stays
        summary.complete = True
        final = {k: v for k, v in state.items() if k not in ("cursor", "updated")}
        final.update(
            term=term, last_success=cursor["run_date"], cursor=None,
            last_run={"mode": summary.mode, "since": summary.since, "matched": summary.matched,
                      "fetched": summary.fetched, "inserted": summary.inserted, "updated": summary.updated},
        )
        with self.store.transaction():
            self.store.set_query_state(name, final)
        return summary

    def _search(self, term: str, piece: dict[str, Any], what: str) -> SearchResult:
        """esearch of one slice, on the history server and with its PMIDs (each batch is checked against them)."""
        if piece.get("not_entered"):
            lo, hi = piece["not_entered"]
            term = f'({term}) NOT ("{lo}"[EDAT] : "{hi}"[EDAT])'
        return self._listed(self.client.esearch(
            term, usehistory=True, retmax=self.limit, datetype=piece["datetype"],
            mindate=piece["mindate"], maxdate=piece["maxdate"], what=what,
        ), what)

    def _listed(self, search: SearchResult, what: str) -> SearchResult:
        """``search``, if it lists every PMID it counts (up to the paging limit): batches are checked against them."""
        if len(search.ids) < min(search.count, self.limit):
            raise EntrezError(f"{what}: esearch counted {search.count} records but listed {len(search.ids)}",
                              endpoint="esearch")
        return search

    # ------------------------------------------------------------------ id lists
    def fetch_pmids(self, pmids: list[str], name: str | None = None) -> RefreshSummary:
        """Fetch the given PMIDs (epost + efetch per batch), resuming an unfinished run of the same list."""
        ids = list(dict.fromkeys(p.lstrip("0") for p in pmids))
        name = name or f"pmids:{_digest(ids)}"
        summary = RefreshSummary(name=name, mode="pmids", matched=len(ids))
        before = self._snapshot()
        state = self.store.get_query_state(name) or {}
        cursor = state.get("cursor")
        if cursor and cursor.get("ids") == _digest(ids):
            summary.resumed = True
        else:
            cursor = {"ids": _digest(ids), "next": 0, "not_found": []}

        def save() -> None:
            self.store.set_query_state(name, {**state, "cursor": cursor})

        batches = [ids[i: i + self.batch_size] for i in range(0, len(ids), self.batch_size)]
        self.progress.add_total(sum(len(b) for b in batches[cursor["next"]:]))
        where = ""
        try:
            while cursor["next"] < len(batches):
                batch = batches[cursor["next"]][: self._budget(self.batch_size)]
                if not batch:
                    break
                where = f"PMID batch {cursor['next'] + 1}/{len(batches)}"
                posted = self.client.epost(batch, what=f"{where} (epost)")
                items, missing = self._fetch_exact(
                    batch,
                    lambda: self.client.efetch(self._parse_batch, webenv=posted.webenv, query_key=posted.query_key,
                                               retstart=0, retmax=len(batch), what=f"{where} (efetch)"),
                    where, summary,
                )  # still missing after the refetches by id: PubMed has no such record
                full = len(batch) == len(batches[cursor["next"]])
                if full:
                    cursor["next"] += 1
                    cursor["not_found"] = cursor["not_found"] + missing
                else:  # --max cut this batch: save nothing as done, the next run refetches it whole
                    pass
                self._store_batch(items, summary, save)
                if not full:
                    break
        except EntrezError as exc:
            self._finish_stats(summary, before)
            raise MinerError(
                f"fetch of {name} stopped at {where}: {exc}. Progress is saved; run the same command again to resume."
            ) from None
        summary.not_found = list(cursor["not_found"])
        summary.complete = cursor["next"] >= len(batches)
        self._finish_stats(summary, before)
        if summary.complete:
            with self.store.transaction():
                self.store.set_query_state(name, {"last_success": ncbi_date(self.today), "cursor": None,
                                                  "not_found": summary.not_found[:1000]})
        return summary

    def fetch_dois(self, dois: list[str], name: str | None = None) -> tuple[RefreshSummary, dict[str, list[str]]]:
        """Look up PMIDs for DOIs (``"doi"[doi]`` esearches) and fetch those records.

        Returns the summary and a DOI -> PMIDs mapping for the DOIs found in this run.
        """
        norm = list(dict.fromkeys(normalize_doi(d) for d in dois))
        name = name or f"dois:{_digest(norm)}"
        summary = RefreshSummary(name=name, mode="dois", matched=len(norm))
        before = self._snapshot()
        state = self.store.get_query_state(name) or {}
        cursor = state.get("cursor")
        if cursor and cursor.get("dois") == _digest(norm):
            summary.resumed = True
        else:
            cursor = {"dois": _digest(norm), "next": 0, "not_found": [], "gaps": []}

        def save() -> None:
            self.store.set_query_state(name, {**state, "cursor": cursor})

        chunks = [norm[i: i + DOI_CHUNK] for i in range(0, len(norm), DOI_CHUNK)]
        self.progress.add_total(sum(len(c) for c in chunks[cursor["next"]:]))
        mapping: dict[str, list[str]] = {}
        where = ""
        try:
            while cursor["next"] < len(chunks):
                chunk = chunks[cursor["next"]]
                where = f"DOI batch {cursor['next'] + 1}/{len(chunks)}"
                term = " OR ".join(f'"{d}"[doi]' for d in chunk)
                search = self._listed(self.client.esearch(term, usehistory=True, retmax=self.limit,
                                                          what=f"{where} (esearch)"), f"{where} (esearch)")
                items: list[Document | Deletion] = []
                gaps: list[str] = []
                for start in range(0, min(search.count, self.limit), self.batch_size):
                    n = min(self.batch_size, search.count - start)
                    got, absent = self._fetch_history(search, start, n, f"{where} (efetch)", summary)
                    items += got
                    gaps += absent
                wanted = set(chunk)
                for item in items:
                    if isinstance(item, Document) and item.doi and normalize_doi(item.doi) in wanted:
                        mapping.setdefault(normalize_doi(item.doi), []).append(item.pmid)
                missing = [d for d in chunk if d not in mapping]
                if self.max_records is not None and self._fetched_this_run + len(items) > self.max_records:
                    break  # --max: leave this chunk for the next run
                cursor["next"] += 1
                cursor["not_found"] = cursor["not_found"] + missing
                cursor["gaps"] = cursor.get("gaps", []) + gaps
                self._store_batch(items, summary, save, advance=False)
                self.progress.advance(len(chunk))
            if cursor["next"] >= len(chunks) and cursor.get("gaps"):
                where = "the refetch of recorded gaps"
                self._fetch_gaps(cursor, summary, save)
        except EntrezError as exc:
            self._finish_stats(summary, before)
            raise MinerError(
                f"DOI lookup {name} stopped at {where}: {exc}. Progress is saved; run the same command again to resume."
            ) from None
        summary.not_found = list(cursor["not_found"])
        summary.gaps = list(cursor.get("gaps") or [])
        summary.complete = cursor["next"] >= len(chunks) and not summary.gaps
        self._finish_stats(summary, before)
        if summary.complete:
            with self.store.transaction():
                self.store.set_query_state(name, {"last_success": ncbi_date(self.today), "cursor": None,
                                                  "not_found": summary.not_found[:1000]})
        return summary, mapping


class _Background:
    """One fetch running in a daemon thread, so the next batch downloads while this one is stored.

    A daemon thread (not an executor) so that Ctrl-C or a failure never waits for it: an
    unstored prefetched batch is simply fetched again by the next run.
    """

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        self._result: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(fn, args), daemon=True, name="efetch-ahead")
        self._thread.start()

    def _run(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        try:
            self._result = fn(*args)
        except BaseException as exc:  # handed to the caller by result()
            self._error = exc

    def result(self) -> Any:
        while self._thread.is_alive():
            self._thread.join(0.1)  # short joins keep Ctrl-C responsive
        if self._error is not None:
            raise self._error
        return self._result


def _digest(items: Iterable[str]) -> str:
    return hashlib.sha1("\n".join(items).encode("utf-8")).hexdigest()[:12]


def term_state_name(term: str) -> str:
    """The state key of an ad-hoc ``--term`` search."""
    return f"term:{_digest([' '.join(term.split())])}"


class _ErrorBody(BadResponse):
    """NCBI's HTTP-200 ``<eFetchResult><ERROR>`` answer (an expired WebEnv, a backend failure): no records."""


def _ncbi_errors(body: bytes) -> str:
    """The text of NCBI's ``<ERROR>`` elements (for messages), shortened."""
    found = [" ".join(m.decode("utf-8", "replace").split()) for m in re.findall(rb"<ERROR>(.*?)</ERROR>", body, re.S)]
    text = "; ".join(f for f in found if f) or "an error answer without a message"
    return f"NCBI answered with an error: {text[:300]}"


def _shown(ids: list[str]) -> str:
    return ", ".join(ids[:10]) + (" ..." if len(ids) > 10 else "")
