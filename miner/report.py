"""The HTML report for curators and clinicians: one self-contained file built from assembled statements.

Order follows the question a reader brings ("after X, will Y work?"): the cross-resistance
matrix first (prior agent x agent, coloured by the dominant effect, sized by evidence, each
cell linking to its statement), then each drug-sequence statement with its evidence cards,
single-drug resistance, the network of agents, curation, and the evaluation tables last
(long tables collapsed).  The page is rendered by a Jinja2 template with autoescape
(``miner/data/templates/report.html.j2``): everything from documents is escaped, links are
built only from validated PMIDs and DOIs, never from document text, and a Content Security
Policy forbids scripts and network fetches, so the file is safe to open offline.
"""

from __future__ import annotations

import math
import re
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from miner.assemble.display import EFFECT_WORDS, clean_display, segments
from miner.assemble.statements import Assembly, Evidence, Statement
from miner.export.common import atomic_file, decision_summary

EFFECT_COLORS = {
    "cross_resistance": "#c0392b",
    "reduced_efficacy": "#e67e22",
    "resistance": "#7f1d1d",
    "no_cross_resistance": "#2c7fb8",
    "collateral_sensitivity": "#27ae60",
}
KIND_COLORS = {"drug": "#374151", "class": "#7c3aed", "regimen": "#0f766e", "combination": "#0f766e", "name": "#9ca3af"}
#: Matrix size: the agents with the most evidence (the rest stay in the statement list).
MATRIX_ROWS, MATRIX_COLS = 20, 32
#: Statements listed in the open list (the rest sit in one collapsed group).
LISTED_STATEMENTS = 40
#: Evidence cards shown per statement before the rest collapse.
CARDS_SHOWN = 3
#: Tables longer than this are collapsed (<details>), e.g. the missed gold rows.
COLLAPSE_ROWS = 12
_PMID = re.compile(r"\d{1,9}")
_DOI = re.compile(r"10\.\d{4,9}/\S+")


# -- view models ------------------------------------------------------------------------------------


@dataclass
class Cell:
    statement_id: str
    effect: str
    colour: str
    size: int  # px
    sentences: int
    belief: float
    conflict: bool
    title: str


@dataclass
class Matrix:
    rows: list[tuple[str, str]]  # (agent key, label)
    cols: list[tuple[str, str]]
    cells: dict[tuple[str, str], Cell]
    hidden_pairs: int = 0


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]]
    collapsed: bool = False


@dataclass
class Network:
    width: int
    height: int
    nodes: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)


def pubmed_url(pmid: str) -> str:
    """A PubMed link for a well-formed PMID, else "" (links never come from document text)."""
    return f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if _PMID.fullmatch(pmid or "") else ""


def doi_url(doi: str) -> str:
    return "https://doi.org/" + urllib.parse.quote(doi, safe="/;:().-_") if _DOI.fullmatch(doi or "") else ""


def _dominant(statements: list[Statement]) -> Statement:
    """The statement that speaks for a pair: the effect with the most belief-weighted evidence."""
    weight: Counter[str] = Counter()
    for s in statements:
        weight[s.key.polarity] += s.belief * len(s.all_evidence)
    polarity = max(weight, key=lambda p: (weight[p], p == "negative"))
    return max((s for s in statements if s.key.polarity == polarity), key=lambda s: (s.belief, len(s.all_evidence)))


def build_matrix(assembly: Assembly, max_rows: int = MATRIX_ROWS, max_cols: int = MATRIX_COLS) -> Matrix:
    """Prior agent x agent over drug-sequence statements, the agents with most evidence first."""
    pairs = assembly.pairs()
    weight = {pair: (sum(len(s.evidence) for s in group), max(s.belief for s in group)) for pair, group in pairs.items()}
    rows: list[str] = []
    cols: list[str] = []
    # best supported pairs first: a pair enters when its row and column fit, so no row or column is empty
    for prior, agent in sorted(pairs, key=lambda p: (-weight[p][0], -weight[p][1], p)):
        new_rows = rows + ([prior] if prior not in rows else [])
        new_cols = cols + ([agent] if agent not in cols else [])
        if len(new_rows) <= max_rows and len(new_cols) <= max_cols:
            rows, cols = new_rows, new_cols
    row_weight: Counter[str] = Counter()
    col_weight: Counter[str] = Counter()
    for (prior, agent), (n, _) in weight.items():
        if prior in rows and agent in cols:
            row_weight[prior] += n
            col_weight[agent] += n
    order = lambda keys, c: sorted(keys, key=lambda k: (-c[k], assembly.labels.get(k, k).lower()))  # noqa: E731
    rows, cols = order(rows, row_weight), order(cols, col_weight)
    cells: dict[tuple[str, str], Cell] = {}
    hidden = 0
    for (prior, agent), group in pairs.items():
        if prior not in rows or agent not in cols:
            hidden += 1
            continue
        best = _dominant(group)
        sentences = sum(len(s.evidence) for s in group)
        conflict = len({s.key.polarity for s in group}) > 1
        cells[(prior, agent)] = Cell(
            statement_id=best.id, effect=best.effect, colour=EFFECT_COLORS.get(best.effect, "#555"),
            size=min(26, 9 + int(5 * math.log2(1 + sentences))), sentences=sentences, belief=best.belief,
            conflict=conflict,
            title=(f"{best.title}: {EFFECT_WORDS.get(best.effect, best.effect)}, {sentences} sentence(s), "
                   f"belief {best.belief:.2f}" + (" - conflicting evidence" if conflict else "")))
    label = lambda k: (k, assembly.labels.get(k, k))  # noqa: E731
    return Matrix([label(k) for k in rows], [label(k) for k in cols], cells, hidden)


