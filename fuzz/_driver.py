"""Shared start-up of the atheris targets: the repository on ``sys.path``,
cqlmatch imported under atheris' coverage instrumentation, and libFuzzer
started with the command-line options (``-max_total_time=600`` ...)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import atheris  # noqa: E402


def instrumented():
    """A context in which imported modules get coverage instrumentation."""
    return atheris.instrument_imports(include=["cqlmatch", "fuzz", "tests"])


def main(one_input: Callable[[bytes], None]) -> None:
    """Run libFuzzer on ``one_input`` with this process's arguments."""
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
