"""Abbreviation definitions: scispacy's AbbreviationDetector (Schwartz & Hearst 2003), wired into miner.

"trastuzumab deruxtecan (T-DXd)" defines T-DXd; the detector finds the definition and every later occurrence of
the short form in the same document (``doc._.abbreviations``, each short span with ``_.long_form``). The drug
linker then gives those short forms the long form's lexicon id. This subclass only silences spaCy's W036
warning, which scispacy's internal matcher raises on every document that defines no abbreviation.
"""

from __future__ import annotations

import warnings

from scispacy.abbreviation import AbbreviationDetector
from spacy.language import Language
from spacy.tokens import Doc


@Language.factory("miner_abbreviations", default_config={"make_serializable": False})
def make_abbreviations(nlp: Language, name: str, make_serializable: bool) -> "Abbreviations":
    """Factory for :class:`Abbreviations` (spaCy registry name ``miner_abbreviations``)."""
    return Abbreviations(nlp, name, make_serializable=make_serializable)


class Abbreviations(AbbreviationDetector):
    """scispacy's AbbreviationDetector without the per-document W036 warning."""

    def __call__(self, doc: Doc) -> Doc:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"\[W036\]")
            return super().__call__(doc)
