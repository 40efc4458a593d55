"""Fuzz the corpus importers: seeded hostile inputs, each imported by a watched worker process.

The generator starts from small valid files of every format miner imports (PubMed XML,
MEDLINE text, PubTator, BioC XML and JSON; real records from ../shared when present) and
applies one to three seeded mutations: truncation (at a random byte or a line end), flipped,
inserted, deleted or repeated bytes, hostile tokens (NUL, bare CR, U+2028, lone-surrogate
escapes, ``1e309``, 30-digit and superscript numbers, rich markup), deep nesting, a 200 KB
token, swapped lines, UTF-16 re-encoding, gzip (whole or cut) and tar wrapping, and for JSON
a random node replaced by a value of the wrong type.

Each case is imported into a fresh store by ``import_paths`` in a worker process; the parent
kills and restarts the worker when a case runs longer than the hang limit.  The worker runs
under a 3 GB address-space limit so a runaway case cannot take the machine down.  Reported:
tracebacks (any exception other than miner's user errors), hangs, peak RSS, and errors that
do not name their file (or give no position).  Usage:

    python benchmarks/fuzz_import.py [--seed 15] [--cases 400] [--timeout 10] [--keep DIR]

``tests/test_corpus_fuzz.py`` runs a smaller seeded sample of the same generator.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import random
import re
import selectors
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("MINER_SHARED", REPO.parent / "shared")) / "data"
#: Address-space limit of the worker (bytes): a case that needs more fails instead of swapping the machine.
WORKER_MEMORY = 3 << 30

# ---------------------------------------------------------------------------- seeds


def _pubmed_seed() -> bytes:
    real = SHARED / "pubmed-eutils" / "biopython-entrez" / "pubmed2.xml"
    extra = (
        '<PubmedArticle><MedlineCitation><PMID Version="2">31000001</PMID><Article><ArticleTitle>Osimertinib '
        "after <i>gefitinib</i>: <b>KEAP1</b><sup>2</sup> <mml:math xmlns:mml='http://www.w3.org/1998/Math/MathML'>"
        "<mml:mi>V</mml:mi> <mml:mo>.</mml:mo></mml:math></ArticleTitle><Abstract><AbstractText Label=\"RESULTS\">"
        "Cross-resistance was seen.</AbstractText></Abstract></Article></MedlineCitation></PubmedArticle>\n"
        "<DeleteCitation><PMID Version=\"1\">31000002</PMID></DeleteCitation>\n"
    )
    if real.is_file():
        data = real.read_bytes()
        return data.replace(b"</PubmedArticleSet>", extra.encode() + b"</PubmedArticleSet>")
    return ('<?xml version="1.0"?>\n<PubmedArticleSet>\n' + extra + "</PubmedArticleSet>\n").encode()


def _medline_seed() -> bytes:
    real = SHARED / "pubmed-eutils" / "biopython-medline" / "pubmed_result2.txt"
    if real.is_file():
        return real.read_bytes()
    return b"PMID- 31000001\nTI  - Osimertinib after gefitinib.\nAB  - Cross-resistance\n      was seen.\nSO  - X.\n\n"


def _pubtator_seed() -> bytes:
    real = SHARED / "bc5cdr" / "CDR_DevelopmentSet.PubTator.txt.gz"
    if real.is_file():
        text = gzip.decompress(real.read_bytes()).decode("utf-8")
        return ("\n\n".join(text.split("\n\n")[:3]) + "\n\n").encode()
    return (b"7|t|Cisplatin nephrotoxicity\n7|a|Rats given cisplatin had acute renal failure.\n"
            b"7\t0\t9\tCisplatin\tChemical\tD1\n7\t36\t45\tcisplatin\tChemical\tD1\n7\tCID\tD1\tD2\n\n")


def _bioc_xml_seed() -> bytes:
    real = SHARED / "drugprot-partial" / "drugprot_dev_half.bioc.xml.gz"
    if real.is_file():
        text = gzip.decompress(real.read_bytes()).decode("utf-8")
        head, _, rest = text.partition("<document>")
        docs = rest.split("</document>")[:2]
        return (head + "".join(f"<document>{d}</document>" for d in docs) + "\n</collection>\n").encode()
    return (b'<?xml version="1.0"?><collection><source/><document><id>9</id><passage><infon key="type">title</infon>'
            b'<offset>0</offset><text>EGFR rules.</text><annotation id="1"><infon key="type">Gene</infon>'
            b'<location offset="0" length="4"/><text>EGFR</text></annotation></passage></document></collection>\n')


def _bioc_json_seed() -> bytes:
    title, abstract = "EGFR T790M confers resistance.", "Gefitinib failed in EGFR-mutant cells."
    collection = {"source": "PubTator", "documents": [{"id": "777", "passages": [
        {"offset": 0, "infons": {"type": "title"}, "text": title, "annotations": [
            {"id": "1", "infons": {"type": "Gene", "identifier": "1956"}, "text": "EGFR",
             "locations": [{"offset": 0, "length": 4}]}]},
        {"offset": 40, "infons": {"type": "abstract"}, "text": abstract, "annotations": [
            {"id": "2", "infons": {"type": "Chemical", "identifier": "MESH:D000077156"}, "text": "Gefitinib",
             "locations": [{"offset": 40, "length": 9}]}]}]}]}  # fmt: skip
    return json.dumps(collection, indent=1).encode()


SEEDS: dict[str, Callable[[], bytes]] = {
    "pubmed.xml": _pubmed_seed, "medline.txt": _medline_seed, "pubtator.txt": _pubtator_seed,
    "bioc.xml": _bioc_xml_seed, "bioc.json": _bioc_json_seed,
}

# ---------------------------------------------------------------------------- mutations

HOSTILE = [
    b"\x00", b"\r", "\u2028".encode(), "\u0085".encode(), b"\x0c", b"\x1c", b"\xff\xfe", b"\xed\xa0\x80", b"&#0;",
    b"&#xD800;", b"]]>", b"<!--", b"<", b">", b"&", b"&amp", b"\t", b"|", b"|t|", b"\\ud800", b"\\u0000", b"1e309",
    b"-1", b"99999999999999999999999999999", "\u00b9".encode(), "\uff11\uff12".encode(), b"[/s]", b"[d-Ala2]",
    b"[bold]", b"\xef\xbb\xbf", b"<!DOCTYPE x [<!ENTITY a 'b'>]>", b"<?pi x?>", b'"', b"{", b"}", b"[", b"]",
    b"PMID- 1\n", b"\n\n", b"      continued\n", "\U0001d400".encode(),
]
WEIRD_NUMBERS = [b"0", b"-1", b"1e309", b"1.5", b"99999999999999999999999", "\u00b9".encode(), "\uff11".encode(),
                 b"", b"00000000000000000000001", b"2147483648", b"9223372036854775808", b"NaN", b"x5"]


def truncate_byte(rng: random.Random, data: bytes, kind: str) -> bytes:
    return data[: rng.randrange(1, max(2, len(data)))]


def truncate_line(rng: random.Random, data: bytes, kind: str) -> bytes:
    ends = [m.end() for m in re.finditer(rb"\n", data)]
    return data[: rng.choice(ends[:-1] or [len(data)])]


def flip_bytes(rng: random.Random, data: bytes, kind: str) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 20)):
        buf[rng.randrange(len(buf))] = rng.randrange(256)
    return bytes(buf)


def insert_hostile(rng: random.Random, data: bytes, kind: str) -> bytes:
    for _ in range(rng.randint(1, 5)):
        at = rng.randrange(len(data) + 1)
        data = data[:at] + rng.choice(HOSTILE) + data[at:]
    return data


def delete_span(rng: random.Random, data: bytes, kind: str) -> bytes:
    a = rng.randrange(len(data))
    return data[:a] + data[a + rng.randint(1, 200):]


def repeat_span(rng: random.Random, data: bytes, kind: str) -> bytes:
    a = rng.randrange(len(data))
    b = min(len(data), a + rng.randint(1, 2000))
    return data[:b] + data[a:b] * rng.randint(1, 3) + data[b:]


def swap_lines(rng: random.Random, data: bytes, kind: str) -> bytes:
    lines = data.split(b"\n")
    if len(lines) > 2:
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    return b"\n".join(lines)


def weird_number(rng: random.Random, data: bytes, kind: str) -> bytes:
    runs = list(re.finditer(rb"[0-9]+", data))
    if not runs:
        return data
    m = rng.choice(runs)
    return data[: m.start()] + rng.choice(WEIRD_NUMBERS) + data[m.end():]


def deep_nesting(rng: random.Random, data: bytes, kind: str) -> bytes:
    depth = rng.choice([300, 1500, 3000, 100_000])
    if kind.endswith(".xml"):
        anchor = data.find(b"</ArticleTitle>") if b"</ArticleTitle>" in data else data.find(b"</text>")
        if anchor > 0:
            return data[:anchor] + b"<i>" * depth + b"deep" + b"</i>" * depth + data[anchor:]
    if kind.endswith(".json"):
        at = data.find(b'"text": ')
        if at > 0:
            return data[: at + 8] + b"[" * depth + b"]" * depth + b", " + data[at + 8:]
    at = data.find(b"\n")
    return data[:at] + b" " + b"(" * depth + data[at:]


def long_token(rng: random.Random, data: bytes, kind: str) -> bytes:
    at = rng.randrange(len(data) + 1)
    return data[:at] + rng.choice([b"A", b"-", b"(", b"\xc3\xa9"]) * 200_000 + data[at:]


def utf16(rng: random.Random, data: bytes, kind: str) -> bytes:
    text = data.decode("utf-8", "replace")
    if rng.random() < 0.5:
        text = text.replace('encoding="UTF-8"', 'encoding="UTF-16"').replace("encoding='utf-8'", "encoding='utf-16'")
    return text.encode(rng.choice(["utf-16", "utf-16-le", "utf-16-be"]))


def json_node(rng: random.Random, data: bytes, kind: str) -> bytes:
    try:
        tree = json.loads(data)
    except (ValueError, RecursionError):  # already damaged (or nested too deep to edit): leave it
        return data
    nodes: list[tuple[Any, Any]] = []  # (container, key)
    stack = [tree]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
        for key, value in items:
            nodes.append((node, key))
            stack.append(value)
    if not nodes:
        return data
    container, key = rng.choice(nodes)
    container[key] = rng.choice([
        None, True, 7, -3, 1.5, float("inf"), "", "x", "\ud800", "a\x00b", [], [5], {}, {"a": 1}, "[/s]", 10**30,
    ])
    return json.dumps(tree).encode("utf-8", "surrogatepass")


MUTATIONS: dict[str, Callable[[random.Random, bytes, str], bytes]] = {
    "truncbyte": truncate_byte, "truncline": truncate_line, "flip": flip_bytes, "hostile": insert_hostile,
    "delete": delete_span, "repeat": repeat_span, "swap": swap_lines, "number": weird_number,
    "nest": deep_nesting, "longtoken": long_token, "utf16": utf16, "jsonnode": json_node,
}


def _tar(data: bytes, name: str, rng: random.Random) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for member, content in ((f"dir/{name}", data), ("dir/README.md", b"# notes\n")):
            info = tarfile.TarInfo(member)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    out = gzip.compress(buf.getvalue(), mtime=0)  # mtime 0: the same seed gives the same bytes
    return out[: rng.randrange(20, len(out))] if rng.random() < 0.3 else out


def generate(seed: int, n: int, out_dir: Path) -> list[Path]:
    """``n`` fuzzed input files in ``out_dir``, the same for the same ``seed``."""
    rng = random.Random(seed)
    seeds = {name: make() for name, make in SEEDS.items()}
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        kind = rng.choice(sorted(seeds))
        data = seeds[kind]
        names = [m for m in MUTATIONS if m != "jsonnode" or kind.endswith(".json")]
        chosen = rng.sample(names, rng.choice([1, 1, 2, 3]))
        for name in chosen:
            data = MUTATIONS[name](rng, data, kind) or data
        wrapper = rng.random()
        suffix = kind
        if wrapper < 0.12:
            data = gzip.compress(data, mtime=0)
            if rng.random() < 0.4:
                data = data[: rng.randrange(10, len(data))]
            suffix += ".gz"
        elif wrapper < 0.18:
            data = _tar(data, kind, rng)
            suffix = kind.split(".")[0] + ".tar.gz"
        path = out_dir / f"case{i:04d}_{'+'.join(chosen)}_{suffix}"
        path.write_bytes(data)
        paths.append(path)
    return paths


# ---------------------------------------------------------------------------- running


@dataclass
class Outcome:
    path: str
    status: str  # ok | error | traceback | hang
    message: str = ""
    seconds: float = 0.0


@dataclass
class FuzzReport:
    outcomes: list[Outcome] = field(default_factory=list)
    peak_rss_mb: float = 0.0

    def of(self, status: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def tracebacks(self) -> list[Outcome]:
        return self.of("traceback")

    @property
    def hangs(self) -> list[Outcome]:
        return self.of("hang")

    def unclear_errors(self) -> list[Outcome]:
        """Errors that do not start with their file's path."""
        return [o for o in self.of("error") if not o.message.startswith(o.path)]

    def summary(self) -> str:
        errors = self.of("error")
        with_position = [o for o in errors if " at " in o.message.split(": ", 1)[0]]
        slowest = max((o.seconds for o in self.outcomes if o.status != "hang"), default=0.0)
        return (
            f"{len(self.outcomes)} cases: {len(self.of('ok'))} imported, {len(errors)} rejected with a message "
            f"({len(errors) - len(self.unclear_errors())} naming the file, {len(with_position)} with a position), "
            f"{len(self.tracebacks)} tracebacks, {len(self.hangs)} hangs; slowest {slowest:.1f} s; "
            f"peak RSS {self.peak_rss_mb:.0f} MB"
        )


