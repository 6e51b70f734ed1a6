"""The Cython VM (``cqlmatch._vm.Machine``) instruction by instruction, on
tiny hand-assembled programs and on compiled queries checked against the
reference interpreter; and the engine around it (``cqlmatch.runtime.engine.VMEngine``).

Whole-query agreement over many queries is covered by the suites that run
on every engine (``ENGINES``); these tests pin what only the VM has: the
copy-on-write of events, the regex-set cache, the stack of ``case``, the
checks on malformed programs and the native groupBy."""

from __future__ import annotations

import random
import re
from concurrent.futures import ThreadPoolExecutor

import msgspec
import pytest
from hypothesis import given, settings, strategies as st

import cqlmatch
from cqlmatch._vm import Machine
from cqlmatch.bytecode.compiler import compile_program
from cqlmatch.bytecode.opcodes import Op
from cqlmatch.bytecode.program import (
    FORMAT_VERSION,
    MAGIC,
    AggSpec,
    FieldRef,
    GroupPlan,
    Program,
    RegexSetSpec,
    Rule,
    regex_set_spec,
)
from cqlmatch.lang.events import Event
from cqlmatch.lang.values import parse_number
from cqlmatch.reference import Interpreter
from cqlmatch.runtime.engine import VMEngine

# --- a small assembler and a recording slow path -----------------------------------------


def assemble(*items) -> tuple[int, ...]:
    """Code words from ``(Op, operand, ...)`` tuples and ``"label:"`` strings;
    an operand given as a label name becomes that label's offset."""
    labels: dict[str, int] = {}
    offset = 0
    for item in items:
        if isinstance(item, str):
            labels[item.rstrip(":")] = offset
        else:
            offset += len(item)
    code: list[int] = []
    for item in items:
        if not isinstance(item, str):
            code.append(int(item[0]))
            code.extend(labels[x] if isinstance(x, str) else x for x in item[1:])
    return tuple(code)


def program(
    *items,
    fields: tuple = ("a",),
    consts: tuple[str, ...] = (),
    numbers: tuple = (),
    regex_sets: tuple[RegexSetSpec, ...] = (),
    group: GroupPlan | None = None,
    value_sets: tuple[tuple[str, ...], ...] = (),
) -> Program:
    refs = tuple(f if isinstance(f, FieldRef) else _ref(f) for f in fields)
    code = assemble(*items)
    return Program(
        magic=MAGIC,
        version=FORMAT_VERSION,
        source="",
        params={},
        strict=False,
        fields=refs,
        consts=consts,
        numbers=numbers,
        regex_sets=regex_sets,
        code=code,
        lines=(0,) * len(code),
        rules=(Rule("test", 0),),
        prefilter=(),
        group=group,
        aggregate_stages=(),
        value_sets=value_sets,
    )


def _ref(name: str) -> FieldRef:
    if name.startswith("#"):
        return FieldRef(name, name[1:])
    if name == "@timestamp":
        return FieldRef(name, "timestamp")
    return FieldRef(name, None, name == "@rawstring")


class Slow:
    """The slow-path interface, scripted by the test and recording its calls."""

    def __init__(self, tests=None, stages=None) -> None:
        self.tests = tests or {}
        self.stages = stages or {}
        self.calls: list[tuple] = []
        self.warnings: list[tuple[str, str]] = []

    def test_node(self, index: int, event: Event) -> Event | None:
        self.calls.append(("test", index, dict(event.fields)))
        return self.tests[index](event)

    def stage_node(self, index: int, event: Event) -> list[Event]:
        self.calls.append(("stage", index, dict(event.fields)))
        return self.stages[index](event)

    def warn(self, code: str, message: str) -> None:
        self.warnings.append((code, message))


def run(prog: Program, *events: dict, slow: Slow | None = None) -> list[dict]:
    machine = Machine(prog, slow or Slow())
    return [e.fields for e in machine.run([Event(dict(f), "RAW") for f in events])]


def kept(prog: Program, fields: dict) -> bool:
    return bool(run(prog, fields))


def test_prog(op: Op, *operands: int, **pools) -> Program:
    """One test, then accept when it set the flag."""
    return program(
        (op, *operands), (Op.JUMP_IF_FALSE, "no"), (Op.ACCEPT,), "no:", (Op.REJECT,), **pools
    )


test_prog.__test__ = False  # a helper, not a test


def unique(text: str) -> str:
    """An equal str that is a different object (defeats identity caches)."""
    return "".join(list(text))


# --- tests, flags and jumps --------------------------------------------------------------


def test_exists_eq_prefix_suffix_contains() -> None:
    pools = {"consts": ("abc",)}
    assert kept(test_prog(Op.TEST_EXISTS, 0), {"a": ""})
    assert not kept(test_prog(Op.TEST_EXISTS, 0), {"b": "x"})
    cases = {
        Op.TEST_EQ: {"abc": True, "abcd": False, "ab": False, "ABC": False},
        Op.TEST_PREFIX: {"abc": True, "abcd": True, "xabc": False, "ab": False},
        Op.TEST_SUFFIX: {"abc": True, "xabc": True, "abcd": False, "bc": False},
        Op.TEST_CONTAINS: {"abc": True, "xabcx": True, "ab c": False, "": False},
    }
    for op, values in cases.items():
        prog = test_prog(op, 0, 0, **pools)
        for value, expected in values.items():
            assert kept(prog, {"a": unique(value)}) is expected, (op, value)
        assert not kept(prog, {"b": "abc"}), op  # missing: every TEST is false


