"""The comparison workloads written for cqlmatch's peers: naive Python (``json``
+ ``re``), DuckDB (SQL over ``read_ndjson``) and Polars (a lazy query over
``scan_ndjson``), plus the row comparison ``bench/compare.py`` applies.

Three workloads (``WORKLOADS``):

* ``seed``: the corrected seed rule, ``rules/t1546_016.cql``;
* ``every``: ``bench/every_event.cql``, whose regexes run on every event;
* ``count``: ``bench/count_events.cql``, ``count(aid)`` over every event.

Each peer query is written to mean what the CQL means under cqlmatch's
semantics (``docs/semantics.md``).  Where a peer reads JSON differently the
query compensates, or the difference cannot arise on ``cqlmatch gen`` output
(every field these rules read is a JSON string there); ``bench/README.md``
("Against the peers") lists each case.

DuckDB and Polars are imported only by the functions that use them, so the
naive peer and the comparison run without the ``bench`` extra.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RULES = {
    "seed": ROOT / "rules" / "t1546_016.cql",
    "every": Path(__file__).resolve().parent / "every_event.cql",
    "count": Path(__file__).resolve().parent / "count_events.cql",
}
LIMIT = 200  # both rules end with sort(EventCount, order=desc, limit=200)
COUNT = "EventCount"

# --- regexes ----------------------------------------------------------------------------------
# The same text serves Python's re, RE2 (DuckDB) and Rust's regex crate (Polars).  From the CQL:
# `\/` is written `/` (Rust's regex rejects some needless escapes) and `\d` is written `[0-9]`
# (it is ASCII-only in RE2, Unicode in Python's re and Rust's regex).  All three search
# unanchored, `(?i)` folds case by Unicode simple case folding, `.` stops at a newline.

PARENT = r"(?i)(msiexec\.exe|installer|pkgutil|dpkg|rpm|yum|apt-get|apt|chocolatey|winget)"
CHILD = (
    r"(?i)(powershell\.exe|pwsh\.exe|cmd\.exe|wscript\.exe|cscript\.exe|mshta\.exe"
    r"|certutil\.exe|bitsadmin\.exe|bash|sh|python)"
)
COMMAND = (
    r"(?i)(invoke-webrequest|downloadstring|net\.webclient|-encodedcommand"
    r"|certutil.{0,20}urlcache|bitsadmin.{0,20}transfer|curl.{0,30}https?://|wget.{0,30}https?://)"
)
CRADLE = r"(?i)(invoke-webrequest|downloadstring|net\.webclient|-encodedcommand)"
ENCODED = r"(?i)(certutil.{0,20}urlcache|bitsadmin.{0,20}transfer)"
IMAGE = r"(?i)(msiexec\.exe|installer)"
HOSTS = r"(?i)(build|runner|jenkins|ci-agent|srv-|replica)"
OLD_BUILD = r"^[0-9]+\.[0-9]+\.00164[0-9]*\."

# `cidr(RemoteAddressIP4, subnet=[10/8, 172.16/12, 192.168/16, 127/8])` as a regex, for the
# peers that have no IP type to hand: cqlmatch strips white space (Python's str.strip) and
# parses the rest as an address (Python's ipaddress: dotted decimal, 0-255, no leading zeros);
# a value that is not an IPv4 address lies in none of the subnets.  `^`/`$` are the ends of the
# text in RE2 and Rust (not in Python's re, which never runs this pattern).
_SPACE = (
    r"[\t-\r\x1c-\x20\x85\xa0\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"
)
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"
PRIVATE = (
    rf"^{_SPACE}*(10\.{_OCTET}\.{_OCTET}|127\.{_OCTET}\.{_OCTET}|192\.168\.{_OCTET}"
    rf"|172\.(1[6-9]|2[0-9]|3[01])\.{_OCTET})\.{_OCTET}{_SPACE}*$"
)
_PRIVATE_NETS = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8")
)

SEED_KEYS = (
    "ComputerName",
    "UserName",
    "EventType",
    "ParentBaseFileName",
    "FileName",
    "CommandLine",
    "RemoteAddressIP4",
)
EVERY_KEYS = ("ComputerName", "event_platform", "event_simpleName")
KEYS = {"seed": SEED_KEYS, "every": EVERY_KEYS, "count": ()}

# Every field each query reads: the peers are given this schema (all strings), so they decode
# nothing else and infer no types.
SEED_FIELDS = (
    "#event_simpleName",
    "event_simpleName",
    "ParentBaseFileName",
    "FileName",
    "CommandLine",
    "ImageFileName",
    "RemoteAddressIP4",
    "ComputerName",
    "UserName",
    "aid",
)
EVERY_FIELDS = ("ComputerName", "ConfigBuild", "event_platform", "event_simpleName", "aid")
FIELDS = {"seed": SEED_FIELDS, "every": EVERY_FIELDS, "count": ("aid",)}

Row = dict[str, str]

# --- naive Python -------------------------------------------------------------------------------

_MISSING = object()


def _text(obj: dict[str, Any], key: str) -> str | None:
    """A top-level JSON value as cqlmatch reads it: strings as they are, objects and arrays
    are no field of that name (they flatten to ``key.x``/``key[0]``), null is ``"null"``,
    booleans ``true``/``false``; numbers as ``json`` writes them (cqlmatch keeps the text of
    the line, so ``1.50`` differs: no field these rules read is a number)."""
    value = obj.get(key, _MISSING)
    if type(value) is str:
        return value
    if value is _MISSING or isinstance(value, dict | list):
        return None
    return json.dumps(value)


def _objects(path: str | Path) -> Iterable[dict[str, Any]]:
    """The JSON objects of an NDJSON file; other lines are skipped, as cqlmatch skips (and
    reports) malformed lines."""
    with open(path, "rb") as fh:
        for line in fh:
            try:
                obj = json.loads(line)
            except ValueError:  # invalid JSON or UTF-8, blank lines
                continue
            if type(obj) is dict:
                yield obj


def private(text: str) -> bool:
    """cidr(subnet=[the four private ranges]) as cqlmatch defines it: a value
    that is not an IPv4 address lies in none of them."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return False
    return address.version == 4 and any(address in net for net in _PRIVATE_NETS)


