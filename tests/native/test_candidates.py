"""The pack's candidate index (cqlmatch._candidates) keeps exactly the
lines a plain search keeps: a rule is a candidate for a line when each of
its groups has a literal in the line as a decoder reads it (ASCII case
ignored; ``\\u00XX`` and ``\\/`` escapes read as their characters, ``\\\\``
as two bytes), or when the line holds a spelling of a character that
``(?i)`` folds onto ASCII."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from cqlmatch._candidates import CandidateIndex
from cqlmatch.packs.run import literal_scanner

WIDENING = (b"\\u212", b"\\u017", b"\xe2\x84\xaa", b"\xc5\xbf")
HEX = b"0123456789abcdefABCDEF"
PIECES = [
    b"cmd.exe",
    b"CMD",
    b"powershell",
    b"-enc",
    b"\\\\Windows\\\\",
    b"\\u0050",
    b"\\/",
    b"x",
    b"ab",
    b"abc",
    b"bca",
    b" ",
    b'"',
    b"\xc3\xa9",
    b"\xe2\x84\xaa",
    b"\\users",
    b"\\u003d",
    b"\\u003D",
    b"\\\\",
    b"=",
    b"/",
    b"\\u2",
    b"\\u00",
    b"\\",
    b"0",
]
LITERALS = [
    b"cmd.exe",
    b"powershell",
    b"-enc",
    b"ab",
    b"bc",
    b"abc",
    b"a",
    b"\\windows\\",
    b"c",
    b"=a",
    b"a/",
    b"u003d",
]


def as_scanned(raw: bytes) -> bytes:
    """``raw`` as the index reads it: ``\\u00XX`` and ``\\/`` as the
    character, any other escape as its two bytes."""
    out, j = bytearray(), 0
    while j < len(raw):
        b = raw[j]
        j += 1
        if b == 0x5C and j < len(raw):
            nxt = raw[j]
            digits = raw[j + 3 : j + 5]
            if nxt == 0x2F:
                out.append(0x2F)
                j += 1
            elif (
                nxt == 0x75
                and raw[j + 1 : j + 3] == b"00"
                and len(digits) == 2
                and all(c in HEX for c in digits)
            ):
                out.append(int(digits, 16))
                j += 5
            else:
                out += raw[j - 1 : j + 1]
                j += 1
            continue
        out.append(b)
    return bytes(out)


def reference(literals, rules, lines) -> list[list[int]]:
    out = []
    for groups in rules:
        kept = []
        for i, line in enumerate(lines):
            raw = line.encode() if isinstance(line, str) else line
            wide = any(w.lower() in raw.lower() for w in WIDENING)
            low = as_scanned(raw).lower()
            if (
                not groups
                or wide
                or all(any(literals[k].lower() in low for k in group) for group in groups)
            ):
                kept.append(i)
        out.append(kept)
    return out


rules_strategy = st.lists(
    st.lists(
        st.lists(st.integers(0, len(LITERALS) - 1), min_size=1, max_size=3),
        max_size=3,
    ),
    min_size=1,
    max_size=8,
)
lines_strategy = st.lists(st.lists(st.sampled_from(PIECES), max_size=8).map(b"".join), max_size=12)


def scanners() -> list[str]:
    """The ways an index can find its literals here: its own automaton, and
    Hyperscan where cqlmatch._hsscan was built."""
    return ["automaton"] + (["hyperscan"] if literal_scanner([b"x"]) is not None else [])


def make_index(literals, rules, scanner: str) -> CandidateIndex:
    index = CandidateIndex(list(literals), rules)
    if scanner == "hyperscan":
        index.use_scanner(literal_scanner(index.scan_patterns))
        assert index.scanner_name == "LiteralScanner"
    return index


@pytest.mark.parametrize("scanner", scanners())
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rules=rules_strategy, lines=lines_strategy, as_text=st.booleans())
def test_candidates_equal_a_plain_search(scanner, rules, lines, as_text) -> None:
    if as_text:
        lines = [line.decode("utf-8") for line in lines]
    index = make_index(LITERALS, rules, scanner)
    assert index.candidates(lines) == reference(LITERALS, rules, lines)
    starts, found, lists = index.pairs(lines, range(len(rules)))
    assert lists == reference(LITERALS, rules, lines)
    for i in range(len(lines)):
        mine = sorted(found[starts[i] : starts[i + 1]])
        assert mine == [r for r, kept in enumerate(lists) if i in kept]


@pytest.mark.parametrize("scanner", scanners())
def test_a_long_pack_of_overlapping_literals(scanner) -> None:
    literals = [f"tool{i}.exe".encode() for i in range(3000)] + [b"tool1", b".exe"]
    rules = [[[i], [3001]] for i in range(3000)] + [[[3000]], []]
    index = make_index(literals, rules, scanner)
    lines = [b'{"CommandLine":"C:\\\\TOOL12.EXE /x"}', b'{"a":"tool2999.exe"}', b"{}"]
    got = index.candidates(lines)
    assert got == reference(literals, rules, lines)
    assert got[12] == [0] and got[1] == [] and got[2999] == [1] and got[3000] == [0]
    assert got[3001] == [0, 1, 2]  # a rule without groups: every line


def test_bad_arguments() -> None:
    with pytest.raises(TypeError):
        CandidateIndex([b""], [[[0]]])
    with pytest.raises(ValueError, match="empty group"):
        CandidateIndex([b"a"], [[[]]])


@pytest.mark.parametrize("scanner", scanners())
def test_an_escape_hides_no_literal_and_widens_nothing(scanner) -> None:
    literals = [b"-logo=info", b"http://x", b"rundll32"]
    index = make_index(literals, [[[0]], [[1]], [[2]]], scanner)
    lines = [
        b'{"CommandLine":"app -LogLevel\\u003dInfo"}',  # Gson's "=": no literal here
        b'{"CommandLine":"app -Logo\\u003DInfo"}',  # the same escape hides one
        b'{"u":"http:\\/\\/x"}',  # and so does an escaped slash
        b'{"u":"-logo\\\\u003dinfo"}',  # an escaped backslash, then text
    ]
    assert index.candidates(lines) == [[1], [2], []]


@pytest.mark.parametrize("scanner", scanners())
def test_scan_block_keeps_candidates_and_unframed_lines(scanner) -> None:
    index = make_index([b"cmd.exe"], [[[0]]], scanner)
    block = b'{"a":"CMD.EXE"}\n{"a":"x"}\nnot json\n\n  {"a":"cmd.exe"}\r\n{"a":"y"}'
    spans, lines = index.scan_block(block)
    assert lines == 6
    assert [block[a:b] for a, b in spans] == [
        b'{"a":"CMD.EXE"}',
        b"not json",
        b'  {"a":"cmd.exe"}\r',
    ]
    assert index.admits(b'{"a":"cmd.exe"}') and not index.admits(b'{"a":"x"}')
    assert not index.always_admits
    everything = CandidateIndex([b"cmd.exe"], [[[0]], []])
    assert everything.always_admits and everything.admits(b"{}")
    assert len(everything.scan_block(b"{}\n{}")[0]) == 2


@pytest.mark.parametrize("scanner", scanners())
def test_choose_looks_for_other_groups_of_the_same_literals(scanner) -> None:
    index = make_index([b"win", b"cmd.exe", b"-enc"], [[[0], [1]], [[0], [2]]], scanner)
    lines = [b'{"p":"Win","c":"cmd.exe"}', b'{"p":"Win","c":"x -enc"}', b'{"p":"Lin"}']
    assert index.literal_counts(lines) == [2, 1, 1]
    assert index.candidates(lines) == [[0], [1]]
    index.choose([[[1]], []])
    assert index.candidates(lines) == [[0], [0, 1, 2]]
    with pytest.raises(ValueError, match="rules for an index"):
        index.choose([[[1]]])
    if scanner == "hyperscan":
        with pytest.raises(ValueError, match="a scanner reporting id 99"):
            index.use_scanner(literal_scanner([b"x"], [99]))
        # a scanner of only the literals the groups name gives the same answer
        index.choose([[[1]], [[2]]])
        used = index.used_literals()
        assert used[:2] == [1, 2] and 0 not in used
        index.use_scanner(literal_scanner([index.scan_patterns[i] for i in used], used))
        assert index.candidates(lines) == [[0], [1]]
    with pytest.raises(ValueError, match="names literal 7"):
        index.choose([[[7]], []])


# --- typed scanners ---------------------------------------------------------------------------

TYPES = ["ProcessRollup2", "DnsRequest", "EndOfProcess"]
KEY_SPELLINGS = [
    b'"event_simpleName":"%s"',
    b'"#event_simpleName":"%s"',
    b'"event_simpleName" : "%s"',
    b'"event_simple\\u004eame":"%s"',  # an escaped key: only a decoder sees it
    b'"x":{"event_simpleName":"%s"}',  # nested: another field
    b'"event_simpleName":"%s\\u0032"',  # an escape in the value
]


def _typed_line(draw) -> bytes:
    parts = []
    for _ in range(draw(st.integers(0, 2))):
        spelling = draw(st.sampled_from(KEY_SPELLINGS))
        value = draw(st.sampled_from([*TYPES, "processrollup2", "Other"]))
        parts.append(spelling % value.encode())
    if draw(st.booleans()):
        parts.append(b'"event_simpleName":1')
    text = draw(
        st.lists(st.sampled_from([b"cmd.exe", b"powershell", b"abc", b"x", b" "]), max_size=4)
    )
    parts.append(b'"t":"' + b"".join(text) + b'"')
    draw(st.randoms()).shuffle(parts)
    return b"{" + b",".join(parts) + b"}"


def _decoded_type(line: bytes) -> str | None:
    """The route key of the type a decoder reads (``#name`` before ``name``)."""
    import json

    obj = json.loads(line)
    value = obj.get("#event_simpleName", obj.get("event_simpleName"))
    return None if value is None else str(value).lower()


@pytest.mark.skipif(literal_scanner([b"x"]) is None, reason="typed scanners need Hyperscan")
@settings(max_examples=200, deadline=None)
@given(
    routes=st.lists(st.sampled_from([None, *TYPES]), min_size=1, max_size=6),
    groups=st.lists(st.lists(st.integers(0, 2), min_size=1, max_size=2), min_size=6, max_size=6),
    lines=st.lists(st.composite(lambda draw: _typed_line(draw))(), max_size=10),
    admitted=st.booleans(),
)
def test_typed_scanners_leave_out_no_rule_a_route_admits(routes, groups, lines, admitted) -> None:
    """A line's typed scanner finds every literal of every rule whose route
    admits the type a decoder reads: candidates only lose rules whose route
    cannot admit the line (also when each scanner's lines are candidates
    only for the rules their type's routes admit, ``admitted``)."""
    literals = [b"cmd.exe", b"powershell", b"abc"]
    rules = [[[groups[i][0]]] if len(groups[i]) == 1 else [groups[i]] for i in range(len(routes))]
    plain = make_index(literals, rules, "hyperscan")
    typed = make_index(literals, rules, "hyperscan")
    widening = list(range(typed.nliterals, len(typed.scan_patterns)))

    def scanner(rule_ids):
        ids = sorted({x for r in rule_ids for g in rules[r] for x in g}) + widening
        return literal_scanner([typed.scan_patterns[i] for i in ids], ids)

    unrouted = [r for r, route in enumerate(routes) if route is None]
    scanners = [scanner(unrouted)]
    rules_of = [unrouted]
    by_type = {}
    for t in TYPES:
        by_type[t.lower()] = len(scanners)
        rules_of.append(unrouted + [r for r, route in enumerate(routes) if route == t])
        scanners.append(scanner(rules_of[-1]))
    typed.use_typed_scanners(
        "#event_simpleName", by_type, scanners, 0, rules_of if admitted else None
    )
    assert typed.typed == len(scanners)
    before = plain.candidates(lines)
    after = typed.candidates(lines)
    for r, route in enumerate(routes):
        assert set(after[r]) <= set(before[r])
        for i in set(before[r]) - set(after[r]):
            assert route is not None and _decoded_type(lines[i]) != route.lower(), lines[i]


def test_typed_scanners_need_the_full_scanner_and_valid_indexes() -> None:
    index = CandidateIndex([b"abc"], [[[0]]])
    with pytest.raises(ValueError):
        index.use_typed_scanners("event_simpleName", {}, [], -1)
    if literal_scanner([b"x"]) is None:
        return
    index.use_scanner(literal_scanner(index.scan_patterns))
    with pytest.raises(ValueError):
        index.use_typed_scanners("event_simpleName", {"a": 3}, [], -1)
    index.use_typed_scanners(None, {}, [])
    assert index.typed == 0


@pytest.mark.skipif(literal_scanner([b"x"]) is None, reason="typed scanners need Hyperscan")
@pytest.mark.parametrize(
    ("line", "admitted"),
    [
        # the type read from the line: the rule of that type only
        (b'{"event_simpleName":"DnsRequest","t":"abc powershell"}', {1}),
        (b'{"#event_simpleName":"dnsrequest","t":"abc powershell"}', {1}),
        # no type: the rules without a route only
        (b'{"t":"abc powershell"}', set()),
        # types it cannot read safely: every rule whose literals are there
        (
            b'{"event_simpleName":"DnsRequest","event_simple\\u004eame":"x","t":"abc powershell"}',
            {0, 1},
        ),
        (b'{"event_simpleName":"DnsRequest","#event_simpleName":"x","t":"abc powershell"}', {0, 1}),
        (b'{"event_simpleName":"Dns\\u0052equest","t":"abc powershell"}', {0, 1}),
        (b'{"event_simpleName":7,"t":"abc powershell"}', {0, 1}),
        (b'{"event_simpleName":"Dns\xc3\xa9","t":"abc powershell"}', {0, 1}),
        # the same type twice (any case): read
        (b'{"event_simpleName":"DNSREQUEST","#event_simpleName":"DnsRequest","t":"abc"}', set()),
        # an escape of another character hides no key
        (b'{"event_simpleName":"ProcessRollup2","t":"abc\\u003d powershell"}', {0}),
    ],
)
def test_typed_scanners_read_the_type_only_where_it_is_safe(line, admitted) -> None:
    """Rule 0 (ProcessRollup2) needs "abc", rule 1 (DnsRequest) needs
    "powershell": each type's scanner looks for its own rule's literal."""
    index = make_index([b"abc", b"powershell"], [[[0]], [[1]]], "hyperscan")
    widening = list(range(index.nliterals, len(index.scan_patterns)))

    def scanner(ids):
        ids = ids + widening
        return literal_scanner([index.scan_patterns[i] for i in ids], ids)

    index.use_typed_scanners(
        "#event_simpleName",
        {"processrollup2": 1, "dnsrequest": 2},
        [scanner([]), scanner([0]), scanner([1])],
        0,
    )
    found = index.candidates([line])
    assert {r for r in (0, 1) if found[r]} == admitted


@pytest.mark.skipif(literal_scanner([b"x"]) is None, reason="typed scanners need Hyperscan")
def test_admitted_rules_leave_out_the_other_types() -> None:
    """With ``admitted``, a literal found on a line of a type counts only
    for the rules that type's routes admit; a line of a type it cannot read
    is scanned for every rule."""
    index = make_index([b"win", b"dns.exe"], [[[0]], [[0], [1]]], "hyperscan")
    widening = list(range(index.nliterals, len(index.scan_patterns)))
    ids = [0, 1, *widening]
    both = literal_scanner([index.scan_patterns[i] for i in ids], ids)
    index.use_typed_scanners(
        "event_simpleName", {"processrollup2": 0, "dnsrequest": 1}, [both, both], -1, [[0], [1]]
    )
    lines = [
        b'{"event_simpleName":"ProcessRollup2","a":"win dns.exe"}',
        b'{"event_simpleName":"DnsRequest","a":"win dns.exe"}',
        b'{"event_simpleName":"Dns\\u0052equest","a":"win dns.exe"}',
    ]
    assert index.candidates(lines) == [[0, 2], [1, 2]]
    with pytest.raises(ValueError, match="admitted rule lists"):
        index.use_typed_scanners("event_simpleName", {"dnsrequest": 0}, [both], -1, [])
    with pytest.raises(ValueError, match="out of range"):
        index.use_typed_scanners("event_simpleName", {"dnsrequest": 0}, [both], -1, [[5]])


@pytest.mark.parametrize("scanner", scanners())
@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rules=rules_strategy,
    lines=st.lists(
        st.one_of(
            lines_strategy.map(
                lambda parts: b'{"a":"' + b"".join(parts).replace(b"\n", b"") + b'"}'
            ),
            st.sampled_from([b"not json", b"", b'{"a":"cmd.exe"}\r', b'{"a":"abc"}']),
        ),
        max_size=14,
    ),
    order=st.randoms(),
    as_text=st.booleans(),
)
def test_pairs_reuses_what_scan_block_found(scanner, rules, lines, order, as_text) -> None:
    """The rules ``scan_block`` found for a kept line serve ``pairs`` when it
    meets the same line again: the answer is the same as a fresh scan's,
    whether the lines come in order with some left out (the malformed
    ones) or shuffled, as bytes or text."""
    index = make_index(LITERALS, rules, scanner)
    fresh = make_index(LITERALS, rules, scanner)
    block = b"\n".join(lines)
    spans, _ = index.scan_block(block)
    kept = [block[a:b] for a, b in spans]
    events = [line for line in kept if line.startswith(b"{") and order.random() < 0.8]
    if order.random() < 0.3:
        order.shuffle(events)
    events += [b'{"a":"abc cmd.exe"}']  # a line the block did not hold
    if as_text:
        events = [line.decode("utf-8") for line in events]
    got = index.pairs(events, range(len(rules)))
    want = fresh.pairs(events, range(len(rules)))
    assert got[2] == want[2]
    for i in range(len(events)):
        assert sorted(got[1][got[0][i] : got[0][i + 1]]) == sorted(
            want[1][want[0][i] : want[0][i + 1]]
        )