def test_string_tests_compare_code_points() -> None:
    pools = {"consts": ("é😀",)}
    for value, expected in [("é😀", True), ("e\u0301😀", False), ("É😀", False)]:
        assert kept(test_prog(Op.TEST_EQ, 0, 0, **pools), {"a": value}) is expected
    assert kept(test_prog(Op.TEST_CONTAINS, 0, 0, **pools), {"a": "xé😀y"})
    assert kept(test_prog(Op.TEST_PREFIX, 0, 0, **pools), {"a": "é😀ß"})
    assert not kept(test_prog(Op.TEST_SUFFIX, 0, 0, **pools), {"a": "é"})
    # same text in different storage widths (latin-1 vs UCS-4) is not equal
    assert not kept(test_prog(Op.TEST_EQ, 0, 0, consts=("é",)), {"a": "é😀"[:1] + "x"})
    assert kept(test_prog(Op.TEST_EQ, 0, 0, consts=("é",)), {"a": "é😀"[:1]})


def test_in_looks_the_value_up_in_a_set() -> None:
    sets = (("abc", "é😀", ""), ("strasse", "k"))
    exact = test_prog(Op.TEST_IN, 0, 0, 0, value_sets=sets)
    for value, expected in [
        ("abc", True),
        ("é😀", True),
        ("", True),
        ("ABC", False),
        ("ab", False),
    ]:
        assert kept(exact, {"a": unique(value)}) is expected, value
    assert not kept(exact, {"b": "abc"})  # missing
    folded = test_prog(Op.TEST_IN, 0, 1, 1, value_sets=sets)
    for value, expected in [("Straße", True), ("STRASSE", True), ("\u212a", True), ("k", True)]:
        assert kept(folded, {"a": value}) is expected, value
    assert not kept(folded, {"a": "strass"})
    assert not kept(folded, {"b": "k"})


def test_glob() -> None:
    prog = test_prog(Op.TEST_GLOB, 0, 0, consts=("a*b*c",))
    assert kept(prog, {"a": "a-b-c"})
    assert kept(prog, {"a": "abc"})
    assert not kept(prog, {"a": "a-b-c-"})
    assert not kept(prog, {"b": "abc"})


def test_fallbacks_for_tags_timestamp_and_rawstring() -> None:
    prog = test_prog(Op.TEST_EQ, 0, 0, fields=("#type",), consts=("x",))
    assert kept(prog, {"type": "x"})
    assert kept(prog, {"#type": "x", "type": "y"})  # the tag itself wins
    assert not kept(prog, {"#type": "y", "type": "x"})
    prog = test_prog(Op.TEST_EQ, 0, 0, fields=("@timestamp",), consts=("17",))
    assert kept(prog, {"timestamp": "17"})
    assert not kept(prog, {"ts": "17"})
    prog = test_prog(Op.TEST_EQ, 0, 0, fields=("@rawstring",), consts=("RAW",))
    assert kept(prog, {})  # the event's line
    assert not kept(prog, {"@rawstring": "other"})
    # a plain field has no fallback
    prog = test_prog(Op.TEST_EXISTS, 0, fields=("type",))
    assert not kept(prog, {"#type": "x"})


def test_set_flag_not_and_jumps() -> None:
    assert kept(
        program((Op.SET_FLAG, 1), (Op.JUMP_IF_FALSE, "no"), (Op.ACCEPT,), "no:", (Op.REJECT,)), {}
    )
    assert not kept(
        program((Op.SET_FLAG, 0), (Op.JUMP_IF_FALSE, "no"), (Op.ACCEPT,), "no:", (Op.REJECT,)), {}
    )
    assert kept(
        program(
            (Op.SET_FLAG, 0),
            (Op.NOT,),
            (Op.JUMP_IF_TRUE, "yes"),
            (Op.REJECT,),
            "yes:",
            (Op.ACCEPT,),
        ),
        {},
    )
    assert kept(program((Op.JUMP, "yes"), (Op.REJECT,), "yes:", (Op.ACCEPT,)), {})


def test_num_compares_like_the_reference() -> None:
    ops = {0: "<", 1: "<=", 2: ">", 3: ">="}
    compare = {"<": float.__lt__, "<=": float.__le__, ">": float.__gt__, ">=": float.__ge__}
    values = [
        "10",
        "9.5",
        "10.0",
        "1e1",
        "-10",
        ".5",
        "5.",
        "1e400",
        "abc",
        " 10",
        "0x10",
        "",
        "+3",
    ]
    for op, symbol in ops.items():
        prog = test_prog(Op.TEST_NUM, 0, op, 0, numbers=(10.0,))
        for value in values:
            number = parse_number(value)
            expected = number is not None and compare[symbol](float(number), 10.0)
            assert kept(prog, {"a": value}) is expected, (symbol, value)
        assert not kept(prog, {"b": "5"})