def _kind(key: str, assembly: Assembly) -> str:
    parts = key.split("+")
    return "combination" if len(parts) > 1 else assembly.kinds.get(parts[0], "name")


#: Network drawing: px per sqrt(node) of a component, room kept for labels either side, gap between components.
NODE_UNIT, LABEL_ROOM, COMPONENT_GAP = 80.0, 160.0, 12.0


def packed_layout(graph: Any, width: float) -> tuple[dict[str, tuple[float, float]], float]:
    """Node positions in px and the drawing's height: each connected component laid out on its own
    (force-directed, seeded, so deterministic) and the components packed in rows, largest first.

    One force layout over the whole graph throws the many two-drug components to the rim and crams
    the large one into the middle, where its labels overlap; packing keeps every part readable.
    """
    import networkx as nx

    comps = sorted((sorted(c) for c in nx.connected_components(graph)), key=lambda c: (-len(c), c))
    boxes: list[tuple[dict[str, tuple[float, float]], float, float]] = []  # positions inside the box, w, h
    for comp in comps:
        n = len(comp)
        if n == 1:
            boxes.append(({comp[0]: (LABEL_ROOM, 18.0)}, 2 * LABEL_ROOM, 36.0))
            continue
        if n == 2:
            span = 70.0
            boxes.append(({comp[0]: (LABEL_ROOM, 18.0), comp[1]: (LABEL_ROOM + span, 18.0)}, 2 * LABEL_ROOM + span, 36.0))
            continue
        raw = nx.spring_layout(graph.subgraph(comp), k=1.6 / math.sqrt(n), iterations=200, seed=7)
        xs, ys = [p[0] for p in raw.values()], [p[1] for p in raw.values()]
        side = min(NODE_UNIT * math.sqrt(n), width - 2 * LABEL_ROOM)
        span_x, span_y = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0
        # fill a square, but stretch an elongated layout by at most 2x (chains stay chains, clusters open up)
        sx, sy = side / span_x, side / span_y
        sx, sy = min(sx, 2 * sy), min(sy, 2 * sx)
        pos = {k: (LABEL_ROOM + (x - min(xs)) * sx, 24.0 + (y - min(ys)) * sy) for k, (x, y) in raw.items()}
        boxes.append((pos, 2 * LABEL_ROOM + span_x * sx, 48.0 + span_y * sy))
    placed: dict[str, tuple[float, float]] = {}
    x = y = row_h = 0.0
    for pos, w, h in boxes:
        if x > 0 and x + w > width:
            x, y, row_h = 0.0, y + row_h + COMPONENT_GAP, 0.0
        for k, (px, py) in pos.items():
            placed[k] = (x + px, y + py)
        x += w + COMPONENT_GAP
        row_h = max(row_h, h)
    return placed, y + row_h


