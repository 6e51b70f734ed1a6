"""The field-scoped prefilter (``ingest.prefilter``, cext/fieldscope.h): a
short literal from a filter on a field must lie in that field's value in the
raw line, and the prefilter may only rule out lines the query cannot keep.

The lines below are the ways a raw line can hold a literal without holding
it in the field, or hold it in the field without spelling it as it is:
escapes in values and keys, the field's name inside another string,
repeated and nested keys, non-string values, non-ASCII case folding."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings, strategies as st

import cqlmatch
from cqlmatch._scan import _use_kernel
from cqlmatch.bytecode.program import Literal
from cqlmatch.ingest.prefilter import Prefilter, scope_keys

KELVIN, LONG_S = "\u212a", "\u017f"
QUERY = r"ParentBaseFileName=/(?i)(apt|yum|ask)/"
PARENT = "ParentBaseFileName"


def _kernels() -> list[str]:
    found = []
    for kernel in ("memmem", "word", "sse2", "avx2", "teddy"):
        try:
            previous = _use_kernel(kernel)
        except ValueError:
            continue
        _use_kernel(previous)
        found.append(kernel)
    return found


KERNELS = _kernels()

# (line, whether the query keeps its event, whether the scoped prefilter
# must rule it out: None when either is sound)
LINES: list[tuple[str, bool, bool | None]] = [
    ('{"ParentBaseFileName":"apt","id":"plain"}', True, False),
    ('{"id":"upper","ParentBaseFileName":"C:\\\\APT.EXE"}', True, False),
    ('{"id":"spaces","ParentBaseFileName" :\t "yum"}', True, False),
    # The literal only in another field: ruled out.
    (
        '{"id":"elsewhere","CommandLine":"--capture","ParentBaseFileName":"explorer.exe"}',
        False,
        True,
    ),
    ('{"id":"absent","CommandLine":"apt-get install"}', False, True),
    # The field's name inside another string, with its value after it.
    (
        '{"id":"inside","CommandLine":"\\"ParentBaseFileName\\":\\"apt\\"",'
        '"ParentBaseFileName":"x"}',
        False,
        True,
    ),
    ('{"id":"in-a-key","x\\"ParentBaseFileName":"apt"}', False, True),
    ('{"id":"backslashes","a":"\\\\\\"ParentBaseFileName\\":\\"apt"}', False, True),
    # An even run of backslashes before a quote: the quote is real.
    ('{"id":"even","a":"x\\\\","ParentBaseFileName":"apt"}', True, False),
    ('{"id":"quoted","ParentBaseFileName":"\\"apt\\""}', True, False),
    # The literal spelt with an escape, the key spelt with one.
    ('{"id":"escaped-value","ParentBaseFileName":"\\u0061pt"}', True, False),
    ('{"id":"escaped-key","Parent\\u0042aseFileName":"apt","c":"apt"}', True, False),
    ('{"id":"escaped-key-lower","Parent\\u0062aseFileName":"apt"}', False, None),
    # Repeated keys (the last one is the value) and a nested object's key.
    ('{"id":"dup-last","ParentBaseFileName":"x","ParentBaseFileName":"apt"}', True, False),
    ('{"id":"dup-first","ParentBaseFileName":"apt","ParentBaseFileName":"x"}', False, None),
    ('{"id":"nested","o":{"ParentBaseFileName":"apt"},"ParentBaseFileName":"x"}', False, None),
    ('{"id":"object","ParentBaseFileName":{"a":"apt"}}', False, None),
    ('{"id":"array","ParentBaseFileName":["apt"]}', False, None),
    # Not ASCII: (?i) folds the Kelvin sign onto k, in UTF-8 or escaped.
    ('{"id":"kelvin-utf8","ParentBaseFileName":"as' + KELVIN + '"}', True, False),
    ('{"id":"kelvin-escaped","ParentBaseFileName":"as\\u212a"}', True, False),
    ('{"id":"long-s","ParentBaseFileName":"a' + LONG_S + 'k","c":"apt"}', True, False),
    ('{"id":"accents","UserName":"Jos\u00e9","ParentBaseFileName":"yum"}', True, False),
    ('{"id":"crlf","ParentBaseFileName":"apt"}\r', True, False),
]


def _run_all(tmp_path, query_text: str, lines: list[str]) -> list:
    """The rows of the query on both engines, with and without the
    prefilter; they must all be equal."""
    path = tmp_path / "events.ndjson"
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    query = cqlmatch.compile(query_text)
    runs = [
        list(query.run(str(path), engine=engine, workers=1, prefilter=prefilter))
        for engine in ("vm", "reference")
        for prefilter in (True, False)
    ]
    assert all(rows == runs[0] for rows in runs[1:])
    return runs[0]


def test_scope_keys() -> None:
    assert scope_keys("ParentBaseFileName") == ("ParentBaseFileName",)
    assert scope_keys("#event_simpleName") == ("#event_simpleName", "event_simpleName")
    # Flattened from nested objects, filled in, or not spelt as it is: not scoped.
    assert scope_keys("a.b") == scope_keys("a[0]") == ()
    assert scope_keys("@timestamp") == scope_keys("@rawstring") == ()
    assert scope_keys('a"b') == scope_keys("") == ()


def test_the_literals_carry_their_field() -> None:
    query = cqlmatch.compile(QUERY)
    assert query.program.prefilter == (
        tuple(Literal(x, True, PARENT) for x in ("apt", "ask", "yum")),
    )
    prefilter = Prefilter(query.program.prefilter)
    # The three literals, then the Kelvin sign and the long s (UTF-8 and
    # escaped), which "ask" holds the letters of: all in the field.
    assert prefilter.keys == (((PARENT.encode(),),) * 7,)
    # Without the fields (scoped=False) the whole-line test alone.
    assert Prefilter(query.program.prefilter, scoped=False).keys == (None,)


def test_adversarial_lines_keep_their_rows(tmp_path) -> None:
    rows = _run_all(tmp_path, QUERY, [line for line, _, _ in LINES])
    assert sorted(row["id"] for row in rows) == sorted(
        json.loads(line)["id"] for line, keeps, _ in LINES if keeps
    )


@pytest.mark.parametrize("kernel", KERNELS)
def test_adversarial_lines_in_the_scan(kernel: str) -> None:
    """The C scan keeps what the Python rule keeps, every line the query
    keeps among them, and rules out the lines that hold the literal only
    outside the field."""
    prefilter = Prefilter(cqlmatch.compile(QUERY).program.prefilter)
    block = "\n".join(line for line, _, _ in LINES).encode("utf-8")
    previous = _use_kernel(kernel)
    try:
        spans, _ = prefilter.scan_counted(block)
    finally:
        _use_kernel(previous)
    assert spans == prefilter.scan_python(block)
    kept = {block[start:end].decode("utf-8").rstrip("\r") for start, end in spans}
    for line, keeps, ruled_out in LINES:
        line = line.rstrip("\r")
        assert prefilter.might_match(line.encode("utf-8")) == (line in kept)
        if keeps or ruled_out is False:
            assert line in kept, line
        if ruled_out:
            assert line not in kept, line


def test_a_value_that_is_not_a_string(tmp_path) -> None:
    """``true`` is read as the text "true": a hit in a value that is not a
    string counts for its key."""
    lines = [
        '{"id":"yes","f":true}',
        '{"id":"text","f":"untrue"}',
        '{"id":"no","f":false,"g":"true"}',
        '{"id":"number","f":12,"g":true}',
    ]
    rows = _run_all(tmp_path, "f=/tru/", lines)
    assert sorted(row["id"] for row in rows) == ["text", "yes"]
    prefilter = Prefilter(cqlmatch.compile("f=/tru/").program.prefilter)
    assert [prefilter.might_match(line.encode()) for line in lines] == [True, True, False, False]


def test_a_group_of_long_literals_is_looked_for_anywhere() -> None:
    """Only a group with a literal shorter than ``SCOPE_BELOW`` follows its
    fields: a long literal is seldom found by chance elsewhere."""
    prefilter = Prefilter(cqlmatch.compile("f=/installer/").program.prefilter)
    assert prefilter.keys == (None,)
    assert prefilter.might_match(b'{"g":"installer","f":"x"}')
    prefilter = Prefilter(cqlmatch.compile("f=/installer|apt/").program.prefilter)
    assert prefilter.keys == (((b"f",), (b"f",)),)
    assert not prefilter.might_match(b'{"g":"installer","f":"x"}')


def test_free_text_and_other_fields_stay_whole_line() -> None:
    """A group holding a literal from free text counts that one anywhere,
    and the others in their fields."""
    prefilter = Prefilter(cqlmatch.compile('f=/apt/ or "zzz"').program.prefilter)
    assert prefilter.keys == (((b"f",), ()),)
    assert prefilter.might_match(b'{"g":"zzz"}')
    assert prefilter.might_match(b'{"f":"apt"}')
    assert not prefilter.might_match(b'{"g":"apt"}')


# --- a property: the prefilter never rules out a line the field holds --------------------

# (the literals and the field's name weigh more, so that many lines hold
# one in the field, spelt in many ways)
_PIECES = ["apt", "apt", "APT", "a", "pt", "yum", "m", '"', "\\", ":", " ", PARENT, '":"']
_PIECES += ["\u00e9", "as" + KELVIN, "a" + LONG_S + "k", "ask", "{", "}", "install", "er"]
_texts = st.lists(st.sampled_from(_PIECES), min_size=1, max_size=4).map("".join)
_keys = st.sampled_from([PARENT, PARENT, PARENT, "CommandLine", "o", PARENT + "x", "x" + PARENT])
_values = st.recursive(
    _texts | st.sampled_from([True, 12, None]),
    lambda inner: st.lists(st.tuples(_keys, inner), max_size=2),
    max_leaves=4,
)


def _render(pairs, ascii_only: bool, spaces: bool, escape: int) -> str:
    """The object's JSON text, keys repeated as given (an inner list of
    pairs is an object); ``escape`` writes the character at that place of
    the text of a string as a backslash-u escape, when it is a letter."""
    colon = " : " if spaces else ":"

    def value(v) -> str:
        if isinstance(v, list):
            return "{" + ",".join(json.dumps(k) + colon + value(x) for k, x in v) + "}"
        return json.dumps(v, ensure_ascii=ascii_only)

    text = "{" + ",".join(json.dumps(k) + colon + value(v) for k, v in pairs) + "}"
    quoted = [m.start() for m in re.finditer(r'(?<=")[A-Za-z]', text)]
    if quoted:
        at = quoted[escape % len(quoted)]
        text = text[:at] + f"\\u{ord(text[at]):04x}" + text[at + 1 :]
    return text


def _holds(pairs, command: str) -> bool:
    """Whether a top-level ``ParentBaseFileName`` string, any of its
    repeats, holds one of the literals as ``(?i)`` finds them (and a
    ``CommandLine`` string holds ``command``)."""
    return any(
        k == PARENT and isinstance(v, str) and re.search("apt|yum|ask", v, re.IGNORECASE)
        for k, v in pairs
    ) and (
        not command
        or any(k == "CommandLine" and isinstance(v, str) and command in v for k, v in pairs)
    )


@pytest.mark.parametrize("command", ["", "install", "installer"])
@settings(max_examples=300, deadline=None)
@given(
    pairs=st.lists(st.tuples(_keys, _values), min_size=1, max_size=4),
    ascii_only=st.booleans(),
    spaces=st.booleans(),
    escape=st.integers(0, 40),
)
def test_a_line_holding_the_literal_in_its_field_is_kept(
    command: str, pairs, ascii_only: bool, spaces: bool, escape: int
) -> None:
    """The scoped group alone (it drives the scan), and after a group on
    another field that drives it (its literal is longer), scoped too
    (``install``) or not (``installer``, too long to be)."""
    text = QUERY + (f" CommandLine=/{command}/" if command else "")
    prefilter = Prefilter(cqlmatch.compile(text).program.prefilter)
    line = _render(pairs, ascii_only, spaces, escape)
    decoded = json.loads(line, object_pairs_hook=lambda items: items)
    raw = line.encode("utf-8")
    if _holds(decoded, command):
        assert prefilter.might_match(raw), line
    block = raw + b"\n" + raw.replace(b"apt", b"APT")
    for kernel in KERNELS:
        previous = _use_kernel(kernel)
        try:
            assert prefilter.scan_counted(block)[0] == prefilter.scan_python(block)
        finally:
            _use_kernel(previous)
