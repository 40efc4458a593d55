"""`miner rules list|check`: the extraction grammar's rules and a check of their own examples."""

from __future__ import annotations

from typing import List, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

console = Console()
rules_app = typer.Typer(
    help="The extraction grammar (miner/data/extract/grammar.yml): list its rules, check their examples.",
    no_args_is_help=True,
)


@rules_app.command("list")
def list_command() -> None:
    """One line per rule: name, effects, kind, confidence, number of examples and counter-examples."""
    from miner.extract.grammar import load_grammar

    grammar = load_grammar()
    table = Table(title=f"{len(grammar.rules)} rules (grammar {grammar.version}, {grammar.digest})",
                  title_justify="left")
    for col in ("rule", "effect", "kind", "conf.", "examples", "not", "comment"):
        table.add_column(col, overflow="fold")
    for r in grammar.rules:
        table.add_row(r.name, ", ".join(r.effects), r.kind, f"{r.confidence:.2f}", str(len(r.examples)),
                      str(len(r.counter_examples)), escape(r.comment))
    console.print(table)


@rules_app.command("check")
def check_command(
    rule: Optional[List[str]] = typer.Option(None, "--rule", help="Only these rules (repeatable).",
                                             show_default=False),
) -> None:
    """Run every rule's examples and counter-examples through the real pipeline; exit 1 on any failure."""
    from miner.extract.grammar import load_grammar
    from miner.extract.rulecheck import check_rules

    grammar = load_grammar()
    unknown = sorted(set(rule or []) - {r.name for r in grammar.rules})
    if unknown:
        console.print(f"[bold red]error:[/] no rule named {', '.join(unknown)} (see `miner rules list`)")
        raise typer.Exit(2)
    chosen = [r for r in grammar.rules if not rule or r.name in rule]
    n = sum(len(r.examples) + len(r.counter_examples) for r in chosen)
    with console.status(f"reading {n} example sentences of {len(chosen)} rules"):
        failures = check_rules(grammar, rules=rule or None)
    for f in failures:
        console.print(f"[bold red]FAIL[/] {f.rule}: {escape(f.sentence)}\n     {escape(f.reason)}")
    console.print(f"{len(chosen)} rules, {n} sentences: {len(failures)} failure(s)")
    if failures:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``miner rules`` to the main app."""
    app.add_typer(rules_app, name="rules")
