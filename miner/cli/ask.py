"""`miner ask`: what the corpus says about a drug after another (assembled statements with evidence)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer
from rich.console import Console

from miner.cli.common import existing_store
from miner.config import GOLD_DIR
from miner.errors import MinerError

if TYPE_CHECKING:  # imported lazily at run time, so that `miner --help` stays fast
    from miner.assemble import Answer

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)



def _source(row: dict[str, Any]) -> str:
    where = f"PMID {row['pmid']}" if row.get("pmid") else str(row["doc_id"])
    year = row.get("year")
    return f"{where} ({int(year)})" if isinstance(year, (int, float)) and year == year else where


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items())


def _print_answer(answer: "Answer", evidence_per_statement: int) -> None:
    """The answer as plain text: one numbered block per statement, its best evidence sentences below."""
    from miner.assemble.display import EFFECT_WORDS

    title = answer.question[0].upper() + answer.question[1:]
    agents = [a for a in (answer.after, answer.drug) if a is not None]
    ids = "; ".join(f"{a.label} = {', '.join(a.ids)}" for a in agents)
    if answer.message:
        console.print(f"{title} ({ids}): {answer.message}", markup=False)
        return
    n = len(answer.statements)
    named = "them" if len(agents) > 1 else "it"
    console.print(f"{title} ({ids}): {n} statement{'s' * (n != 1)}, those naming {named} first, then class-level "
                  "ones; best supported first.\n", markup=False)
    evidence = answer.evidence
    by_id = {s.id: s for s in answer.statements}
    for i, row in enumerate(answer.frame.to_dict(orient="records"), 1):
        s = by_id[row["statement_id"]]
        match = [f"{side} {m}" for side, m in (("prior", row["match_prior"]), ("drug", row["match_drug"]))
                 if m and m != "exact"]
        head = f"{i:>2}. {s.title}: {EFFECT_WORDS.get(row['effect'], row['effect'])}, belief {row['belief']:.2f}"
        head += f"  [{'; '.join(match)}]" if match else ""
        lines = [head]
        if row["mechanisms"] or row["genes"]:
            genes = f" (genes {', '.join(row['genes'])})" if row["genes"] else ""
            lines.append(f"    mechanism: {'; '.join(row['mechanisms']) or '-'}{genes}")
        docs = len(row["documents"])
        more = len(s.all_evidence) - len(s.evidence)
        lines.append(f"    evidence: {row['evidence']} sentence{'s' * (row['evidence'] != 1)} in {docs} document"
                     f"{'s' * (docs != 1)} ({_counts(row['levels'])})"
                     + (f", plus {more} from more specific statements" if more else ""))
        if s.within_class:
            lines.append(f"    within class: {s.within_class}")
        if s.conflicts:
            lines.append("    conflicting evidence: " + "; ".join(
                f"{EFFECT_WORDS.get(c.effect, c.effect)} ({len(c.evidence)} sentence{'s' * (len(c.evidence) != 1)}, belief {c.belief:.2f})"
                for c in (answer.assembly.get(k) for k in s.conflicts) if c is not None))
        for kind, links in (("agrees", s.gold_agree), ("disagrees", s.gold_conflict)):
            if links:
                shown = ", ".join(
                    g.finding.id + "".join(f" ({x})" for x in ("" if g.exact else "via class",
                                                               "" if g.independent else "its own review only") if x)
                    for g in links[:6])
                lines.append(f"    gold set {kind}: {shown}" + (f" and {len(links) - 6} more" if len(links) > 6 else ""))
        rows = evidence[evidence.statement_id == s.id].head(evidence_per_statement).to_dict(orient="records")
        for ev in rows:
            flags = [x for x in ("hedged" if ev["hedged"] else "", "negated" if ev["negated"] else "",
                                 f"curator: {ev['decision']}" if ev["decision"] else "") if x]
            meta = f"{_source(ev)}, {ev['evidence_level'].replace('_', ' ')}, {ev['rule'] or 'rule ?'} {ev['confidence']:.2f}"
            meta += f", {', '.join(flags)}" if flags else ""
            sentence = textwrap.shorten(ev["sentence"], 400, placeholder=" ...")
            lines.append(f"    - {meta}\n      \"{sentence}\"")
        if len(s.evidence) > evidence_per_statement:
            lines.append(f"    ({len(s.evidence) - evidence_per_statement} more sentence(s); --evidence N or --json shows them)")
        console.print("\n".join(lines) + "\n", markup=False)


def _as_json(answer: "Answer") -> str:
    statements = json.loads(answer.frame.to_json(orient="records"))
    evidence = json.loads(answer.evidence.to_json(orient="records"))
    for st in statements:
        st["evidence_sentences"] = [ev for ev in evidence if ev["statement_id"] == st["statement_id"]]
    agent = lambda a: None if a is None else {"written": a.written, "ids": list(a.ids), "label": a.label}  # noqa: E731
    return json.dumps({"question": answer.question, "after": agent(answer.after), "drug": agent(answer.drug),
                       "message": answer.message, "statements": statements}, ensure_ascii=False, indent=2)


def ask_command(
    ctx: typer.Context,
    after: Optional[str] = typer.Option(None, "--after", help="The drug, regimen or class the patient progressed on "
                                        "(name, abbreviation, brand or class, e.g. gefitinib, T-DM1, Iressa, 'EGFR TKIs').",
                                        show_default=False),
    drug: Optional[str] = typer.Option(None, "--drug", help="The drug about to be given; alone: what reduces its efficacy.",
                                       show_default=False),
    as_json: bool = typer.Option(False, "--json", help="Print the answer as JSON (statements with their evidence)."),
    evidence: int = typer.Option(3, "--evidence", min=0, help="Evidence sentences printed per statement."),
    gold_dir: Path = typer.Option(GOLD_DIR, "--gold", help="Gold set whose rows are shown as agreeing or disagreeing."),
) -> None:
    """What the corpus says about a drug sequence: statements assembled across documents, best supported first.

    Examples: `miner ask --after gefitinib`, `miner ask --after enzalutamide --drug cabazitaxel`,
    `miner ask --drug osimertinib`.
    """
    from miner.assemble import assemble_store, ask

    if not (after or drug):
        raise MinerError("ask about a prior drug (--after X), a drug (--drug Y) or both; see `miner ask --help`")
    with existing_store(ctx) as store:  # a damaged gold file must not keep the corpus from answering
        assembly = assemble_store(store, gold=gold_dir, on_gold_error=lambda msg: err_console.print(
            f"warning: {msg}", markup=False))
    answer = ask(assembly, after=after, drug=drug)
    if as_json:
        console.print(_as_json(answer), markup=False)
    else:
        _print_answer(answer, evidence)


def register(app: typer.Typer) -> None:
    app.command("ask")(ask_command)
