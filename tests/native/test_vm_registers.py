"""The VM's register file, native cidr(), regex memo, group tables and columns.

Each test states a property of the reference semantics and checks the VM
against the reference interpreter (or against itself run another way).
"""

from __future__ import annotations

import pickle
from pathlib import Path

from hypothesis import given, settings, strategies as st

import cqlmatch
from cqlmatch.bytecode.compiler import compile_program
from cqlmatch.bytecode.opcodes import Op, width
from cqlmatch.ingest.columns import columns_of
from cqlmatch.ingest.decode import Decoder
from cqlmatch.lang.events import Event
from cqlmatch.runtime.engine import VMEngine
from cqlmatch.synth.gen import generate_lines

ENGINES = ("vm", "reference")
RULES = Path(__file__).resolve().parents[2] / "rules"


def both(query: str, events: list[dict]) -> list[dict]:
    """The rows of ``query`` over ``events``; both engines must agree."""
    compiled = cqlmatch.compile(query)
    vm, ref = (compiled.run(events, engine=e) for e in ENGINES)
    assert vm == ref
    return vm


def opcodes(query: str) -> set[Op]:
    code = compile_program(cqlmatch.compile(query).checked).code
    found, pc = set(), 0
    while pc < len(code):
        found.add(Op(code[pc]))
        pc += width(Op(code[pc]))
    return found


# --- cidr ------------------------------------------------------------------------------------

PRIVATE = 'subnet=["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8"]'

ADDRESSES = [
    "10.1.2.3",
    "11.1.2.3",
    "172.31.255.255",
    "172.32.0.0",
    "192.168.0.1",
    "127.0.0.1",
    "8.8.8.8",
    " 10.0.0.1\t",
    "\x1c10.0.0.1",
    "010.0.0.1",
    "10.0.0.256",
    "10.0.0",
    "10.0.0.1.",
    "10..0.1",
    "1000.0.0.1",
    "::ffff:10.0.0.1",
    "fe80::1",
    "\u0661\u0660.0.0.1",  # Arabic-Indic digits: not an address
    "10.0.0.1 x",
    "",
    "-",
    "0.0.0.0",
    "255.255.255.255",
]


def test_cidr_over_ipv4_subnets_is_native() -> None:
    query = f"cidr(ip, {PRIVATE})"
    assert Op.TEST_CIDR in opcodes(query)
    assert Op.TEST_NODE not in opcodes(query)
    assert Op.TEST_NODE in opcodes('cidr(ip, subnet=["10.0.0.0/8", "fe80::/10"])')


def test_cidr_agrees_with_the_reference_on_awkward_values() -> None:
    events = [{"id": str(i), "ip": value} for i, value in enumerate(ADDRESSES)] + [{"id": "none"}]
    kept = [row["id"] for row in both(f"cidr(ip, {PRIVATE})", events)]
    assert kept == ["0", "2", "4", "5", "7", "8"]
    outside = [row["id"] for row in both(f"!cidr(ip, {PRIVATE})", events)]
    assert "none" in outside and "1" in outside and "0" not in outside
    negated = [row["id"] for row in both(f"cidr(ip, negate=true, {PRIVATE})", events)]
    assert "none" not in negated and "1" in negated
    everything = [row["id"] for row in both('cidr(ip, subnet=["0.0.0.0/0"])', events)]
    assert everything == [str(i) for i in (*range(9), 21, 22)]  # every IPv4 address
    with_v6 = [row["id"] for row in both('cidr(ip, subnet=["0.0.0.0/0", "fe80::/10"])', events)]
    assert with_v6 == [str(i) for i in (*range(9), 16, 21, 22)]


@settings(max_examples=200, deadline=None)
@given(
    octets=st.lists(
        st.one_of(
            st.integers(0, 300).map(str),
            st.sampled_from(["00", "01", "", " ", "1a", "٣"]),
        ),
        min_size=1,
        max_size=5,
    ),
    pad=st.sampled_from(["", " ", "\t", "\n", "\x1f", "\xa0"]),
    prefix=st.integers(0, 32),
)
def test_cidr_property(octets: list[str], pad: str, prefix: int) -> None:
    value = pad + ".".join(octets) + pad
    query = f'cidr(ip, subnet=["10.0.0.0/8", "{".".join(["1"] * 4)}/{prefix}"])'
    both(query, [{"ip": value}])


