"""docs/diagnostics.md is generated from the table of codes: it must be current."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

from cqlmatch.codes import CODES

from ..conftest import ROOT

GENERATOR = ROOT / "tools" / "gen_diagnostics.py"
PAGE = ROOT / "docs" / "diagnostics.md"


def _generator():
    spec = importlib.util.spec_from_file_location("gen_diagnostics", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_diagnostics_page_is_current() -> None:
    expected = _generator().render()
    actual = PAGE.read_text(encoding="utf-8")
    assert actual == expected, "docs/diagnostics.md is stale: run python tools/gen_diagnostics.py"


def test_the_page_says_it_is_generated() -> None:
    first = PAGE.read_text(encoding="utf-8").splitlines()[0]
    assert "generated from src/cqlmatch/codes.py by tools/gen_diagnostics.py" in first.lower()
    assert "do not edit" in first


def test_the_page_has_every_code_once() -> None:
    text = PAGE.read_text(encoding="utf-8")
    for code in CODES:
        assert text.count(f"\n### {code}\n") == 1, code
        assert f"| [{code}](#{code.lower()}) |" in text


def test_markdown_escapes_keep_backslashes_and_stars() -> None:
    # W331's explanation says cmd\.exe: on the page the backslash must survive.
    text = PAGE.read_text(encoding="utf-8")
    assert "cmd\\\\.exe" in text
    assert "write \\* for a branch" in text


def test_check_mode_exit_status(tmp_path) -> None:
    ok = subprocess.run([sys.executable, str(GENERATOR), "--check"], capture_output=True)
    assert ok.returncode == 0, ok.stdout
    generator = _generator()
    generator.TARGET = tmp_path / "diagnostics.md"
    assert generator.main(["--check"]) == 1  # missing
    assert generator.main([]) == 0  # written
    assert generator.main(["--check"]) == 0
    generator.TARGET.write_text("stale\n", encoding="utf-8")
    assert generator.main(["--check"]) == 1
