"""Engine speed on the corrected seed rule (``rules/t1546_016.cql``), one core.

Run: ``.venv/bin/python -m pytest bench/bench_vm.py --benchmark-enable``
(without ``--benchmark-enable`` every benchmark runs once, as a check).

Implementations of the same rule, in the same run, over the same
pre-decoded events (``cqlmatch.lang.events.Event`` objects, built once outside the
timed part):

* ``vm``: ``VMEngine.run(events)`` -- the engine object ``CompiledQuery.run``
  uses, built once; timed: the VM's per-event code, its native groupBy and
  the ``sort`` after it.
* ``vm_columns``: ``VMEngine.run_columns(columns)`` -- the same engine over
  the same events in the VM's own layout (``columns_of``: one list per field
  the rule reads, equal values shared, built outside the timed part as the
  ``Event`` objects are): what a decoder that writes columns hands it.
* ``reference``: ``Interpreter.run(events)``, the reference interpreter, timed
  the same way.
* ``python``: ``handwritten(events)`` below, the rule written by hand in
  Python with ``re`` (classification, groupBy with count, sort); it must give
  the VM's rows.

``CompiledQuery.run`` is not used for the timing: it re-flattens dicts or
re-reads NDJSON on every call, which is input decoding, not engine work.

Two event sets:

* ``rejected``: DnsRequest events, which the rule's first filter
  (``#event_simpleName=ProcessRollup2 OR #event_simpleName=NetworkConnectIP4``)
  rejects;
* ``regex``: events that reach the regexes: ProcessRollup2 events whose
  parent is an installer (``ParentBaseFileName`` matches the rule's installer
  regex, so the child/command-line regexes run too) and NetworkConnectIP4
  events from msiexec.

``floor`` times one dict lookup per event done entirely in C (``map`` over
builtins): no engine over ``Event`` objects can be much faster (on these
large sets it is bound by memory: each event is its own dict somewhere in
the heap).

At the end a summary gives events per second (from the median round) and the
ratios VM/reference and VM/hand-written.  Also timed: compiling the seed rule
(parse + check + compile_program) and compiling the whole corpus.
"""

from __future__ import annotations

import json
import re
from itertools import repeat
from operator import attrgetter, eq
from pathlib import Path

import pytest
from peers import CHILD, COMMAND, CRADLE, ENCODED, IMAGE, PARENT, SEED_KEYS, private

import cqlmatch
from cqlmatch.bytecode.compiler import compile_program
from cqlmatch.errors import CQLCompileError, CQLSyntaxError
from cqlmatch.ingest.columns import columns_of
from cqlmatch.lang.events import Event, parse_line
from cqlmatch.reference import Interpreter
from cqlmatch.runtime.engine import VMEngine
from cqlmatch.semantics.check import check
from cqlmatch.syntax.parser import parse
from cqlmatch.synth.gen import generate_lines

ROOT = Path(__file__).resolve().parent.parent
CORRECTED = ROOT / "rules" / "t1546_016.cql"
SEED = ROOT / "rules" / "seed" / "t1546_016.cql"
CORPUS = ROOT / "corpus" / "queries.jsonl"

REJECTED_EVENTS = 50_000
REGEX_EVENTS = 20_000

# --- the rule by hand -------------------------------------------------------------------------

_PARENT, _CHILD, _COMMAND, _CRADLE, _ENCODED, _IMAGE = (
    re.compile(p) for p in (PARENT, CHILD, COMMAND, CRADLE, ENCODED, IMAGE)
)
_KEYS = SEED_KEYS
_private = private


def handwritten(events: list[Event]) -> list[dict[str, str]]:
    """The corrected T1546.016 rule in plain Python: same rows, same order."""
    groups: dict[tuple[str, ...], int] = {}
    for event in events:
        fields = event.fields
        name = fields.get("#event_simpleName")
        if name is None:
            name = fields.get("event_simpleName")
        if name == "ProcessRollup2":
            parent = fields.get("ParentBaseFileName")
            if parent is None or not _PARENT.search(parent):
                continue
            child = fields.get("FileName")
            command = fields.get("CommandLine")
            if not (
                (child is not None and _CHILD.search(child))
                or (command is not None and _COMMAND.search(command))
            ):
                continue
            if command is not None and _CRADLE.search(command):
                kind = "INSTALLER_DOWNLOAD_CRADLE"
            elif command is not None and _ENCODED.search(command):
                kind = "INSTALLER_ENCODED_EXECUTION"
            else:
                kind = "INSTALLER_SCRIPT_CHILD"
        elif name == "NetworkConnectIP4":
            image = fields.get("ImageFileName")
            if image is None or not _IMAGE.search(image):
                continue
            remote = fields.get("RemoteAddressIP4")
            if remote is None or _private(remote):
                continue
            kind = "INSTALLER_NETWORK_CALLBACK"
        else:
            continue
        key = tuple(kind if k == "EventType" else fields.get(k, "-") for k in _KEYS)
        # count(aid): a group appears with its first event, counts events with aid
        groups[key] = groups.get(key, 0) + ("aid" in fields)
    rows = [(count, key) for key, count in groups.items() if count]  # no input: no row
    rows.sort(key=lambda item: -item[0])  # stable: ties keep first appearance
    return [{**dict(zip(_KEYS, key, strict=True)), "EventCount": str(n)} for n, key in rows[:200]]


