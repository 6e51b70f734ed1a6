"""Routes: a rule is handed only the events of the types it names, and a
route is never narrower than the rule."""

from __future__ import annotations

import pytest

import cqlmatch
from cqlmatch.lang.events import Event
from cqlmatch.packs.routing import route_key, route_of


def route(query: str):
    return route_of(cqlmatch.compile(query).checked)


@pytest.mark.parametrize(
    ("query", "field", "keys"),
    [
        (
            "#event_simpleName=ProcessRollup2 FileName=cmd.exe",
            "#event_simpleName",
            {"processrollup2"},
        ),
        ('event_simpleName="DnsRequest"', "event_simpleName", {"dnsrequest"}),
        (
            "(#event_simpleName=ProcessRollup2 OR #event_simpleName=NetworkConnectIP4) | x:=1",
            "#event_simpleName",
            {"processrollup2", "networkconnectip4"},
        ),
        ("#event_simpleName=/^ProcessRollup2$/i", "#event_simpleName", {"processrollup2"}),
        (r"#event_simpleName=/^Synthetic\-Process$/", "#event_simpleName", {"synthetic-process"}),
        ("aid=* | #event_simpleName=UserLogon", "#event_simpleName", {"userlogon"}),
    ],
)
def test_routes_of_exact_event_type_tests(query, field, keys) -> None:
    found = route(query)
    assert found is not None and found.field == field and found.keys == frozenset(keys)


@pytest.mark.parametrize(
    "query",
    [
        "FileName=cmd.exe",
        "#event_simpleName=Process*",
        "#event_simpleName=/ProcessRollup2/i",  # unanchored: a substring
        "#event_simpleName=/^Process.*$/",
        "#event_simpleName=/^ProcessRollup2$/m",
        "#event_simpleName!=DnsRequest",
        "NOT #event_simpleName=DnsRequest",
        "#event_simpleName=ProcessRollup2 OR FileName=x",
        "#event_simpleName:=DnsRequest | #event_simpleName=DnsRequest",  # assigned first
        "x:=lower(FileName) | #event_simpleName=DnsRequest",
        "case { #event_simpleName=A; * }",
        "#event_simpleName=?t",
    ],
)
def test_no_route_where_it_could_be_narrower_than_the_rule(query) -> None:
    compiled = cqlmatch.compile(query, params={"t": "A"}) if "?t" in query else None
    found = route_of(compiled.checked) if compiled else route(query)
    assert found is None


def test_the_route_key_folds_as_re2_ignores_case() -> None:
    assert route_key("PROCESSROLLUP2") == route_key("processrollup2")
    assert route_key("\u212aernel") == route_key("kernel")  # KELVIN SIGN
    assert route_key("\u017fvchost") == route_key("svchost")  # LONG S
    assert route_key("Stra\u00dfe") != route_key("strasse")  # no full case folding


def test_a_route_admits_what_the_rule_can_keep() -> None:
    query = cqlmatch.compile("#event_simpleName=/^ProcessRollup2$/i")
    found = route_of(query.checked)
    assert found is not None
    for value in ["ProcessRollup2", "PROCESSROLLUP2", "processrollup2", "Proce\u017fsRollup2"]:
        event = Event({"event_simpleName": value})
        kept = query.match({"event_simpleName": value}) is not None
        assert found.admits(event) or not kept
    assert not found.admits(Event({"event_simpleName": "DnsRequest"}))
    assert not found.admits(Event({"x": "1"}))