def _worker() -> None:
    """Import each path read from stdin into a fresh store; one JSON line per event on stdout."""
    import resource
    import traceback

    resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY, WORKER_MEMORY))
    from miner.corpus import CorpusStore, import_paths
    from miner.errors import MinerError

    out = sys.stdout
    for line in sys.stdin:
        path = line.rstrip("\n")
        out.write(json.dumps({"start": path}) + "\n")
        out.flush()
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            try:
                with CorpusStore(Path(tmp) / "c.sqlite") as store:
                    report = import_paths(store, [path], progress=False)
                failed = report.failed
                status, message = ("error", failed[0].error) if failed else ("ok", "")
            except MinerError as exc:
                status, message = "error", str(exc)
            except BaseException as exc:  # noqa: BLE001 - exactly what the fuzzer is looking for
                frame = traceback.extract_tb(exc.__traceback__)[-1]
                status = "traceback"
                message = f"{type(exc).__name__}: {str(exc)[:200]} ({Path(frame.filename).name}:{frame.lineno})"
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        out.write(json.dumps({"path": path, "status": status, "message": message,
                              "seconds": time.perf_counter() - started, "rss_mb": rss}) + "\n")
        out.flush()


def run_cases(paths: list[Path], timeout: float = 10.0, python: str = sys.executable,
              env: dict[str, str] | None = None) -> FuzzReport:
    """Import every path in a watched worker; a case over ``timeout`` seconds is a hang (worker restarted)."""
    report = FuzzReport()
    pending = [str(p) for p in paths]
    while pending:
        proc = subprocess.Popen(
            [python, str(Path(__file__).resolve()), "--worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, env=env, cwd=REPO,
        )
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write("".join(p + "\n" for p in pending))
        proc.stdin.close()
        selector = selectors.DefaultSelector()
        selector.register(proc.stdout, selectors.EVENT_READ)
        current, since = None, time.monotonic()
        while True:
            if not selector.select(timeout=max(0.0, since + timeout - time.monotonic()) if current else timeout * 6):
                if current is None:
                    raise RuntimeError("fuzz worker did not start")
                proc.kill()
                report.outcomes.append(Outcome(current, "hang", f"still running after {timeout:g} s", timeout))
                pending = pending[pending.index(current) + 1:]
                break
            line = proc.stdout.readline()
            if not line:  # the worker died (a crash below Python, or the memory limit)
                if current is not None:
                    report.outcomes.append(Outcome(current, "traceback", f"worker died (exit {proc.wait()})"))
                    pending = pending[pending.index(current) + 1:]
                else:
                    pending = []
                break
            event = json.loads(line)
            if "start" in event:
                current, since = event["start"], time.monotonic()
                continue
            report.outcomes.append(Outcome(event["path"], event["status"], event["message"], event["seconds"]))
            report.peak_rss_mb = max(report.peak_rss_mb, event["rss_mb"])
            current = None
            if event["path"] == pending[-1]:
                pending = []
        proc.wait(30)
        selector.close()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds after which a case counts as a hang")
    parser.add_argument("--keep", type=Path, help="write the cases here (and keep them) instead of a temporary dir")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker()
        return
    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or Path(tmp)
        paths = generate(args.seed, args.cases, out)
        started = time.perf_counter()
        report = run_cases(paths, args.timeout)
        print(f"seed {args.seed}: {report.summary()} ({time.perf_counter() - started:.0f} s)")
        for o in report.tracebacks + report.hangs + report.unclear_errors():
            print(f"  {o.status}: {Path(o.path).name}: {o.message}")


if __name__ == "__main__":
    main()