def _seed_key(obj: dict[str, Any], searches: dict[str, Callable[[str], Any]]) -> tuple | None:
    """The corrected seed rule's case stage and default(): the group key, or None when no
    branch emits the event."""
    name = _text(obj, "#event_simpleName")
    if name is None:
        name = _text(obj, "event_simpleName")
    if name == "ProcessRollup2":
        parent = _text(obj, "ParentBaseFileName")
        if parent is None or not searches["parent"](parent):
            return None
        child = _text(obj, "FileName")
        command = _text(obj, "CommandLine")
        if not (
            (child is not None and searches["child"](child))
            or (command is not None and searches["command"](command))
        ):
            return None
        if command is not None and searches["cradle"](command):
            kind = "INSTALLER_DOWNLOAD_CRADLE"
        elif command is not None and searches["encoded"](command):
            kind = "INSTALLER_ENCODED_EXECUTION"
        else:
            kind = "INSTALLER_SCRIPT_CHILD"
    elif name == "NetworkConnectIP4":
        image = _text(obj, "ImageFileName")
        if image is None or not searches["image"](image):
            return None
        remote = _text(obj, "RemoteAddressIP4")
        if remote is None or private(remote):
            return None
        kind = "INSTALLER_NETWORK_CALLBACK"
    else:
        return None
    key = []
    for field in SEED_KEYS:
        value = kind if field == "EventType" else _text(obj, field)
        key.append("-" if value is None else value)
    return tuple(key)


def _every_key(obj: dict[str, Any], searches: dict[str, Callable[[str], Any]]) -> tuple | None:
    """bench/every_event.cql up to its groupBy: the group key, or None."""
    host = _text(obj, "ComputerName")
    if host is None or not searches["hosts"](host):
        build = _text(obj, "ConfigBuild")
        if build is None or not searches["old_build"](build):
            return None
    platform = _text(obj, "event_platform")
    name = _text(obj, "event_simpleName")
    if platform is None or name is None:  # groupBy needs every key field
        return None
    return ("-" if host is None else host, platform, name)


