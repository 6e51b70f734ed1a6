"""Linking pure filters into one program (bytecode/link.py) and running it
with ``Machine.run_rules``: every rule keeps exactly the events it keeps
when compiled and run alone, whatever the other rules beside it read."""

from __future__ import annotations

import time
from array import array

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import cqlmatch
from cqlmatch._vm import Machine
from cqlmatch.bytecode.link import link, linkable
from cqlmatch.lang.events import Event, from_dicts
from cqlmatch.packs.linked import _NoSlowPath

from ..runtime.test_differential import event_lists, filters

RULES = [
    "ImageFileName=/\\\\cmd\\.exe$/i CommandLine=/whoami|net user/i",
    "#event_simpleName=ProcessRollup2 CommandLine=*-enc*",
    "CommandLine=/whoami/ or UserName=SYSTEM",
    "x > 3 not y=*",
    'in(UserName, values=["a", "b", "c", "d", "e", "f", "g", "h", "i"])',
    'cidr(RemoteAddressIP4, subnet="10.0.0.0/8")',
]


def run_linked(
    queries: list[str], events: list[Event], merge_sets: bool = True
) -> dict[int, list[int]]:
    programs = [cqlmatch.compile(q).program for q in queries]
    names = [f"r{i}" for i in range(len(queries))]
    machine = Machine(link(programs, names, merge_sets), _NoSlowPath())
    n = len(queries)
    # every event is a candidate for every rule: one set holding them all
    starts = array("i", range(len(events) + 1))
    shapes = array("i", [0] * len(events))
    evaluated, nanos = array("q", [0] * n), array("q", [0] * n)
    found = machine.run_rules(
        events, starts, shapes, array("i", [0, n]), array("i", range(n)), evaluated, nanos
    )
    assert list(evaluated) == [len(events)] * n
    assert found == sorted(found)
    kept: dict[int, list[int]] = {i: [] for i in range(n)}
    for event_index, rule in found:
        kept[rule].append(event_index)
    return kept


def alone(query: str, events: list[dict]) -> list[int]:
    compiled = cqlmatch.compile(query)
    return [i for i, event in enumerate(events) if list(compiled.run([event], workers=1))]


@pytest.mark.parametrize("merge_sets", [True, False])
def test_linked_rules_keep_what_each_keeps_alone(merge_sets) -> None:
    events = [
        Event({"ImageFileName": "C:\\Windows\\CMD.EXE", "CommandLine": "whoami /all"}),
        Event({"#event_simpleName": "ProcessRollup2", "CommandLine": "p -enc AAAA"}),
        Event({"UserName": "SYSTEM", "x": "5"}),
        Event({"UserName": "e", "RemoteAddressIP4": "10.1.2.3", "x": "2", "y": "1"}),
        Event({}),
    ]
    assert all(linkable(cqlmatch.compile(q).program) for q in RULES)
    kept = run_linked(RULES, events, merge_sets)
    assert kept == {i: alone(q, [dict(e.fields) for e in events]) for i, q in enumerate(RULES)}
    assert kept[0] == [0] and kept[1] == [1] and kept[3] == [2]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(filters, min_size=1, max_size=5), event_lists, st.booleans())
def test_random_pure_filters_linked_agree_with_each_alone(queries, raw_events, merge) -> None:
    pure = []
    for query in queries:
        try:
            compiled = cqlmatch.compile(query)
        except cqlmatch.CQLError:
            continue
        if linkable(compiled.program):
            pure.append(query)
    if not pure:
        return
    events = [Event(fields, raw) for fields, raw in from_dicts(raw_events)]
    expected = {i: alone(q, raw_events) for i, q in enumerate(pure)}
    assert run_linked(pure, events, merge) == expected


def test_what_cannot_be_linked() -> None:
    for query in ("x := 1", "count()", "CommandLine=/a/ | y := 2", 'regex("(?<u>.)", field=x)'):
        assert not linkable(cqlmatch.compile(query).program), query
    with pytest.raises(ValueError, match="not a pure filter"):
        link([cqlmatch.compile("x := 1").program], ["a"])
    with pytest.raises(ValueError, match="2 programs for 1 names"):
        link([cqlmatch.compile("x=1").program] * 2, ["a"])


def test_run_rules_checks_its_buffers() -> None:
    program = link([cqlmatch.compile("x=1").program], ["a"])
    machine = Machine(program, _NoSlowPath())
    one = array("q", [0])
    events = [Event({"x": "1"})]
    ok = (array("i", [0, 1]), array("i", [0]), array("i", [0, 1]), array("i", [0]))
    assert machine.run_rules(events, *ok, one, array("q", [0])) == [(0, 0)]
    with pytest.raises(ValueError, match="starts for 1 events"):
        machine.run_rules(events, array("i", [0]), *ok[1:], one, one)
    with pytest.raises(ValueError, match="rule number 5"):
        machine.run_rules(events, *ok[:3], array("i", [5]), one, one)
    with pytest.raises(ValueError, match="candidate set 3"):
        machine.run_rules(events, ok[0], array("i", [3]), *ok[2:], one, one)
    with pytest.raises(ValueError, match="counters for 2 rules"):
        machine.run_rules(events, *ok, array("q", [0, 0]), array("q", [0, 0]))