@pytest.mark.skipif(literal_scanner([b"x"]) is None, reason="typed scanners need Hyperscan")
def test_typed_scanners_find_the_key_anywhere_in_a_long_line() -> None:
    """The key is found at every offset of lines longer than the sixteen
    bytes the search tests at once, past look-alikes that share its rare
    bytes ("_" and "N" at the same distance), and a second spelling of the
    key later in the line is still seen."""
    index = make_index([b"abc", b"powershell"], [[[0]], [[1]]], "hyperscan")
    widening = list(range(index.nliterals, len(index.scan_patterns)))

    def scanner(ids):
        ids = ids + widening
        return literal_scanner([index.scan_patterns[i] for i in ids], ids)

    index.use_typed_scanners(
        "#event_simpleName",
        {"processrollup2": 1, "dnsrequest": 2},
        [scanner([]), scanner([0]), scanner([1])],
        0,
    )
    decoy = b'"xxxxx_xxxxxNxxx":"y",'
    for before in range(0, 40, 3):
        for after in range(0, 40, 7):
            pad = b'"p":"' + b"q" * before + b'",' + decoy
            tail = b',"z":"' + b"r" * after + b'"'
            line = (
                b"{" + pad + b'"event_simpleName":"DnsRequest","t":"abc powershell"' + tail + b"}"
            )
            assert [bool(x) for x in index.candidates([line])] == [False, True], line
            twice = line[:-1] + b',"event_simpleName":"ProcessRollup2"}'
            assert [bool(x) for x in index.candidates([twice])] == [True, True], twice