def test_num_keeps_integers_exact() -> None:
    big = 2**60 + 1  # not a double: a program may carry it as an int
    prog = test_prog(Op.TEST_NUM, 0, 2, 0, numbers=(big,))
    assert not kept(prog, {"a": str(big)})
    assert kept(prog, {"a": str(big + 1)})
    assert kept(prog, {"a": "1e30"})
    # Unicode digits are numbers to parse_number: the C fast path defers to it
    prog = test_prog(Op.TEST_NUM, 0, 2, 0, numbers=(2.0,))
    assert kept(prog, {"a": "\u0663"}) is (parse_number("\u0663") is not None)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.from_regex(r"\A[+-]?[0-9]{0,20}(\.[0-9]{0,6})?([eE][+-]?[0-9]{1,3})?\Z"),
        st.text(alphabet="0123456789.eE+- \u0663", max_size=12),
    ),
    st.sampled_from([0.0, 10.0, -2.5, 1e16, 9007199254740993.0, 1e-5]),
    st.integers(0, 3),
)
def test_num_agrees_with_parse_number(value: str, number: float, op: int) -> None:
    left = parse_number(value)
    ordering = [lambda a, b: a < b, lambda a, b: a <= b, lambda a, b: a > b, lambda a, b: a >= b]
    expected = left is not None and ordering[op](left, number)
    assert kept(test_prog(Op.TEST_NUM, 0, op, 0, numbers=(number,)), {"a": value}) is expected


def test_compiled_big_integer_literals_stay_exact() -> None:
    events = [{"n": "9007199254740993"}, {"n": "9007199254740992"}, {"n": "1e400"}]
    for query in ("n > 9007199254740992", "n >= 9007199254740993", "n < 1" + "0" * 400):
        compiled = cqlmatch.compile(query)
        assert compiled.run(events, engine="vm") == compiled.run(events, engine="reference")


# --- slow paths ----------------------------------------------------------------------------


def test_test_node_result_becomes_cur() -> None:
    prog = test_prog(Op.TEST_NODE, 7)
    slow = Slow(tests={7: lambda e: e.with_fields({"x": "1"}) if "a" in e.fields else None})
    assert run(prog, {"a": "v"}, {"b": "v"}, slow=slow) == [{"a": "v", "x": "1"}]
    assert [c[:2] for c in slow.calls] == [("test", 7), ("test", 7)]


def test_stage_node_with_zero_one_and_several_outputs() -> None:
    prog = program(
        (Op.STAGE_NODE, 3, "none"),
        (Op.ASSIGN_CONST, 1, 0),
        (Op.ACCEPT,),
        "none:",
        (Op.REJECT,),
        fields=("a", "after"),
        consts=("yes",),
    )

    def fan(event: Event) -> list[Event]:
        n = int(event.fields["a"])
        return [event.with_fields({"i": str(i)}) for i in range(n)]

    slow = Slow(stages={3: fan})
    out = run(prog, {"a": "0"}, {"a": "1"}, {"a": "3"}, {"a": "2"}, slow=slow)
    assert out == [
        {"a": "1", "i": "0", "after": "yes"},
        {"a": "3", "i": "0", "after": "yes"},
        {"a": "3", "i": "1", "after": "yes"},
        {"a": "3", "i": "2", "after": "yes"},
        {"a": "2", "i": "0", "after": "yes"},
        {"a": "2", "i": "1", "after": "yes"},
    ]


def test_stage_outputs_each_get_their_own_stack() -> None:
    # case { <stage with 2 outputs> | b=keep | x := "1" ; * }: each output
    # restores to the event the case started with, not to a sibling's state.
    prog = program(
        (Op.SAVE,),
        (Op.STAGE_NODE, 0, "next"),
        (Op.TEST_EQ, 1, 0),
        (Op.JUMP_IF_FALSE, "next"),
        (Op.ASSIGN_CONST, 2, 1),
        (Op.DISCARD,),
        (Op.JUMP, "end"),
        "next:",
        (Op.RESTORE,),
        (Op.DISCARD,),
        "end:",
        (Op.ACCEPT,),
        fields=("a", "b", "x"),
        consts=("keep", "1"),
    )
    slow = Slow(stages={0: lambda e: [e.with_fields({"b": "keep"}), e.with_fields({"b": "drop"})]})
    assert run(prog, {"a": "1"}, slow=slow) == [{"a": "1", "b": "keep", "x": "1"}, {"a": "1"}]


def test_dispatch_jumps_when_the_field_equals_the_value() -> None:
    prog = program((Op.DISPATCH, 0, 0, "x"), (Op.REJECT,), "x:", (Op.ACCEPT,), consts=("v",))
    assert run(prog, {"a": "v"}, {"a": "w"}, {"b": "v"}) == [{"a": "v"}]


# --- writes, copy-on-write and the case stack ----------------------------------------------


