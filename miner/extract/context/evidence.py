"""The evidence level of a statement, from the categories of the evidence cues around it ("cell lines" -> in_vitro,
"xenografts" -> in_vivo, "patients" -> clinical); one reading for the sentence reader and the table reader."""

from __future__ import annotations


def evidence_level(categories: set[str]) -> str:
    """One category as it is; clinical with real-world data is real-world; any other mix is "mixed"."""
    if not categories:
        return "unknown"
    if len(categories) == 1:
        return next(iter(categories))
    if categories == {"clinical", "real_world"}:
        return "real_world"
    return "mixed"
