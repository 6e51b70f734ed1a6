"""ipLocation(), asn() and ioc:lookup() over the user's own data
(docs/semantics.md, "Enrichment"), from their LogScale pages: ipLocation()
adds ``<as>.country``, ``<as>.city``, ``<as>.lon`` and ``<as>.lat`` (``as``
defaults to the field, the field to ``ip``); asn() adds ``<as>.asn`` and
``<as>.org``; ioc:lookup() adds the matching indicators as an array under
``prefix`` (default ``ioc``), the columns ``include`` names, those at or
above ``confidenceThreshold`` (default high), and with ``strict=true`` keeps
only events that matched.  The databases are written by the tests
(``mmdb.py``).  Every test runs on both engines."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import cqlmatch
from cqlmatch.cli.commands import main
from cqlmatch.errors import CQLCompileError
from cqlmatch.runtime.query import ENGINES

from .mmdb import write_mmdb

COPENHAGEN = {
    "country": {"iso_code": "DK", "names": {"en": "Denmark"}},
    "city": {"names": {"en": "Copenhagen"}},
    "subdivisions": [{"iso_code": "84", "names": {"en": "Capital Region"}}],
    "location": {"latitude": 55.6761, "longitude": 12.5683},
}
COUNTRY_ONLY = {"country": {"iso_code": "JP", "names": {"en": "Japan"}}}
EXAMPLE_NET = {"autonomous_system_number": 64500, "autonomous_system_organization": "Example Net"}

IOCS = (
    "indicator,type,malicious_confidence,labels,published_date,last_updated\n"
    '192.0.2.55,ip_address,high,"Actor/FANCYBEAR,MaliciousConfidence/High",1700000000,1700000500\n'
    "192.0.2.55,ip_address,low,Malware/Test,,\n"
    "evil.example.com,domain,medium,Malware/Emotet,,\n"
    "2001:DB8::1,ip_address,unverified,,,\n"
    "https://evil.example.com/x,url,high,,,\n"
)


@pytest.fixture(params=ENGINES)
def engine(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("enrich")
    geoip = write_mmdb(
        folder / "city.mmdb",
        {"192.0.2.0/24": COPENHAGEN, "2001:db8::/32": COUNTRY_ONLY},
        "GeoLite2-City",
    )
    asn = write_mmdb(
        folder / "asn.mmdb",
        {"198.51.100.0/24": EXAMPLE_NET, "2001:db8::/32": EXAMPLE_NET},
        "GeoLite2-ASN",
    )
    iocs = folder / "iocs.csv"
    iocs.write_text(IOCS, encoding="utf-8")
    return {"geoip": geoip, "asn": asn, "iocs": iocs}


def run(query: str, events: list[dict], engine: str, data: dict[str, Path]) -> list[dict]:
    return cqlmatch.compile(query, **data).run(events, engine=engine)


# --- ipLocation() --------------------------------------------------------------------------


def test_ip_location_adds_the_documented_fields(data, engine) -> None:
    rows = run("ipLocation(RemoteAddressIP4)", [{"RemoteAddressIP4": "192.0.2.55"}], engine, data)
    assert rows == [
        {
            "RemoteAddressIP4": "192.0.2.55",
            "RemoteAddressIP4.country": "DK",
            "RemoteAddressIP4.city": "Copenhagen",
            "RemoteAddressIP4.state": "Capital Region",
            "RemoteAddressIP4.lat": "55.6761",
            "RemoteAddressIP4.lon": "12.5683",
        }
    ]


def test_ip_location_defaults_to_the_ip_field_and_takes_as(data, engine) -> None:
    rows = run("ipLocation()", [{"ip": "192.0.2.1"}], engine, data)
    assert rows[0]["ip.country"] == "DK" and rows[0]["ip.lat"] == "55.6761"
    rows = run("ipLocation(field=src, as=geo)", [{"src": "192.0.2.1"}], engine, data)
    assert sorted(k for k in rows[0] if k.startswith("geo.")) == [
        "geo.city",
        "geo.country",
        "geo.lat",
        "geo.lon",
        "geo.state",
    ]


def test_ip_location_of_ipv6_and_of_a_record_without_city(data, engine) -> None:
    rows = run("ipLocation(ip)", [{"ip": "2001:db8::77"}], engine, data)
    assert rows == [{"ip": "2001:db8::77", "ip.country": "JP"}]  # only what the record has


@pytest.mark.parametrize(
    "event",
    [{"ip": "203.0.113.9"}, {"ip": "10.0.0.1"}, {"ip": "not an address"}, {"other": "x"}],
)
def test_ip_location_leaves_other_events_unchanged(data, engine, event) -> None:
    assert run("ipLocation(ip)", [event], engine, data) == [event]


def test_ip_location_feeds_later_stages(data, engine) -> None:
    events = [{"ip": "192.0.2.1"}, {"ip": "192.0.2.2"}, {"ip": "2001:db8::1"}, {"ip": "x"}]
    rows = run("ipLocation(ip) | groupBy(ip.country)", events, engine, data)
    assert rows == [{"ip.country": "DK", "_count": "2"}, {"ip.country": "JP", "_count": "1"}]


# --- asn() ------------------------------------------------------------------------------------


def test_asn_adds_number_and_organisation(data, engine) -> None:
    rows = run("asn(RemoteAddressIP4)", [{"RemoteAddressIP4": "198.51.100.7"}], engine, data)
    assert rows == [
        {
            "RemoteAddressIP4": "198.51.100.7",
            "RemoteAddressIP4.asn": "64500",
            "RemoteAddressIP4.org": "Example Net",
        }
    ]
    rows = run("asn(as=address)", [{"ip": "2001:db8::5"}], engine, data)
    assert rows == [{"ip": "2001:db8::5", "address.asn": "64500", "address.org": "Example Net"}]
    assert run("asn(ip)", [{"ip": "192.0.2.1"}], engine, data) == [{"ip": "192.0.2.1"}]


# --- ioc:lookup() ------------------------------------------------------------------------------


def test_ioc_lookup_adds_each_match_as_an_array(data, engine) -> None:
    query = "ioc:lookup(ip, type=ip_address, confidenceThreshold=unverified)"
    rows = run(query, [{"ip": "192.0.2.55"}], engine, data)
    assert rows == [
        {
            "ip": "192.0.2.55",
            "ioc.detected": "true",
            "ioc[0].indicator": "192.0.2.55",
            "ioc[0].type": "ip_address",
            "ioc[0].malicious_confidence": "high",
            "ioc[0].labels": "Actor/FANCYBEAR,MaliciousConfidence/High",
            "ioc[0].published_date": "1700000000",
            "ioc[0].last_updated": "1700000500",
            "ioc[1].indicator": "192.0.2.55",
            "ioc[1].type": "ip_address",
            "ioc[1].malicious_confidence": "low",
            "ioc[1].labels": "Malware/Test",
        }
    ]


@pytest.mark.parametrize(
    ("threshold", "confidences"),
    [
        ("high", ["high"]),  # the default
        ("medium", ["high"]),
        ("low", ["high", "low"]),
        ("Unverified", ["high", "low"]),  # (any letter case, as the corpus writes it)
    ],
)
def test_ioc_lookup_threshold(data, engine, threshold, confidences) -> None:
    query = f"ioc:lookup(ip, type=ip_address, confidenceThreshold={threshold}, include=[malicious_confidence])"
    if threshold == "high":
        query = "ioc:lookup(ip, type=ip_address, include=[malicious_confidence])"
    row = run(query, [{"ip": "192.0.2.55"}], engine, data)[0]
    found = [row[k] for k in sorted(row) if k.endswith(".malicious_confidence")]
    assert found == confidences


def test_ioc_lookup_strict_include_prefix_and_several_fields(data, engine) -> None:
    events = [
        {"id": "1", "src": "203.0.113.1", "dst": "192.0.2.55"},
        {"id": "2", "src": "203.0.113.1", "dst": "203.0.113.2"},
    ]
    query = (
        'ioc:lookup([src, dst], type="ip_address", strict=true, include=[indicator],'
        " prefix=detection)"
    )
    assert run(query, events, engine, data) == [
        {**events[0], "detection.detected": "true", "detection[0].indicator": "192.0.2.55"}
    ]
    # not strict: every event passes, the unmatched one unchanged
    loose = "ioc:lookup([src, dst], type=ip_address, include=[indicator])"
    assert [r.get("ioc.detected") for r in run(loose, events, engine, data)] == ["true", None]


def test_ioc_lookup_compares_as_the_type_says(data, engine) -> None:
    domain = "ioc:lookup(d, type=domain, confidenceThreshold=low, include=[indicator])"
    rows = run(domain, [{"d": "EVIL.Example.com."}, {"d": "example.com"}], engine, data)
    assert [r.get("ioc[0].indicator") for r in rows] == ["evil.example.com", None]
    ipv6 = "ioc:lookup(ip, type=ip_address, confidenceThreshold=unverified, include=[indicator])"
    rows = run(ipv6, [{"ip": "2001:db8:0::1"}], engine, data)
    assert rows[0]["ioc[0].indicator"] == "2001:DB8::1"  # as the file writes it
    url = "ioc:lookup(u, type=url, include=[indicator])"
    rows = run(
        url,
        [{"u": "https://evil.example.com/x"}, {"u": "https://evil.example.com/y"}],
        engine,
        data,
    )
    assert [r.get("ioc.detected") for r in rows] == ["true", None]


def test_ioc_lookup_then_split_gives_one_event_per_indicator(data, engine) -> None:
    # As CrowdStrike's own dashboards read it: split("ioc") then ioc.<column>.
    query = (
        "ioc:lookup(ip, type=ip_address, confidenceThreshold=low, strict=true)"
        ' | split("ioc") | table([ioc.malicious_confidence, ioc.labels])'
    )
    rows = run(query, [{"ip": "192.0.2.55", "@timestamp": "1"}], engine, data)
    assert sorted(r["ioc.malicious_confidence"] for r in rows) == ["high", "low"]


# --- refusals and errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "option"),
    [
        ("ipLocation(RemoteAddressIP4)", "--geoip FILE.mmdb"),
        ("asn(RemoteAddressIP4)", "--asn FILE.mmdb"),
        ("ioc:lookup(RemoteAddressIP4, type=ip_address)", "--iocs FILE.csv"),
    ],
)
def test_without_the_data_the_refusal_names_the_option(query, option, data) -> None:
    with pytest.raises(CQLCompileError) as info:
        cqlmatch.compile(query)
    assert info.value.code == "E223" and option in str(info.value)
    # the other kinds of data do not stand in for it
    others = {k: v for k, v in data.items() if k not in option}
    with pytest.raises(CQLCompileError) as info:
        cqlmatch.compile(query, **others)
    assert info.value.code == "E223"


def test_a_missing_or_broken_file_is_e226_at_the_call(tmp_path, data) -> None:
    with pytest.raises(CQLCompileError) as info:
        cqlmatch.compile("x=1 | ipLocation(ip)", geoip=tmp_path / "none.mmdb")
    assert info.value.code == "E226" and "no such file" in str(info.value)
    assert info.value.column == 7  # the call
    with pytest.raises(CQLCompileError) as info:
        cqlmatch.compile("asn(ip)", asn=data["iocs"])
    assert info.value.code == "E226" and "not a MaxMind database" in str(info.value)
    # a file given but not needed is not opened
    cqlmatch.compile("x=1", geoip=tmp_path / "none.mmdb")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("indicator,type,confidence\n1.2.3.4,ip_address,high\n", "unknown column 'confidence'"),
        ("indicator,type,malicious_confidence\n1.2.3.4,ipv4,high\n", "row 1: type 'ipv4'"),
        ("indicator,type,malicious_confidence\n1.2.3.4,ip_address,sure\n", "'sure' is not one"),
        ("indicator,type,malicious_confidence\nnot-ip,ip_address,high\n", "not an IP address"),
        ("indicator,type,malicious_confidence\n,domain,high\n", "row 1: no indicator"),
    ],
)
def test_a_bad_indicator_file_says_which_row(tmp_path, text, says) -> None:
    path = tmp_path / "iocs.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CQLCompileError) as info:
        cqlmatch.compile("ioc:lookup(ip, type=domain)", iocs=path)
    assert info.value.code == "E226" and says in str(info.value)


def test_include_names_a_column(data) -> None:
    with pytest.raises(CQLCompileError) as info:
        cqlmatch.compile("ioc:lookup(ip, type=domain, include=[severity])", **data)
    assert info.value.code == "E207" and "'severity'" in str(info.value)
    with pytest.raises(CQLCompileError) as info:
        cqlmatch.compile("ioc:lookup(ip, type=hash)", **data)
    assert info.value.code == "E207"


def test_without_the_maxminddb_package_the_error_says_how_to_get_it(data, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "maxminddb", None)
    with pytest.raises(CQLCompileError) as info:
        cqlmatch.compile("ipLocation(ip)", geoip=data["geoip"])
    assert info.value.code == "E226" and "pip install 'cqlmatch[geoip]'" in str(info.value)


# --- workers, packs and the command line ---------------------------------------------------------


def test_worker_processes_open_the_data_again(tmp_path, data, monkeypatch) -> None:
    from cqlmatch.runtime import parallel

    monkeypatch.setattr(parallel, "MIN_RANGE_BYTES", 1 << 12)
    path = tmp_path / "events.ndjson"
    with path.open("w", encoding="utf-8") as out:
        for i in range(3000):
            out.write(json.dumps({"ip": f"192.0.2.{i % 200}" if i % 3 else "203.0.113.1"}) + "\n")
    query = cqlmatch.compile("ipLocation(ip) | asn(ip) | groupBy([ip.country])", **data)
    assert query.run(path, workers=2) == [{"ip.country": "DK", "_count": "2000"}]
    assert query.run(path, workers=1, engine="reference") == [
        {"ip.country": "DK", "_count": "2000"}
    ]


def test_pack_rules_use_the_data(data) -> None:
    from cqlmatch.packs.model import RuleSource
    from cqlmatch.packs.pack import compile_pack
    from cqlmatch.packs.sources import PackSource

    source = PackSource(
        "t", [RuleSource(id="geo", name="geo", text="ipLocation(ip) | ip.country=DK")]
    )
    assert [p.rule for p in compile_pack(source).problems] == ["geo"]  # E223 without it
    hits = compile_pack(source, geoip=data["geoip"]).run([{"ip": "192.0.2.1"}, {"ip": "x"}])
    assert [h["ip.city"] for h in hits] == ["Copenhagen"]


def test_the_command_line_takes_the_files(tmp_path, data, capsys) -> None:
    query = tmp_path / "q.cql"
    query.write_text(
        "ipLocation(ip) | asn(ip) | ioc:lookup(ip, type=ip_address, strict=true, include=[labels])\n",
        encoding="utf-8",
    )
    events = tmp_path / "events.ndjson"
    events.write_text('{"ip":"192.0.2.55"}\n{"ip":"192.0.2.56"}\n', encoding="utf-8")
    argv = ["run", str(query), str(events), "--format", "ndjson"]
    files = ["--geoip", str(data["geoip"]), "--asn", str(data["asn"]), "--iocs", str(data["iocs"])]
    assert main([*argv, *files]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows == [
        {
            "ip": "192.0.2.55",
            "ip.country": "DK",
            "ip.city": "Copenhagen",
            "ip.state": "Capital Region",
            "ip.lat": "55.6761",
            "ip.lon": "12.5683",
            "ioc.detected": "true",
            "ioc[0].labels": "Actor/FANCYBEAR,MaliciousConfidence/High",
        }
    ]
    assert main(["check", str(query)]) != 0
    assert "--geoip FILE.mmdb" in capsys.readouterr().err
    assert main(["check", str(query), *files]) == 0
