"""Fixtures shared by test modules."""

import pytest


@pytest.fixture(scope="session")
def nlp():
    """The default trained pipeline (models/ is committed: a pipeline that fails to load fails the tests)."""
    from miner.nlp import load

    return load()
