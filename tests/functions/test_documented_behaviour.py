"""Behaviour LogScale's function pages state, each test written from the
page's sentence (quoted in the test's docstring), on both engines."""

from __future__ import annotations

import pytest

import cqlmatch

from .helpers import run, value, warnings

# --- eval() -------------------------------------------------------------------------------


def test_eval_takes_several_assignments_left_to_right(engine: str) -> None:
    """eval(): "accepts multiple expressions to be evaluated, separated by a
    comma, in the form of field_name = expression" and "the order of
    evaluation of arguments is left to right"."""
    out = run("eval(a = 3, b = a + 1)", [{"x": "1"}], engine)
    assert out == [{"x": "1", "a": "3", "b": "4"}]
    out = run("eval(a = b, x = y + z)", [{"b": "2", "y": "3", "z": "4"}], engine)
    assert out[0]["a"] == "2" and out[0]["x"] == "7"


def test_eval_assignment_without_a_result_leaves_the_field(engine: str) -> None:
    """eval(): "If f already existed as a field on the event and expr did not
    yield any result, then f is unchanged" (and the next one still runs)."""
    out = run("eval(f = missing * 2, g = n + 1)", [{"f": "old", "n": "1"}], engine)
    assert out == [{"f": "old", "n": "1", "g": "2"}]


def test_a_later_eval_assignment_overwrites_an_earlier_one(engine: str) -> None:
    assert value("eval(a = 1, a = a + 10)", {}, "a", engine) == "11"


# --- length() and text:length() ----------------------------------------------------------


def test_length_counts_java_characters(engine: str) -> None:
    """length(): "Computes the number of Java characters that represents the
    string"; text:length(): for 🇩🇰 "the text:length() function returns 1,
    whereas the length() function returns 4"."""
    assert value("length(f)", {"f": "🇩🇰"}, "_length", engine) == "4"
    assert value("length(f)", {"f": "a😀"}, "_length", engine) == "3"
    assert value("length(f)", {"f": "héllo"}, "_length", engine) == "5"
    assert value("length(f)", {"f": ""}, "_length", engine) == "0"


def test_text_length_counts_grapheme_clusters(engine: str) -> None:
    assert value("text:length(f)", {"f": "🇩🇰"}, "_length", engine) == "1"
    cases = {
        "e\u0301a": "2",  # a combining accent joins its letter
        "👩\u200d👩\u200d👧": "1",  # an emoji ZWJ sequence
        "👍🏽x": "2",  # a skin-tone modifier
        "🇩🇰🇸🇪🇳": "3",  # regional indicators pair: two flags and a lone one
        "a\r\nb": "3",  # CR LF is one
        "\u1100\u1161\u11a8": "1",  # Hangul jamo make one syllable
        "한국어": "3",
        "plain": "5",
    }
    for text, expected in cases.items():
        assert value("n := text:length(f)", {"f": text}, "n", engine) == expected, text


def test_text_length_takes_an_expression(engine: str) -> None:
    """text:length(string): "The string or field from which to compute the length"."""
    assert value('text:length("abc", as=n)', {}, "n", engine) == "3"
    assert value("text:length(f, as=n)", {"f": "abcd"}, "n", engine) == "4"
    out = run("text:length(missing)", [{"f": "x"}], engine)
    assert "_length" not in out[0]


# --- select() and table() column order ------------------------------------------------------


def test_select_and_table_name_their_columns_in_the_query_order(engine: str) -> None:
    """table(): "Columns in the table are sorted in the specified field
    order", whatever the first event holds."""
    events = [{"FileName": "a"}, {"FileName": "b", "ComputerName": "h"}]
    for query in (
        "select([ComputerName, FileName])",
        "table([ComputerName, FileName], sortby=FileName, order=asc)",
        "select([ComputerName, FileName]) | FileName=* | sort(FileName) | head(5)",
    ):
        result = cqlmatch.compile(query).run(events, engine=engine)
        assert result.columns == ("ComputerName", "FileName"), query
        assert all(list(row) == [n for n in result.columns if n in row] for row in result)