# --- scoped scanners: a type's literals looked for in some keys' values ------------------------

SCOPE_KEYS = ["CommandLine", "#Tag", "Image"]
SCOPE_LITERALS = [b"cmd.exe", b"powershell", b"abc"]


def _scoped_index(rules, scoped: bool) -> CandidateIndex:
    """An index whose lines of type "t" are read in the values of
    ``SCOPE_KEYS`` only (when ``scoped``), other lines whole."""
    index = make_index(SCOPE_LITERALS, rules, "hyperscan")
    widening = list(range(index.nliterals, len(index.scan_patterns)))
    ids = list(range(index.nliterals)) + widening
    scanner = literal_scanner([index.scan_patterns[i] for i in ids], ids)
    index.use_typed_scanners(
        "event_simpleName", {"t": 0}, [scanner], -1, None, [SCOPE_KEYS] if scoped else None
    )
    return index


@pytest.mark.skipif(literal_scanner([b"x"]) is None, reason="typed scanners need Hyperscan")
@pytest.mark.parametrize(
    ("line", "kept"),
    [
        (b'{"event_simpleName":"t","Other":"cmd.exe"}', False),
        (b'{"event_simpleName":"t","CommandLine":"run cmd.exe /c"}', True),
        (b'{"event_simpleName":"t","CommandLine" :\t "cmd.exe"}', True),
        (b'{"event_simpleName":"t","Other":"say \\"CommandLine\\":\\"cmd.exe\\""}', False),
        (b'{"event_simpleName":"t","XCommandLine":"cmd.exe","CommandLin":"cmd.exe"}', False),
        (b'{"event_simpleName":"t","CommandLine":"a\\"b cmd.exe"}', True),
        (b'{"event_simpleName":"t","CommandLine":"a\\\\","Other":"cmd.exe"}', False),
        (b'{"event_simpleName":"t","CommandLine":5,"Other":"cmd.exe"}', True),
        (b'{"event_simpleName":"t","CommandLine":"x","Image":"CMD.EXE"}', True),
        (b'{"event_simpleName":"t","#Tag":"cmd.exe"}', True),
        (b'{"event_simpleName":"t","Tag":"cmd.exe"}', True),
        (b'{"event_simpleName":"t","#Image":"cmd.exe"}', False),
        (b'{"event_simpleName":"t","Comm\\u0061ndLine":"cmd.exe"}', True),
        (b'{"event_simpleName":"t","Nested":{"CommandLine":"cmd.exe"}}', True),
        (b'{"event_simpleName":"t","CommandLine":"x","CommandLine":"cmd.exe"}', True),
        (b'{"event_simpleName":"t","CommandLine":"cmd.exe', True),
        (b'{"Other":"cmd.exe"}', True),
    ],
)
def test_a_scoped_scanner_reads_its_keys_values(line: bytes, kept: bool) -> None:
    """A line of a scoped type is a candidate when a key of the scope holds
    the literal in its string value: not another key, a look-alike, or a
    key's name written inside a string; a tag under either name; a key in a
    nested object, or twice, counts (more lines read, never fewer).  When
    the line may spell a key with an escape, a key's value is not a string,
    or the line is cut, it is read whole; a line of another type is read
    whole."""
    index = _scoped_index([[[0]]], scoped=True)
    assert bool(index.candidates([line])[0]) is kept
    padded = line.replace(
        b'"event_simpleName":"t"', b'"p":"' + b"q" * 70 + b'","event_simpleName":"t"'
    )
    assert bool(index.candidates([padded])[0]) is kept