def test_assign_and_default_copy_the_event() -> None:
    prog = program(
        (Op.ASSIGN_CONST, 0, 0),
        (Op.DEFAULT, 1, 1, 0),
        (Op.DEFAULT, 2, 1, 1),
        (Op.DEFAULT, 3, 1, 0),
        (Op.ACCEPT,),
        fields=("a", "b", "c", "d"),
        consts=("new", "-"),
    )
    fields = {"a": "old", "c": "", "d": ""}
    origin = {"o": "1"}
    event = Event(fields, "RAW", origin)
    out = Machine(prog, Slow()).run([event])
    assert out[0].fields == {"a": "new", "c": "-", "d": "", "b": "-"}
    assert out[0] is not event and out[0].raw == "RAW" and out[0].origin is origin
    assert fields == {"a": "old", "c": "", "d": ""}  # the caller's dict is untouched
    assert event.fields is fields


def test_default_reads_with_fallbacks() -> None:
    prog = program((Op.DEFAULT, 0, 0, 0), (Op.ACCEPT,), fields=("#t",), consts=("-",))
    assert run(prog, {"t": "x"}) == [{"t": "x"}]
    assert run(prog, {}) == [{"#t": "-"}]


def test_events_handed_to_slow_paths_are_not_written_later() -> None:
    seen: list[Event] = []

    def keep(event: Event) -> list[Event]:
        seen.append(event)
        return [event]

    prog = program(
        (Op.ASSIGN_CONST, 0, 0),
        (Op.STAGE_NODE, 0, "end"),
        (Op.ASSIGN_CONST, 1, 0),
        (Op.ACCEPT,),
        "end:",
        (Op.REJECT,),
        fields=("a", "b"),
        consts=("v",),
    )
    out = run(prog, {}, slow=Slow(stages={0: keep}))
    assert out == [{"a": "v", "b": "v"}]
    assert seen[0].fields == {"a": "v"}


def test_a_failing_case_branch_rolls_back_its_assignment() -> None:
    query = 'case { a=1 | x := "one" | b=2 ; a=1 | y := "two" ; * }'
    compiled = cqlmatch.compile(query)
    events = [{"a": "1", "b": "3"}, {"a": "1", "b": "2"}, {"a": "5"}]
    expected = [{"a": "1", "b": "3", "y": "two"}, {"a": "1", "b": "2", "x": "one"}, {"a": "5"}]
    assert compiled.run(events, engine="vm") == expected
    assert compiled.run(events, engine="reference") == expected


def test_inputs_are_unchanged_after_a_run() -> None:
    text = (
        'case { a=1 | x := "one" ; * | x := "other" } | default(field=[y, z], value="-") | w := "w"'
    )
    engine = VMEngine(cqlmatch.compile(text).checked)
    inputs = [{"a": "1"}, {"a": "2", "y": "given"}]
    events = [Event(f, "RAW") for f in inputs]
    snapshot = [dict(f) for f in inputs]
    out = engine.run(events)
    assert [e.fields for e in out] == [
        {"a": "1", "x": "one", "y": "-", "z": "-", "w": "w"},
        {"a": "2", "y": "given", "x": "other", "z": "-", "w": "w"},
    ]
    assert inputs == snapshot
    assert all(e.fields is f for e, f in zip(events, inputs, strict=True))


def test_stack_misuse_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="RESTORE with an empty stack"):
        run(program((Op.RESTORE,), (Op.ACCEPT,)), {})
    with pytest.raises(RuntimeError, match="DISCARD with an empty stack"):
        run(program((Op.DISCARD,), (Op.ACCEPT,)), {})


# --- regex sets ------------------------------------------------------------------------------


def regex_prog(*patterns: str, bits: tuple[int, ...] = (0,)) -> Program:
    """Accept when all the listed bits of one set on field a matched."""
    items: list = []
    for bit in bits:
        items += [(Op.TEST_REGEX, 0, 0, bit), (Op.JUMP_IF_FALSE, "no")]
    return program(
        *items, (Op.ACCEPT,), "no:", (Op.REJECT,), regex_sets=(RegexSetSpec(0, patterns),)
    )


def test_regex_bits() -> None:
    prog = regex_prog("(?i)foo", "bar$", "^x", bits=(0, 1))
    assert run(prog, {"a": "FOObar"}, {"a": "foobarx"}, {"a": "bar"}, {"b": "foobar"}) == [
        {"a": "FOObar"}
    ]
    assert kept(regex_prog("(?i)foo", "bar$", "^x", bits=(2,)), {"a": "xyz"})


def test_regex_set_runs_once_per_event_for_several_tests() -> None:
    # (not plain text: /alpha/i would be a caseless substring test, no regex)
    compiled = cqlmatch.compile("cmd=/al.ha/i cmd=/be.a/i cmd=/gam+a/i")
    engine = VMEngine(compiled.checked)
    assert [len(s.patterns) for s in engine.program.regex_sets] == [3]
    values = ["Alpha beta GAMMA", "alpha beta", "gamma beta alpha!", "none"]
    events = [Event({"cmd": unique(v)}, "RAW") for v in values]
    out = engine.machine.run(events)
    assert [e.fields["cmd"] for e in out] == ["Alpha beta GAMMA", "gamma beta alpha!"]
    # one pass per event: "none" holds no literal any of the three needs, so
    # the set's gate answers it without RE2
    assert (engine.machine.regex_calls, engine.machine.regex_gated) == (len(events) - 1, 1)