def _count_key(obj: dict[str, Any], searches: dict[str, Callable[[str], Any]]) -> tuple:
    """bench/count_events.cql: every event is in the one group."""
    return ()


def naive_groups(path: str | Path, workload: str) -> list[Row]:
    """Every output group of ``workload`` over the file, sorted as the rule's ``sort`` sorts
    (count descending, ties in order of first appearance), before its limit: the rule by hand
    with ``json`` and ``re``."""
    searches = {
        name: re.compile(pattern).search
        for name, pattern in (
            ("parent", PARENT),
            ("child", CHILD),
            ("command", COMMAND),
            ("cradle", CRADLE),
            ("encoded", ENCODED),
            ("image", IMAGE),
            ("hosts", HOSTS),
            ("old_build", OLD_BUILD),
        )
    }
    key_of = {"seed": _seed_key, "every": _every_key, "count": _count_key}[workload]
    groups: dict[tuple, int] = {(): 0} if workload == "count" else {}
    for obj in _objects(path):
        key = key_of(obj, searches)
        if key is not None:
            # count(aid) counts the events that have aid; a group whose events all lack it is
            # a row with 0
            groups[key] = groups.get(key, 0) + (_text(obj, "aid") is not None)
    ranked = sorted(((n, k) for k, n in groups.items()), key=lambda item: -item[0])
    names = KEYS[workload]
    return [{**dict(zip(names, k, strict=True)), COUNT: str(n)} for n, k in ranked]


def naive(path: str | Path, workload: str) -> list[Row]:
    """The rule's output rows (``sort(..., limit=200)``) from the naive Python peer."""
    return naive_groups(path, workload)[:LIMIT]


# --- DuckDB -------------------------------------------------------------------------------------


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def duckdb_sql(path: str | Path, workload: str) -> str:
    """The SQL for ``workload`` over ``read_ndjson``.  A missing field (and a JSON null, which
    cqlmatch would read as ``"null"``) is NULL: a regex on NULL is NULL, which a WHERE or WHEN
    treats as false, as a CQL filter on a missing field is false."""
    columns = ", ".join(f"{_sql_text(f)}: 'VARCHAR'" for f in FIELDS[workload])
    source = f"read_ndjson({_sql_text(str(path))}, columns={{{columns}}})"

    def rx(column: str, pattern: str) -> str:
        return f'regexp_matches("{column}", {_sql_text(pattern)})'

    count = f'count(aid) AS "{COUNT}"'
    if workload == "count":
        return f"SELECT {count} FROM {source}"
    if workload == "seed":
        keys = ", ".join(
            "EventType" if k == "EventType" else f'coalesce("{k}", \'-\') AS "{k}"'
            for k in SEED_KEYS
        )
        return f"""
WITH events AS (
  SELECT *, coalesce("#event_simpleName", event_simpleName) AS simple_name FROM {source}
), kinds AS (
  SELECT *, CASE
    WHEN simple_name = 'ProcessRollup2' AND {rx("ParentBaseFileName", PARENT)}
         AND ({rx("FileName", CHILD)} OR {rx("CommandLine", COMMAND)})
    THEN CASE
      WHEN {rx("CommandLine", CRADLE)} THEN 'INSTALLER_DOWNLOAD_CRADLE'
      WHEN {rx("CommandLine", ENCODED)} THEN 'INSTALLER_ENCODED_EXECUTION'
      ELSE 'INSTALLER_SCRIPT_CHILD' END
    WHEN simple_name = 'NetworkConnectIP4' AND {rx("ImageFileName", IMAGE)}
         AND RemoteAddressIP4 IS NOT NULL AND NOT {rx("RemoteAddressIP4", PRIVATE)}
    THEN 'INSTALLER_NETWORK_CALLBACK'
  END AS EventType
  FROM events WHERE simple_name IN ('ProcessRollup2', 'NetworkConnectIP4')
)
SELECT {keys}, {count} FROM kinds WHERE EventType IS NOT NULL
GROUP BY ALL ORDER BY "{COUNT}" DESC LIMIT {LIMIT}
"""
    return f"""
SELECT coalesce(ComputerName, '-') AS ComputerName, event_platform, event_simpleName, {count}
FROM {source}
WHERE ({rx("ComputerName", HOSTS)} OR {rx("ConfigBuild", OLD_BUILD)})
  AND event_platform IS NOT NULL AND event_simpleName IS NOT NULL
GROUP BY ALL ORDER BY "{COUNT}" DESC LIMIT {LIMIT}
"""


