"""The relation package the default reader loads: ``models/relation``, or ``MINER_RELATION_PACKAGE``."""

from __future__ import annotations

import os
import subprocess
import sys

from miner.config import REPO_ROOT


def _default_package(env: dict[str, str]) -> str:
    code = "from miner.extract.relation import DEFAULT_PACKAGE; print(DEFAULT_PACKAGE)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_the_package_path_can_be_pointed_elsewhere(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "MINER_RELATION_PACKAGE"}
    assert _default_package(env) == str(REPO_ROOT / "models" / "relation")
    assert _default_package(dict(env, MINER_RELATION_PACKAGE=str(tmp_path / "other"))) == str(tmp_path / "other")
    assert _default_package(dict(env, MINER_RELATION_PACKAGE="")) == str(REPO_ROOT / "models" / "relation")
