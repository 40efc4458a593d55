"""Development code names of drugs ("TAE684", "AZ628", "PD173074", "GDC-0941", "ARS-853") as agent mentions.

Research compounds and early clinical drugs are written by their sponsor codes, and no open vocabulary lists
them all (DrugBank's open vocabulary knows PF00299804 but not TAE684, AZ628 or AC220). The recognizers tag them
as an unlinked chemical, as a gene, or not at all, so the reader never saw them as agents.

The algorithm is a pure function over the sentence's tokens (shape plus context; the context words are the grammar's ``code_*`` word lists), in the spirit of the shape
features of chemical NER (Leaman et al., tmChem, J Cheminform 2015): a token is a code name when

* its shape is letters then digits (``[A-Z][A-Za-z]{1,5}`` + optional hyphen + at least three digits, or a
  hyphenated letters-digits code with two or more digits, "ARS-853", "PI-103"; a one-letter suffix is allowed,
  "VTX-11e"), and it is not a protein-change variant, a gene family symbol ("CD133", "KIAA1549") or a cell line;
* it stands where an agent stands: right after an agent-introducing word ("resistant to", "treated with",
  "inhibitor", "compound"), or in a list of such codes that does, or glued to a drug affix ("AZ628-resistant");
* it does not name a population: no "cells", "cell line", "xenografts" after it (or after its list), no slash
  ("H2228/CR" is a resistant line, read by :mod:`miner.extract.celllines`).

A code name is an agent without lexicon ids; it counts as an anticancer agent (the reader only reads sentences
about drug resistance in cancer, where sponsor codes name anticancer compounds).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Sequence

from miner.extract.grammar import load_grammar
from miner.lexicon.normalize import HYPHENS

#: letters + optional dash + digits (+ one letter): "TAE684", "AZD-5363", "GSK1129212", "VTX-11e"
_DASH = re.escape(HYPHENS)
_SHAPE = re.compile(rf"^[A-Z][A-Za-z]{{1,5}}[{_DASH}]?\d{{3,8}}[A-Za-z]?$|^[A-Z]{{2,5}}[{_DASH}]\d{{2,8}}[A-Za-z]?$")
#: gene symbols and other names of that shape ("CD133", "KIAA1549", "ZNF217", "MIR21", "HLA-A"): never codes
_NOT_CODE_PREFIX = frozenset({
    # gene symbols and identifiers of that shape
    "CD", "KIAA", "ZNF", "LINC", "MIR", "FAM", "TMEM", "CCDC", "LOC", "SNOR", "HLA", "CYP", "UGT", "SLC", "ABC", "RNU",
    "NCT", "ISRCTN", "PMID", "GSE", "SRR", "NM", "NP", "COSM", "RS", "ICD",
    # cell-line families
    "HCC", "SNU", "NCI", "MDA", "HT", "SW", "BT", "KU", "MOLM", "CC", "PC", "SK", "OCI", "HL", "THP", "LN", "DU",
    "VCAP", "TE", "KYSE", "HEK", "OVCAR", "HCT", "LOVO", "COLO", "CAL", "NB", "SH", "IMR", "NTUB", "UM", "WM",
    "SKMEL", "MEL", "HN", "ACHN", "CAKI", "HEP", "HUH", "PLC", "SNB", "KG", "MV", "NALM", "REH", "MM", "RPMI", "OPM",
    "KMS", "LP", "EOL", "MCF", "ZR", "SUM", "HS", "PANC", "CFPAC", "BXPC", "ASPC", "CAPAN", "EBC",
    # trial groups, staging and counting words
    "ECOG", "RECIST", "CTCAE", "ISO", "TNM", "AJCC", "UICC", "FIGO", "GOG", "RTOG", "SWOG", "EORTC", "CALGB",
    "NSABP", "JCOG", "WJOG", "KCSG", "NCCTG", "ACOSOG", "CCTG", "NRG", "TCGA", "GIST", "STAGE", "GRADE", "TYPE",
    "PHASE", "EXON", "CODON", "ARM", "DAY", "WEEK", "CYCLE",
})
_LIST = frozenset({",", "and", "or", "/", ";"})
_VARIANT = re.compile(r"^[A-Z]\d{2,4}[A-Z*]$|^p\.")


def is_code_shape(text: str) -> bool:
    """Does ``text`` look like a sponsor code ("TAE684", "GDC-0941") rather than a gene, cell line or variant?"""
    if not _SHAPE.match(text) or _VARIANT.match(text):
        return False
    letters = re.match(r"^[A-Za-z]+", text)
    head = letters.group(0).upper() if letters else ""
    return head not in _NOT_CODE_PREFIX and not any(head.startswith(p) for p in _NOT_CODE_PREFIX if len(p) >= 4)


@lru_cache(maxsize=1)
def _context() -> tuple[frozenset[str], frozenset[str], re.Pattern]:
    """The grammar's word lists for agent position: (words before, words after that rule it out, glued affixes)."""
    grammar = load_grammar()
    affixes = "|".join(sorted(map(re.escape, grammar.word_list("code_agent_affix"))))
    return (grammar.word_list("code_agent_before"), grammar.word_list("code_not_agent_after"),
            re.compile(rf"^(.+?)[{_DASH}]({affixes})$", re.IGNORECASE))


def code_name_tokens(words: Sequence[str]) -> list[tuple[int, str]]:
    """Indexes of the tokens of a sentence that are code names in agent position, with the code's text.

    ``words`` are the token texts of one sentence. A token glued to an agent affix ("AZ628-resistant") gives the
    code part alone.
    """
    agent_before, not_agent_after, agent_affix = _context()
    out: list[tuple[int, str]] = []
    n = len(words)
    i = 0
    while i < n:
        glued = agent_affix.match(words[i])
        if glued and is_code_shape(glued.group(1)):
            out.append((i, glued.group(1)))
            i += 1
            continue
        if not is_code_shape(words[i]):
            i += 1
            continue
        # the run of codes joined by list words: "AZ12908010, PD173074 and AZD4547"
        run = [i]
        j = i + 1
        while j + 1 < n and words[j].lower() in _LIST and is_code_shape(words[j + 1]):
            run.append(j + 1)
            j += 2
        after = words[j].lower() if j < n else ""
        before = words[i - 1].lower() if i > 0 else ""
        agent_slot = before in agent_before or (before == "(" and i > 1 and words[i - 2].lower() in agent_before)
        if agent_slot and after not in not_agent_after and "/" not in (before, after):
            out.extend((k, words[k]) for k in run)
        i = j
    return out