def test_columns_follow_the_data_when_a_later_stage_changes_them() -> None:
    for query in (
        "FileName=*",
        "select([a, b]) | drop([a])",
        "select([a, b]) | rename(a, as=c)",
        "select([a, b]) | groupBy(a)",
        "table([a, b]) | select([b])",  # the last one counts
    ):
        expected = ("b",) if query.endswith("select([b])") else ()
        assert cqlmatch.compile(query).columns == expected, query


# --- match() ---------------------------------------------------------------------------------

_HOSTS = [
    {"host": "web01", "owner": "alice", "site": "hq"},
    {"host": "db01", "owner": "bob", "site": "dc"},
]
_NETS = [
    {"net": "10.0.0.0/8", "zone": "corp"},
    {"net": "10.1.2.0/24", "zone": "lab"},
    {"net": "10.1.0.0/16", "zone": "branch"},
    {"net": "0.0.0.0/0", "zone": "any"},
]


def _lookup_run(query: str, events: list[dict], table: list[dict], engine: str) -> list[dict]:
    compiled = cqlmatch.compile(query, lookups={"t.csv": table})
    return compiled.run(events, engine=engine)


def test_match_without_include_adds_every_column_key_too(engine: str) -> None:
    """match() include=: "If no argument is given, include all columns from
    the corresponding row in the output event"."""
    query = 'match(file="t.csv", field=ComputerName, column=host)'
    out = _lookup_run(query, [{"ComputerName": "db01"}], _HOSTS, engine)
    assert out == [{"ComputerName": "db01", "host": "db01", "owner": "bob", "site": "dc"}]
    query = 'match(file="t.csv", field=ComputerName, column=host, include=[owner])'
    out = _lookup_run(query, [{"ComputerName": "db01"}], _HOSTS, engine)
    assert out == [{"ComputerName": "db01", "owner": "bob"}]


def test_match_key_column_named_like_the_field_is_the_row_value(engine: str) -> None:
    """With ignoreCase the row's key is what the event gets (the row's column)."""
    query = 'match(file="t.csv", field=host, ignoreCase=true)'
    out = _lookup_run(query, [{"host": "WEB01"}], _HOSTS, engine)
    assert out == [{"host": "web01", "owner": "alice", "site": "hq"}]


def test_match_cidr_picks_the_most_specific_subnet(engine: str) -> None:
    """match() mode=cidr: when several subnets hold the address, "the most
    specific one is selected", not the first row."""
    query = 'match(file="t.csv", field=ip, column=net, mode=cidr, include=[net, zone])'
    events = [{"ip": "10.1.2.3"}, {"ip": "10.1.9.9"}, {"ip": "10.7.7.7"}, {"ip": "192.0.2.1"}]
    out = _lookup_run(query, events, _NETS, engine)
    assert [(r["net"], r["zone"]) for r in out] == [
        ("10.1.2.0/24", "lab"),
        ("10.1.0.0/16", "branch"),
        ("10.0.0.0/8", "corp"),
        ("0.0.0.0/0", "any"),
    ]


def test_match_cidr_equally_specific_keeps_the_first_row(engine: str) -> None:
    table = [{"net": "10.0.0.0/8", "zone": "one"}, {"net": "10.0.0.0/8", "zone": "two"}]
    query = 'match(file="t.csv", field=ip, column=net, mode=cidr)'
    out = _lookup_run(query, [{"ip": "10.2.3.4"}], table, engine)
    assert out[0]["zone"] == "one"


# --- the regex flag g ----------------------------------------------------------------------


