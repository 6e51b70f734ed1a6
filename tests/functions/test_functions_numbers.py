"""unit:convert, formatDuration, parseInt, math:floor, bitfield:extractFlags
and round (functions/numbers.py), written from the LogScale function pages with
hand-computed results.  Every test runs on each engine."""

from __future__ import annotations

import pytest

import cqlmatch
from cqlmatch.errors import CQLCompileError

from .helpers import match, run, value, warnings

# --- unit:convert ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "raw", "expected"),
    [
        ("unit:convert(v)", "514 ms", "0.514"),  # the page's first example
        ("unit:convert(v)", "4KiB", "4096"),  # the page's second example
        ('unit:convert(v, to="G")', "1073741824", "1.073741824"),
        ('unit:convert(v, to="G", binary=true)', "1073741824", "1"),
        ("unit:convert(v, from=Mi, to=Gi)", "2048", "2"),  # corpus form
        ('unit:convert(v, from="M", to="G")', "1500", "1.5"),
        ('unit:convert(v, from="B", to="GB")', "2500000000", "2.5"),
        ("unit:convert(v, to=k)", "-2.5e3", "-2.5"),
        ("unit:convert(v, to=M)", "5 GB", "5000"),
        ("unit:convert(v, to=k)", "1", "0.001"),
        ("unit:convert(v, to=k, binary=true)", "1536B", "1.5"),
        ("unit:convert(v)", "120 kB/min", "2000"),  # a rate, normalized to per second
    ],
)
def test_unit_convert(engine, query, raw, expected):
    assert value(query, {"v": raw}, "v", engine) == expected


def test_unit_convert_writes_as_and_keeps_the_input(engine):
    out = match("unit:convert(v, to=M, as=mb)", {"v": "3000000 B"}, engine)
    assert out == {"v": "3000000 B", "mb": "3"}


def test_unit_convert_keep_unit(engine):
    q = 'SizeMB := unit:convert("SizeBytes", binary=true, from=B, to=M, keepUnit=true)'
    assert value(q, {"SizeBytes": "3145728"}, "SizeMB", engine) == "3MB"
    assert value("unit:convert(v, keepUnit=true)", {"v": "2 kB"}, "v", engine) == "2000B"


def test_unit_convert_rates_normalize_to_seconds(engine):
    q = 'unit:convert(rate, unit="hits")'  # the page's rate example
    assert value(q, {"rate": "150hits/min"}, "rate", engine) == "2.5"
    assert value(q, {"rate": "3600hits/h"}, "rate", engine) == "1"
    q = 'unit:convert(rate, unit="hits", to="hits/h", keepUnit=true)'
    assert value(q, {"rate": "25hits/s"}, "rate", engine) == "90000hits/h"


def test_unit_convert_no_value(engine):
    event = {"v": "not a size"}
    assert match("unit:convert(v, to=k)", event, engine) == event
    assert match("unit:convert(missing, to=k, as=out)", {"a": "1"}, engine) == {"a": "1"}
    assert match("unit:convert(v, to=k)", {"v": ""}, engine) == {"v": ""}


def test_unit_convert_incompatible_units_warn(engine):
    assert value('unit:convert(v, to="MB")', {"v": "3 s"}, "v", engine) == "3 s"
    assert "W480" in warnings('unit:convert(v, to="MB")', [{"v": "3 s"}], engine)


# --- formatDuration --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "raw", "expected"),
    [
        ("formatDuration(duration)", "23452553", "6h30m52s553ms"),  # the page's example
        ("formatDuration(duration, precision=3)", "23452553", "6h30m52s"),
        ("formatDuration(duration, precision=1)", "23452553", "6h"),
        ("formatDuration(duration, from=s)", "90061", "1d1h1m1s"),
        ("formatDuration(duration, from=m)", "1500", "1d1h"),
        ("formatDuration(duration, from=ns)", "1001", "1us1ns"),
        ("formatDuration(duration, from=us)", "1000", "1ms"),
        ("formatDuration(duration, from=d)", "3", "3d"),
        ("formatDuration(duration)", "0", "0ms"),
        ("formatDuration(duration)", "-61000", "-1m1s"),
        ("formatDuration(duration)", "3600001", "1h1ms"),  # zero units left out
        ("formatDuration(duration, precision=2)", "3600001", "1h"),
    ],
)
def test_format_duration(engine, query, raw, expected):
    assert value(query, {"duration": raw}, "duration", engine) == expected


def test_format_duration_as_and_assignment(engine):
    out = match("formatDuration(t, from=ms, precision=4, as=pretty)", {"t": "61001"}, engine)
    assert out == {"t": "61001", "pretty": "1m1s1ms"}
    assert value("x := formatDuration(t)", {"t": "1000"}, "x", engine) == "1s"


def test_format_duration_needs_an_integer(engine):
    # "If you have a floating point input value, the value will not be converted."
    for raw in ("1.5", "", "abc", "1e3"):
        assert value("formatDuration(t)", {"t": raw}, "t", engine) == raw
    assert match("formatDuration(t, as=x)", {"u": "1"}, engine) == {"u": "1"}


def test_format_duration_rejects_unknown_units():
    with pytest.raises(CQLCompileError):
        cqlmatch.compile("formatDuration(t, from=fortnight)")


# --- parseInt, math:floor, bitfield:extractFlags ----------------------------------------