# --- registers ---------------------------------------------------------------------------------


def test_a_write_to_a_fallback_target_is_seen_by_the_tag() -> None:
    events = [{"event_simpleName": "A"}, {"#event_simpleName": "B", "event_simpleName": "A"}]
    rows = both('event_simpleName := "C" | #event_simpleName = C', events)
    assert rows == [{"event_simpleName": "C"}]


def test_case_branches_restore_the_registers() -> None:
    query = """
    case {
      a = 1 | b := "one" | c = never ;
      a = 1 | c := "kept" ;
      * | b := "other"
    }
    | default(field=[b, c], value="-")
    """
    rows = both(query, [{"a": "1"}, {"a": "2", "b": "x"}, {"a": "1", "b": "y"}])
    assert rows == [
        {"a": "1", "c": "kept", "b": "-"},
        {"a": "2", "b": "other", "c": "-"},
        {"a": "1", "b": "y", "c": "kept"},
    ]


def test_regex_memo_keeps_answers_per_value() -> None:
    """Values repeat across events; each value's answer comes from RE2 once."""
    query = "name = /(?i)^(cmd|powershell)\\.exe$/"
    names = ["cmd.exe", "CMD.EXE", "notepad.exe", "powershell.exe", "xcmd.exe"] * 50
    events = [{"name": "".join(list(n))} for n in names]  # distinct objects, equal values
    compiled = cqlmatch.compile(query)
    engine = VMEngine(compiled.checked, compiled.tables)
    out = engine.run([Event(dict(e)) for e in events])
    assert [e.fields["name"] for e in out] == [
        n for n in names if n.lower() in ("cmd.exe", "powershell.exe")
    ]
    # once per value: by RE2, or by the set's gate ("notepad.exe" holds neither name)
    assert (engine.machine.regex_calls, engine.machine.regex_gated) == (4, 1)


def test_regex_memo_is_bounded_and_stays_correct() -> None:
    query = "v = /7$/"
    events = [{"v": str(i)} for i in range(20_000)]
    rows = both(query, events)
    assert [r["v"] for r in rows] == [str(i) for i in range(7, 20_000, 10)]


# --- group tables and columns ------------------------------------------------------------------

GROUPING = """
#event_simpleName=ProcessRollup2 OR #event_simpleName=NetworkConnectIP4
| case { #event_simpleName=ProcessRollup2 | kind := "proc" ; * | kind := "net" }
| groupBy([kind, ComputerName], function=[count(aid, as=n), count(FileName, distinct=true),
                                            min(ContextProcessId), max(ContextProcessId),
                                            avg(ContextProcessId), sum(ContextProcessId)],
          limit=LIMIT)
"""


def _events(n: int, seed: int) -> list[Event]:
    decoder = Decoder(need_all=True)
    return [decoder.decode(line) for line in generate_lines(n, seed=seed)]


def _engine(limit: str = "20000") -> VMEngine:
    compiled = cqlmatch.compile(GROUPING.replace("LIMIT", limit))
    return VMEngine(compiled.checked, compiled.tables)


def test_merged_tables_equal_one_table() -> None:
    events = _events(3000, seed=5)
    for limit in ("20000", "7"):
        engine = _engine(limit)
        machine = engine.machine
        whole = machine.rows(machine.aggregate(events))
        parts = [events[:1000], events[1000:1700], events[1700:]]
        tables = [machine.aggregate(p, machine.new_table(partial=True)) for p in parts]
        merged = machine.new_table()
        for table in tables:
            merged.merge(pickle.loads(pickle.dumps(table)))
        assert [r.fields for r in machine.rows(merged)] == [r.fields for r in whole]
        assert merged.limit_reached == (limit == "7")


def test_tables_of_other_plans_do_not_merge() -> None:
    a, b = _engine("10").machine, _engine("20").machine
    try:
        a.new_table().merge(b.new_table())
    except ValueError as err:
        assert "different plans" in str(err)
    else:
        raise AssertionError("merged tables of different plans")