def run_duckdb(path: str | Path, workload: str, threads: int | None = None) -> list[Row]:
    """The DuckDB peer's rows (all threads unless ``threads``)."""
    import duckdb

    with duckdb.connect(":memory:") as con:
        con.execute("SET enable_progress_bar = false")
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        result = con.execute(duckdb_sql(path, workload))
        names = [d[0] for d in result.description]
        return [_row(names, values) for values in result.fetchall()]


def _row(names: Sequence[str], values: Sequence[Any]) -> Row:
    return {n: str(v) for n, v in zip(names, values, strict=True)}


# --- Polars -------------------------------------------------------------------------------------


def polars_query(path: str | Path, workload: str):
    """The Polars peer as a LazyFrame over ``scan_ndjson``.  Nulls follow Kleene logic and a
    null ``when`` condition is false, as in the SQL."""
    import polars as pl

    frame = pl.scan_ndjson(path, schema=dict.fromkeys(FIELDS[workload], pl.String))
    col = pl.col

    def rx(column: str, pattern: str) -> pl.Expr:
        return col(column).str.contains(pattern)

    count = col("aid").is_not_null().sum().alias(COUNT)
    if workload == "count":
        return frame.select(count)
    if workload == "seed":
        simple = pl.coalesce("#event_simpleName", "event_simpleName")
        process = (
            (simple == "ProcessRollup2")
            & rx("ParentBaseFileName", PARENT)
            & (rx("FileName", CHILD) | rx("CommandLine", COMMAND))
        )
        network = (
            (simple == "NetworkConnectIP4")
            & rx("ImageFileName", IMAGE)
            & col("RemoteAddressIP4").is_not_null()
            & ~rx("RemoteAddressIP4", PRIVATE)
        )
        kind = (
            pl.when(process)
            .then(
                pl.when(rx("CommandLine", CRADLE))
                .then(pl.lit("INSTALLER_DOWNLOAD_CRADLE"))
                .when(rx("CommandLine", ENCODED))
                .then(pl.lit("INSTALLER_ENCODED_EXECUTION"))
                .otherwise(pl.lit("INSTALLER_SCRIPT_CHILD"))
            )
            .when(network)
            .then(pl.lit("INSTALLER_NETWORK_CALLBACK"))
            .otherwise(None)
            .alias("EventType")
        )
        keys = list(SEED_KEYS)
        frame = (
            frame.filter(simple.is_in(["ProcessRollup2", "NetworkConnectIP4"]))
            .with_columns(kind)
            .filter(col("EventType").is_not_null())
        )
    else:
        keys = list(EVERY_KEYS)
        frame = frame.filter(
            (rx("ComputerName", HOSTS) | rx("ConfigBuild", OLD_BUILD)).fill_null(False)
            & col("event_platform").is_not_null()
            & col("event_simpleName").is_not_null()
        )
    return (
        frame.with_columns(col(k).fill_null("-") for k in keys if k != "EventType")
        .group_by(keys)
        .agg(count)
        .sort(COUNT, descending=True)
        .head(LIMIT)
    )


def run_polars(path: str | Path, workload: str) -> list[Row]:
    """The Polars peer's rows (all threads)."""
    frame = polars_query(path, workload).collect()
    return [_row(frame.columns, values) for values in frame.iter_rows()]


