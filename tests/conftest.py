"""Shared test options and paths."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
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
