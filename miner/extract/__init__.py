"""Extraction stage: rule-based reading of cross-resistance findings from text.

Public API:

- :func:`extract_text` -> list of :class:`miner.schema.Finding` for one text (abstract or full review)
- :func:`extract_docs` -> findings for many documents (anything with ``.doc_id`` and ``.text``)
- :func:`findings_to_dataframe` -> the same findings as a pandas DataFrame
- :func:`get_reader` -> the :class:`Reader` (patterns compiled once per pipeline); ``reader.version``
  identifies the rule set for run metadata.
- :func:`segments`, :func:`body_end` -> the paragraphs a full text is parsed in, and where its body ends.

Reading only: findings are statements as read, one per sentence and drug pair;
merging them across documents is assembly and belongs to later stages. This module is the
public face only: documents are cut in :mod:`miner.extract.segmentation`, run through the
pipeline in :mod:`miner.extract.run` and read sentence by sentence in :mod:`miner.extract.reader`.
"""

from __future__ import annotations

from miner.extract.dataframe import findings_to_dataframe
from miner.extract.run import WHOLE_DOC_LIMIT, TextDoc, extract_docs, extract_text, get_reader
from miner.extract.segmentation import MAX_SEGMENT, body_end, segments

__all__ = [
    "TextDoc", "extract_text", "extract_docs", "findings_to_dataframe", "get_reader", "segments", "body_end",
    "MAX_SEGMENT", "WHOLE_DOC_LIMIT",
]
