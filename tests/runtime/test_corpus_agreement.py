"""The VM against the reference interpreter on the shared corpus of real CQL.

Every corpus query that compiles (without parameter values or lookup files)
and that the reference interpreter runs without an exception must give the
same output rows and warnings on the VM, over one set of generated Falcon
events.  The issue asks for at least 10,000 events; the reference needs
minutes for that over ~3,000 queries, so this test uses a smaller set and
``bench/corpus_agreement.py --events 10000`` runs the full check.

Both engines see the same pre-decoded events (each built once from its NDJSON
line, so ``@rawstring`` is the generated line with its Gson escapes), and the
clock is fixed so that ``now()`` gives both the same value.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from unittest import mock

import pytest

import cqlmatch
from cqlmatch.cli import corpus
from cqlmatch.errors import CQLCompileError, CQLSyntaxError
from cqlmatch.lang.events import Event, parse_line
from cqlmatch.synth.gen import generate_lines

from ..conftest import CORPUS

EVENTS = 300  # with this many the module takes about 40 s on the 2-core machine
SEED = 1546
MALICIOUS_RATE = 0.02  # planted installer chains, so detection queries find rows
FIXED_CLOCK = 1_760_500_000.0  # seconds: a little after the generated events


@dataclass
class Agreement:
    compared: int = 0
    identical: int = 0
    with_output: int = 0  # compared queries whose output was not empty
    skipped_external: int = 0  # need a ?parameter, a lookup file, external data
    skipped_compile: int = 0  # do not compile (syntax or query errors)
    skipped_reference: int = 0  # the reference interpreter raised
    differing: dict[str, str] = field(default_factory=dict)  # id -> what differs
    vm_errors: dict[str, str] = field(default_factory=dict)  # id -> the VM's exception


def _run(query: cqlmatch.CompiledQuery, engine: str, events: list[Event]):
    """Output rows and warnings of one engine over pre-decoded events (the
    engine object CompiledQuery.run uses, without re-reading the input)."""
    runner = query.new_engine(engine)
    rows = [dict(row.fields) for row in runner.run(events)]
    return rows, list(runner.warnings)


def compare_corpus(records: list[dict], events: list[Event]) -> Agreement:
    result = Agreement()
    for record in records:
        try:
            query = cqlmatch.compile(record["query"])
        except CQLSyntaxError:
            result.skipped_compile += 1
            continue
        except CQLCompileError as err:
            if {d.code for d in err.errors} <= corpus.EXTERNAL_CODES:
                result.skipped_external += 1
            else:
                result.skipped_compile += 1
            continue
        try:
            expected = _run(query, "reference", events)
        except Exception:
            result.skipped_reference += 1
            continue
        result.compared += 1
        try:
            actual = _run(query, "vm", events)
        except Exception as err:
            result.vm_errors[record["id"]] = repr(err)
            continue
        if actual == expected:
            result.identical += 1
            result.with_output += bool(expected[0])
        elif actual[0] != expected[0]:
            result.differing[record["id"]] = (
                f"rows: vm {len(actual[0])}, reference {len(expected[0])}; "
                f"first difference at row {_first_difference(actual[0], expected[0])}"
            )
        else:
            result.differing[record["id"]] = f"warnings: vm {actual[1]}, reference {expected[1]}"
    return result


def _first_difference(a: list, b: list) -> int:
    return next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )


@pytest.fixture(scope="module")
def events() -> list[Event]:
    lines = [
        line.decode("utf-8").rstrip("\n")
        for line in generate_lines(EVENTS, seed=SEED, malicious_rate=MALICIOUS_RATE)
    ]
    return [Event(parse_line(line), line) for line in lines]


@pytest.fixture(scope="module")
def agreement(events: list[Event]) -> tuple[Agreement, bool]:
    if not CORPUS.exists():
        pytest.fail(f"corpus not found at {CORPUS}: corpus/queries.jsonl is part of the repository")
    before = copy.deepcopy([(e.fields, e.raw) for e in events])
    with mock.patch("time.time", return_value=FIXED_CLOCK):
        result = compare_corpus(corpus.load(CORPUS), events)
    unchanged = before == [(e.fields, e.raw) for e in events]
    return result, unchanged


def test_every_compared_query_gives_identical_output(agreement) -> None:
    result, _ = agreement
    assert result.differing == {}


def test_the_vm_runs_every_query_the_reference_runs(agreement) -> None:
    result, _ = agreement
    assert result.vm_errors == {}


def test_the_comparison_covers_the_corpus(agreement) -> None:
    result, _ = agreement
    # About 3,050 corpus queries compile without parameters or lookup files;
    # the reference runs all of them.  About 460 give rows on these events.
    assert result.compared >= 2900
    assert result.skipped_reference <= 10
    assert result.with_output >= 400


def test_engines_leave_their_input_unchanged(agreement) -> None:
    _, unchanged = agreement
    assert unchanged
