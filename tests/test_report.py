"""The HTML report: escaping, key elements, and a real render in headless Chromium."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pandas as pd
import pytest

from miner.report import build_report, network_svg
from miner.schema import Finding

TEXT = "Gefitinib-resistant <script>alert('x')</script> cells were cross-resistant to osimertinib via KEAP1 loss."


def _findings() -> list[Finding]:
    d = TEXT.index("osimertinib")
    m = TEXT.index("KEAP1 loss")
    return [
        Finding(drug="osimertinib", prior_drug="gefitinib", effect="cross_resistance", doc_id="pmid:1",
                offsets={"sentence": [0, len(TEXT)], "drug": [d, d + 11], "prior_drug": [0, 9],
                         "mechanism": [m, m + 10]}, status="confirmed", confidence=0.9, rule="r1"),
        Finding(drug="<b>cabazitaxel</b>", prior_drug="enzalutamide", effect="no_cross_resistance",
                doc_id="pmid:2", sentence="x", status="novel"),
        Finding(drug="docetaxel", prior_drug="enzalutamide", effect="collateral_sensitivity", doc_id="pmid:2",
                sentence="y", status="conflicting"),
    ]


def _report(tmp_path: Path) -> Path:
    scores = pd.DataFrame([{"level": "pair", "precision": 0.5, "recall": 1.0, "f1": 0.667, "note": "<i>x</i>"}])
    return build_report(_findings(), {"pmid:1": TEXT, "pmid:2": "x y"}, {"Evaluation": scores}, tmp_path / "r.html")


def test_report_escapes_document_text(tmp_path):
    page = _report(tmp_path).read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<b>cabazitaxel</b>" not in page and "&lt;b&gt;cabazitaxel" in page
    assert "<i>x</i>" not in page
    assert 'id="network"' in page and 'class="edge"' in page and "Evaluation" in page


def test_network_has_one_edge_per_pair_and_effect():
    svg = network_svg(_findings())
    assert svg.count('class="edge"') == 3 and svg.count('class="node"') == 5


def test_refuses_to_overwrite(tmp_path):
    _report(tmp_path)
    from miner.errors import MinerError

    with pytest.raises(MinerError):
        _report(tmp_path)


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
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.skip("Chromium is not installed (Debian package `chromium`; .ci/run installs it when apt is available)")
    report = _report(tmp_path)
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([chromium, *flags, "--dump-dom", report.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert 'id="network"' in dom.stdout and 'id="summary"' in dom.stdout and "<script>alert" not in dom.stdout
    shot = tmp_path / "shot.png"
    run = subprocess.run([chromium, *flags, f"--screenshot={shot}", "--window-size=1000,1400", report.as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and shot.exists(), run.stderr[-2000:]
    width, height, rows = _png_pixels(shot.read_bytes())
    assert (width, height) == (1000, 1400)
    distinct = {row[i:i + 3] for row in rows[::20] for i in range(0, len(row), 60)}
    assert len(distinct) > 5, "screenshot is blank"
