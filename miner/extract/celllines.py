"""Cell lines named by the drug that selected them: "MCF-7/Dox", "A549/DDP", "H2228/CR", "PC9GR", "HCC827 GR".

Resistant sublines are named by a code for their selecting drug glued to the parent line: after a
slash ("MCF-7/Dox", "SNU-601/Cis2"), as an "r"-prefixed drug code with the selection dose (the
Resistant Cancer Cell Line collection's "SK-N-ASrOXALI4000", "UKF-NB-3rCDDP1000"), or as a drug
initial plus "R" for resistant ("PC9GR", "H2228/CR", "HCC827 GR"). Such a name states what "X-resistant
cells" states, so the reader treats the code as the prior drug of a resistant population
(guidelines section 7). The code is resolved through the lexicon, else against the drugs the
same text names ("GR" -> the only drug named that starts with "G"); an unresolved or ambiguous
code is not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

#: a parent line name: starts with a letter or digit and holds a digit ("MCF-7", "A549", "SK-N-AS" is the exception
#: handled by the dose digits of the r-code form)
_LINE = re.compile(r"^(?=[^/]*\d)[A-Za-z0-9][A-Za-z0-9.\-]*$")
#: one token: line + "/" + code, line + "r" + CODE + dose, or line + initial(s) + "R"
_GLUED = re.compile(
    r"^(?P<line>(?=[^/]*\d)[A-Za-z0-9][A-Za-z0-9.\-]*?)"
    r"(?:/(?P<slash>(?:r(?=[A-Z]))?[A-Za-z][A-Za-z\-]*?)|r(?P<rcode>[A-Z][A-Z]+)|(?P<initials>[A-Z][A-Za-z]?R))(?P<dose>\d*)$"
)
#: a code standing as its own token after the line (and an optional "/"): "CR", "GR", "Cis2", "rCDDP2000", "DDP"
_CODE = re.compile(r"^(?:r(?=[A-Z]))?(?P<code>[A-Za-z][A-Za-z\-]{0,7}?)(?P<dose>\d*)$")
#: words that show the name denotes cells (a name without one is read only when its code is a lexicon drug)
POPULATION = {"cells", "cell", "line", "lines", "subline", "sublines", "clone", "clones", "xenograft", "xenografts",
              "spheroids", "organoids", "tumors", "tumours", "model", "models"}


@dataclass
class DrugName:
    """A drug the text names: its name as written and what the lexicon says of it."""

    text: str
    label: str
    ids: list[str]


@dataclass
class LineCode:
    """The selecting-drug code of a cell line name: where it is (token index, character span in the token
    sequence's text) and the drug it stands for."""

    first_token: int
    last_token: int
    code_start: int  # character offsets of the code (relative to the first token's start)
    code_end: int
    code: str
    drug: DrugName


def resolve_code(code: str, lexicon: Callable[[str], tuple[str, list[str]] | None],
                 named: Sequence[DrugName]) -> DrugName | None:
    """The drug a line code stands for: a lexicon drug ("DDP", "CDDP"), else the one drug the text names whose
    name starts with the code ("Dox", "Cis", "OXALI") or, for "<initials>R", with the initials ("GR")."""
    found = lexicon(code)
    if found is not None and found[0] == "DRUG":
        return DrugName(code, found[0], list(found[1]))
    stems = []
    if len(code) >= 3:
        stems.append(code)
    if len(code) >= 2 and code.endswith("R"):
        stems.append(code[:-1])
    for stem in stems:
        low = stem.lower()
        hits = {tuple(d.ids): d for d in named if d.label == "DRUG" and d.ids and d.text.lower().startswith(low)}
        if len(hits) == 1:
            return next(iter(hits.values()))
    return None


def find_line_code(tokens: Sequence[str], spaces: Sequence[bool], i: int,
                   lexicon: Callable[[str], tuple[str, list[str]] | None],
                   named: Sequence[DrugName]) -> LineCode | None:
    """The drug-named cell line starting at token ``i``, if any (the forms of the module docstring)."""
    tok = tokens[i]
    nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
    candidates: list[tuple[int, int, int, str]] = []  # (last token, code start, code end, code)
    m = _GLUED.match(tok)
    if m and _LINE.match(m.group("line")) or (m and m.group("rcode")):
        group = next(g for g in ("slash", "rcode", "initials") if m.group(g))
        code = m.group(group)
        start = m.start(group)
        if group == "slash" and code.startswith("r") and len(code) > 1 and code[1].isupper():
            code, start = code[1:], start + 1
        candidates.append((i, start, start + len(code), code))
    elif _LINE.match(tok) and not tok.isdigit():
        j, offset = i + 1, len(tok) + (1 if spaces[i] else 0)
        if j < len(tokens) and tokens[j] == "/" and not spaces[i]:
            offset += 1 + (1 if spaces[j] else 0)
            j += 1
            slash = True
        else:
            slash = False
        if j < len(tokens) and (slash or spaces[i]):
            c = _CODE.match(tokens[j])
            if c:
                code = c.group("code")
                lead = 1 if tokens[j].startswith("r") and code != tokens[j][: len(code)] else 0
                if slash or (code.endswith("R") and code.isupper() and len(code) <= 3):
                    candidates.append((j, offset + lead, offset + lead + len(code), code))
    for last, start, end, code in candidates:
        after = tokens[last + 1].lower() if last + 1 < len(tokens) else ""
        drug = resolve_code(code, lexicon, named)
        if drug is None:
            continue
        if after not in POPULATION and lexicon(code) is None:
            continue
        return LineCode(i, last, start, end, code, drug)
    return None