def test_a_value_changed_mid_program_runs_the_set_again() -> None:
    prog = program(
        (Op.TEST_REGEX, 0, 0, 0),
        (Op.JUMP_IF_FALSE, "no"),
        (Op.ASSIGN_CONST, 0, 0),
        (Op.TEST_REGEX, 0, 0, 0),
        (Op.JUMP_IF_TRUE, "no"),
        (Op.TEST_REGEX, 0, 0, 1),
        (Op.JUMP_IF_FALSE, "no"),
        (Op.ACCEPT,),
        "no:",
        (Op.REJECT,),
        consts=("new value",),
        regex_sets=(RegexSetSpec(0, ("old", "new")),),
    )
    machine = Machine(prog, Slow())
    assert [e.fields for e in machine.run([Event({"a": unique("old value")})])] == [
        {"a": "new value"}
    ]
    assert machine.regex_calls == 2


def test_regex_matches_the_reference_on_awkward_text() -> None:
    texts = ["", "\n", "a\nb", "é", "ÉCOLE", "straße", "😀x", "x\ud800y", "\udcff", "a b\tc"]
    queries = [
        r"a=/^$/",
        r"a=/\bb$/m",
        r"a=/é/i",
        r"a=/^.$/",
        r"a=/(?i)STRASSE|école/",
        r"a=/\x{FFFD}/",
    ]
    queries += [r"a=/y$/", r"a=/^\w+$/", r"a=/b/d"]
    events = [{"a": t} for t in texts]
    for query in queries:
        compiled = cqlmatch.compile(query)
        assert compiled.run(events, engine="vm") == compiled.run(events, engine="reference"), query


def test_one_machine_serves_several_threads() -> None:
    engine = VMEngine(cqlmatch.compile("cmd=/alpha|beta/i cmd=/gamma/i OR other=/x+y/").checked)
    rng = random.Random(3)
    words = ["alpha", "BETA", "gamma", "xy", "xxy", "none", "é" * 300]
    batches = [
        [
            Event({"cmd": " ".join(rng.choices(words, k=3)), "other": rng.choice(words)})
            for _ in range(300)
        ]
        for _ in range(6)
    ]
    expected = [[e.fields for e in engine.machine.run(b)] for b in batches]
    assert any(expected) and not all(len(e) == 300 for e in expected)
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda b: [e.fields for e in engine.machine.run(b)], batches * 4))
    assert got == expected * 4


def test_machine_rejects_a_regex_re2_cannot_compile() -> None:
    with pytest.raises(ValueError, match=r"RE2 rejected /a\(b/: missing \)"):
        Machine(regex_prog("ok", "a(b"), Slow())
    with pytest.raises(ValueError, match="RE2 rejected"):
        Machine(regex_prog("(?<n>x)\\1"), Slow())


def test_machine_rejects_malformed_code() -> None:
    bad = {
        "unknown opcode 99": program((99,)),
        "slot 3 out of range": program((Op.TEST_EXISTS, 3), (Op.ACCEPT,)),
        "constant 0 out of range": program((Op.TEST_EQ, 0, 0), (Op.ACCEPT,)),
        "jump target 1 is not an instruction": program((Op.JUMP, 1), (Op.ACCEPT,)),
        "does not end": program((Op.SET_FLAG, 1)),
        "past the end": program((Op.TEST_EQ, 0)),
        "regex set 0 out of range": program((Op.TEST_REGEX, 0, 0, 0), (Op.ACCEPT,)),
        "string set 1 out of range": program(
            (Op.TEST_IN, 0, 1, 0), (Op.ACCEPT,), value_sets=(("x",),)
        ),
    }
    for message, prog in bad.items():
        with pytest.raises(ValueError, match=re.escape(message)):
            Machine(prog, Slow())


# --- groupBy -------------------------------------------------------------------------------


def group_prog(
    keys: tuple[int, ...], aggregates: tuple[AggSpec, ...], limit: int = 100, fields=("k", "v")
):
    return program((Op.ACCEPT,), fields=fields, group=GroupPlan(keys, aggregates, limit, 0))


def group(prog: Program, *events: dict, slow: Slow | None = None) -> list[dict]:
    machine = Machine(prog, slow or Slow())
    return [e.fields for e in machine.group([Event(dict(f), "RAW") for f in events])]


def test_group_counts_in_first_appearance_order() -> None:
    prog = group_prog(
        (0,),
        (AggSpec("count", -1, "_count"), AggSpec("count", 1, "n"), AggSpec("count", 1, "d", True)),
    )
    rows = group(
        prog,
        {"k": "b", "v": "1"},
        {"k": "a"},
        {"k": "b", "v": "1"},
        {"v": "9"},
        {"k": "b", "v": "2"},
    )
    assert rows == [
        {"k": "b", "_count": "3", "n": "3", "d": "2"},
        {"k": "a", "_count": "1", "n": "0", "d": "0"},
    ]


