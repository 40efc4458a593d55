"""Reports of evaluation and reconciliation tables as Markdown, HTML or JSON (chosen by suffix).

Deterministic: the same tables always give byte-identical files (no timestamps, sorted
JSON keys), so reports can be diffed between extractor versions.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from miner.errors import MinerError

FORMATS = (".md", ".html", ".json")


def _cell(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value)
    if isinstance(value, float) and value != value:
        return ""
    if isinstance(value, float):
        value = f"{value:.4f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:.1f}"
    return str(value).replace("\n", " ")


def _markdown_table(df: pd.DataFrame) -> str:
    if df.empty:
        return "_none_\n"
    lines = ["| " + " | ".join(df.columns) + " |", "|" + "---|" * len(df.columns)]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v).replace("|", "\\|") for v in row) + " |")
    return "\n".join(lines) + "\n"


def _html_table(df: pd.DataFrame) -> str:
    if df.empty:
        return "<p><em>none</em></p>\n"
    head = "".join(f"<th>{html.escape(c)}</th>" for c in df.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>\n" for row in df.itertuples(index=False)
    )
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>\n"


def render(title: str, tables: dict[str, pd.DataFrame], fmt: str, meta: dict[str, Any] | None = None) -> str:
    """The report text for ``fmt`` (one of :data:`FORMATS`)."""
    meta = meta or {}
    if fmt == ".json":
        payload = {"title": title, **meta, **{name: json.loads(df.to_json(orient="records")) for name, df in tables.items()}}
        return json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if fmt == ".md":
        parts = [f"# {title}\n"] + [f"- {k}: {_cell(v)}" for k, v in meta.items()]
        for name, df in tables.items():
            parts.append(f"\n## {name.replace('_', ' ')} ({len(df)})\n\n{_markdown_table(df)}")
        return "\n".join(parts)
    if fmt == ".html":
        items = "".join(f"<li>{html.escape(k)}: {html.escape(_cell(v))}</li>" for k, v in meta.items())
        sections = "".join(
            f"<h2>{html.escape(name.replace('_', ' '))} ({len(df)})</h2>\n{_html_table(df)}" for name, df in tables.items()
        )
        style = "table{border-collapse:collapse;font:13px sans-serif}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}"
        return (
            f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{style}</style></head>\n<body><h1>{html.escape(title)}</h1><ul>{items}</ul>\n{sections}</body></html>\n"
        )
    raise MinerError(f"unknown report format {fmt!r}: use one of {', '.join(FORMATS)}")


def write_report(path: str | Path, title: str, tables: dict[str, pd.DataFrame], meta: dict[str, Any] | None = None) -> Path:
    """Write the report atomically; the format follows the file suffix."""
    path = Path(path)
    text = render(title, tables, path.suffix.lower(), meta)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path
