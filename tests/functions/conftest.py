"""The ``engine`` fixture: every function test runs on each engine."""

from __future__ import annotations

import pytest

from cqlmatch.runtime.query import ENGINES


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return request.param