# --- events and engines -----------------------------------------------------------------------


def _decode(line: bytes) -> Event:
    text = line.decode("utf-8").rstrip("\n")
    return Event(parse_line(text), text)


@pytest.fixture(scope="module")
def rejected() -> list[Event]:
    """DnsRequest events from the realistic mix."""
    out = []
    for line in generate_lines(10 * REJECTED_EVENTS, seed=11):
        if b'"event_simpleName":"DnsRequest"' in line:
            out.append(_decode(line))
            if len(out) == REJECTED_EVENTS:
                return out
    raise AssertionError("too few DnsRequest events generated")


@pytest.fixture(scope="module")
def reaching() -> list[Event]:
    """ProcessRollup2 events with installer parents and NetworkConnectIP4
    events from msiexec (worst mix, many planted chains)."""
    out = []
    for line in generate_lines(20 * REGEX_EVENTS, seed=12, mix="worst", malicious_rate=0.5):
        event = _decode(line)
        name = event.fields.get("event_simpleName")
        if name == "ProcessRollup2":
            reaches = _PARENT.search(event.fields.get("ParentBaseFileName", ""))
        else:
            reaches = name == "NetworkConnectIP4" and _IMAGE.search(
                event.fields.get("ImageFileName", "")
            )
        if reaches:
            out.append(event)
            if len(out) == REGEX_EVENTS:
                return out
    raise AssertionError("too few events reaching the regexes generated")


@pytest.fixture(scope="module")
def query() -> cqlmatch.CompiledQuery:
    return cqlmatch.compile(CORRECTED.read_text(encoding="utf-8"))


RESULTS: dict[tuple[str, str], tuple[int, float]] = {}


@pytest.fixture(scope="module", autouse=True)
def summary(request: pytest.FixtureRequest):
    """Print events/s and the ratios once every engine benchmark has run."""
    yield
    if not RESULTS:
        return
    lines = [
        "",
        "seed rule (corrected), pre-decoded events, one core; events/s from the median round",
    ]
    order = {"vm": 0, "vm_columns": 1, "reference": 2, "python": 3, "floor": 4}
    for events in ("rejected", "regex"):
        rates = {
            impl: n / seconds
            for (impl, ev), (n, seconds) in sorted(RESULTS.items(), key=lambda kv: order[kv[0][0]])
            if ev == events
        }
        if not rates:
            continue
        text = "  ".join(f"{impl} {rate / 1e6:8.3f} M/s" for impl, rate in rates.items())
        lines.append(f"  {events:<9} {text}")
        for vm in ("vm", "vm_columns"):
            if vm in rates:
                ratios = [
                    f"{vm}/{other} {rates[vm] / rates[other]:6.1f}x"
                    for other in ("reference", "python")
                    if other in rates
                ]
                lines.append(f"  {'':<9} {'  '.join(ratios)}")
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\n".join(lines))


def _bench(benchmark, impl: str, events_name: str, events: list, call, rounds: int, arg=None):
    """Time ``call(arg)`` (``arg`` defaults to the events themselves)."""
    arg = events if arg is None else arg
    rows = benchmark.pedantic(call, args=(arg,), rounds=rounds, iterations=1, warmup_rounds=1)
    stats = getattr(benchmark, "stats", None)
    if stats is not None and not benchmark.disabled:
        RESULTS[(impl, events_name)] = (len(events), stats.stats.median)
        benchmark.extra_info["events"] = len(events)
        benchmark.extra_info["events_per_s"] = round(len(events) / stats.stats.median)
    return rows


def _rows(out: list) -> list[dict[str, str]]:
    return [dict(row.fields) if isinstance(row, Event) else row for row in out]


def _columns(query: cqlmatch.CompiledQuery, events: list[Event]) -> tuple[list, ...]:
    return columns_of(VMEngine(query.checked, query.tables).program, events)


# name -> (the callable to time, made from the query; rounds; the argument it
# takes, made from the query and the events outside the timed part)
IMPLEMENTATIONS = {
    "vm": (lambda q: VMEngine(q.checked, q.tables).run, 30, None),
    "vm_columns": (lambda q: VMEngine(q.checked, q.tables).run_columns, 30, _columns),
    "reference": (lambda q: Interpreter(q.checked, q.tables).run, 3, None),
    "python": (lambda q: handwritten, 5, None),
}


def _impl_bench(benchmark, impl: str, events_name: str, query, events):
    make, rounds, prepare = IMPLEMENTATIONS[impl]
    arg = None if prepare is None else prepare(query, events)
    return _bench(benchmark, impl, events_name, events, make(query), rounds, arg)


