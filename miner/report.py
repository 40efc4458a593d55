"""The HTML report: evaluation tables, reconciliation counts, evidence and a network figure.

Everything that comes from documents (sentences, drug names) is escaped: tables via
``DataFrame.to_html(escape=True)``, evidence via displaCy's manual renderer (which
escapes its text), the SVG labels via :func:`html.escape`.  The network is drawn as a
self-contained SVG (circular layout), so the report is one file with no scripts.
"""

from __future__ import annotations

import html
import math
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Mapping

import pandas as pd

from miner.export.common import atomic_file
from miner.schema import EFFECTS, Finding

EFFECT_COLORS = {
    "cross_resistance": "#c0392b",
    "reduced_efficacy": "#e67e22",
    "resistance": "#7f1d1d",
    "no_cross_resistance": "#2c7fb8",
    "collateral_sensitivity": "#27ae60",
}
ROLE_COLORS = {"DRUG": "#f9c74f", "PRIOR_DRUG": "#90be6d", "MECHANISM": "#a0c4ff"}
CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;max-width:1200px;color:#222}
h1{margin-bottom:0} .meta{color:#666} table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}
th,td{border:1px solid #ddd;padding:.3rem .6rem;text-align:left} th{background:#f3f3f3}
.cards{display:flex;gap:1rem;flex-wrap:wrap} .card{border:1px solid #ddd;border-radius:8px;padding:.8rem 1.2rem;min-width:9rem}
.card b{display:block;font-size:1.6rem} .evidence{border-left:4px solid #ccc;margin:1rem 0;padding:.2rem 1rem}
.legend span{display:inline-block;margin-right:1rem} .swatch{display:inline-block;width:1rem;height:.6rem;margin-right:.3rem}
"""


def _table(df: pd.DataFrame | None, empty: str = "nothing to show") -> str:
    if df is None or df.empty:
        return f"<p class='meta'>{html.escape(empty)}</p>"
    return df.to_html(index=False, escape=True, float_format=lambda x: f"{x:.3f}", border=0)


def network_svg(findings: Iterable[Finding], max_nodes: int = 40, size: int = 720) -> str:
    """Prior drug -> drug edges coloured by effect, nodes on a circle (largest degree first)."""
    edges = Counter(
        (f.prior_drug.strip().lower(), f.drug.strip().lower(), f.effect)
        for f in findings if f.prior_drug.strip() and f.drug.strip()
    )
    degree: Counter[str] = Counter()
    for (a, b, _), n in edges.items():
        degree[a] += n
        degree[b] += n
    nodes = [name for name, _ in degree.most_common(max_nodes)]
    if not nodes:
        return "<p class='meta'>no drug-after-drug findings to draw</p>"
    centre, radius = size / 2, size / 2 - 110
    pos = {
        name: (centre + radius * math.cos(2 * math.pi * i / len(nodes)),
               centre + radius * math.sin(2 * math.pi * i / len(nodes)))
        for i, name in enumerate(nodes)
    }
    parts = [f'<svg id="network" xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 {size} {size}" role="img" aria-label="cross-resistance network">',
             "<defs>"]
    for effect, colour in EFFECT_COLORS.items():
        parts.append(f'<marker id="arrow-{effect}" viewBox="0 0 10 10" refX="18" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="{colour}"/></marker>')
    parts.append("</defs>")
    for (a, b, effect), n in sorted(edges.items()):
        if a in pos and b in pos and a != b:
            (x1, y1), (x2, y2) = pos[a], pos[b]
            parts.append(f'<line class="edge" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{EFFECT_COLORS[effect]}" stroke-width="{min(1.5 + n, 6):.1f}" stroke-opacity=".75" marker-end="url(#arrow-{effect})"><title>{html.escape(f"{a} -> {b}: {effect} ({n})")}</title></line>')
    for name, (x, y) in pos.items():
        anchor = "start" if x >= centre else "end"
        dx = 10 if x >= centre else -10
        parts.append(f'<circle class="node" cx="{x:.1f}" cy="{y:.1f}" r="{4 + min(degree[name], 8):.0f}" fill="#555"><title>{html.escape(name)}</title></circle>'
                     f'<text x="{x + dx:.1f}" y="{y + 4:.1f}" font-size="12" text-anchor="{anchor}">{html.escape(name[:40])}</text>')
    parts.append("</svg>")
    legend = "".join(f'<span><i class="swatch" style="background:{c}"></i>{html.escape(e)}</span>' for e, c in EFFECT_COLORS.items() if e != "resistance")
    return "".join(parts) + f'<p class="legend">{legend}</p>'


def evidence_html(findings: list[Finding], texts: Mapping[str, str], limit: int) -> str:
    """The evidence sentences with the finding's arguments highlighted by displaCy."""
    from spacy import displacy

    blocks = []
    for f in sorted(findings, key=lambda f: (-f.confidence, f.doc_id, f.id))[:limit]:
        sent = f.offsets.get("sentence")
        text = texts.get(f.doc_id, "")
        if sent and 0 <= sent[0] < sent[1] <= len(text):
            base, sentence = sent[0], text[sent[0]:sent[1]]
        else:
            base, sentence = None, f.sentence
        ents = []
        if base is not None:
            for role, label in (("drug", "DRUG"), ("prior_drug", "PRIOR_DRUG"), ("mechanism", "MECHANISM")):
                off = f.offsets.get(role)
                if off and base <= off[0] < off[1] <= base + len(sentence):
                    ents.append({"start": off[0] - base, "end": off[1] - base, "label": label})
            ents.sort(key=lambda e: e["start"])
            ents = [e for i, e in enumerate(ents) if i == 0 or e["start"] >= ents[i - 1]["end"]]
        rendered = displacy.render([{"text": sentence, "ents": ents}], style="ent", manual=True, page=False,
                                   options={"colors": ROLE_COLORS})
        head = (f"<b>{html.escape(f.prior_drug or '-')} &rarr; {html.escape(f.drug)}</b>: "
                f"{html.escape(f.effect)} <span class='meta'>({html.escape(f.doc_id)}, {html.escape(f.status or 'unlabelled')}, "
                f"confidence {f.confidence:.2f}, rule {html.escape(f.rule)})</span>")
        blocks.append(f"<div class='evidence'>{head}{rendered}</div>")
    return "".join(blocks) or "<p class='meta'>no findings</p>"


def build_report(findings: list[Finding], texts: Mapping[str, str], tables: Mapping[str, pd.DataFrame | None],
                 out: Path, *, force: bool = False, title: str = "miner report", max_evidence: int = 200) -> Path:
    """Write the report; ``tables`` maps section titles to DataFrames (evaluation, misses, ...)."""
    status = Counter(f.status or "unlabelled" for f in findings)
    effects = Counter(f.effect for f in findings)
    cards = [("findings", len(findings)), ("documents", len({f.doc_id for f in findings}))]
    cards += [(k, status[k]) for k in ("confirmed", "novel", "conflicting", "unlabelled") if status[k]]
    card_html = "".join(f"<div class='card'><b>{v}</b>{html.escape(k)}</div>" for k, v in cards)
    effect_df = pd.DataFrame([{"effect": e, "findings": effects[e]} for e in EFFECTS])
    status_df = pd.DataFrame([{"status": k, "findings": v} for k, v in sorted(status.items())])
    sections = [f"<h2>Reconciliation</h2>{_table(status_df)}{_table(effect_df)}"]
    for name, df in tables.items():
        sections.append(f"<h2>{html.escape(name)}</h2>{_table(df)}")
    sections.append(f"<h2>Cross-resistance network</h2>{network_svg(findings)}")
    sections.append(f"<h2>Evidence</h2><p class='meta'>Top {min(max_evidence, len(findings))} findings by confidence.</p>{evidence_html(findings, texts, max_evidence)}")
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    page = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{CSS}</style></head><body><h1>{html.escape(title)}</h1><p class='meta'>generated {now}</p>"
            f"<div class='cards' id='summary'>{card_html}</div>{''.join(sections)}</body></html>")
    with atomic_file(Path(out), force) as fh:
        fh.write(page)
    return Path(out)
