"""The seeded importer fuzzer (benchmarks/fuzz_import.py) on a sample: no traceback, no hang, bounded memory,
and every rejection names its file."""

from __future__ import annotations

import importlib.util
import sys

from miner.config import REPO_ROOT

_spec = importlib.util.spec_from_file_location("fuzz_import", REPO_ROOT / "benchmarks" / "fuzz_import.py")
assert _spec is not None and _spec.loader is not None
fuzz = importlib.util.module_from_spec(_spec)
sys.modules["fuzz_import"] = fuzz  # dataclasses look their module up by name
_spec.loader.exec_module(fuzz)


def test_generator_is_seeded(tmp_path):
    first = [p.read_bytes() for p in fuzz.generate(7, 12, tmp_path / "a")]
    again = [p.read_bytes() for p in fuzz.generate(7, 12, tmp_path / "b")]
    other = [p.read_bytes() for p in fuzz.generate(8, 12, tmp_path / "c")]
    assert first == again and first != other


def test_fuzzed_inputs_give_clear_errors_never_tracebacks_or_hangs(tmp_path):
    paths = fuzz.generate(15, 120, tmp_path)
    report = fuzz.run_cases(paths, timeout=10.0)
    assert len(report.outcomes) == 120
    assert report.tracebacks == [], report.summary()
    assert report.hangs == [], report.summary()
    assert report.unclear_errors() == [], report.summary()
    assert report.peak_rss_mb < 2048
    assert report.of("ok") and report.of("error")  # the sample exercises both outcomes