def test_one_regex_set_per_field_across_the_rules() -> None:
    queries = [
        "CommandLine=/whoami|net user/ ImageFileName=/cmd\\.exe$/",
        "CommandLine=/whoami|net user/ or CommandLine=/mimi(katz)?/",
        "ImageFileName=/psexe[cs]/",
    ]
    programs = [cqlmatch.compile(q).program for q in queries]
    merged = link(programs, ["a", "b", "c"])
    fields = [merged.fields[spec.slot].name for spec in merged.regex_sets]
    assert sorted(fields) == ["CommandLine", "ImageFileName"]  # one set each
    command_line = merged.regex_sets[fields.index("CommandLine")]
    assert len(command_line.patterns) == 2  # the pattern two rules share is one bit
    separate = link(programs, ["a", "b", "c"], merge_sets=False)
    assert len(separate.regex_sets) == sum(len(p.regex_sets) for p in programs)


def test_a_merged_set_past_re2s_budget_falls_back_to_each_rules_own(monkeypatch) -> None:
    from cqlmatch.packs import linked

    built = []

    def machine(program, slow, lazy_sets=False):
        built.append((len(program.regex_sets), lazy_sets))
        if len(built) == 1:
            raise ValueError("regex set 0: RE2 could not compile its patterns (out of memory)")
        return Machine(program, slow, lazy_sets=lazy_sets)

    monkeypatch.setattr(linked, "Machine", machine)
    programs = [cqlmatch.compile(q).program for q in ("CommandLine=/a.c/", "CommandLine=/d.f/")]
    program, _ = linked.link_rules(programs, ["a", "b"], merge_sets=True)
    # the merged set is compiled at once (so that it can fail here); each
    # rule's own sets, which the compiler fitted in the budget, when first run
    assert built == [(1, False), (2, True)] and len(program.regex_sets) == 2


def test_sets_are_shared_within_a_group_only() -> None:
    """Given a group per rule, rules share regex sets with their own group's
    rules only (a pack groups the rules that are candidates for the same
    lines); each rule still keeps its own hits."""
    queries = [
        "CommandLine=/a.c/",
        "CommandLine=/d.f/",
        "CommandLine=/g.i/",
        "CommandLine=/a.c/ ImageFileName=/x.y/",
    ]
    programs = [cqlmatch.compile(q).program for q in queries]
    names = ["a", "b", "c", "d"]
    grouped = link(programs, names, merge_sets=["one", "one", "two", "one"])
    fields = [grouped.fields[spec.slot].name for spec in grouped.regex_sets]
    assert sorted(fields) == ["CommandLine", "CommandLine", "ImageFileName"]
    shared = [s for s in grouped.regex_sets if grouped.fields[s.slot].name == "CommandLine"]
    assert sorted(len(s.patterns) for s in shared) == [1, 2]  # "a.c" once for a and d
    with pytest.raises(ValueError, match="groups"):
        link(programs, names, merge_sets=["one"])
    machine = Machine(grouped, _NoSlowPath(), lazy_sets=True)
    events = [
        Event({"CommandLine": "abc", "ImageFileName": "xzy"}),
        Event({"CommandLine": "dxf ghi"}),
    ]
    starts, shapes = array("i", [0, 1, 2]), array("i", [0, 0])
    evaluated, nanos = array("q", [0] * 4), array("q", [0] * 4)
    found = machine.run_rules(
        events, starts, shapes, array("i", [0, 4]), array("i", [0, 1, 2, 3]), evaluated, nanos
    )
    assert found == [(0, 0), (0, 3), (1, 1), (1, 2)]


def test_each_rule_run_is_timed_within_the_call() -> None:
    """``run_rules`` adds each rule's time to ``nanos``: more than nothing
    for a rule it ran, nothing for one it did not, and together no more
    than the call took (the time-stamp counter is scaled by the call's own
    clock)."""
    programs = [cqlmatch.compile(q).program for q in RULES[:3]]
    machine = Machine(link(programs, ["a", "b", "c"]), _NoSlowPath())
    events = [Event({"CommandLine": f"whoami {i}", "UserName": "SYSTEM"}) for i in range(300)]
    starts = array("i", range(len(events) + 1))
    shapes = array("i", [0] * len(events))
    evaluated, nanos = array("q", [0, 0, 0]), array("q", [0, 0, 0])
    started = time.perf_counter_ns()
    machine.run_rules(
        events, starts, shapes, array("i", [0, 2]), array("i", [0, 2]), evaluated, nanos
    )
    took = time.perf_counter_ns() - started
    assert list(evaluated) == [300, 0, 300]
    assert nanos[0] > 0 and nanos[1] == 0 and nanos[2] > 0
    assert nanos[0] + nanos[2] <= took
