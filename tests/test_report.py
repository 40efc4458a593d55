"""The HTML report: structure, escaping, display cleaning, network, curation, and a real render in headless Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import zlib

import pandas as pd
import pytest
from evaluate_support import TinyLexicon

from miner.assemble import DocInfo, assemble, assemble_store
from miner.corpus.document import Document
from miner.corpus.store import CorpusStore
from miner.errors import MinerError
from miner.report import build_report, build_network, render_report
from miner.schema import Finding

LEX = TinyLexicon()
EVIL = ("Gefitinib-resistant <script>window.__pwned=1</script> cells ([Table 3](#page-7-0)) were cross-resistant to "
        "osimertinib via KEAP1 loss [click](javascript:window.__pwned=2) <img src=x onerror=\"window.__pwned=3\">.")
TEXTS = {
    "pmid:1": EVIL,
    "pmid:2": "Cabazitaxel retained activity after enzalutamide, with no cross-resistance between the two agents.",
    "pmid:3": "Enzalutamide-treated tumours were cross-resistant to cabazitaxel.",
    "pmid:4": "Afatinib and gefitinib were cross-resistant in both directions.",
    "pmid:5": "ARSIs reduced the activity of <b>cabazitaxel</b>.",
}


def _offsets(doc: str, **roles: str) -> dict[str, list[int]]:
    text = TEXTS[doc]
    out = {"sentence": [0, len(text)]}
    for role, word in roles.items():
        at = text.index(word)
        out[role] = [at, at + len(word)]
    return out


def _findings() -> list[Finding]:
    return [
        Finding(drug="osimertinib", prior_drug="Gefitinib", effect="cross_resistance", doc_id="pmid:1",
                offsets=_offsets("pmid:1", drug="osimertinib", prior_drug="Gefitinib", mechanism="KEAP1 loss"),
                mechanism="KEAP1 loss", mechanism_genes=["KEAP1"], confidence=0.9, rule="r1", status="confirmed",
                evidence_level="in_vitro"),
        Finding(drug="Cabazitaxel", prior_drug="enzalutamide", effect="no_cross_resistance", doc_id="pmid:2",
                offsets=_offsets("pmid:2", drug="Cabazitaxel", prior_drug="enzalutamide"), rule="r2",
                evidence_level="clinical", status="novel"),
        Finding(drug="cabazitaxel", prior_drug="Enzalutamide", effect="cross_resistance", doc_id="pmid:3",
                offsets=_offsets("pmid:3", drug="cabazitaxel", prior_drug="Enzalutamide"), rule="r3", status="conflicting"),
        Finding(drug="afatinib", prior_drug="gefitinib", effect="cross_resistance", doc_id="pmid:4",
                direction_bidirectional=True, offsets=_offsets("pmid:4", drug="Afatinib", prior_drug="gefitinib"), rule="r4"),
        Finding(drug="<b>cabazitaxel</b>", prior_drug="ARSIs", effect="reduced_efficacy", doc_id="pmid:5",
                offsets=_offsets("pmid:5", prior_drug="ARSIs"), rule="r5"),
        Finding(drug="docetaxel", effect="resistance", doc_id="pmid:3", sentence="Docetaxel resistance.", rule="r6"),
    ]


def _docs() -> dict[str, DocInfo]:
    return {d: DocInfo(d, pmid=d.split(":")[1], title=f"Title <i>{d}</i>", year=2020, text=t) for d, t in TEXTS.items()}


def _tables() -> dict[str, pd.DataFrame]:
    scores = pd.DataFrame([{"level": "pair", "precision": 0.5, "recall": 1.0, "f1": 0.667, "note": "<i>x</i>"}])
    misses = pd.DataFrame([{"gold_id": f"g000-{i:04d}", "drug": "x", "evidence": "<script>bad()</script>"} for i in range(30)])
    return {"Evaluation on the reviews": scores, "Missed gold findings": misses}


def _page(**kw) -> str:
    assembly = assemble(_findings(), lexicon=LEX, documents=_docs(), **kw)
    return render_report(assembly, _tables(), generated="2026-01-01 00:00 UTC")


def test_sections_come_in_reading_order_with_contents():
    page = _page()
    order = [page.index(f'<section id="{name}">') for name in
             ("matrix", "statements", "resistance", "network", "curation", "evaluation")]
    assert order == sorted(order)
    for name in ("matrix", "statements", "resistance", "network", "curation", "evaluation"):
        assert f'href="#{name}"' in page
    # every matrix cell and network edge links to a statement shown in the page
    links = re.findall(r'<td><a href="#(s[0-9a-f]{12})"', page)
    assert links and all(f'id="{sid}"' in page for sid in links)
    edges = re.findall(r'<a href="#(s[0-9a-f]{12})"><line class="edge', page)
    assert edges and all(f'id="{sid}"' in page for sid in edges)
    # the first statement is open, the long missed-gold table is collapsed, the short score table is not
    assert page.count('<details class="st" open>') == 1
    assert re.search(r'<details class="tbl"><summary>Missed gold findings \(30 rows\)', page)
    assert '<h3 class="meta">Evaluation on the reviews</h3>' in page and "Reconciliation" in page


def test_document_text_is_escaped_and_never_a_link():
    page = _page()
    assert "<script" not in page.lower() and "<img" not in page.lower() and "<b>cabazitaxel" not in page
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page and "&lt;b&gt;cabazitaxel&lt;/b&gt;" in page
    assert "<i>pmid" not in page and "<i>x</i>" not in page
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert hrefs and all(h.startswith("#") or h.startswith("https://pubmed.ncbi.nlm.nih.gov/") for h in hrefs), hrefs
    assert "default-src 'none'" in page  # a Content Security Policy forbids scripts and fetches anyway


def test_conversion_debris_is_cleaned_for_display_only():
    page = _page()
    assert "cells (Table 3) were" in page and "](#page" not in page
    assert "KEAP1 loss</mark> click &lt;img" in page  # a Markdown link keeps its text, never its target
    assert "<cite>Title pmid:1</cite>" in page  # titles lose inline markup too
    assert '<mark class="prior_drug">Gefitinib</mark>' in page and '<mark class="mechanism">KEAP1 loss</mark>' in page
    assert '<a href="https://pubmed.ncbi.nlm.nih.gov/1/" rel="noopener noreferrer">PMID 1</a> (2020)' in page


def test_statement_cards_show_conflicts_classes_and_evidence():
    page = _page()
    assert "conflicting evidence" in page
    assert re.search(r"enzalutamide \u2192 cabazitaxel</span> <span class=\"eff\"[^>]*>no cross-resistance", page)
    assert "androgen receptor signaling inhibitors \u2192 &lt;b&gt;cabazitaxel&lt;/b&gt;" in page
    assert "read in the other direction (bidirectional)" in page
    assert "<dt>Within class</dt><dd>EGFR tyrosine kinase inhibitors <span" in page


def test_network_draws_every_agent_with_within_class_edges():
    assembly = assemble(_findings(), lexicon=LEX, documents=_docs())
    net = build_network(assembly)
    agents = {side for s in assembly if s.sequential for side in s.key.pair}
    assert len(net.nodes) == len(agents) == 7  # an unknown name ("<b>cabazitaxel</b>") is a node too
    assert {n["label"] for n in net.nodes} >= {"gefitinib", "osimertinib", "afatinib", "cabazitaxel", "enzalutamide"}
    within = [e for e in net.edges if e["within_class"]]
    assert within and all(0 <= n["x"] <= net.width and 0 <= n["y"] <= net.height for n in net.nodes)
    page = render_report(assembly)
    assert page.count('<g class="node">') == 7 and 'class="edge within"' in page


def test_curator_decisions_are_visible_after_import(tmp_path):
    findings = _findings()
    with CorpusStore(tmp_path / "c.sqlite") as store:
        with store.transaction():
            for doc_id, text in TEXTS.items():
                store.upsert(Document(doc_id=doc_id, pmid=doc_id.split(":")[1], title="T", abstract=text, pub_year=2021))
        store.add_findings(findings, {"rules": "test"})
        store.add_decisions([
            {"finding_id": findings[0].id, "decision": "accepted", "curator": "alice"},
            {"finding_id": findings[2].id, "decision": "corrected", "corrected": {"effect": "no_cross_resistance"},
             "curator": "bob"},
            {"finding_id": findings[3].id, "decision": "rejected", "curator": "bob"},
        ])
        assembly = assemble_store(store, lexicon=LEX)
    page = render_report(assembly)
    assert "curator: accepted (alice)" in page and "curator: corrected (bob)" in page
    assert "corrected effect: cross_resistance \u2192 no_cross_resistance" in page
    assert "Rejected findings (not evidence)" in page and findings[3].id in page
    assert "gefitinib \u2192 afatinib" not in page  # its only evidence was rejected
    assert re.search(r"<div><b>1</b>accepted</div><div><b>1</b>corrected</div><div><b>1</b>rejected</div>", page)


def test_refuses_to_overwrite(tmp_path):
    assembly = assemble(_findings(), lexicon=LEX, documents=_docs())
    out = build_report(assembly, tmp_path / "r.html")
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    with pytest.raises(MinerError):
        build_report(assembly, tmp_path / "r.html")
    build_report(assembly, tmp_path / "r.html", force=True)


def test_empty_corpus_gives_a_readable_page():
    page = render_report(assemble([], lexicon=LEX))
    assert "No drug-after-drug statement in the corpus yet." in page and "No curator decision yet" in page


# -- headless Chromium -----------------------------------------------------------------------------------

HARNESS = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="page" src="REPORT" style="width:1400px;height:900px;border:0"></iframe>
<iframe id="jump" src="REPORT#TARGET" style="width:1400px;height:900px;border:0"></iframe>
<pre id="out">pending</pre>
<script>
var done = 0, result = {};
function measure(frame, name) {
  var d = frame.contentDocument, w = frame.contentWindow;
  var box = function (sel) { var e = d.querySelector(sel); if (!e) return null;
    var r = e.getBoundingClientRect(); return {top: r.top, width: r.width, height: r.height}; };
  result[name] = {height: d.documentElement.scrollHeight, matrix: box('#matrix table.matrix'),
    cells: d.querySelectorAll('#matrix .dot').length, card: box('details.st[open] .card .ev'),
    network: box('#network-svg'), nodes: d.querySelectorAll('#network-svg g.node').length,
    scripts: d.getElementsByTagName('script').length, pwned: w.__pwned || 0,
    target_open: (function () { var t = d.getElementById('TARGET'); return !!(t && t.closest('details').open); })()};
  if (++done == 2) document.getElementById('out').textContent = JSON.stringify(result);
}
document.getElementById('page').onload = function () { measure(this, 'page'); };
document.getElementById('jump').onload = function () { measure(this, 'jump'); };
</script></body></html>"""