def _scoped_value(draw) -> bytes:
    kind = draw(st.sampled_from(["string", "string", "string", "number", "object"]))
    if kind == "number":
        return b"12"
    if kind == "object":
        key = draw(st.sampled_from(["CommandLine", "Other"]))
        return b'{"' + key.encode() + b'":"cmd.exe"}'
    pieces = [
        b"cmd.exe",
        b"POWERSHELL",
        b"abc",
        b"x",
        b" ",
        b'\\"',
        b"\\\\",
        b"\\n",
        b"\\u0041",
        b'\\"CommandLine\\":\\"',
        b"\\/",
    ]
    return b'"' + b"".join(draw(st.lists(st.sampled_from(pieces), max_size=5))) + b'"'


@st.composite
def _scoped_line(draw) -> bytes:
    keys = ["CommandLine", "#Tag", "Tag", "Image", "Other", "XCommandLine", "Imag", "#Image"]
    parts = [b'"event_simpleName":"t"'] if draw(st.booleans()) else []
    for _ in range(draw(st.integers(0, 5))):
        key = draw(st.sampled_from(keys)).encode()
        colon = draw(st.sampled_from([b":", b" : ", b":\t"]))
        parts.append(b'"' + key + b'"' + colon + _scoped_value(draw))
    draw(st.randoms()).shuffle(parts)
    padding = b'"pad":"' + b"z" * draw(st.integers(0, 80)) + b'"'
    return b"{" + b",".join([padding, *parts]) + b"}"