def test_flag_g_extracts_every_match_as_regex_repeat_does(engine: str) -> None:
    """Regular expression flags, g: "Match the same expression multiple times
    within a single event. This can be used to extract repeated elements"
    (``company = /(?<orgname>\\w+):/g``); regex(repeat=true): "multiple
    matches yields multiple events"."""
    events = [{"company": "acme:initech:globex"}, {"company": "none"}]
    literal = run("company=/(?<orgname>\\w+):/g", events, engine)
    function = run('regex("(?<orgname>\\\\w+):", field=company, repeat=true)', events, engine)
    assert [e["orgname"] for e in literal] == ["acme", "initech"]
    assert literal == function
    assert all(e["company"] == "acme:initech:globex" for e in literal)


def test_flag_g_events_each_pass_the_later_filters(engine: str) -> None:
    events = [{"f": "ab:cd:ef:", "g": "1"}]
    assert [e["w"] for e in run("f=/(?<w>[a-z]+):/g w=cd", events, engine)] == ["cd"]
    assert run("g=1 f=/(?<w>[a-z]+):/g | count()", events, engine) == [{"_count": "3"}]
    rows = run("f=/(?<w>[a-z]+):/g | groupBy(w)", events, engine)
    assert sorted(r["w"] for r in rows) == ["ab", "cd", "ef"]


def test_flag_g_on_free_text_and_in_case(engine: str) -> None:
    events = [{"@rawstring": "k=1 k=2", "x": "y"}, {"@rawstring": "none"}]
    assert [e["k"] for e in run("/k=(?<k>\\d)/g", events, engine)] == ["1", "2"]
    out = run("case { /k=(?<k>\\d)/g ; * }", events, engine)
    assert [e.get("k") for e in out] == ["1", "2", None]


def test_flag_g_without_named_groups_only_filters(engine: str) -> None:
    events = [{"f": "ab:cd:"}, {"f": "zz"}]
    assert run("f=/[a-z]+:/g", events, engine) == [{"f": "ab:cd:"}]
    assert run("not f=/(?<w>[a-z]+):/g", events, engine) == [{"f": "zz"}]


def test_flag_g_makes_at_most_regex_default_limit_events(engine: str) -> None:
    events = [{"f": "a" * 150}]
    assert len(run("f=/(?<c>a)/g", events, engine)) == 100


# --- regexes RE2 cannot run: look-ahead, atomic groups, possessive quantifiers --------------

LOOK_AHEAD_EVENTS = [
    {"#event_simpleName": "ActiveDirectoryServiceAccess", "UserName": "bob+tag@corp.com"},
    {"#event_simpleName": "ActiveDirectoryAuditLogon", "UserName": "alice"},
    {"#event_simpleName": "ActiveDirectoryAccountCreated", "UserName": "+lead@corp.com"},
    {"#event_simpleName": "ProcessRollup2", "CommandLine": 'mshta.exe "C:\\a b\\x.hta" more'},
    {"#event_simpleName": "ProcessRollup2", "CommandLine": "mshta foo.txt", "cpu": "cpu12.p"},
]


def test_negative_look_ahead_filters(engine: str) -> None:
    """A corpus query: event types that start with ActiveDirectory but are not
    its Audit or Account events."""
    query = "#event_simpleName=/^ActiveDirectory(?:(?!Audit|Account).)*$/i"
    out = run(query, LOOK_AHEAD_EVENTS, engine)
    assert [e["#event_simpleName"] for e in out] == ["ActiveDirectoryServiceAccess"]
    out = run(f"NOT {query}", LOOK_AHEAD_EVENTS, engine)
    assert len(out) == 4


def test_look_ahead_in_regex_extraction(engine: str) -> None:
    query = 'regex("^(?<name>[^@+]+)(?=\\\\+|@|$)", field=UserName, strict=false)'
    out = run(query, LOOK_AHEAD_EVENTS, engine)
    assert [e.get("name") for e in out] == ["bob", "alice", None, None, None]
    query = 'CommandLine=/mshta(?:\\.exe)?"?\\s+"?(?<HtaPath>(?:.*?\\.hta|(?=").*?(?=")|.*?(?=(?:\\s|$))))/i'
    out = run(query, LOOK_AHEAD_EVENTS, engine)
    assert [e["HtaPath"] for e in out] == ["C:\\a b\\x.hta", "foo.txt"]


