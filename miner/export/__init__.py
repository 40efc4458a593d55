"""Export findings for curation and read curated decisions back.

Public API::

    export_findings(findings, texts, fmt, out, force=False, bom=False, decisions=None) -> int
    read_decisions(path, encoding=None) -> list[dict]
    FORMATS

``out`` may be ``-`` (standard output) for every single-file format.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Callable, Iterable, Mapping

from miner.errors import MinerError
from miner.export.bioc_format import write_bioc
from miner.export.brat import write_brat
from miner.export.labelstudio import write_label_studio
from miner.export.pubtator import write_pubtator
from miner.export.parquet import write_parquet
from miner.export.tabular import write_jsonl, write_table
from miner.schema import Finding

Writer = Callable[..., int]

#: format name -> writer(findings, texts, out, force=..., decisions=...) returning a count.
FORMATS: dict[str, Writer] = {
    "csv": partial(write_table, delimiter=","),
    "tsv": partial(write_table, delimiter="\t"),
    "jsonl": write_jsonl,
    "label-studio": write_label_studio,
    "brat": write_brat,
    "bioc": write_bioc,
    "bioc-json": partial(write_bioc, as_json=True),
    "pubtator": write_pubtator,
    "parquet": write_parquet,  # pyarrow is imported only when a Parquet file is written
}


def export_findings(findings: Iterable[Finding], texts: Mapping[str, str], fmt: str, out: str | Path, *,
                    force: bool = False, bom: bool = False, decisions: Mapping[str, dict] | None = None) -> int:
    """Write ``findings`` in ``fmt`` to ``out`` (a directory for brat; ``-`` = stdout); nothing half-written.

    ``decisions`` (finding id -> latest curator decision, see ``curate.latest_decisions``) are shown read-only in
    the formats that have room for them (CSV/TSV, Label Studio, brat, BioC).
    """
    try:
        writer = FORMATS[fmt]
    except KeyError:
        raise MinerError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}") from None
    kwargs: dict = {"force": force, "decisions": decisions}
    if fmt in ("csv", "tsv"):
        kwargs["bom"] = bom
    return writer(list(findings), texts, Path(out), **kwargs)


from miner.export.curate import read_decisions  # noqa: E402  (curate imports the readers above)

__all__ = ["FORMATS", "export_findings", "read_decisions"]