def _scoped_truth(rules, line: bytes) -> list[bool]:
    """Whether each rule's groups each have a literal in the decoded string
    value of a top-level key of the scope (a tag under either name)."""
    event = json.loads(line)
    values = [
        v.encode("utf-8", "surrogatepass").lower()
        for k, v in event.items()
        if isinstance(v, str) and (k in SCOPE_KEYS or f"#{k}" in SCOPE_KEYS)
    ]
    return [
        all(any(SCOPE_LITERALS[x] in v for x in g for v in values) for g in groups)
        for groups in rules
    ]


@pytest.mark.skipif(literal_scanner([b"x"]) is None, reason="typed scanners need Hyperscan")
@settings(max_examples=300, deadline=None)
@given(
    rules=st.lists(
        st.lists(st.lists(st.integers(0, 2), min_size=1, max_size=2), min_size=1, max_size=2),
        min_size=1,
        max_size=4,
    ),
    lines=st.lists(_scoped_line(), max_size=8),
)
def test_a_scoped_scanner_keeps_what_the_values_hold(rules, lines) -> None:
    """Reading a scoped type's lines in its keys' values never loses a rule
    whose literals the decoded values hold, and keeps no more than reading
    the lines whole."""
    scoped = _scoped_index(rules, scoped=True).candidates(lines)
    whole = _scoped_index(rules, scoped=False).candidates(lines)
    for i, line in enumerate(lines):
        truth = _scoped_truth(rules, line)
        for r in range(len(rules)):
            if truth[r] and b'"event_simpleName":"t"' in line:
                assert i in scoped[r], (r, line)
            if i in scoped[r]:
                assert i in whole[r], (r, line)


