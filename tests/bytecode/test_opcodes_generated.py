"""cext/opcodes.pxi is generated from the opcode table: it must be current."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

from ..conftest import ROOT

GENERATOR = ROOT / "tools" / "gen_opcodes.py"


def _generator():
    spec = importlib.util.spec_from_file_location("gen_opcodes", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_opcodes_pxi_is_current() -> None:
    expected = _generator().render()
    actual = (ROOT / "cext" / "opcodes.pxi").read_text(encoding="utf-8")
    assert actual == expected, "cext/opcodes.pxi is stale: run python tools/gen_opcodes.py"


def test_the_file_says_it_is_generated() -> None:
    first = (ROOT / "cext" / "opcodes.pxi").read_text(encoding="utf-8").splitlines()[0]
    assert (
        "generated from src/cqlmatch/bytecode/opcodes.py by tools/gen_opcodes.py" in first.lower()
    )
    assert "do not edit" in first


def test_check_mode_exit_status(tmp_path) -> None:
    ok = subprocess.run([sys.executable, str(GENERATOR), "--check"], capture_output=True)
    assert ok.returncode == 0, ok.stdout
    generator = _generator()
    generator.TARGET = tmp_path / "opcodes.pxi"
    generator.TARGET.write_text("# stale\n", encoding="utf-8")
    assert generator.main(["--check"]) == 1
    assert generator.main([]) == 0
    assert generator.main(["--check"]) == 0
