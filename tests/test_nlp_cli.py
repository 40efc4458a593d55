"""``miner annotate``: output, JSON, and bad input (empty, missing file, invalid UTF-8, 5 MB)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from miner.cli.main import app
from miner.errors import MinerError

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["annotate", "--rules-only", *args])


def test_annotate_text_table() -> None:
    result = run("--text", "Trastuzumab emtansine (T-DM1) after trastuzumab; EGFR T790M.")
    assert result.exit_code == 0, result.output
    assert "DB05773" in result.output and "VARIANT" in result.output
    assert "abbreviation: T-DM1 = Trastuzumab emtansine" in result.output


def test_annotate_json() -> None:
    result = run("--json", "--text", "Palbociclib and other CDK4/6 inhibitors; RB1 loss.")
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    by_text = {e["text"]: e for e in record["entities"]}
    assert by_text["Palbociclib"]["id"] == "DB09073" and "class:cdk46i" in by_text["Palbociclib"]["classes"]
    assert by_text["CDK4/6 inhibitors"]["drug_label"] == "DRUG_CLASS"
    assert by_text["RB1 loss"]["label"] == "VARIANT" and by_text["RB1 loss"]["gene_ids"] == ["RB1"]


def test_annotate_file(tmp_path: Path) -> None:
    path = tmp_path / "abstract.txt"
    path.write_text("Cabazitaxel after enzalutamide.", encoding="utf-8")
    result = run("--file", str(path), "--json")
    assert result.exit_code == 0
    assert [e["id"] for e in json.loads(result.output)["entities"]] == ["DB06772", "DB08899"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--text", ""], "empty"),
        (["--text", "   "], "empty"),
        ([], "exactly one of"),
        (["--text", "x", "--file", "y"], "exactly one of"),
        (["--file", "/nonexistent/abstract.txt"], "no such file"),
    ],
)
def test_annotate_user_errors(args: list[str], message: str) -> None:
    result = run(*args)
    assert isinstance(result.exception, MinerError)
    assert message in str(result.exception)


def test_annotate_directory_is_an_error(tmp_path: Path) -> None:
    result = run("--file", str(tmp_path))
    assert isinstance(result.exception, MinerError) and "not a regular file" in str(result.exception)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from miner.cli.main import main; main()", "annotate", "--rules-only", *args],
        capture_output=True, text=True, timeout=120,
    )


def test_invalid_utf8_and_huge_file_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"cisplatin \xff\xfe then 5-FU")
    result = _cli("--file", str(bad), "--json")
    assert result.returncode == 0, result.stderr
    assert "invalid UTF-8 at byte 10" in result.stderr and "Traceback" not in result.stderr
    assert [e["id"] for e in json.loads(result.stdout)["entities"]] == ["DB00515", "DB00544"]

    huge = tmp_path / "huge.txt"
    huge.write_text("gefitinib " * 500_000, encoding="utf-8")  # 5 MB
    result = _cli("--file", str(huge))
    assert result.returncode == 1
    assert "at most" in result.stderr and "Traceback" not in result.stderr