# --- comparing rows -----------------------------------------------------------------------------


def compare_rows(
    expected: list[Row], got: list[Row], groups: list[Row] | None = None, limit: int = LIMIT
) -> list[str]:
    """Differences between a peer's rows and cqlmatch's (``expected``); empty when they agree.

    Rows are sorted by count, descending, and cut at ``limit``: the order among equal counts
    is cqlmatch's first appearance, which the SQL and Polars peers do not reproduce, so
    ``got`` must have counts that never increase, the same number of rows, exactly the same
    rows above the lowest count, and at the lowest count the same number of rows.  When the
    limit cut a run of equal counts, which of those groups made the cut is arbitrary too:
    each must then be one of ``groups`` (every group before the limit, from the naive peer)
    with that count; without ``groups`` only their number is checked.
    """
    problems: list[str] = []
    counts = [int(row.get(COUNT, "-1")) for row in got]
    if any(a < b for a, b in pairwise(counts)):
        problems.append(f"{COUNT} is not in descending order")
    if len(got) != len(expected):
        problems.append(f"{len(got)} rows, expected {len(expected)}")
    if not expected:
        return problems
    lowest = min(int(row[COUNT]) for row in expected)

    def frozen(rows: Iterable[Row]) -> list[tuple]:
        return sorted(tuple(sorted(row.items())) for row in rows)

    above = [frozen(r for r in rows if int(r[COUNT]) > lowest) for rows in (expected, got)]
    if above[0] != above[1]:
        missing = len(set(above[0]) - set(above[1]))
        extra = len(set(above[1]) - set(above[0]))
        problems.append(
            f"rows with {COUNT} > {lowest} differ: {missing} missing, {extra} unexpected"
        )
    at = [frozen(r for r in rows if int(r[COUNT]) == lowest) for rows in (expected, got)]
    if len(at[0]) != len(at[1]):
        problems.append(f"{len(at[1])} rows with {COUNT} = {lowest}, expected {len(at[0])}")
    elif at[0] != at[1]:
        if len(expected) < limit:
            problems.append(f"rows with {COUNT} = {lowest} differ")
        elif groups is not None:
            allowed = set(frozen(r for r in groups if int(r[COUNT]) == lowest))
            strays = [row for row in at[1] if row not in allowed]
            if strays:
                problems.append(f"{len(strays)} rows with {COUNT} = {lowest} are no such group")
    return problems


# --- corner cases -------------------------------------------------------------------------------
# Lines the tests add to generated files: every peer must read them as cqlmatch does.

