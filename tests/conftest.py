"""Shared test options and paths."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Scanners compiled by the tests' pack runs are kept in a directory of this
# session's (packs/scancache.py), never in the user's cache, and a kept
# scanner from outside cannot change what a test sees.
_CACHE = tempfile.mkdtemp(prefix="cqlmatch-test-cache-")
os.environ["CQLMATCH_CACHE_DIR"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, True)
# In-repository copies (corpus/README.md and rules/seed/README.md say where from).
CORPUS = ROOT / "corpus" / "queries.jsonl"
SEED = ROOT / "rules" / "seed" / "t1546_016.cql"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite the expected files under tests/golden from the current output",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))