@pytest.mark.skipif(literal_scanner([b"x"]) is None, reason="typed scanners need Hyperscan")
def test_scopes_are_checked() -> None:
    index = make_index(SCOPE_LITERALS, [[[0]]], "hyperscan")
    scanner = literal_scanner(index.scan_patterns)
    for scopes, message in [
        ([["a"], ["b"]], "2 scopes for 1 scanners"),
        ([[]], "0 keys"),
        ([[f"k{i}" for i in range(9)]], "9 keys"),
        ([['a"b']], "cannot scope"),
        ([["#"]], "cannot scope"),
    ]:
        with pytest.raises(ValueError, match=message):
            index.use_typed_scanners("event_simpleName", {"t": 0}, [scanner], -1, None, scopes)


# --- field mode -------------------------------------------------------------------------------

FIELD_NAMES = ["CommandLine", "ImageFileName", "#event_simpleName", "event_platform", ""]
VALUE_PIECES = ["cmd.exe", "CMD", "powershell", "-enc", "ab", "c", " ", "\u212a", "win", "x"]


def _field_mode_index(literals, rules, fields, every: bool) -> CandidateIndex:
    """An index whose ProcessRollup2 lines are read in field mode, the
    others (and a line without a type) scanned whole; ``every``: its
    scanner reports every occurrence, else each literal once (a built
    pack stores the first kind)."""
    index = make_index(literals, rules, "hyperscan")
    full = literal_scanner(index.scan_patterns, every=every)
    index.use_typed_scanners("event_simpleName", {"processrollup2": 0}, [full], -1)
    free = sorted(
        {
            x
            for r, groups in enumerate(rules)
            for g, names in zip(groups, fields[r], strict=True)
            for x, n in zip(g, names, strict=True)
            if "" in n
        }
    )
    ids = free + list(range(index.nliterals, len(index.scan_patterns)))
    raw = literal_scanner([index.scan_patterns[i] for i in ids], ids)
    index.use_field_mode([0], fields, raw)
    assert index.field_mode and index.field_mode[0][0] == 0
    return index


