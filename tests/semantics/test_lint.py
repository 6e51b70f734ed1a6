"""Regex lints (W330-W332) and the Falcon field check (W320)."""

from __future__ import annotations

import pytest

import cqlmatch


def codes(query: str) -> list[tuple[str, str]]:
    return [(d.code, d.message) for d in cqlmatch.compile(query).diagnostics]


@pytest.mark.parametrize(
    ("query", "code", "fragment"),
    [
        ("FileName=/(?i)(bash|sh|zsh)/", "W330", "'sh'"),
        ("CommandLine=/(apt|yum)/", "W330", "'apt'"),
        ("FileName=/(cmd.exe|powershell\\.exe)/", "W331", "'cmd.exe'"),
        ("RemoteAddressIP4=/^(10\\.|::1)/", "W332", "'::1'"),
        (
            "#event_simpleName=DnsRequest CommandLine=*",
            "W320",
            "DnsRequest events never carry CommandLine",
        ),
    ],
)
def test_lint_finds(query: str, code: str, fragment: str) -> None:
    assert any(c == code and fragment in m for c, m in codes(query))


@pytest.mark.parametrize(
    "query",
    [
        "FileName=/^(bash|sh|zsh)$/",  # anchored
        "FileName=/(?i)^(sh)/",
        "FileName=/powershell\\.exe|pwsh\\.exe/",  # escaped dots, long alternatives
        "RemoteAddressIP4=/^(10\\.|192\\.168\\.)/",
        "#event_simpleName=ProcessRollup2 CommandLine=*",
        "CommandLine=*",  # event type unknown: nothing to say
    ],
)
def test_lint_is_quiet(query: str) -> None:
    assert codes(query) == []


@pytest.mark.parametrize(
    "query",
    [
        # fields the query itself made: a regex's named groups, regex(), eval()
        "#event_simpleName=DnsRequest DomainName=/(?<CommandLine>\\S+)/ | CommandLine=x",
        "#event_simpleName=DnsRequest | /(?<CommandLine>\\S+)/ | CommandLine=x",
        '#event_simpleName=DnsRequest | regex("(?<CommandLine>\\\\S+)", field=DomainName)'
        " | CommandLine=x",
        "#event_simpleName=DnsRequest | eval(n = 1, CommandLine = n + 1) | CommandLine=2",
        # fields named by the data
        "#event_simpleName=DnsRequest | parseJson(DomainName) | CommandLine=x",
        '#event_simpleName=DnsRequest | match(file="t.csv", field=DomainName) | CommandLine=x',
    ],
)
def test_no_w320_for_fields_the_query_created(query: str) -> None:
    assert not [c for c, _ in codes_with_lookup(query) if c == "W320"]


def test_w320_still_fires_beside_a_regex_that_extracts_other_fields() -> None:
    query = "#event_simpleName=DnsRequest DomainName=/(?<x>\\S+)/ | CommandLine=x"
    assert [c for c, _ in codes(query)] == ["W320"]


def codes_with_lookup(query: str) -> list[tuple[str, str]]:
    checked = cqlmatch.compile(query, lookups={"t.csv": [{"DomainName": "a"}]})
    return [(d.code, d.message) for d in checked.diagnostics]


def test_w333_a_regex_ended_by_an_unescaped_slash() -> None:
    found = [
        d for d in cqlmatch.compile("CommandLine=/https://evil/").diagnostics if d.code == "W333"
    ]
    assert len(found) == 1 and "CommandLine" in found[0].message and "/evil/" in found[0].message
    assert (found[0].span.line, found[0].span.column) == (1, 20)
    glued = [d for d in cqlmatch.compile("x=/^//.+//b/").diagnostics if d.code == "W333"]
    negated = [d for d in cqlmatch.compile("not x=/a://b/").diagnostics if d.code == "W333"]
    assert len(negated) == 1
    assert len(glued) == 2  # each '/' that ends a regex inside one word
    for fine in ("CommandLine=/https:\\/\\/evil/", "CommandLine=/a/ /b/", "x=/a/ | /b/"):
        assert not [d for d in cqlmatch.compile(fine).diagnostics if d.code == "W333"], fine