def test_group_key_fallbacks_and_several_keys() -> None:
    prog = group_prog((0, 1), (AggSpec("count", -1, "c"),), fields=("#t", "k"))
    rows = group(prog, {"t": "x", "k": "1"}, {"#t": "x", "k": "1"}, {"t": "x"}, {"t": "y", "k": ""})
    assert rows == [{"#t": "x", "k": "1", "c": "2"}, {"#t": "y", "k": "", "c": "1"}]


def test_group_without_aggregates_gives_the_distinct_keys() -> None:
    rows = group(group_prog((0,), ()), {"k": "a"}, {"k": "b"}, {"k": "a"})
    assert rows == [{"k": "a"}, {"k": "b"}]


def test_group_numeric_aggregates_mix_ints_and_floats() -> None:
    aggs = tuple(AggSpec(kind, 1, kind) for kind in ("sum", "avg", "min", "max"))
    rows = group(
        group_prog((0,), aggs),
        {"k": "a", "v": "1"},
        {"k": "a", "v": "2.5"},
        {"k": "a", "v": "x"},
        {"k": "a", "v": "3"},
        {"k": "b", "v": "1e16"},
        {"k": "b", "v": "10000000000000000"},
        {"k": "c", "v": "10000000000000000"},
        {"k": "c", "v": "1e16"},
        {"k": "d", "v": "n/a"},
        {"k": "e", "v": "0.1"},
        {"k": "e", "v": "0.2"},
        {"k": "e", "v": "-7"},
    )
    assert rows == [
        {"k": "a", "sum": "6.5", "avg": "2.1666666666666665", "min": "1", "max": "3"},
        # min and max keep the first of equal extremes: float, then int
        {"k": "b", "sum": "2e+16", "avg": "1e+16", "min": "1e+16", "max": "1e+16"},
        {
            "k": "c",
            "sum": "2e+16",
            "avg": "1e+16",
            "min": "10000000000000000",
            "max": "10000000000000000",
        },
        # d: no numeric input for any aggregate -> no row
        {"k": "e", "sum": "-6.7", "avg": "-2.2333333333333334", "min": "-7", "max": "0.2"},
    ]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "k": st.sampled_from(["a", "b", "", "c"]),
                "v": st.sampled_from(
                    ["1", "2", "-3", "2.5", "1e3", "x", "", "0.1", "99999999999999999999"]
                ),
            },
        ),
        max_size=25,
    ),
    st.sampled_from(
        [
            "groupBy(k)",
            "groupBy(k, function=[sum(v), avg(v), min(v), max(v)])",
            "groupBy([k, v], function=[])",
            "groupBy(k, function=[count(v, distinct=true), count(v), max(v)], limit=2)",
            "groupBy(k, function=[avg(v, as=k)])",
        ]
    ),
)
def test_group_agrees_with_the_reference(events: list[dict], query: str) -> None:
    compiled = cqlmatch.compile(query)
    assert VMEngine(compiled.checked).program.group is not None
    assert compiled.run(events, engine="vm") == compiled.run(events, engine="reference")


def test_group_limit_warns_once_with_the_reference_text() -> None:
    slow = Slow()
    rows = group(
        group_prog((0,), (AggSpec("count", -1, "_count"),), limit=2),
        *({"k": k} for k in "abcadc"),
        slow=slow,
    )
    assert rows == [{"k": "a", "_count": "2"}, {"k": "b", "_count": "1"}]
    assert slow.warnings == [
        (
            "W401",
            "groupBy() reached its limit of 2 groups; later groups were left out and counts are lower bounds",
        )
    ]
    compiled = cqlmatch.compile("groupBy(k, limit=2)")
    events = [{"k": k} for k in "abcadc"]
    for engine in ("vm", "reference"):
        result = compiled.run(events, engine=engine)
        assert result == rows
        assert result.warnings == slow.warnings


# --- the engine ---------------------------------------------------------------------------


def test_engine_runs_the_stages_after_the_group_plan() -> None:
    query = "groupBy(k, function=sum(v)) | sort(_sum, order=asc) | head(2)"
    events = [{"k": k, "v": v} for k, v in [("a", "5"), ("b", "1"), ("c", "3"), ("a", "1")]]
    compiled = cqlmatch.compile(query)
    assert compiled.run(events, engine="vm") == [{"k": "b", "_sum": "1"}, {"k": "c", "_sum": "3"}]


def test_engine_without_group_plan_runs_all_aggregate_stages() -> None:
    query = "a=* | groupBy(a, function=collect(b)) | sort(a)"
    compiled = cqlmatch.compile(query)
    assert VMEngine(compiled.checked).program.group is None
    events = [{"a": "1", "b": "x"}, {"a": "2", "b": "y"}, {"a": "1", "b": "z"}, {"b": "q"}]
    assert compiled.run(events, engine="vm") == compiled.run(events, engine="reference")


