"""A user's own enrichment data: a MaxMind GeoIP database for
``ipLocation()``, a MaxMind ASN database for ``asn()``, and an indicator
file for ``ioc:lookup()``.

LogScale answers these functions from data it ships (MaxMind's GeoLite2,
CrowdStrike's curated indicators); offline there is none, so a query that
calls one is error E223 unless the user names the data
(``--geoip FILE.mmdb``, ``--asn FILE.mmdb``, ``--iocs FILE.csv``; the same
keywords in the API).  The files are opened when the query is compiled, so
a missing or unreadable one is error E226 at the call before any event is
read; the databases are read with the ``maxminddb`` package (the ``geoip``
extra).  An ``Enrichment`` pickles as its paths: a worker process opens
them again.

The indicator file is CSV with a header row (or JSON rows, as lookup files
are; docs/semantics.md "Enrichment" has the format): ``indicator``,
``type`` (``ip_address``, ``domain`` or ``url``) and
``malicious_confidence`` (``high``, ``medium``, ``low`` or
``unverified``) in every row; ``labels``, ``published_date`` and
``last_updated`` optional.  It is read with the bounds of lookup files.
"""

from __future__ import annotations

import ipaddress
import os
import threading
from typing import Any

from .lookups import LookupFileError, load_table

#: What each kind of data is, and the option that gives it.
NEEDS = {
    "geoip": ("a GeoIP database (MaxMind format, such as GeoLite2 City)", "--geoip FILE.mmdb"),
    "asn": ("an ASN database (MaxMind format, such as GeoLite2 ASN)", "--asn FILE.mmdb"),
    "iocs": ("an indicator file (CSV: indicator,type,malicious_confidence,...)", "--iocs FILE.csv"),
}

IOC_TYPES = ("ip_address", "domain", "url")
#: Confidence levels, lowest first: a threshold keeps its level and those above.
CONFIDENCE = ("unverified", "low", "medium", "high")
IOC_COLUMNS = (
    "indicator",
    "type",
    "malicious_confidence",
    "labels",
    "published_date",
    "last_updated",
)
_IOC_REQUIRED = ("indicator", "type", "malicious_confidence")


class EnrichmentError(ValueError):
    """A database or indicator file that cannot be used; ``kind`` says
    which (``geoip``, ``asn``, ``iocs``)."""

    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        super().__init__(message)


def need_message(function: str, kind: str) -> str:
    """E223's message for a function whose data was not given."""
    what, option = NEEDS[kind]
    return (
        f"{function}() needs {what}, which LogScale ships and cqlmatch does not:"
        f" give your own with {option} ({kind}= in the API)"
    )


def ioc_key(kind: str, text: str) -> str | None:
    """How an indicator of type ``kind`` is compared: an IP address in its
    canonical form (``2001:DB8::1`` is ``2001:db8::1``), a domain in lower
    case without a final dot, a URL as written.  None: not such a value."""
    text = text.strip()
    if kind == "ip_address":
        try:
            return str(ipaddress.ip_address(text))
        except ValueError:
            return None
    if kind == "domain":
        return text.lower().rstrip(".") or None
    return text or None


class Enrichment:
    """Paths of the user's data; opened on first use (``open``), read by
    the implementations of ``ipLocation()``, ``asn()`` and ``ioc:lookup()``."""

    def __init__(
        self,
        geoip: str | os.PathLike[str] | None = None,
        asn: str | os.PathLike[str] | None = None,
        iocs: str | os.PathLike[str] | None = None,
    ) -> None:
        self.geoip: str | None = None if geoip is None else os.fspath(geoip)
        self.asn: str | None = None if asn is None else os.fspath(asn)
        self.iocs: str | None = None if iocs is None else os.fspath(iocs)
        self._lock = threading.Lock()
        self._opened: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"Enrichment(geoip={self.geoip!r}, asn={self.asn!r}, iocs={self.iocs!r})"

    def __getstate__(self) -> dict[str, Any]:
        return {"geoip": self.geoip, "asn": self.asn, "iocs": self.iocs}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Enrichment) and self.__getstate__() == other.__getstate__()

    def __bool__(self) -> bool:
        return any(self.__getstate__().values())

    @property
    def provides(self) -> frozenset[str]:
        """The kinds of data given (``geoip``, ``asn``, ``iocs``)."""
        return frozenset(kind for kind, path in self.__getstate__().items() if path is not None)

    def open(self, kind: str) -> Any:
        """The opened data of ``kind``: a ``maxminddb`` reader, or the
        indicator index (``(type, key)`` -> rows in file order).  Raises
        ``EnrichmentError`` when it is not given or cannot be read."""
        with self._lock:
            if kind not in self._opened:
                path = getattr(self, kind)
                if path is None:
                    raise EnrichmentError(kind, f"no {NEEDS[kind][0]} given")
                self._opened[kind] = _index_iocs(path) if kind == "iocs" else _open_mmdb(kind, path)
            return self._opened[kind]


def _open_mmdb(kind: str, path: str) -> Any:
    try:
        import maxminddb
    except ImportError:
        raise EnrichmentError(
            kind,
            "reading a MaxMind database needs the maxminddb package: pip install 'cqlmatch[geoip]'",
        ) from None
    if not os.path.isfile(path):
        raise EnrichmentError(kind, f"{path}: no such file")
    try:
        return maxminddb.open_database(path, maxminddb.MODE_AUTO)
    except (OSError, ValueError, maxminddb.InvalidDatabaseError) as err:
        raise EnrichmentError(kind, f"{path}: not a MaxMind database ({err})") from None


def _index_iocs(path: str) -> dict[tuple[str, str], list[dict[str, str]]]:
    if not os.path.isfile(path):
        raise EnrichmentError("iocs", f"{path}: no such file")
    try:
        rows = load_table(path)
    except (LookupFileError, OSError) as err:
        raise EnrichmentError("iocs", f"{path}: {err}") from None
    index: dict[tuple[str, str], list[dict[str, str]]] = {}
    for number, row in enumerate(rows, start=1):
        where = f"{path}: row {number}"
        unknown = sorted(set(row) - set(IOC_COLUMNS))
        if unknown:
            raise EnrichmentError(
                "iocs",
                f"{where}: unknown column {unknown[0]!r} (columns: {', '.join(IOC_COLUMNS)})",
            )
        for column in _IOC_REQUIRED:
            if not row.get(column):
                raise EnrichmentError("iocs", f"{where}: no {column}")
        kind = row["type"].strip().lower()
        if kind not in IOC_TYPES:
            raise EnrichmentError(
                "iocs", f"{where}: type {row['type']!r} is not one of {', '.join(IOC_TYPES)}"
            )
        confidence = row["malicious_confidence"].strip().lower()
        if confidence not in CONFIDENCE:
            raise EnrichmentError(
                "iocs",
                f"{where}: malicious_confidence {row['malicious_confidence']!r} is not one of"
                f" {', '.join(CONFIDENCE)}",
            )
        key = ioc_key(kind, row["indicator"])
        if key is None:
            raise EnrichmentError("iocs", f"{where}: {row['indicator']!r} is not an IP address")
        entry = {"indicator": row["indicator"].strip(), "type": kind}
        entry["malicious_confidence"] = confidence
        for column in ("labels", "published_date", "last_updated"):
            if row.get(column):
                entry[column] = row[column]
        index.setdefault((kind, key), []).append(entry)
    return index
