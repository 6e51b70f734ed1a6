"""ipLocation(), asn() and ioc:lookup() over the user's own data
(``semantics.enrich``; docs/semantics.md, "Enrichment").

ipLocation(field=ip, as=field)
    The MaxMind GeoIP record of the address: ``<as>.country`` (the ISO
    country code), ``<as>.city``, ``<as>.lat``, ``<as>.lon`` (LogScale's
    four documented fields) and ``<as>.state`` (the first subdivision, which
    LogScale also gives and CrowdStrike's own queries read), each only when
    the record has it.
asn(field=ip, as=field)
    ``<as>.asn`` and ``<as>.org``: the autonomous system number and
    organisation of the MaxMind ASN record.
ioc:lookup(field, type, confidenceThreshold=high, include, prefix=ioc, strict=false)
    Every indicator of ``type`` whose value one of the fields holds, at or
    above the threshold, in field order then file order: ``<prefix>[i].<column>``
    for the columns ``include`` names (all by default), and
    ``<prefix>.detected`` = ``true`` when any matched.  ``strict=true`` drops
    an event none of whose fields matched.

An event whose field is missing or is not an address, or that no record
covers, passes unchanged (and ioc:lookup's ``strict`` drops it).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ..lang.values import format_number
from ..semantics.enrich import CONFIDENCE, IOC_COLUMNS, ioc_key
from .registry import event_function


def _record(rt: Any, kind: str, text: str | None) -> dict | None:
    """The database record of the address ``text``, or None."""
    if text is None:
        return None
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    reader = rt.enrichment(kind)
    if address.version == 6 and reader.metadata().ip_version == 4:
        return None  # (an IPv4-only database has no IPv6 record)
    try:
        record = reader.get(address)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def _name(node: Any) -> str | None:
    """The English name of a GeoIP record part (``{"names": {"en": ...}}``)."""
    if isinstance(node, dict):
        names = node.get("names")
        if isinstance(names, dict) and isinstance(names.get("en"), str):
            return names["en"]
    return None


def _prefix(call: Any) -> str:
    return str(call.get("as") or call.get("field"))


@event_function("ipLocation")
def ip_location(rt, call, event):
    record = _record(rt, "geoip", event.get(str(call.get("field"))))
    if record is None:
        return [event]
    out: dict[str, str] = {}
    country = record.get("country")
    if isinstance(country, dict) and isinstance(country.get("iso_code"), str):
        out["country"] = country["iso_code"]
    subdivisions = record.get("subdivisions")
    found = {"city": _name(record.get("city"))}
    if isinstance(subdivisions, list) and subdivisions:
        found["state"] = _name(subdivisions[0])
    out.update({k: v for k, v in found.items() if v is not None})
    location = record.get("location")
    if isinstance(location, dict):
        for key, source in (("lat", "latitude"), ("lon", "longitude")):
            value = location.get(source)
            if isinstance(value, int | float) and not isinstance(value, bool):
                out[key] = format_number(value)
    prefix = _prefix(call)
    return [event.with_fields({f"{prefix}.{k}": v for k, v in out.items()})] if out else [event]


@event_function("asn")
def asn(rt, call, event):
    record = _record(rt, "asn", event.get(str(call.get("field"))))
    if record is None:
        return [event]
    out: dict[str, str] = {}
    number = record.get("autonomous_system_number")
    if isinstance(number, int) and not isinstance(number, bool):
        out["asn"] = str(number)
    org = record.get("autonomous_system_organization")
    if isinstance(org, str):
        out["org"] = org
    prefix = _prefix(call)
    return [event.with_fields({f"{prefix}.{k}": v for k, v in out.items()})] if out else [event]


@event_function("ioc:lookup")
def ioc_lookup(rt, call, event):
    kind = str(call.get("type"))
    lowest = CONFIDENCE.index(str(call.get("confidenceThreshold")))
    columns = call.get("include") or IOC_COLUMNS
    index = rt.enrichment("iocs")
    found: list[dict[str, str]] = []
    for name in call.get("field"):
        value = event.get(name)
        key = None if value is None else ioc_key(kind, value)
        for row in index.get((kind, key), ()) if key is not None else ():
            if CONFIDENCE.index(row["malicious_confidence"]) >= lowest and row not in found:
                found.append(row)
    if not found:
        return [] if call.get("strict") else [event]
    prefix = str(call.get("prefix"))
    out = {f"{prefix}.detected": "true"}
    for i, row in enumerate(found):
        for column in columns:
            if column in row:
                out[f"{prefix}[{i}].{column}"] = row[column]
    return [event.with_fields(out)]
