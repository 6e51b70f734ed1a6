"""Golden run files: ``tests/golden/run/NAME.cql`` over ``NAME.ndjson`` gives
``NAME.out`` (result rows as JSON, then warnings and malformed lines), on
every engine.  ``--update-golden`` rewrites the expected files (review the
diff: every .out here was checked by hand when written)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import cqlmatch
from cqlmatch.runtime.query import ENGINES

GOLDEN = Path(__file__).parent.parent / "golden" / "run"
CASES = sorted(GOLDEN.glob("*.cql"))


def _render(case: Path, engine: str) -> str:
    query = cqlmatch.compile(case.read_text(encoding="utf-8"))
    rows = query.run(case.with_suffix(".ndjson"), engine=engine)
    out = [json.dumps(rows, ensure_ascii=False, indent=1)]
    out += [f"diagnostic {d.code} line {d.span.line}" for d in query.diagnostics]
    out += [f"warning {code}: {message}" for code, message in rows.warnings]
    out += [f"malformed {m!r}" for m in rows.malformed]
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_golden_run(case: Path, engine: str, update_golden: bool) -> None:
    actual = _render(case, engine)
    expected = case.with_suffix(".out")
    if update_golden:
        expected.write_text(actual, encoding="utf-8")
    assert actual == expected.read_text(encoding="utf-8")
