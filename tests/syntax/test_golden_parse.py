"""Golden parse files: ``tests/golden/parse/NAME.cql`` against ``NAME.ast``
(the tree dump) or, for invalid input, ``NAME.err`` (the rendered error).

Run ``pytest tests/syntax/test_golden_parse.py --update-golden`` to rewrite the
expected files after a deliberate change, then review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cqlmatch import CQLSyntaxError, format_query, parse
from cqlmatch.syntax.ast import dump

GOLDEN = Path(__file__).parent.parent / "golden" / "parse"
CASES = sorted(GOLDEN.glob("*.cql"))


def _render(text: str, name: str) -> tuple[str, str]:
    try:
        tree = parse(text)
    except CQLSyntaxError as err:
        return ".err", err.render(name) + "\n"
    return ".ast", dump(tree) + "\n"


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_golden(case: Path, update_golden: bool) -> None:
    suffix, actual = _render(case.read_text(encoding="utf-8"), case.name)
    expected_path = case.with_suffix(suffix)
    other = case.with_suffix(".err" if suffix == ".ast" else ".ast")
    if update_golden:
        expected_path.write_text(actual, encoding="utf-8")
        other.unlink(missing_ok=True)
    assert not other.exists(), f"{case.name}: expected {other.suffix}, got {suffix}"
    assert expected_path.exists(), f"missing {expected_path.name}; run with --update-golden"
    assert actual == expected_path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "case", [c for c in CASES if not c.stem.startswith("err_")], ids=lambda c: c.stem
)
def test_golden_round_trip(case: Path) -> None:
    tree = parse(case.read_text(encoding="utf-8"))
    printed = format_query(tree)
    assert parse(printed) == tree
    assert format_query(parse(printed)) == printed


def test_invalid_cases_are_named_err() -> None:
    for case in CASES:
        has_err = case.with_suffix(".err").exists()
        assert has_err == case.stem.startswith("err_"), case.name