CORNER_LINES = (
    # escaped key and values; `\/` in a command line
    r'{"\u0065vent_simpleName":"\u0050rocessRollup2","ParentBaseFileName":"msiexec.exe",'
    r'"FileName":"cmd.exe","CommandLine":"cmd \/c certutil -urlcache http:\/\/x","aid":"a1",'
    r'"ComputerName":"H1","ConfigBuild":"1007.3.0016412.1","event_platform":"Win"}',
    # #event_simpleName wins over event_simpleName; missing fields become "-"
    '{"#event_simpleName":"ProcessRollup2","event_simpleName":"DnsRequest",'
    '"ParentBaseFileName":"DPKG","FileName":"dash","aid":"a2"}',
    '{"#event_simpleName":"DnsRequest","event_simpleName":"ProcessRollup2",'
    '"ParentBaseFileName":"dpkg","FileName":"sh","aid":"a3","ComputerName":"H3"}',
    # cidr: white space around a private address is stripped; a leading zero is no address;
    # an empty value and a JSON number are present but no address
    '{"event_simpleName":"NetworkConnectIP4","ImageFileName":"C:\\\\Windows\\\\msiexec.exe",'
    '"RemoteAddressIP4":" 10.1.2.3 ","aid":"a4","ComputerName":"H4"}',
    '{"event_simpleName":"NetworkConnectIP4","ImageFileName":"Installer.bin",'
    '"RemoteAddressIP4":"010.1.2.3","aid":"a5","ComputerName":"H5"}',
    '{"event_simpleName":"NetworkConnectIP4","ImageFileName":"msiexec.exe",'
    '"RemoteAddressIP4":"","aid":"a6"}',
    '{"event_simpleName":"NetworkConnectIP4","ImageFileName":"msiexec.exe",'
    '"RemoteAddressIP4":8,"aid":"a6"}',
    '{"event_simpleName":"NetworkConnectIP4","ImageFileName":"msiexec.exe",'
    '"RemoteAddressIP4":"172.32.0.1","aid":"a7"}',
    '{"event_simpleName":"NetworkConnectIP4","ImageFileName":"msiexec.exe",'
    '"RemoteAddressIP4":"172.31.0.1","aid":"a7"}',
    # no RemoteAddressIP4: dropped; no aid: a row whose count(aid) is 0
    '{"event_simpleName":"NetworkConnectIP4","ImageFileName":"msiexec.exe","aid":"a8"}',
    '{"event_simpleName":"NetworkConnectIP4","ImageFileName":"msiexec.exe",'
    '"RemoteAddressIP4":"9.9.9.9","ComputerName":"H9"}',
    # case-insensitive regexes; spacing and key order
    '{ "aid" : "a10" , "CommandLine" : "POWERSHELL -EncodedCommand AAAA" ,'
    ' "ParentBaseFileName" : "MSIEXEC.EXE" , "event_simpleName" : "ProcessRollup2" ,'
    ' "FileName" : "powershell.exe", "UserName": "Zo\\u00eb", "ComputerName": "BUILD-7",'
    ' "event_platform": "Win"}',
    # `.` stops at a newline: only the second command line is a download
    '{"event_simpleName":"ProcessRollup2","ParentBaseFileName":"yum","FileName":"notepad",'
    '"CommandLine":"wget\\nhttps://a.example","aid":"a11"}',
    '{"event_simpleName":"ProcessRollup2","ParentBaseFileName":"yum","FileName":"notepad",'
    '"CommandLine":"wget https://a.example","aid":"a12","UserName":"S\u00f8ren"}',
    # every_event.cql: an old build without ComputerName; a full-width digit is no \\d;
    # no event_platform: no group
    '{"event_simpleName":"DnsRequest","ConfigBuild":"1007.4.0016412.1","event_platform":"Mac",'
    '"aid":"a13"}',
    '{"event_simpleName":"DnsRequest","ConfigBuild":"\uff11007.4.0016412.1",'
    '"event_platform":"Mac","aid":"a14"}',
    '{"event_simpleName":"DnsRequest","ComputerName":"jenkins-9","aid":"a15"}',
    '{"event_simpleName":"DnsRequest","ComputerName":"Jenkins-9","event_platform":"Lin",'
    '"aid":"a16"}',
)

# Lines on which DuckDB and Polars read JSON differently from cqlmatch (bench/README.md,
# "Against the peers"); the naive peer follows cqlmatch.  Malformed lines make read_ndjson and
# scan_ndjson fail unless told to ignore errors.
NAIVE_ONLY_LINES = (
    # null is the text "null" in cqlmatch (the SQL and Polars peers read NULL, then "-")
    '{"event_simpleName":"ProcessRollup2","ParentBaseFileName":"rpm","FileName":"bash",'
    '"UserName":null,"aid":"b1"}',
    # an object flattens to UserName.x: no UserName (the peers read its JSON text)
    '{"event_simpleName":"ProcessRollup2","ParentBaseFileName":"rpm","FileName":"bash",'
    '"UserName":{"x":"y"},"aid":"b2"}',
    # booleans are true/false
    '{"event_simpleName":"NetworkConnectIP4","ImageFileName":"msiexec.exe",'
    '"RemoteAddressIP4":true,"aid":"b3"}',
    # not an object, not JSON, truncated: no event
    '["event_simpleName","ProcessRollup2"]',
    "not json",
    '{"event_simpleName":"ProcessRollup2","ParentBaseFileName":"rpm"',
)
