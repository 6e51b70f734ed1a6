"""Golden compile files: ``tests/golden/compile/NAME.cql`` compiles to the
listing in ``NAME.dis`` (``--update-golden`` rewrites them; review the
diff)."""

from __future__ import annotations

from pathlib import Path

import pytest

import cqlmatch
from cqlmatch.bytecode.compiler import compile_program
from cqlmatch.bytecode.disasm import dis

GOLDEN = Path(__file__).parent.parent / "golden" / "compile"
CASES = sorted(GOLDEN.glob("*.cql"))


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_golden_disassembly(case: Path, update_golden: bool) -> None:
    query = cqlmatch.compile(case.read_text(encoding="utf-8"))
    actual = dis(compile_program(query.checked))
    expected = case.with_suffix(".dis")
    if update_golden:
        expected.write_text(actual, encoding="utf-8")
    assert actual == expected.read_text(encoding="utf-8")
