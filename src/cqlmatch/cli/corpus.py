"""Measure the front end against a corpus of real CQL queries.

The corpus is NDJSON with at least ``id``, ``source``, ``origin`` and
``query`` per record (see ``shared/corpus/README.md``).  Every query is
parsed; those that parse are printed and re-parsed to check the canonical
printer's round trip.  Nothing here knows any particular query.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CQLCompileError, CQLSyntaxError
from ..syntax.parser import parse
from ..syntax.printer import format_query

CROWDSTRIKE_PREFIX = "CrowdStrike/"


def source_group(record: dict) -> str:
    """The reporting group of a record: vendor content, other community
    content, or Sigma rules converted by pySigma."""
    if record.get("origin") == "sigma-converted":
        return "sigma-converted"
    if str(record.get("source", "")).startswith(CROWDSTRIKE_PREFIX):
        return "crowdstrike"
    return "community-other"


@dataclass
class Tally:
    total: int = 0
    parsed: int = 0

    @property
    def rate(self) -> float:
        return 100.0 * self.parsed / self.total if self.total else 0.0


@dataclass
class Failure:
    record_id: str
    source: str
    group: str
    path: str
    error: CQLSyntaxError


@dataclass
class CorpusReport:
    by_source: dict[str, Tally] = field(default_factory=dict)
    by_group: dict[str, Tally] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    round_trip_failures: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    def reasons(self) -> list[tuple[tuple[str, str], list[Failure]]]:
        """Failures grouped by error code and message, most common first."""
        return group_failures(self.failures)

    def to_json(self) -> dict:
        return {
            "by_group": {k: vars(v) | {"rate": round(v.rate, 2)} for k, v in self.by_group.items()},
            "by_source": {
                k: vars(v) | {"rate": round(v.rate, 2)} for k, v in self.by_source.items()
            },
            "reasons": [
                {
                    "code": code,
                    "reason": reason,
                    "count": len(items),
                    "example": items[0].record_id,
                    "groups": dict(Counter(f.group for f in items)),
                }
                for (code, reason), items in self.reasons()
            ],
            "round_trip_failures": [rid for rid, _ in self.round_trip_failures],
            "seconds": round(self.seconds, 3),
        }


def group_failures(failures: list[Failure]) -> list[tuple[tuple[str, str], list[Failure]]]:
    """Failures grouped by error code and message, most common first."""
    groups: dict[tuple[str, str], list[Failure]] = {}
    for failure in failures:
        key = (failure.error.code, _reason(failure.error.message))
        groups.setdefault(key, []).append(failure)
    return sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))


def _reason(message: str) -> str:
    """A message with the quoted specifics removed, so failures group by kind."""
    out, quoted = [], False
    for ch in message:
        if ch == "'":
            quoted = not quoted
            out.append("'…'" if quoted else "")
        elif not quoted:
            out.append(ch)
    return "".join(out)


def load(path: str | Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def run(records: list[dict]) -> CorpusReport:
    """Parse every record's query and check the printer round trip."""
    report = CorpusReport()
    started = time.perf_counter()
    for record in records:
        group = source_group(record)
        for key, table in ((record["source"], report.by_source), (group, report.by_group)):
            table.setdefault(key, Tally()).total += 1
        try:
            tree = parse(record["query"])
        except CQLSyntaxError as err:
            report.failures.append(
                Failure(record["id"], record["source"], group, record.get("path", ""), err)
            )
            continue
        report.by_source[record["source"]].parsed += 1
        report.by_group[group].parsed += 1
        printed = format_query(tree)
        try:
            same = parse(printed) == tree
        except CQLSyntaxError as err:
            same, printed = False, err.render()
        if not same:
            report.round_trip_failures.append((record["id"], printed))
    report.seconds = time.perf_counter() - started
    return report


# Compile errors that say the query needs something from outside it: a
# parameter value, a saved query, a lookup file, or external data (GeoIP,
# threat intelligence).  Such queries are counted apart, not as failures.
EXTERNAL_CODES = frozenset({"E220", "E221", "E222", "E223"})
#: Needs the user's enrichment data (a GeoIP or ASN database, an indicator file).
DATA_CODE = "E223"


@dataclass
class CompileTally:
    parsed: int = 0
    compiled: int = 0
    external: int = 0
    needs_data: int = 0  # external for want of enrichment data, and nothing else
    compiled_with_data: int = 0  # of those, compiled once the data was given
    ran: int = 0
    internal_errors: int = 0

    @property
    def rate(self) -> float:
        candidates = self.parsed - self.external
        return 100.0 * self.compiled / candidates if candidates else 0.0


@dataclass
class CompileReport:
    by_group: dict[str, CompileTally] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    external: Counter = field(default_factory=Counter)
    internal_errors: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    def reasons(self) -> list[tuple[tuple[str, str], list[Failure]]]:
        return group_failures(self.failures)