def test_possessive_and_atomic(engine: str) -> None:
    assert (
        value(
            'regex("cpu(?<core>\\\\d{1,2}+)\\\\.p", field=cpu)',
            LOOK_AHEAD_EVENTS[4],
            "core",
            engine,
        )
        == "12"
    )
    assert run("cpu=/cpu\\d++2/", LOOK_AHEAD_EVENTS, engine) == []  # nothing is given back
    assert len(run("cpu=/cpu(?>1|12)\\./", LOOK_AHEAD_EVENTS, engine)) == 0
    assert len(run("cpu=/cpu(?>12|1)\\./", LOOK_AHEAD_EVENTS, engine)) == 1


def test_look_ahead_in_replace(engine: str) -> None:
    out = value(
        'replace("(..)(?!$)", with="$1-", field=mac, as=out)', {"mac": "aabbcc"}, "out", engine
    )
    assert out == "aa-bb-cc"


def test_look_ahead_over_a_file_with_the_prefilter(engine: str, tmp_path) -> None:
    """From a file the raw-line prefilter runs first: the text inside a
    look-ahead is never taken for a literal every match holds."""
    import json

    path = tmp_path / "events.ndjson"
    path.write_text("".join(json.dumps(e) + "\n" for e in LOOK_AHEAD_EVENTS * 3))
    for query, hits in [
        ("UserName=/b(?=ob)/", 3),
        ("UserName=/(?=.*corp)[a-z]+@/", 6),
        ("UserName=/^(?!bob)[a-z]+/", 3),
        ("#event_simpleName=/Directory(?=Audit|Service)/ | UserName=/(?!x)./", 6),
    ]:
        compiled = cqlmatch.compile(query)
        for prefilter in (True, False):
            out = compiled.run(str(path), engine=engine, prefilter=prefilter)
            assert len(out) == hits, (query, prefilter)


def test_backtracking_regex_is_a_warning_that_says_why() -> None:
    query = cqlmatch.compile("x=/a(?!b)/ y=/c/ z=/d/")
    (diag,) = [d for d in query.diagnostics if d.code == "W350"]
    assert "negative look-ahead" in diag.message and "backtracking" in diag.message
    patterns = [p for spec in query.program.regex_sets for p in spec.patterns]
    assert not any("(?!" in p for p in patterns)  # RE2 sets hold only what RE2 runs


# --- geohash() -------------------------------------------------------------------------------


def test_geohash_of_the_pages_example(engine: str) -> None:
    """geohash(): "This example computes the geohash for Greenwich:
    lat:=51.477928 | lon:=0.0 | g:=geohash(lat=lat, lon=lon) The result is
    gcpuzgrbxvrc"."""
    query = "lat:=51.477928 | lon:=0.0 | g:=geohash(lat=lat, lon=lon)"
    assert value(query, {}, "g", engine) == "gcpuzgrbxvrc"


def test_geohash_defaults_and_precision(engine: str) -> None:
    """Defaults from the page: lat=ip.lat, lon=ip.lon, precision=12, as=_geohash
    (the fields ipLocation() writes)."""
    event = {"ip.lat": "42.60498046875", "ip.lon": "-5.60302734375"}
    full = value("geohash()", event, "_geohash", engine)
    assert full is not None and len(full) == 12 and full.startswith("ezs42")
    assert value("geohash(precision=5, as=h)", event, "h", engine) == "ezs42"
    assert value("geohash(precision=1)", event, "_geohash", engine) == "e"
    for bad in ({"ip.lat": "91", "ip.lon": "0"}, {"ip.lat": "x", "ip.lon": "0"}, {"ip.lat": "1"}):
        assert value("geohash()", bad, "_geohash", engine) is None, bad


@pytest.fixture
def quick_give_up(monkeypatch):
    """A backtracking search gives up after 50 ms instead of 1 s."""
    from cqlmatch import limits

    monkeypatch.setattr(limits, "REGEX_BACKTRACK_SECONDS", 0.05)