def build_network(assembly: Assembly, width: int = 1280) -> Network:
    """Every agent of a drug-sequence statement as a node, one edge per pair (see :func:`packed_layout`)."""
    import networkx as nx

    pairs = assembly.pairs()
    net = Network(width, 0)
    if not pairs:
        return net
    graph = nx.Graph()
    for prior, agent in pairs:
        graph.add_edge(prior, agent) if prior != agent else graph.add_node(prior)
    pos, height = packed_layout(graph, width)
    net.height = int(math.ceil(height)) + 4
    # a label goes to the side of its node away from the component's other nodes
    side: dict[str, int] = {}
    for comp in nx.connected_components(graph):
        centre = sum(pos[k][0] for k in comp) / len(comp)
        for k in comp:
            side[k] = -1 if pos[k][0] < centre or (len(comp) == 1) else 1
    place = pos.__getitem__

    degree: Counter[str] = Counter()
    for (prior, agent), group in pairs.items():
        sentences = sum(len(s.evidence) for s in group)
        degree[prior] += sentences
        degree[agent] += sentences
    radius = {key: 4 + min(degree[key], 8) for key in graph.nodes}
    for (prior, agent), group in pairs.items():
        if prior == agent:
            continue
        best = _dominant(group)
        sentences = sum(len(s.evidence) for s in group)
        (x1, y1), (x2, y2) = place(prior), place(agent)
        length = math.hypot(x2 - x1, y2 - y1) or 1.0
        shorten = min(radius[agent] + 2, length / 2)  # the arrow head ends at the node's rim
        x2, y2 = x2 - (x2 - x1) * shorten / length, y2 - (y2 - y1) * shorten / length
        net.edges.append({
            "x1": round(x1, 1), "y1": round(y1, 1), "x2": round(x2, 1), "y2": round(y2, 1),
            "effect": best.effect, "colour": EFFECT_COLORS.get(best.effect, "#555"),
            "width": round(min(1.5 + sentences, 6.0), 1), "within_class": bool(best.within_class),
            "statement_id": best.id,
            "title": f"{best.title}: {EFFECT_WORDS.get(best.effect, best.effect)} ({sentences} sentence(s))"
                     + (f", within {best.within_class}" if best.within_class else ""),
        })
    for key in sorted(graph.nodes, key=lambda k: assembly.labels.get(k, k).lower()):
        x, y = place(key)
        label = assembly.labels.get(key, key)
        net.nodes.append({
            "x": round(x, 1), "y": round(y, 1), "r": radius[key], "label": label,
            "short": label if len(label) <= 26 else label[:24] + "\u2026",
            "colour": KIND_COLORS[_kind(key, assembly)], "kind": _kind(key, assembly),
            "anchor": "end" if side[key] < 0 else "start", "dx": side[key] * (radius[key] + 4),
        })
    return net


def _card(ev: Evidence) -> dict[str, Any]:
    f = ev.finding
    doc = ev.doc
    text = doc.text if doc is not None else ""
    pieces = segments(text, f.offsets.get("sentence"), f.offsets, f.sentence or f.evidence_quote)
    source = f"PMID {ev.pmid}" if ev.pmid else f.doc_id.removeprefix("text:").replace("_", " ")
    corrected = []
    if ev.original is not None:
        for k, v in ev.corrected.items():
            if k != "offsets":  # where the corrected words are; the card highlights them
                corrected.append(f"{k}: {getattr(ev.original, k, '')!s} \u2192 {v!s}")
    return {
        "id": f.id, "pieces": pieces, "source": source, "url": pubmed_url(ev.pmid) or (doi_url(doc.doi) if doc else ""),
        "title": clean_display(doc.title) if doc is not None and doc.title and not f.doc_id.startswith("text:") else "",
        "year": doc.year if doc is not None else None, "rule": f.rule or "-", "confidence": f.confidence,
        "level": f.evidence_level.replace("_", " "), "hedged": f.hedged, "negated": f.negated,
        "effect": EFFECT_WORDS.get(f.effect, f.effect), "decision": ev.decision, "curator": ev.curator,
        "corrected": corrected, "reverse": ev.reverse, "also": len(ev.also), "status": f.status,
        "gold_ids": list(f.gold_ids), "reason": f.reason,  # what the reconciliation label rests on
        "probability": ev.probability,
    }


