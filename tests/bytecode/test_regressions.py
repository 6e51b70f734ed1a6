"""Replay every kept crash input (tests/regressions/TARGET/*) through the
check of the fuzz target that found it (fuzz/oracles.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fuzz.oracles import replay

HERE = Path(__file__).resolve().parent.parent / "regressions"
INPUTS = sorted(p for p in HERE.glob("*/*") if p.is_file())


def test_there_are_regression_inputs() -> None:
    assert {p.parent.name for p in INPUTS} >= {"compiler"}


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_kept_input_is_handled(path: Path) -> None:
    replay(path)
