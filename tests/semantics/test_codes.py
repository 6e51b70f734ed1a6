"""The table of diagnostic codes (``cqlmatch.codes``) against the code.

Every code raised anywhere in src/ or cext/ is in the table, the table lists
no code nothing raises, and each entry's example really produces its code:
by compiling for errors and compile-time warnings, by running over the
entry's events (on both engines) for run-time warnings."""

from __future__ import annotations

import re

import pytest

import cqlmatch
from cqlmatch.bytecode import compiler
from cqlmatch.bytecode.compiler import compile_program
from cqlmatch.codes import CODES, SECTIONS, explain, lookup, render_example, suggest
from cqlmatch.functions import correlate, select

from ..conftest import ROOT

# A code written as a string literal: "E201" or 'W401'.
_CODE_LITERAL = re.compile(r"""["']([EW]\d{3})["']""")
# Source files that raise diagnostics (the generated C++ of cext/ repeats
# what its .pyx says, so it is left out).
_SOURCES = ("*.py", "*.pyx", "*.pxi", "*.pxd")


def _raised_codes() -> dict[str, list[str]]:
    """Every code literal in src/ and cext/, with the files that hold it."""
    found: dict[str, list[str]] = {}
    for top in ("src", "cext"):
        for pattern in _SOURCES:
            for path in sorted((ROOT / top).rglob(pattern)):
                if path.name == "codes.py" and path.parent.name == "cqlmatch":
                    continue  # the table itself
                text = path.read_text(encoding="utf-8")
                for code in set(_CODE_LITERAL.findall(text)):
                    found.setdefault(code, []).append(str(path.relative_to(ROOT)))
    return found


RAISED = _raised_codes()

# Codes an example cannot show by compiling it as it is, and why; the test
# below shows them another way.
NOT_BY_COMPILING = {
    **{
        code: "a run-time warning: reported while running over events, not when compiling"
        for code, entry in CODES.items()
        if entry.events
    },
    "E231": (
        "the VM's regex sets may use 64 MiB; a query that passes that takes seconds "
        "to build, so the test lowers the budget and compiles the bytecode"
    ),
    "W402": (
        "top() counts 1,000,000 groups before it warns; the test lowers the limit "
        "rather than feed it a million events"
    ),
    "E225": "lookup files are read when the query runs; the test runs it over a broken file",
    "E226": "the example needs a database given; the test gives one that is not a database",
}


def test_the_scan_finds_codes() -> None:
    # A broken scan (wrong root, wrong pattern) would make the next tests vacuous.
    assert "E201" in RAISED and "W401" in RAISED and len(RAISED) > 50


def test_every_raised_code_is_in_the_table() -> None:
    missing = {code: files for code, files in RAISED.items() if code not in CODES}
    assert not missing, f"codes raised but not in src/cqlmatch/codes.py: {missing}"


def test_the_table_lists_no_code_nothing_raises() -> None:
    unused = sorted(set(CODES) - set(RAISED))
    assert not unused, f"codes in the table that nothing in src/ or cext/ raises: {unused}"


@pytest.mark.parametrize("code", sorted(CODES))
def test_entry_is_well_formed(code: str) -> None:
    entry = CODES[code]
    assert entry.code == code and re.fullmatch(r"[EW]\d{3}", code)
    assert entry.severity == ("error" if code.startswith("E") else "warning")
    assert entry.section in SECTIONS
    assert entry.title and entry.title == entry.title.strip() and not entry.title.endswith(".")
    assert entry.explanation.count(".") >= 2, "a few sentences: why it matters, how to fix it"
    assert entry.example.strip()
    # Run-time warnings come with events to run over; nothing else does.
    assert bool(entry.events) == code.startswith("W4")


def _compile_codes(example: str) -> list[str]:
    """The code of the error compiling ``example`` raises, or the codes of
    its warnings."""
    try:
        query = cqlmatch.compile(example)
    except cqlmatch.CQLError as err:
        return [err.code]
    return [d.code for d in query.diagnostics]


