"""Context of a matched relation, read around the match rather than inside the patterns, so one pattern covers its
negated, hedged and bidirectional variants; one concern a module:

- :mod:`.modality`: negation and attenuation of the trigger (NegEx-style, local), hedges, aims and "vice versa";
- :mod:`.evidence`: the evidence level of the sentence's evidence cues;
- :mod:`.cancer`: the cancer a sentence names (with elliptical lists of sites);
- :mod:`.sections`: the structured-abstract label or heading an offset lies under;
- :mod:`.memory`: what earlier sentences of a document said, for anaphora ("these cells", "this combination").
"""
