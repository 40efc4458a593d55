"""Gene vocabulary: what counts as an HGNC symbol, the kinase of a fusion, the gene of a bare variant.

``mechanism_genes`` of a finding must hold HGNC symbols only: never a count ("n=10"), a cell line,
a phrase ("CDK4/6 protein") or a gene family that names no single gene ("PARP", "MEK").
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from importlib import resources

#: Kinases that sit at the 5' end of their oncogenic fusions (FGFR3::TACC3, FGFR2::BICC1, EGFR::SEPT14);
#: in other fusions the kinase is the 3' partner (BCR::ABL1, EML4::ALK, CD74::ROS1, KIF5B::RET).
FIVE_PRIME_KINASES = frozenset(
    {"FGFR1", "FGFR2", "FGFR3", "EGFR", "MET", "NTRK1", "NTRK2", "NTRK3", "ALK", "ROS1", "RET", "BRAF", "RAF1"}
)
#: Family names that look like symbols but name no single HGNC gene.
FAMILIES = frozenset({
    "PARP", "MEK", "RAS", "RAF", "HER", "MAPK", "ERK", "AKT", "CDK", "JAK", "PI3K", "BCL", "IDH", "FGFR",
    "NTRK", "TRK", "BET", "HDAC", "PKC", "PDGFR", "VEGFR", "ABC", "MRP", "CYP", "TKI", "RTK", "PD1", "MMR",
    "HLA", "MHC", "DNA", "RNA", "MSI", "TMB", "ER", "PR", "AR-V",
})
_SYMBOL = re.compile(r"^[A-Z][A-Z0-9]{1,9}(?:-[A-Z0-9]{1,4})?$")
_FUSION = re.compile(r"^([A-Z][A-Z0-9]{1,9})(?:::|-|–|/)([A-Z][A-Z0-9]{1,9})$")
VARIANT_GENES_FILE = "data/lexicon/variant_genes.tsv"


def is_symbol(text: str) -> bool:
    """Whether ``text`` has the shape of an HGNC symbol and is no gene family ("TP53", "MGMT"; not "PARP", "n=10")."""
    return bool(_SYMBOL.match(text)) and text not in FAMILIES


def fusion_kinase(symbol: str) -> str:
    """The kinase of a fusion written ``5'::3'`` (BCR::ABL1 -> ABL1, FGFR2::BICC1 -> FGFR2); a plain symbol as is."""
    parts = symbol.split("::")
    if len(parts) == 1:
        return symbol
    return next((p for p in parts if p in FIVE_PRIME_KINASES), parts[-1])


def split_fusion(text: str) -> tuple[str, str] | None:
    """The partners of a fusion written "BCR-ABL1", "CD74-ROS1", "EML4::ALK" (both symbol-shaped), else None."""
    m = _FUSION.match(text.strip())
    if not m or not (is_symbol(m.group(1)) and is_symbol(m.group(2))):
        return None
    return m.group(1), m.group(2)


@lru_cache(maxsize=1)
def variant_genes() -> dict[str, str]:
    """Protein variant -> gene for variants that name one gene only in the CIViC training items ("T790M" -> EGFR)."""
    path = resources.files("miner").joinpath(VARIANT_GENES_FILE)
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8") as fh:
        return {row["variant"]: row["gene"] for row in csv.DictReader(fh, delimiter="\t")}