@pytest.mark.parametrize(
    ("query", "raw", "expected"),
    [
        ("parseInt(v)", "FF", "255"),  # the page: FF to 255 with radix 16
        ("parseInt(v, radix=8)", "77", "63"),  # the page: 77 to 63 with radix 8
        ('parseInt(v, radix="16", endian="little")', "8001", "384"),  # (1*256)+128
        ('parseInt(v, radix="16", endian="big")', "8001", "32769"),  # (128*256)+1
        ("parseInt(v)", "0x1f", "31"),
        ("parseInt(v)", "16#ff", "255"),
        ("parseInt(v, radix=2)", "1010", "10"),
        ("parseInt(v, radix=36)", "zz", "1295"),
        ("parseInt(v, radix=10)", "0042", "42"),
        ("parseInt(v, endian=little)", "801", "264"),  # padded to 0801
        ("parseInt(v)", "FFFFFFFFFFFFFFFF", "18446744073709551615"),  # unsigned
    ],
)
def test_parse_int(engine, query, raw, expected):
    assert value(query, {"v": raw}, "v", engine) == expected


def test_parse_int_invalid_and_as(engine):
    for raw in ("", "-1", "12g", "1_0", " 1"):
        assert value("parseInt(v)", {"v": raw}, "v", engine) == raw
    assert value("parseInt(v, radix=2)", {"v": "102"}, "v", engine) == "102"
    out = match('parseInt("k", as=key_length, radix=10)', {"k": "2048"}, engine)
    assert out == {"k": "2048", "key_length": "2048"}
    assert match("parseInt(v, as=x)", {"w": "1"}, engine) == {"w": "1"}
    assert warnings("parseInt(v, radix=40)", [{"v": "1"}], engine) == ["W485"]


def test_math_floor(engine):
    assert value("math:floor(x, as=r)", {"x": "3.7"}, "r", engine) == "3"  # the page
    assert value("math:floor(x)", {"x": "-3.2"}, "_floor", engine) == "-4"
    assert value("math:floor(x)", {"x": "5"}, "_floor", engine) == "5"
    assert value('File_Age := math:floor("age")', {"age": "2.999"}, "File_Age", engine) == "2"
    assert match("math:floor(x)", {"x": "abc"}, engine) == {"x": "abc"}
    assert match("math:floor(x)", {"y": "1"}, engine) == {"y": "1"}


def test_bitfield_extract_flags(engine):
    # the page: flags=8 has ErrorFlag (bit 3) set and WarningFlag (bit 0) clear
    q = "bitfield:extractFlags(field=flags, output=[[3, ErrorFlag], [0, WarningFlag]])"
    out = match(q, {"flags": "8"}, engine)
    assert out == {"flags": "8", "ErrorFlag": "true", "WarningFlag": "false"}
    assert [
        r["flags"] for r in run(q + " | ErrorFlag=true", [{"flags": "8"}, {"flags": "1"}], engine)
    ] == ["8"]


def test_bitfield_extract_flags_only_true(engine):
    # the page: 1234 is 10011010010, bits 1, 4, 6, 7 and 10
    q = (
        'bitfield:extractFlags(field="M", onlyTrue=true, output=[[0, B0], [1, B1], [4, B4], '
        "[6, B6], [7, B7], [10, B10], [12, B12]])"
    )
    out = match(q, {"M": "1234"}, engine)
    assert out == {
        "M": "1234",
        "B1": "true",
        "B4": "true",
        "B6": "true",
        "B7": "true",
        "B10": "true",
    }


def test_bitfield_extract_flags_edges(engine):
    q = "bitfield:extractFlags(field=f, output=[[63, Top], [0, Low]])"
    assert match(q, {"f": "-1"}, engine) == {"f": "-1", "Top": "true", "Low": "true"}
    # more than 64 bits: the lowest 64 are used
    assert match(q, {"f": str(1 << 64)}, engine) == {
        "f": str(1 << 64),
        "Top": "false",
        "Low": "false",
    }
    assert match(q, {"f": "0x8000000000000001"}, engine)["Top"] == "true"
    assert match(q, {"f": "1.5"}, engine) == {"f": "1.5"}
    assert match(q, {"g": "1"}, engine) == {"g": "1"}
    assert warnings("bitfield:extractFlags(field=f, output=[[64, X]])", [{"f": "1"}], engine) == [
        "W488"
    ]


# --- round ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "how", "expected"),
    [
        ("3.2", "round", "3"),
        ("3.7", "round", "4"),
        ("2.5", "round", "3"),
        ("-2.5", "round", "-3"),  # halves away from zero
        ("-0.4", "round", "0"),
        ("42", "round", "42"),
        ("1e3", "round", "1000"),
        ("123456789012345678901234567890.5", "round", "123456789012345678901234567891"),
        ("2.9", "floor", "2"),
        ("-2.1", "floor", "-3"),
        ("2.1", "ceil", "3"),
        ("-2.9", "ceil", "-2"),
        ("-7", "ceil", "-7"),
    ],
)
def test_round_overwrites_the_field_by_default(engine, number, how, expected):
    assert match(f"round(x, how={how})", {"x": number}, engine) == {"x": expected}


def test_round_as_and_assignment(engine):
    assert match("round(x, as=r)", {"x": "1.5"}, engine) == {"x": "1.5", "r": "2"}
    assert match("r := round(x, how=floor)", {"x": "-1.5"}, engine) == {"x": "-1.5", "r": "-2"}


@pytest.mark.parametrize("event", [{"x": "abc"}, {"x": ""}, {"x": "0x1F"}, {"y": "1.5"}])
def test_round_non_numeric_or_missing_writes_nothing(engine, event):
    assert match("round(x, as=r)", event, engine) == event


def test_round_inside_an_expression(engine):
    events = [{"x": "2.5"}, {"x": "2.4"}, {"x": "é"}]
    assert run("test(round(x) == 3)", events, engine) == [{"x": "2.5"}]
