"""Lemmas without training: PTB tag -> UPOS + morphology, then spaCy's English rule lemmatizer.

Training a lemmatizer cost about a fifth of the core model's CPU budget, while the
English rule lemmatizer only needs the coarse POS and a few morphological features,
which follow deterministically from the PTB tag the tagger predicts.  The rule
tables come from ``spacy-lookups-data`` at packaging time and are saved inside the
model, so loading it needs nothing extra.
"""

from __future__ import annotations

from spacy.language import Language

#: PTB tag -> (UPOS, UD features); the standard Penn-to-UD correspondence.
PTB_TO_UD: dict[str, tuple[str, str]] = {
    ".": ("PUNCT", "PunctType=Peri"),
    ",": ("PUNCT", "PunctType=Comm"),
    ":": ("PUNCT", ""),
    "-LRB-": ("PUNCT", "PunctSide=Ini|PunctType=Brck"),
    "-RRB-": ("PUNCT", "PunctSide=Fin|PunctType=Brck"),
    "``": ("PUNCT", "PunctSide=Ini|PunctType=Quot"),
    "''": ("PUNCT", "PunctSide=Fin|PunctType=Quot"),
    "HYPH": ("PUNCT", "PunctType=Dash"),
    "NFP": ("PUNCT", ""),
    "$": ("SYM", ""),
    "#": ("SYM", ""),
    "SYM": ("SYM", ""),
    "AFX": ("ADJ", "Hyph=Yes"),
    "CC": ("CCONJ", "ConjType=Comp"),
    "CD": ("NUM", "NumType=Card"),
    "DT": ("DET", ""),
    "EX": ("PRON", "PronType=Dem"),
    "FW": ("X", "Foreign=Yes"),
    "IN": ("ADP", ""),
    "JJ": ("ADJ", "Degree=Pos"),
    "JJR": ("ADJ", "Degree=Cmp"),
    "JJS": ("ADJ", "Degree=Sup"),
    "LS": ("X", "NumType=Ord"),
    "MD": ("AUX", "VerbType=Mod"),
    "NN": ("NOUN", "Number=Sing"),
    "NNS": ("NOUN", "Number=Plur"),
    "NNP": ("PROPN", "NounType=Prop|Number=Sing"),
    "NNPS": ("PROPN", "NounType=Prop|Number=Plur"),
    "PDT": ("DET", ""),
    "POS": ("PART", "Poss=Yes"),
    "PRP": ("PRON", "PronType=Prs"),
    "PRP$": ("PRON", "Poss=Yes|PronType=Prs"),
    "RB": ("ADV", "Degree=Pos"),
    "RBR": ("ADV", "Degree=Cmp"),
    "RBS": ("ADV", "Degree=Sup"),
    "RP": ("ADP", ""),
    "TO": ("PART", "PartType=Inf|VerbForm=Inf"),
    "UH": ("INTJ", ""),
    "VB": ("VERB", "VerbForm=Inf"),
    "VBD": ("VERB", "Tense=Past|VerbForm=Fin"),
    "VBG": ("VERB", "Aspect=Prog|Tense=Pres|VerbForm=Part"),
    "VBN": ("VERB", "Aspect=Perf|Tense=Past|VerbForm=Part"),
    "VBP": ("VERB", "Tense=Pres|VerbForm=Fin"),
    "VBZ": ("VERB", "Number=Sing|Person=3|Tense=Pres|VerbForm=Fin"),
    "WDT": ("PRON", "PronType=Rel"),
    "WP": ("PRON", "PronType=Rel"),
    "WP$": ("PRON", "Poss=Yes|PronType=Rel"),
    "WRB": ("ADV", "PronType=Rel"),
    "XX": ("X", ""),
    "ADD": ("X", ""),
    "GW": ("X", ""),
}


def add_rule_lemmatizer(nlp: Language) -> None:
    """Add ``attribute_ruler`` (tag -> POS/morph) and a rule ``lemmatizer`` after the tagger."""
    if "lemmatizer" in nlp.pipe_names:
        return
    ruler = nlp.add_pipe("attribute_ruler", after="tagger")
    for tag, (pos, feats) in PTB_TO_UD.items():
        attrs = {"POS": pos}
        if feats:
            attrs["MORPH"] = feats
        ruler.add([[{"TAG": tag}]], attrs)
    lemmatizer = nlp.add_pipe("lemmatizer", after="attribute_ruler", config={"mode": "rule"})
    lemmatizer.initialize()  # loads the English rule tables (spacy-lookups-data) into the model