def test_engine_match_and_seed_rule_agree_with_the_reference() -> None:
    from ..conftest import ROOT

    text = (ROOT / "rules" / "t1546_016.cql").read_text(encoding="utf-8")
    compiled = cqlmatch.compile(text)
    rng = random.Random(5)
    parents = ["msiexec.exe", "Installer", "explorer.exe", "dpkg", "apt"]
    children = ["cmd.exe", "powershell.exe", "notepad.exe", "bash", "python3"]
    lines = ["", "certutil -urlcache -f http://x", "curl https://evil", "Invoke-WebRequest x"]
    events = []
    for _ in range(300):
        kind = rng.choice(["ProcessRollup2", "NetworkConnectIP4", "DnsRequest"])
        events.append(
            {
                "event_simpleName": kind,
                "aid": rng.choice("abc"),
                "ComputerName": rng.choice(["h1", "h2"]),
                "ParentBaseFileName": rng.choice(parents),
                "FileName": rng.choice(children),
                "CommandLine": rng.choice(lines),
                "ImageFileName": rng.choice(["C:\\msiexec.exe", "x.exe"]),
                "RemoteAddressIP4": rng.choice(["10.1.1.1", "8.8.8.8"]),
            }
        )
    assert compiled.run(events, engine="vm") == compiled.run(events, engine="reference")
    for event in events[:60]:
        assert compiled.match(event, engine="vm") == compiled.match(event, engine="reference")


def test_engine_serves_sub_queries_with_the_whole_input() -> None:
    query = "join({type=b | groupBy(id, function=count(as=n))}, field=id, include=[n]) | type=a"
    compiled = cqlmatch.compile(query)
    events = [{"type": "a", "id": "1"}, {"type": "b", "id": "1"}, {"type": "b", "id": "1"}]
    assert compiled.run(events, engine="vm") == compiled.run(events, engine="reference")


def test_reference_engine_still_available() -> None:
    interpreter = cqlmatch.compile("a=1").new_engine("reference")
    assert isinstance(interpreter, Interpreter)
    engine = cqlmatch.compile("a=1").new_engine("vm")
    assert isinstance(engine, VMEngine)
    assert compile_program(engine.checked) == engine.program


def test_a_set_no_ascii_value_can_match_skips_re2_for_ascii_values() -> None:
    """Sigma's look-alike rules (/ˣ/i or /—/i ...) need a non-ASCII
    character: an ASCII value is answered without RE2, and both engines
    still agree on every value."""
    text = "cmd=/x\u02e3/i or cmd=/\u2014s/i or cmd=/\u00e9t\u00e9+/"
    compiled = cqlmatch.compile(text)
    engine = VMEngine(compiled.checked)
    assert engine.program.regex_sets  # (not caseless tests: non-ASCII constants)
    values = ["plain ascii", "X\u02e3y", "a \u2014S b", "\u00e9t\u00e9\u00e9", "\u00e9t", "x\u212a"]
    events = [Event({"cmd": unique(v)}, "RAW") for v in values]
    out = engine.machine.run(events)
    want = list(Interpreter(compiled.checked).run(events))
    assert [e.fields["cmd"] for e in out] == [e.fields["cmd"] for e in want]
    assert [e.fields["cmd"] for e in out] == ["X\u02e3y", "a \u2014S b", "\u00e9t\u00e9\u00e9"]
    assert engine.machine.regex_calls == len(values) - 1  # not for the one ASCII value


def test_a_set_gate_answers_values_without_its_literals() -> None:
    """A set each of whose patterns needs a literal (lang.regex.set_gate)
    runs RE2 only on a value holding one of them: case as each pattern
    reads it, a literal matched but the pattern not, non-ASCII values
    always to RE2 (the Kelvin sign is a k under (?i)); both engines agree."""
    text = "cmd=/power.hell.{0,9}-enc/i or cmd=/abc(def|xyz)[0-9]/ or cmd=/^k[a-z]x/i"
    compiled = cqlmatch.compile(text)
    engine = VMEngine(compiled.checked)
    assert len(engine.program.regex_sets) == 1
    values = [
        "nothing here",  # gated
        "POWERSHELL -ENC aa",  # caseless literal, match
        "powershell only",  # literal held, no match: RE2 says so
        "ABCDEF1",  # "abcdef" is case-sensitive: gated
        "abcxyz7",
        "\u212aqx",  # the Kelvin sign: not ASCII, to RE2
        "kqx",  # holds "k", the literal "^k[a-z]x" needs: RE2
    ]
    events = [Event({"cmd": unique(v)}, "RAW") for v in values]
    out = engine.machine.run(events)
    want = list(Interpreter(compiled.checked).run(events))
    assert [e.fields["cmd"] for e in out] == [e.fields["cmd"] for e in want]
    assert [e.fields["cmd"] for e in out] == [values[1], values[4], values[5], values[6]]
    machine = engine.machine
    assert (machine.regex_calls, machine.regex_gated) == (len(values) - 2, 2)