def _held(literal: bytes, names, event: dict, line: bytes) -> bool:
    """Whether field mode must count ``literal``: in the value of one of
    its fields (``#name`` also read as ``name``), in the line for free text."""
    for name in names:
        if not name:
            if literal.lower() in as_scanned(line).lower():
                return True
            continue
        value = event.get(name)
        if value is None and name.startswith("#"):
            value = event.get(name[1:])
        if isinstance(value, str) and literal.lower() in value.encode().lower():
            return True
    return False


def _field_mode_wants(rules, fields, event: dict, line: bytes) -> set[int]:
    """The rules field mode makes candidates for a line: each group has a
    literal in the value of a field it names; free text (a literal in the
    raw line, or a letter ``(?i)`` folds onto ASCII there) counts only when
    the fields leave some rule with a free-text literal short of nothing but
    its free-text groups (the raw line is not read otherwise); a letter
    ``(?i)`` folds onto ASCII in the value of a field some literal names
    makes every rule one."""
    names = {n for rule in fields for group in rule for names in group for n in names}
    values = [event.get(n, event.get(n[1:]) if n.startswith("#") else None) for n in names if n]
    if any(isinstance(v, str) and "\u212a" in v for v in values):
        return set(range(len(rules)))

    def held(r: int, k: int, free: bool) -> bool:
        return any(
            _held(LITERALS[x], [m for m in n if bool(m) != free], event, line)
            for x, n in zip(rules[r][k], fields[r][k], strict=True)
        )

    by_fields = {
        r for r, groups in enumerate(rules) if all(held(r, k, False) for k in range(len(groups)))
    }
    raw = any(
        r not in by_fields
        and all(
            held(r, k, False) for k in range(len(groups)) if not any("" in n for n in fields[r][k])
        )
        for r, groups in enumerate(rules)
        if any("" in n for group in fields[r] for n in group)
    )
    if not raw:
        return by_fields
    if any(w.lower() in line.lower() for w in WIDENING):
        return set(range(len(rules)))
    return {
        r
        for r, groups in enumerate(rules)
        if all(held(r, k, False) or held(r, k, True) for k in range(len(groups)))
    }


@pytest.mark.skipif(literal_scanner([b"x"]) is None, reason="field mode needs Hyperscan")
@pytest.mark.parametrize("every", [True, False])
@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rules=rules_strategy,
    names=st.data(),
    events=st.lists(
        st.dictionaries(
            st.sampled_from(["CommandLine", "ImageFileName", "event_platform", "Other"]),
            st.lists(st.sampled_from(VALUE_PIECES), max_size=5).map("".join),
            max_size=4,
        ),
        max_size=8,
    ),
)
def test_field_mode_finds_each_literal_in_its_own_field(every, rules, names, events) -> None:
    """A line of a field-mode type is kept by the shared prefilter without
    a scan, and given its decoded fields, a rule is a candidate for it when
    each group has a literal in the value of a field that literal names (a
    free-text one anywhere in the raw line, read when it may matter:
    ``_field_mode_wants``), or when a value holds a letter ``(?i)`` folds
    onto ASCII; without its fields the line is scanned whole, which never
    leaves out more.  Given the same lines again, the values' memo gives
    the same candidates."""
    fields = [
        [
            [names.draw(st.lists(st.sampled_from(FIELD_NAMES), min_size=1, max_size=2)) for _ in g]
            for g in groups
        ]
        for groups in rules
    ]
    index = _field_mode_index(LITERALS, rules, fields, every)
    decoded = [{"event_simpleName": "ProcessRollup2", **e} for e in events]
    lines = [json.dumps(e).encode() for e in decoded]
    if lines:
        spans, _ = index.scan_block(b"\n".join(lines))
        assert len(spans) == len(lines)
    got = index.pairs(lines, range(len(rules)), decoded)[2]
    wants = [
        _field_mode_wants(rules, fields, e, line) for e, line in zip(decoded, lines, strict=True)
    ]
    for r, groups in enumerate(rules):
        want = [i for i, rules_of in enumerate(wants) if not groups or r in rules_of]
        assert got[r] == want
    assert index.pairs(lines, range(len(rules)), decoded)[2] == got
    whole = index.pairs(lines, range(len(rules)))[2]
    assert all(set(a) <= set(b) for a, b in zip(got, whole, strict=True))