def _statement_view(s: Statement, assembly: Assembly) -> dict[str, Any]:
    conflicts = [c for c in (assembly.get(k) for k in s.conflicts) if c is not None]
    return {
        "id": s.id, "title": s.title, "prior": s.prior_label, "agent": s.agent_label, "effect": s.effect,
        "effect_words": EFFECT_WORDS.get(s.effect, s.effect), "colour": EFFECT_COLORS.get(s.effect, "#555"),
        "belief": s.belief, "genes": list(s.key.genes), "mechanisms": s.mechanisms[:4],
        "mechanism_types": [t.replace("_", " ") for t in s.mechanism_types],
        "sentences": len(s.evidence), "documents": len(s.documents),
        "levels": ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in s.level_counts.items()),
        "within_class": s.within_class, "class_level": s.class_level,
        "supporting": [{"id": x.id, "title": x.title} for x in s.supporting[:12]], "n_supporting": len(s.supporting),
        "conflicts": [{"id": c.id, "effect": EFFECT_WORDS.get(c.effect, c.effect), "sentences": len(c.evidence),
                       "belief": c.belief} for c in conflicts],
        "gold_agree": [{"id": g.finding.id, "independent": g.independent, "exact": g.exact} for g in s.gold_agree],
        "gold_conflict": [{"id": g.finding.id, "independent": g.independent, "exact": g.exact} for g in s.gold_conflict],
        "decisions": s.decisions,
        "cards": [_card(ev) for ev in s.evidence],
    }


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "" if value != value else f"{value:.3f}"
    if isinstance(value, (list, tuple, set)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return "" if value is None else str(value)


def frame_table(title: str, df: pd.DataFrame | None, collapse_rows: int = COLLAPSE_ROWS) -> Table:
    """A DataFrame as strings for the template (which escapes them); long tables come collapsed."""
    if df is None or df.empty:
        return Table(title, [], [])
    rows = [[_cell(v) for v in row] for row in df.itertuples(index=False, name=None)]
    return Table(title, [str(c) for c in df.columns], rows, collapsed=len(rows) > collapse_rows)


def _curation(assembly: Assembly) -> dict[str, Any]:
    """Latest decision per finding (what curators decided, visible next to the evidence they judged)."""
    counts = Counter(d["decision"] for d in assembly.decisions.values())
    rows = []
    for fid, d in sorted(assembly.decisions.items(), key=lambda kv: kv[1].get("time", ""), reverse=True):
        shown = decision_summary(d)  # the same wording as the exports' latest_* columns
        rows.append([fid, shown["latest_decision"], shown["latest_correction"], shown["latest_curator"],
                     d.get("note", ""), shown["latest_decision_time"]])
    table = Table("Latest decision per finding", ["finding", "decision", "corrected", "curator", "note", "time"], rows,
                  collapsed=len(rows) > COLLAPSE_ROWS)
    rejected = [[f.id, f.prior_drug or "-", f.drug, EFFECT_WORDS.get(f.effect, f.effect), f.doc_id] for f in assembly.rejected]
    return {"counts": dict(counts), "table": table,
            "rejected": Table("Rejected findings (not evidence)", ["finding", "prior drug", "drug", "effect", "document"],
                              rejected, collapsed=True)}


@lru_cache(maxsize=1)
def _template() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("miner", "data/templates"),
        autoescape=True,  # every value is escaped unless the template says otherwise (it never does)
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("report.html.j2")


def render_report(assembly: Assembly, tables: Mapping[str, pd.DataFrame | None] | None = None, *,
                  title: str = "miner report", generated: str | None = None,
                  listed: int = LISTED_STATEMENTS) -> str:
    """The report as one HTML string (see the module docstring for its order)."""
    sequential = [s for s in assembly.statements if s.sequential]
    single = [s for s in assembly.statements if not s.sequential]
    status = Counter(ev.finding.status or "unlabelled" for s in assembly.statements for ev in s.evidence if not ev.reverse)
    docs = {ev.doc_id for s in assembly.statements for ev in s.evidence}
    context = {
        "title": title,
        "generated": generated or datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "summary": {"findings": assembly.n_findings, "statements": len(assembly.statements),
                    "sequences": len(sequential), "documents": len(docs),
                    "pmids": len({d for d in docs if d.startswith("pmid:")}),
                    "conflicts": sum(1 for s in sequential if s.conflicts), "decisions": len(assembly.decisions)},
        "matrix": build_matrix(assembly),
        "effects": [(EFFECT_WORDS[e], c) for e, c in EFFECT_COLORS.items() if e != "resistance"],
        "arrow_colours": list(EFFECT_COLORS.items()),
        "kinds": [(k, c) for k, c in KIND_COLORS.items() if k != "combination"],
        "listed": [_statement_view(s, assembly) for s in sequential[:listed]],
        "more": [_statement_view(s, assembly) for s in sequential[listed:]],
        "single": [_statement_view(s, assembly) for s in single],
        "network": build_network(assembly),
        "curation": _curation(assembly),
        "status": sorted(status.items()),
        "tables": [frame_table(name, df) for name, df in (tables or {}).items()],
        "cards_shown": CARDS_SHOWN,
    }
    return _template().render(**context)


def build_report(assembly: Assembly, out: Path, tables: Mapping[str, pd.DataFrame | None] | None = None, *,
                 force: bool = False, title: str = "miner report") -> Path:
    """Write the report (atomically; an existing file only with ``force``)."""
    page = render_report(assembly, tables, title=title)
    with atomic_file(Path(out), force) as fh:
        fh.write(page)
    return Path(out)