@pytest.mark.parametrize("impl", list(IMPLEMENTATIONS))
def test_rejected_by_first_test(benchmark, impl, query, rejected) -> None:
    rows = _impl_bench(benchmark, impl, "rejected", query, rejected)
    assert _rows(rows) == []


@pytest.fixture(scope="module")
def expected(query, reaching) -> list[dict[str, str]]:
    """The reference interpreter's rows over the ``regex`` set."""
    rows = _rows(Interpreter(query.checked, query.tables).run(reaching))
    assert len(rows) >= 10  # the planted chains give rows
    return rows


@pytest.mark.parametrize("impl", list(IMPLEMENTATIONS))
def test_reaching_the_regexes(benchmark, impl, query, reaching, expected) -> None:
    rows = _rows(_impl_bench(benchmark, impl, "regex", query, reaching))
    assert rows == expected


_FIELDS = attrgetter("fields")


def touch(events: list[Event]) -> int:
    """The floor for any engine over Event objects: one dict lookup per event
    (``event_simpleName``) and a comparison, all in C (map over builtins)."""
    names = map(dict.get, map(_FIELDS, events), repeat("event_simpleName"))
    return sum(map(eq, names, repeat("ProcessRollup2")))


@pytest.mark.parametrize("events_name", ["rejected", "regex"])
def test_floor_reading_one_field(benchmark, events_name, rejected, reaching) -> None:
    events = rejected if events_name == "rejected" else reaching
    kept = _bench(benchmark, "floor", events_name, events, touch, 10)
    assert (kept == 0) == (events_name == "rejected")


def test_handwritten_rows_match_the_engines_on_realistic_events(query) -> None:
    """Beyond the two sets: a realistic mix with planted chains and look-alikes."""
    events = [_decode(line) for line in generate_lines(30_000, seed=13, malicious_rate=0.01)]
    vm = _rows(VMEngine(query.checked, query.tables).run(events))
    assert vm == _rows(Interpreter(query.checked, query.tables).run(events))
    assert handwritten(events) == vm
    assert {row["EventType"] for row in vm} >= {
        "INSTALLER_DOWNLOAD_CRADLE",
        "INSTALLER_SCRIPT_CHILD",
        "INSTALLER_NETWORK_CALLBACK",
    }


# --- compiling ---------------------------------------------------------------------------------


def _compile(text: str):
    return compile_program(check(parse(text), text))


@pytest.mark.parametrize("rule", [CORRECTED, SEED], ids=["corrected", "seed"])
def test_compile_seed_rule(benchmark, rule: Path) -> None:
    text = rule.read_text(encoding="utf-8")
    program = benchmark(_compile, text)
    assert program.regex_sets and program.group is not None


def test_compile_corpus(benchmark) -> None:
    """parse + check + compile_program for every corpus query that checks."""
    if not CORPUS.exists():
        pytest.fail(f"corpus not found at {CORPUS}: corpus/queries.jsonl is part of the repository")
    with open(CORPUS, encoding="utf-8") as fh:
        texts = [json.loads(line)["query"] for line in fh]

    def compile_all() -> tuple[int, int]:
        checked = compiled = 0
        for text in texts:
            try:
                tree = parse(text)
                result = check(tree, text)
            except (CQLSyntaxError, CQLCompileError):
                continue
            checked += 1
            compile_program(result)
            compiled += 1
        return checked, compiled

    checked, compiled = benchmark.pedantic(compile_all, rounds=3, iterations=1)
    assert compiled == checked >= 3000


# --- tags of the source ------------------------------------------------------------------------

# The seed rule on the VM as ``CompiledQuery.run`` builds it: without tags,
# with the default Falcon sensor tags (which it does not read: the tag slots
# are filled once per run, so this must cost nothing), and opened with
# ``#repo=base_sensor`` (every event answers from the constant slot).
TAGGED = {
    "no_tags": ("", None),
    "default_tags": ("", "defaults"),
    "repo_filter": ("#repo=base_sensor\n| ", "defaults"),
}


@pytest.mark.parametrize("variant", list(TAGGED))
def test_tags_cost_nothing_when_unread(benchmark, variant, rejected, reaching) -> None:
    from cqlmatch.lang.tags import input_tags

    prefix, tags = TAGGED[variant]
    query = cqlmatch.compile(prefix + CORRECTED.read_text(encoding="utf-8"))
    engine = VMEngine(query.checked, query.tables, tags=None if tags is None else input_tags())
    events = rejected + reaching
    rows = benchmark.pedantic(engine.run, args=(events,), rounds=20, iterations=1, warmup_rounds=1)
    assert len(rows) >= 10
    stats = getattr(benchmark, "stats", None)
    if stats is not None and not benchmark.disabled:
        benchmark.extra_info["events_per_s"] = round(len(events) / stats.stats.median)