@pytest.mark.skipif(literal_scanner([b"x"]) is None, reason="field mode needs Hyperscan")
@pytest.mark.parametrize("every", [True, False])
def test_field_mode_reads_what_it_cannot_check_as_held(every) -> None:
    """A ``#name`` field read under ``name``; a value that is not a string,
    or a ``#name`` under neither spelling, holds every literal of its
    field; a field the event lacks holds none; lines of other types are
    scanned as before."""
    literals = [b"processrollup2", b"cmd.exe", b"win"]
    rules = [[[0]], [[1]], [[2]]]
    fields = [[[("#event_simpleName",)]], [[("ImageFileName",)]], [[("#platform",)]]]
    index = _field_mode_index(literals, rules, fields, every)
    events = [
        {"event_simpleName": "ProcessRollup2", "ImageFileName": 12, "platform": "Lin"},
        {"event_simpleName": "ProcessRollup2", "CommandLine": "cmd.exe"},
        {"event_simpleName": "ProcessRollup2", "#platform": "Win"},
    ]
    lines = [json.dumps({**e, "ImageFileName": "x"}).encode() for e in events]
    assert index.pairs(lines, range(3), events)[2] == [[0, 1, 2], [0], [1, 2]]
    other = [b'{"event_simpleName":"DnsRequest","a":"cmd.exe"}']
    assert index.scan_block(other[0])[0] == [(0, len(other[0]))]
    assert index.pairs(other, range(3), [{"event_simpleName": "DnsRequest"}])[2] == [[], [0], []]
    with pytest.raises(ValueError, match="field sets"):
        index.pairs(lines, range(3), events[:1])
    with pytest.raises(ValueError, match="do not match"):
        index.use_field_mode([0], [[[()]], [[()]], []])


@pytest.mark.skipif(literal_scanner([b"x"]) is None, reason="field mode needs Hyperscan")
def test_field_mode_remembers_the_values_it_sees_again() -> None:
    """A value is remembered the second time it is scanned, and what it
    held then counts without a scan; a value seen once is not kept; the
    candidates are the same either way, and in a field other than the
    literal's own the remembered value holds nothing."""
    index = _field_mode_index([b"cmd.exe"], [[[0]]], [[[("CommandLine",)]]], every=False)
    values = ["run cmd.exe /c", "y", "run cmd.exe /c", "RUN CMD.EXE /C", "run cmd.exe /c"]
    events = [{"event_simpleName": "ProcessRollup2", "CommandLine": v} for v in values]
    lines = [json.dumps(e).encode() for e in events]
    assert index.remembered == 0
    assert index.pairs(lines, [0], events)[2] == [[0, 2, 3, 4]]
    assert index.remembered == 1  # ("run cmd.exe /c", seen three times)
    assert index.pairs(lines, [0], events)[2] == [[0, 2, 3, 4]]
    assert index.remembered == 3  # ("y" and "RUN CMD.EXE /C" scanned a second time)
    other = [{"event_simpleName": "ProcessRollup2", "Other": "run cmd.exe /c"}]
    assert index.pairs([json.dumps(other[0]).encode()], [0], other)[2] == [[]]


@pytest.mark.parametrize("scanner", scanners())
def test_pairs_reads_lines_from_a_block_as_from_a_list(scanner) -> None:
    """Given the block the lines come from and their spans, ``pairs`` finds
    what it finds in the lines themselves (text that is not ASCII
    included); spans that do not fit the lines or the block are refused."""
    import struct

    index = make_index([b"cmd.exe", b"caf\xc3\xa9"], [[[0]], [[1]], [[0], [1]]], scanner)
    texts = ['{"a":"run cmd.exe"}', '{"a":"café cmd.exe"}', '{"a":"x"}', '{"a":"CAFÉ"}']
    block = "\n".join(texts).encode()
    spans, start = [], 0
    for text in texts:
        end = start + len(text.encode())
        spans += [start, end]
        start = end + 1
    packed = struct.pack(f"={len(spans)}Q", *spans)
    want = index.pairs(texts, range(3))
    got = index.pairs(texts, range(3), block=block, spans=packed)
    assert got[2] == want[2] == [[0, 1], [1], [1]]
    assert list(got[0]) == list(want[0]) and list(got[1]) == list(want[1])
    with pytest.raises(ValueError, match="spans of its 4 lines"):
        index.pairs(texts, range(3), block=block, spans=packed[:-16])
    with pytest.raises(ValueError, match="not in the block"):
        index.pairs(texts, range(3), block=block[:10], spans=packed)
