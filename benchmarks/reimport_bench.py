"""CPU time to import the default files of miner.toml into a new store, then to import them again.

    python benchmarks/reimport_bench.py      (from the repository root, ../shared beside it)

The second pass meets every record already stored: it measures the upsert path (hash check, field merge).
"""

import sys
import tempfile
import time
from pathlib import Path

from miner.config import Settings
from miner.corpus import CorpusStore
from miner.corpus.importer import import_paths


def main() -> int:
    paths = [Path(p) for p in Settings.load().import_paths]
    with tempfile.TemporaryDirectory() as d, CorpusStore(Path(d) / "c.sqlite") as store:
        t = time.process_time()
        import_paths(store, paths)
        first = time.process_time() - t
        t = time.process_time()
        import_paths(store, paths)
        again = time.process_time() - t
    print(f"first import {first:.2f} s CPU, re-import {again:.2f} s CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