def test_columns_give_the_rows_events_give() -> None:
    events = _events(5000, seed=9)
    for path in (RULES / "t1546_016.cql",):
        compiled = cqlmatch.compile(path.read_text(encoding="utf-8"))
        engine = VMEngine(compiled.checked, compiled.tables)
        assert engine.machine.native
        columns = columns_of(engine.program, events)
        by_columns = [r.fields for r in engine.run_columns(columns)]
        assert by_columns == [r.fields for r in engine.run(events)]
        assert by_columns == compiled.run([e.fields for e in events], engine="reference")
    engine = _engine()
    columns = columns_of(engine.program, events)
    assert [r.fields for r in engine.run_columns(columns)] == [r.fields for r in engine.run(events)]


def test_columns_are_checked() -> None:
    engine = _engine()
    n = len(engine.program.fields)
    for bad, error in (
        (tuple([[]] * (n - 1)), ValueError),
        (tuple([[None]] * (n - 1) + [[]]), ValueError),
        (tuple([()] * n), TypeError),
    ):
        try:
            engine.machine.aggregate_columns(bad)
        except error:
            pass
        else:
            raise AssertionError(f"accepted {bad!r}")


def test_sort_by_a_count_after_group_by() -> None:
    """The VM orders groups by a count without rows for every group; the
    rows must be the reference's for every order, type and limit."""
    events = [e.fields for e in _events(2000, seed=3)]
    for sort in (
        "sort(n)",
        "sort(n, order=asc)",
        "sort(n, limit=5)",
        "sort(n, order=asc, limit=3)",
        "sort(n, reverse=true)",
        "sort(n, type=string)",
        "sort(d, limit=4)",
        "sort([n, d])",
        "sort(ComputerName, limit=2)",
        "sort(n, limit=3) | head(2)",
    ):
        query = (
            "groupBy([ComputerName], function=[count(as=n), count(FileName, distinct=true, as=d)])"
            f" | {sort}"
        )
        rows = both(query, events)
        assert rows, query


def test_sort_by_a_count_takes_the_native_path() -> None:
    compiled = cqlmatch.compile("groupBy([ComputerName]) | sort(_count, limit=5)")
    engine = VMEngine(compiled.checked, compiled.tables)
    table = engine.machine.aggregate(_events(500, seed=4))
    stage = engine.nodes[engine.program.aggregate_stages[1]]
    order = engine._count_order(table, stage)
    assert order is not None and len(order) == 5
    counts = [int(r.fields["_count"]) for r in engine.machine.rows(table, order)]
    assert counts == sorted(counts, reverse=True)
    string_sort = cqlmatch.compile("groupBy([ComputerName]) | sort(_count, type=string)")
    engine = VMEngine(string_sort.checked, string_sort.tables)
    assert engine._count_order(table, engine.nodes[engine.program.aggregate_stages[1]]) is None


def test_case_dispatch_on_a_shared_first_test() -> None:
    query = """
    case {
      kind = a x = 1 | out := "a1" ;
      kind = b | out := "b" ;
      kind = a | out := "a-other" ;
      kind = "c*" | out := "c-wildcard" ;
      * | out := "rest"
    }
    """
    assert Op.DISPATCH in opcodes(query)
    events = [
        {"kind": "a", "x": "1"},
        {"kind": "a", "x": "2"},
        {"kind": "b"},
        {"kind": "c"},
        {"kind": "cz"},
        {"x": "1"},
        {"#kind": "b"},
    ]
    rows = both(query, events)
    assert [r["out"] for r in rows] == [
        "a1",
        "a-other",
        "b",
        "c-wildcard",
        "c-wildcard",
        "rest",
        "rest",  # kind has no fallback to #kind (only #kind falls back to kind)
    ]
    no_fallback = both("case { kind = a | out := 1 ; kind = b | out := 2 }", events)
    assert [r["out"] for r in no_fallback] == ["1", "1", "2"]


def test_a_filter_condition_may_compare_with_true() -> None:
    """``if(n=true, ...)``: ``true`` is the text true, as in any filter
    (found by the differential tests: it was an error before)."""
    rows = both('a := if(n=true, then="x", else="y")', [{"n": "true"}, {"n": "false"}, {}])
    assert [r["a"] for r in rows] == ["x", "y", "y"]