def chromium_binary() -> str | None:
    """Chromium or Chrome if installed (``MINER_CHROMIUM`` names another binary)."""
    explicit = os.environ.get("MINER_CHROMIUM")
    if explicit:
        return explicit
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB/RGBA non-interlaced PNG into rows (enough for a screenshot)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6)
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, rows


def test_report_renders_in_headless_chromium(tmp_path):
    """Runs whenever Chromium is installed (CI installs Debian's `chromium`); a failing browser fails the test."""
    chromium = chromium_binary()
    if chromium is None:
        pytest.skip("Chromium is not installed (Debian package `chromium`; .ci/run installs it when apt is available)")
    assembly = assemble(_findings(), lexicon=LEX, documents=_docs())
    report = build_report(assembly, tmp_path / "report.html", _tables())
    target = assembly.statements[-1].id  # a statement whose card starts closed
    harness = tmp_path / "harness.html"
    harness.write_text(HARNESS.replace("REPORT", report.name).replace("TARGET", target), encoding="utf-8")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([chromium, *flags, "--allow-file-access-from-files", "--virtual-time-budget=10000",
                          "--dump-dom", harness.as_uri()], capture_output=True, text=True, timeout=180)
    assert dom.returncode == 0, dom.stderr[-2000:]
    found = re.search(r'<pre id="out">([^<]*)</pre>', dom.stdout)
    assert found and found.group(1) != "pending", dom.stdout[-2000:]
    result = json.loads(found.group(1).replace("&quot;", '"'))
    page = result["page"]
    assert page["matrix"] and page["matrix"]["top"] < 900 and page["matrix"]["height"] > 50  # on the first screen
    assert page["cells"] == 5  # gefitinib->osimertinib, gefitinib<->afatinib, enzalutamide->cabazitaxel, ARSIs->...
    assert page["card"] and page["card"]["height"] > 10  # the first statement's evidence is rendered
    assert page["network"] and page["network"]["width"] > 300 and page["network"]["height"] > 50 and page["nodes"] == 7
    assert page["scripts"] == 0 and page["pwned"] == 0  # nothing from document text runs
    assert result["jump"]["target_open"], "a link to a statement opens its card"
    shot = tmp_path / "shot.png"
    run = subprocess.run([chromium, *flags, f"--screenshot={shot}", "--window-size=1400,900", report.as_uri()],
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0 and shot.exists(), run.stderr[-2000:]
    width, height, rows = _png_pixels(shot.read_bytes())
    assert (width, height) == (1400, 900)
    distinct = {row[i:i + 3] for row in rows[::20] for i in range(0, len(row), 60)}
    assert len(distinct) > 5, "screenshot is blank"