def compile_and_run(
    records: list[dict], events: list[dict] | None, data: dict | None = None
) -> CompileReport:
    """Compile every query that parses (without parameter values, saved
    queries or lookup files) and run each compiled one over ``events``.
    Anything but a query error while compiling or running is an internal
    error: a bug in cqlmatch.  ``data`` (``geoip``/``asn``/``iocs`` paths,
    as ``compile`` takes them): a query external only for want of such data
    is compiled again with it, for the rate "when the data is given"."""
    from ..runtime.query import compile as compile_query

    report = CompileReport()
    started = time.perf_counter()
    for record in records:
        group = source_group(record)
        text = record["query"]
        try:
            parse(text)
        except CQLSyntaxError:
            continue
        tally = report.by_group.setdefault(group, CompileTally())
        tally.parsed += 1
        try:
            query = compile_query(text)
        except CQLCompileError as err:
            codes = {d.code for d in err.errors}
            if codes <= EXTERNAL_CODES:
                tally.external += 1
                report.external.update(codes)
                if codes == {DATA_CODE} and data:
                    outcome = _with_data(compile_query, text, data)
                    tally.needs_data += outcome != "external"
                    tally.compiled_with_data += outcome == "compiled"
            else:
                first = next(d for d in err.errors if d.code not in EXTERNAL_CODES)
                as_syntax = CQLSyntaxError(
                    first.code, first.message, text, first.span, first.expected
                )
                report.failures.append(
                    Failure(
                        record["id"], record["source"], group, record.get("path", ""), as_syntax
                    )
                )
            continue
        except Exception as err:
            tally.internal_errors += 1
            report.internal_errors.append((record["id"], f"compile: {err!r}"))
            continue
        tally.compiled += 1
        if events is None:
            continue
        try:
            query.run(events)
            tally.ran += 1
        except Exception as err:
            tally.internal_errors += 1
            report.internal_errors.append((record["id"], f"run: {err!r}"))
    report.seconds = time.perf_counter() - started
    return report


def _with_data(compile_query, text: str, data: dict) -> str:
    """``compiled`` with the enrichment data given, ``external`` when it still
    needs something from outside (DNS, a lookup file...), else ``failed``."""
    try:
        compile_query(text, **data)
    except CQLCompileError as err:
        return "external" if {d.code for d in err.errors} <= EXTERNAL_CODES else "failed"
    return "compiled"


def render_compile(report: CompileReport, examples: int = 15) -> str:
    lines = ["compile rate by group (queries that parse; external = needs a ?parameter value,"]
    lines.append("a saved query, a lookup file or external data such as GeoIP):")
    for name, t in sorted(report.by_group.items()):
        lines.append(
            f"  {name:<20} parsed {t.parsed:>5}  external {t.external:>5}  "
            f"compiled {t.compiled:>5} ({t.rate:6.2f}% of the rest)  ran {t.ran:>5}  "
            f"internal errors {t.internal_errors}"
        )
    community = [t for g, t in report.by_group.items() if g != "sigma-converted"]
    if community:
        compiled = sum(t.compiled for t in community)
        rest = sum(t.parsed - t.external for t in community)
        lines.append(
            f"  {'community (all)':<20} {compiled}/{rest} = {100 * compiled / max(rest, 1):.2f}%"
        )
        needs = sum(t.needs_data for t in community)
        if needs:
            more = sum(t.compiled_with_data for t in community)
            lines.append(
                f"  {'community, data given':<20} {compiled + more}/{rest + needs} = "
                f"{100 * (compiled + more) / max(rest + needs, 1):.2f}%  ({more} of the {needs} "
                "that need only a GeoIP/ASN database or an indicator file compile with them)"
            )
    lines.append(
        "external needs: " + ", ".join(f"{c} {n}" for c, n in sorted(report.external.items()))
    )
    for rid, message in report.internal_errors[:examples]:
        lines.append(f"  INTERNAL {rid}: {message}")
    reasons = report.reasons()
    if reasons:
        lines.append(f"compile failure reasons ({len(report.failures)} queries):")
    for (code, reason), items in reasons[:examples]:
        groups = ", ".join(f"{g} {n}" for g, n in Counter(f.group for f in items).most_common())
        lines.append(f"  {len(items):>4}  {code} {reason}  [{groups}]  e.g. {items[0].record_id}")
    lines.append(f"time: {report.seconds:.2f} s")
    return "\n".join(lines)


def render_compile_failures(report: CompileReport) -> str:
    """One line per query that does not compile, grouped by reason."""
    lines = []
    for (code, reason), items in report.reasons():
        lines.append(f"{code} {reason} ({len(items)})")
        lines.extend(f"  {f.record_id}\t{f.group}\t{f.source}\t{f.path}" for f in items)
    return "\n".join(lines)


def render(report: CorpusReport, examples: int = 15) -> str:
    """A plain-text report: rates by group and by source, then failure reasons."""
    lines = ["parse rate by group:"]
    for name, tally in sorted(report.by_group.items()):
        lines.append(f"  {name:<20} {tally.parsed:>5}/{tally.total:<5} {tally.rate:6.2f}%")
    community = [t for g, t in report.by_group.items() if g != "sigma-converted"]
    if community:
        parsed = sum(t.parsed for t in community)
        total = sum(t.total for t in community)
        lines.append(
            f"  {'community (all)':<20} {parsed:>5}/{total:<5} {100 * parsed / total:6.2f}%"
        )
    lines.append("parse rate by source:")
    for name, tally in sorted(report.by_source.items(), key=lambda kv: -kv[1].total):
        lines.append(f"  {name:<52} {tally.parsed:>5}/{tally.total:<5} {tally.rate:6.2f}%")
    lines.append(
        f"printer round trip: {len(report.round_trip_failures)} failures "
        f"over {sum(t.parsed for t in report.by_group.values())} parsed queries"
    )
    lines.append(f"time: {report.seconds:.2f} s")
    reasons = report.reasons()
    if reasons:
        lines.append(f"failure reasons ({len(report.failures)} queries):")
    for (code, reason), items in reasons[:examples]:
        first = items[0]
        groups = ", ".join(f"{g} {n}" for g, n in Counter(f.group for f in items).most_common())
        lines.append(f"  {len(items):>4}  {code} {reason}  [{groups}]")
        lines.append(f"        e.g. {first.record_id} ({first.source}: {first.path})")
        excerpt = first.error.render(first.record_id).splitlines()[1:]
        lines.extend("        | " + text for text in excerpt)
    return "\n".join(lines)
