"""text:substring() and matchAsArray(), written from their LogScale function
pages (functions-text-substring.html, functions-matchasarray.html and its
worked example "Return Multiple Matches as Array Fields"); every semantic
test runs on each engine.  Where the pages are silent, the choices tested
here are the ones the modules' docstrings state (substrings.py, filters.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

import cqlmatch
from cqlmatch.errors import CQLCompileError

from .helpers import match, run, value

# --- text:substring -------------------------------------------------------------------------


def test_substring_takes_begin_up_to_end_minus_one(engine):
    # page: begin=0 and end=4 return the characters at positions 0, 1, 2 and 3
    event = {"email": "user@example.com"}
    assert value("text:substring(email, begin=0, end=4)", event, "_string", engine) == "user"
    assert value("text:substring(email, begin=5, end=12)", event, "_string", engine) == "example"


def test_substring_defaults_are_the_start_and_the_end(engine):
    event = {"email": "user@example.com"}
    assert value("text:substring(email)", event, "_string", engine) == "user@example.com"
    assert value("text:substring(email, begin=5)", event, "_string", engine) == "example.com"
    assert value("text:substring(email, end=4)", event, "_string", engine) == "user"


def test_substring_output_name_and_named_string(engine):
    event = {"d": "2025-10-14"}
    out = match('text:substring(string=d, begin=0, end=4, as="year")', event, engine)
    assert out == {"d": "2025-10-14", "year": "2025"}
    # string is an expression: quoted text is the text itself
    assert value('text:substring("abcdef", begin=2, end=4)', {}, "_string", engine) == "cd"
    # the assignment form names the output as well
    assert value("m := text:substring(d, begin=5, end=7)", event, "m", engine) == "10"


def test_substring_positions_are_expressions(engine):
    event = {"s": "key=value", "at": "4", "stop": "9"}
    assert value("text:substring(s, begin=at, end=stop)", event, "_string", engine) == "value"
    query = "text:substring(s, begin=at + 1, end=stop - 2)"
    assert value(query, event, "_string", engine) == "al"


@pytest.mark.parametrize(
    ("text", "begin", "end", "expected"),
    [
        # a flag is two regional indicators, one position
        ("🇩🇰🇸🇪ab", 1, 3, "🇸🇪a"),
        # a letter and its combining accent are one position
        ("cafe\u0301s", 3, 4, "e\u0301"),
        # an emoji with a skin tone modifier is one position
        ("x👍🏽y", 1, 2, "👍🏽"),
        # a ZWJ family is one position
        ("👨\u200d👩\u200d👧!", 0, 1, "👨\u200d👩\u200d👧"),
        # outside the Basic Multilingual Plane, one code point is one position
        ("\U0001d4b3\U0001d4b4\U0001d4b5", 1, 2, "\U0001d4b4"),
    ],
)
def test_substring_counts_grapheme_clusters(engine, text, begin, end, expected):
    query = f"text:substring(s, begin={begin}, end={end})"
    assert value(query, {"s": text}, "_string", engine) == expected


def test_substring_counts_as_text_length_does(engine):
    # the last position text:length reports is the end of the string
    text = "a🇩🇰e\u0301👍🏽"
    query = "n := text:length(s) | text:substring(s, begin=1, end=n)"
    out = match(query, {"s": text}, engine)
    assert out["n"] == "4"
    assert out["_string"] == "🇩🇰e\u0301👍🏽"


def test_substring_without_the_string_adds_nothing(engine):
    rows = run("text:substring(missing, begin=1)", [{"other": "x"}], engine)
    assert rows == [{"other": "x"}]


def test_substring_ranges_past_the_end(engine):
    event = {"s": "abc"}
    assert value("text:substring(s, begin=1, end=99)", event, "_string", engine) == "bc"
    assert value("text:substring(s, begin=3)", event, "_string", engine) == ""
    assert value("text:substring(s, begin=7, end=9)", event, "_string", engine) == ""
    assert value("text:substring(s, begin=2, end=2)", event, "_string", engine) == ""


@pytest.mark.parametrize(
    "arguments",
    [
        "begin=2, end=1",  # begin after end
        "begin=-1",  # negative positions: the page says they start from 0
        "end=-1",
        "begin=1.5",  # not an integer
        'begin="x"',
        "begin=nosuchfield",  # no value
        "end=nosuchfield",
    ],
)
def test_substring_gives_no_output_for_positions_it_cannot_use(engine, arguments):
    rows = run(f"text:substring(s, {arguments})", [{"s": "abcdef"}], engine)
    assert rows == [{"s": "abcdef"}]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("text:substring(string=s, start=1)", "E204"),  # no such parameter
        ("text:substring(begin=1)", "E206"),  # string is required
        ("text:substring(s, as=[a, b])", "E207"),  # as is one field name
    ],
)
def test_substring_arguments_are_checked(query, code):
    with pytest.raises(CQLCompileError) as info:
        cqlmatch.compile(query)
    assert [e.code for e in info.value.errors] == [code]


# --- matchAsArray -----------------------------------------------------------------------------

# the worked example's lookup file and events
_USERS = [
    {
        "user.email": "test1@gmail.com",
        "entityID": "123",
        "displayName": "Testy McTestington",
        "user.active_directory.domain": "DET23.TEST",
    },
    {
        "user.email": "test2@gmail.com",
        "entityID": "456",
        "displayName": "Tester2",
        "user.active_directory.domain": "DET23.TEST2",
    },
    {
        "user.email": "test1@gmail.com",
        "entityID": "789",
        "displayName": "Testy McTestington",
        "user.active_directory.domain": "DET23.IDPRO",
    },
]
_EVENTS = [
    {"user.email": "test1@gmail.com", "user.id": "1"},
    {"user.email": "test2@gmail.com", "user.id": "2"},
]


def _lookup(query: str, events: list[dict], engine: str, table=None) -> list[dict]:
    compiled = cqlmatch.compile(query, lookups={"users.csv": _USERS if table is None else table})
    return compiled.run(events, engine=engine)


def test_match_as_array_page_example(engine):
    query = (
        'matchAsArray(file="users.csv", field=["user.email"], column="user.email", '
        'ignoreCase=true, include=["entityID","displayName","user.active_directory.domain"], '
        'nrows=2, asArray="_result[]")'
    )
    first, second = _lookup(query, _EVENTS, engine)
    # both matching rows join the one event, in file order
    assert first == {
        "user.email": "test1@gmail.com",
        "user.id": "1",
        "_result[0].entityID": "123",
        "_result[0].displayName": "Testy McTestington",
        "_result[0].user.active_directory.domain": "DET23.TEST",
        "_result[1].entityID": "789",
        "_result[1].displayName": "Testy McTestington",
        "_result[1].user.active_directory.domain": "DET23.IDPRO",
    }
    assert second == {
        "user.email": "test2@gmail.com",
        "user.id": "2",
        "_result[0].entityID": "456",
        "_result[0].displayName": "Tester2",
        "_result[0].user.active_directory.domain": "DET23.TEST2",
    }


def test_match_as_array_defaults(engine):
    # asArray defaults to _now (the page's default); without include= every
    # column of each row, the key column too; no limit on the rows
    rows = _lookup('matchAsArray("users.csv", field="user.email")', _EVENTS[:1], engine)
    assert rows == [
        {
            "user.email": "test1@gmail.com",
            "user.id": "1",
            "_now[0].user.email": "test1@gmail.com",
            "_now[0].entityID": "123",
            "_now[0].displayName": "Testy McTestington",
            "_now[0].user.active_directory.domain": "DET23.TEST",
            "_now[1].user.email": "test1@gmail.com",
            "_now[1].entityID": "789",
            "_now[1].displayName": "Testy McTestington",
            "_now[1].user.active_directory.domain": "DET23.IDPRO",
        }
    ]


def test_match_as_array_nrows_keeps_the_first_rows(engine):
    query = 'matchAsArray("users.csv", field="user.email", include=[entityID], nrows=1)'
    (row,) = _lookup(query, _EVENTS[:1], engine)
    assert {k: v for k, v in row.items() if k.startswith("_now")} == {"_now[0].entityID": "123"}


def test_match_as_array_nrows_max_keeps_every_row(engine):
    query = 'matchAsArray("users.csv", field="user.email", include=[entityID], nrows=max)'
    (row,) = _lookup(query, _EVENTS[:1], engine)
    assert [row.get(f"_now[{i}].entityID") for i in range(3)] == ["123", "789", None]


def test_match_as_array_strict(engine):
    events = [
        {"user.email": "test2@gmail.com"},
        {"user.email": "nobody@gmail.com"},  # matches no row
        {"other": "x"},  # has no key field
    ]
    query = 'matchAsArray("users.csv", field="user.email", include=[entityID], asArray=r)'
    assert _lookup(query, events, engine) == [
        {"user.email": "test2@gmail.com", "r[0].entityID": "456"}
    ]
    relaxed = _lookup(query.replace(")", ", strict=false)"), events, engine)
    assert relaxed == [
        {"user.email": "test2@gmail.com", "r[0].entityID": "456"},
        {"user.email": "nobody@gmail.com"},
        {"other": "x"},
    ]


def test_match_as_array_is_case_sensitive_unless_told(engine):
    events = [{"user.email": "TEST2@gmail.com"}]
    query = 'matchAsArray("users.csv", field="user.email", include=[entityID])'
    assert _lookup(query, events, engine) == []
    (row,) = _lookup(query.replace(")", ", ignoreCase=true)"), events, engine)
    assert row["_now[0].entityID"] == "456"


def test_match_as_array_columns_pair_with_fields(engine):
    table = [
        {"host": "a", "port": "22", "svc": "ssh"},
        {"host": "a", "port": "80", "svc": "http"},
        {"host": "a", "port": "22", "svc": "sftp"},
        {"host": "b", "port": "22", "svc": "other"},
    ]
    query = (
        'matchAsArray("users.csv", field=[h, p], column=[host, port], include=[svc], asArray="s[]")'
    )
    rows = _lookup(query, [{"h": "a", "p": "22"}, {"h": "a", "p": "443"}], engine, table)
    assert rows == [{"h": "a", "p": "22", "s[0].svc": "ssh", "s[1].svc": "sftp"}]


def test_match_as_array_replaces_the_old_elements(engine):
    event = {"user.email": "test2@gmail.com", "r[0].entityID": "x", "r[1].entityID": "y"}
    query = 'matchAsArray("users.csv", field="user.email", include=[entityID], asArray="r[]")'
    assert _lookup(query, [event], engine) == [
        {"user.email": "test2@gmail.com", "r[0].entityID": "456"}
    ]


def test_match_as_array_reads_a_defined_table(engine):
    events = [
        {"kind": "login", "user": "ann", "host": "h1"},
        {"kind": "login", "user": "ann", "host": "h2"},
        {"kind": "alert", "user": "ann"},
        {"kind": "alert", "user": "bob"},
    ]
    query = (
        'defineTable(name="logins", query={kind=login}, include=[user, host]) '
        '| kind=alert | matchAsArray(table="logins", field=user, include=[host], asArray="seen[]")'
    )
    rows = run(query, events, engine)
    assert rows == [{"kind": "alert", "user": "ann", "seen[0].host": "h1", "seen[1].host": "h2"}]


def test_match_as_array_reads_a_lookup_file(tmp_path: Path, engine):
    (tmp_path / "tags.csv").write_text("ip,tag\n10.0.0.1,db\n10.0.0.1,prod\n", encoding="utf-8")
    query = 'matchAsArray(file="tags.csv", field=ip, include=[tag], asArray="tags[]")'
    compiled = cqlmatch.compile(query, lookup_dir=tmp_path)
    rows = compiled.run([{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}], engine=engine)
    assert rows == [{"ip": "10.0.0.1", "tags[0].tag": "db", "tags[1].tag": "prod"}]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ('matchAsArray("users.csv", field=x, mode=glob)', "E204"),  # exact matching only
        ('matchAsArray("users.csv", field=x, strict=maybe)', "E207"),
        ('matchAsArray("users.csv", field=x, ignoreCase=yes)', "E207"),
        ('matchAsArray("users.csv", field=x, nrows=0)', "E207"),
        ('matchAsArray("users.csv", field=x, nrows=-2)', "E207"),
        ('matchAsArray("users.csv", field=x, nrows=many)', "E207"),
        ('matchAsArray("users.csv")', "E206"),  # field is required
        ("matchAsArray(field=x)", "E206"),  # so is a file or a table
        ('matchAsArray(file="elsewhere.csv", field=x)', "E222"),
        ('matchAsArray(table="nosuch", field=x)', "E222"),
        ('matchAsArray(file="/etc/passwd", field=x)', "E224"),
    ],
)
def test_match_as_array_arguments_are_checked(query, code):
    with pytest.raises(CQLCompileError) as info:
        cqlmatch.compile(query, lookups={"users.csv": _USERS})
    assert code in [e.code for e in info.value.errors]