CATASTROPHIC = "a" * 60 + "b"  # (a|aa)+ can split this in about 1.5e12 ways


def test_a_backtracking_regex_that_gives_up_is_a_warning(engine: str, quick_give_up) -> None:
    events = [{"Data": CATASTROPHIC}, {"Data": "aac"}, {"Data": "xyz"}]
    result = cqlmatch.compile("Data=/(a|aa)+(?=c)/").run(events, engine=engine)
    assert list(result) == [{"Data": "aac"}]
    (_, message), *_ = [w for w in result.warnings if w[0] == "W420"]
    assert "(a|aa)+(?=c)" in message and "not matching" in message
    kept = cqlmatch.compile('regex("(?<x>(a|aa)+)(?=c)", field=Data, strict=false)')
    result = kept.run(events, engine=engine)
    assert [e.get("x") for e in result] == [None, "aa", None]  # no event is lost
    assert [w[0] for w in result.warnings] == ["W420"]


def test_replace_and_split_leave_the_value_when_the_regex_gives_up(
    engine: str, quick_give_up
) -> None:
    event = {"Data": CATASTROPHIC}
    assert (
        value('replace("(a|aa)+(?=c)", with="-", field=Data)', event, "Data", engine)
        == CATASTROPHIC
    )
    out = run('splitString(field=Data, by="(a|aa)+(?=c)", as=p)', [event], engine)
    assert out == [event]
    assert warnings('splitString(field=Data, by="(a|aa)+(?=c)", as=p)', [event], engine) == ["W420"]


# --- match(nrows=) -----------------------------------------------------------------------


def _lookups(tmp_path):
    (tmp_path / "t.csv").write_text("k,v\na,1\na,2\na,3\nb,9\n")
    (tmp_path / "n.csv").write_text(
        "net,name\n10.0.0.0/8,big\n10.1.0.0/16,mid\n10.1.2.0/24,small\n10.1.0.0/16,mid2\n"
    )
    return tmp_path


def test_match_nrows_gives_an_event_per_matching_row(engine: str, tmp_path) -> None:
    """match(): the signature has nrows; matchAsArray()'s page says match()
    creates "new events for each match" (where matchAsArray adds them to the
    one event).  Default one row; nrows=max (as published queries write it)
    all of them, in file order."""
    folder = _lookups(tmp_path)

    def values(query: str) -> list[str | None]:
        rows = cqlmatch.compile(query, lookup_dir=folder).run(
            [{"k": "a"}, {"k": "b"}], engine=engine
        )
        return [row.get("v") for row in rows]

    assert values('match(file="t.csv", field=k)') == ["1", "9"]
    assert values('match(file="t.csv", field=k, nrows=2)') == ["1", "2", "9"]
    assert values('match(file="t.csv", field=k, nrows=max)') == ["1", "2", "3", "9"]
    counted = cqlmatch.compile('match(file="t.csv", field=k, nrows=2) | count()', lookup_dir=folder)
    assert list(counted.run([{"k": "a"}, {"k": "b"}], engine=engine)) == [{"_count": "3"}]


def test_match_nrows_in_cidr_mode_takes_the_most_specific_first(engine: str, tmp_path) -> None:
    folder = _lookups(tmp_path)
    query = 'match(file="n.csv", field=ip, column=net, mode=cidr, nrows=3)'
    rows = cqlmatch.compile(query, lookup_dir=folder).run([{"ip": "10.1.2.3"}], engine=engine)
    assert [row["name"] for row in rows] == ["small", "mid", "mid2"]


def test_match_nrows_is_checked(tmp_path) -> None:
    folder = _lookups(tmp_path)
    for bad in ("nrows=0", "nrows=20000", "nrows=many"):
        with pytest.raises(cqlmatch.CQLCompileError) as info:
            cqlmatch.compile(f'match(file="t.csv", field=k, {bad})', lookup_dir=folder)
        assert info.value.code == "E207", bad