@pytest.mark.parametrize("code", sorted(c for c in CODES if c not in NOT_BY_COMPILING))
def test_example_produces_its_code_when_compiled(code: str) -> None:
    entry = CODES[code]
    if entry.severity == "error":
        with pytest.raises(cqlmatch.CQLError) as info:
            cqlmatch.compile(entry.example)
        assert info.value.code == code, info.value.render()
    else:
        assert code in _compile_codes(entry.example)


def _run_warnings(query, events: list[dict[str, str]], engine: str) -> list[str]:
    """The codes of the warnings one run reports."""
    return [c for c, _ in query.run(events, engine=engine).warnings]


@pytest.mark.parametrize("code", sorted(c for c, e in CODES.items() if e.events))
def test_example_produces_its_warning_when_run(code: str, monkeypatch) -> None:
    entry = CODES[code]
    if code == "W402":
        monkeypatch.setattr(select, "TOP_GROUPS_MAX", 1)
    if code == "W491":  # the real bound is 100,000 events per query
        monkeypatch.setattr(correlate, "CORRELATE_CANDIDATES_MAX", 1)
    if code == "W492":  # the real bound is 2,000,000 steps
        monkeypatch.setattr(correlate, "CORRELATE_STEPS_MAX", 1)
    query = cqlmatch.compile(entry.example)  # compiles: the warning is the run's
    for engine in ("vm", "reference"):
        assert code in _run_warnings(query, list(entry.events), engine), engine


def test_e231_example_with_a_smaller_regex_budget(monkeypatch) -> None:
    entry = CODES["E231"]
    checked = cqlmatch.compile(entry.example).checked
    compile_program(checked)  # fits the real 64 MiB budget
    monkeypatch.setattr(compiler, "REGEX_MAX_MEM", 1 << 20)
    with pytest.raises(cqlmatch.CQLCompileError) as info:
        compile_program(checked)
    assert info.value.code == "E231"


def test_e225_example_when_run_over_a_broken_file(tmp_path) -> None:
    (tmp_path / "hosts.csv").write_bytes(b"\x00\xff")
    query = cqlmatch.compile(CODES["E225"].example, lookup_dir=tmp_path)
    with pytest.raises(cqlmatch.CQLError) as info:
        query.run([], workers=1)
    assert info.value.code == "E225"


def test_e226_example_with_a_file_that_is_no_database(tmp_path) -> None:
    broken = tmp_path / "city.mmdb"
    broken.write_bytes(b"not a MaxMind database")
    with pytest.raises(cqlmatch.CQLError) as info:
        cqlmatch.compile(CODES["E226"].example, geoip=broken)
    assert info.value.code == "E226"


def test_not_by_compiling_lists_only_table_codes() -> None:
    assert set(NOT_BY_COMPILING) <= set(CODES)


# --- lookup and rendering ------------------------------------------------------------------


def test_lookup_ignores_case_and_blanks() -> None:
    assert lookup(" w401 ") is CODES["W401"]
    assert lookup("E999") is None


def test_explain_has_title_explanation_and_example() -> None:
    text = explain("e201")
    assert text.startswith("E201 (error): unknown function\n")
    assert "did you mean" not in text.splitlines()[0]
    assert "Example:\n    #event_simpleName=ProcessRollup2 | groupby2(ComputerName)" in text
    assert all(len(line) <= 78 for line in text.splitlines() if not line.startswith("    "))


def test_explain_of_a_run_time_warning_shows_its_events() -> None:
    text = explain("W401")
    assert "Example:\n    groupBy(ComputerName, limit=1)\n" in text
    assert "It warns when run over these events:\n" in text
    assert '    {"ComputerName": "web01"}' in text


def test_explain_of_an_unknown_code_raises_key_error() -> None:
    with pytest.raises(KeyError):
        explain("E999")


def test_suggest_close_codes() -> None:
    assert suggest("E2O1") == ["E201"]  # a letter O for a zero
    assert suggest("401") == ["W401"]
    assert suggest("W40") and all(c.startswith("W40") for c in suggest("W40"))
    assert suggest("hello") == []


def test_render_example_escapes_and_shortens() -> None:
    assert render_example(CODES["E010"].example) == "CommandLine=\\ud800"
    shown = render_example(CODES["E210"].example)
    assert len(shown) < 160 and shown.endswith(f"({len(CODES['E210'].example):,} characters)")
