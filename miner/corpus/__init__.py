"""The corpus stage: a SQLite store of PubMed abstracts and added texts, and its importers.

Public API (other stages import only these):

- :class:`Document`, :class:`Deletion`: one record / one PubMed deletion notice
- :class:`CorpusStore`: the store (documents, refresh state, findings, decisions)
- :func:`import_paths` -> :class:`ImportReport`: import files and directories, one transaction per file
- :func:`parse_pubmed_xml`, :func:`parse_medline`, :func:`parse_pubtator`, :func:`parse_bioc`: streaming parsers
- :func:`detect_format`: sniff a file's format from its content
- :func:`read_text_document`: a plain-text file as a ``text:<name>`` document
"""

from miner.corpus.bioc_io import parse_bioc
from miner.corpus.detect import detect_format
from miner.corpus.document import Deletion, Document
from miner.corpus.importer import FileResult, ImportReport, import_file, import_paths
from miner.corpus.medline import parse_medline
from miner.corpus.pubmed_xml import parse_pubmed_xml
from miner.corpus.pubtator import parse_pubtator
from miner.corpus.store import CorpusStore
from miner.corpus.textdoc import read_text_document

__all__ = [
    "CorpusStore",
    "Deletion",
    "Document",
    "FileResult",
    "ImportReport",
    "detect_format",
    "import_file",
    "import_paths",
    "parse_bioc",
    "parse_medline",
    "parse_pubmed_xml",
    "parse_pubtator",
    "read_text_document",
]