def test_a_set_mixing_non_ascii_patterns_runs_the_others_on_ascii_values() -> None:
    """A set some of whose patterns need a non-ASCII character runs only the
    others on an ASCII value (a second RE2 set, its bits mapped back), and
    its gate leaves those patterns out: the right bit answers each test, a
    non-ASCII value still runs the whole set, and both engines agree."""
    emoji = "|".join(chr(0x1F600 + k) for k in range(40))
    patterns = (f"(?:{emoji})", "ab[0-9]+c", "\u2014x", "(?i)zz.y", "\u00e9+q")
    values = ["ab12c zzqy", "ab12c", "zzqy", "nothing", "\u2014x ab1c", "\U0001f601", "\u00e9q"]
    for bits in ((0,), (1,), (3,), (1, 3), (2,), (4,), (2, 1)):
        for with_facts in (True, False):  # (without: a program from before them)
            prog = regex_prog(*patterns, bits=bits)
            if with_facts:
                spec = regex_set_spec(0, patterns)
                prog = msgspec.structs.replace(prog, regex_sets=(spec,))
            machine = Machine(prog, Slow())
            got = [e.fields["a"] for e in machine.run([Event({"a": unique(v)}) for v in values])]
            assert got == [v for v in values if all(re.search(patterns[b], v) for b in bits)]
            assert machine.ascii_subsets == 1
    # The gate reads the ASCII patterns' literals only: "nothing" holds none.
    prog = regex_prog(*patterns, bits=(1,))
    prog = msgspec.structs.replace(prog, regex_sets=(regex_set_spec(0, patterns),))
    machine = Machine(prog, Slow())
    out = machine.run([Event({"a": unique(v)}) for v in ("nothing", "ab1c", "\u2014x")])
    assert [e.fields["a"] for e in out] == ["ab1c"]
    assert (machine.regex_gated, machine.regex_calls) == (1, 2)


def test_a_program_from_before_pattern_facts_runs_re2_on_every_value() -> None:
    """A program without ``RegexSetSpec.facts`` (compiled before they were
    recorded, as in an older built pack) gets no gate, and answers the
    same; one with them skips RE2 where no literal is held."""
    text = "cmd=/power.hell.{0,9}-enc/i or cmd=/abc(def|xyz)[0-9]/"
    compiled = cqlmatch.compile(text)
    assert all(len(s.facts) == len(s.patterns) for s in compiled.program.regex_sets)
    bare = msgspec.structs.replace(
        compiled.program,
        regex_sets=tuple(RegexSetSpec(s.slot, s.patterns) for s in compiled.program.regex_sets),
    )
    values = ["nothing", "POWERSHELL x -enc", "abcxyz1", "ABCDEF1"]
    runs = {}
    for name, prog in (("facts", compiled.program), ("bare", bare)):
        machine = Machine(prog, Slow())
        events = [Event({"cmd": unique(v)}) for v in values]
        runs[name] = [e.fields["cmd"] for e in machine.run(events)]
        assert machine.regex_calls + machine.regex_gated == len(values)
        assert machine.regex_gated == (2 if name == "facts" else 0)
    assert runs["facts"] == runs["bare"] == ["POWERSHELL x -enc", "abcxyz1"]


def test_lazy_sets_compile_when_first_run() -> None:
    """A linked pack's machine compiles each regex set when first run: the
    answers are the same; a pattern RE2 rejects still fails at once, and a
    set past RE2's memory budget fails when run, naming the set."""
    prog = regex_prog("(?i)foo", "bar$", "^x", bits=(0, 1))
    eager, lazy = Machine(prog, Slow()), Machine(prog, Slow(), lazy_sets=True)
    events = [{"a": "FOObar"}, {"a": "foobarx"}, {"a": "bar"}, {"b": "foobar"}]
    for machine in (eager, lazy):
        out = machine.run([Event(dict(e)) for e in events])
        assert [e.fields for e in out] == [{"a": "FOObar"}]
    with pytest.raises(ValueError, match="RE2 rejected"):
        Machine(regex_prog("(?:a{1000}){3}"), Slow(), lazy_sets=True)
    huge = regex_prog(r"[\pL\pN]{1000}\pL{1000}")
    with pytest.raises(ValueError, match="out of memory"):
        Machine(huge, Slow())
    machine = Machine(huge, Slow(), lazy_sets=True)
    with pytest.raises(MemoryError, match=r"regex set 0 \(field a\).*out of memory"):
        machine.run([Event({"a": "x"})])
    assert machine.run([Event({"b": "x"})]) == []  # (a set not run is never compiled)


def test_sets_compiled_before_are_parsed_when_first_run() -> None:
    """``parse_sets=False`` (a built pack's sets, compiled when it was
    built): the patterns are parsed when their set first runs; the answers
    are the same, and a pattern RE2 rejects fails the run that needs it,
    naming the pattern, not the machine's making or a run without it."""
    prog = regex_prog("(?i)foo", "bar$", "^x", bits=(0, 1))
    machine = Machine(prog, Slow(), lazy_sets=True, parse_sets=False)
    events = [{"a": "FOObar"}, {"a": "foobarx"}, {"a": "bar"}, {"b": "foobar"}]
    assert [e.fields for e in machine.run([Event(dict(e)) for e in events])] == [{"a": "FOObar"}]
    rejected = Machine(regex_prog("(?:a{1000}){3}"), Slow(), lazy_sets=True, parse_sets=False)
    assert rejected.run([Event({"b": "x"})]) == []
    with pytest.raises(ValueError, match=r"regex set 0 \(field a\): RE2 rejected /\(\?:a\{1000"):
        rejected.run([Event({"a": "x"})])
