"""Detection tests as data: ``*.cqltest.yaml`` files, loaded, run and reported.

A test file names a rule and lists cases; each case gives input events and
either the exact output rows (``rows:``) or what must happen to every event
on its own (``kept:`` and ``fields:``, checked with ``CompiledQuery.match``).
The format is documented in ``docs/cli.md``; ``cqlmatch test`` and the
pytest plugin (``cqlmatch.pytest_plugin``) both use this module, so a test
fails the same way, with the same diff, in a terminal and under pytest.

The YAML is read node by node (``yaml.compose``) rather than loaded into
plain objects, so that every problem in a test file is reported with the
file, line and column and the key path (``cases[2].rows[0]``) it concerns,
and so that expected values are compared as the text written in the file
(``EventCount: 2`` expects ``"2"``; ``Country: NO`` expects ``"NO"``).
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import CQLError
from ..limits import MAX_DIGITS
from ..runtime.query import ENGINES, CompiledQuery, compile as compile_text, compile_file
from ..syntax.parser import parse
from ..syntax.saved import expand as expand_saved
from .yamlnodes import NULL_TAG, NodeReader, YamlFileError, compose, kind_of

SUFFIXES = (".cqltest.yaml", ".cqltest.yml")

_FILE_KEYS = ("rule", "params", "lookups", "saved", "strict", "diagnostics", "cases")
_CASE_KEYS = ("name", "events", "event", "rows", "ordered", "kept", "fields")
_BOOL_TAG = "tag:yaml.org,2002:bool"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_PLAIN_KEY = re.compile(r"[A-Za-z_@#][A-Za-z0-9_.@#\[\]-]*\Z")


class DetectionTestError(YamlFileError):
    """A test file that cannot be used: unreadable, not YAML, or not in the
    format.  ``str()`` is ``file:line:col: message`` (the position when known)."""


@dataclass
class EventSource:
    """A case's input: inline events (with the line each starts on) or an NDJSON file."""

    inline: list[dict[str, Any]] | None = None
    lines: list[int] = field(default_factory=list)
    file: Path | None = None

    def describe(self, index: int) -> str:
        """Where event ``index`` (0-based) was written, for failure messages."""
        if self.file is not None:
            return f"{self.file}:{index + 1}"
        return f"event {index + 1} (line {self.lines[index]})"


@dataclass
class Case:
    """One case of a test file: events plus rows, or events plus a per-event verdict."""

    name: str
    line: int
    events: EventSource
    rows: list[dict[str, str]] | None = None
    ordered: bool = True
    kept: bool | None = None
    fields: dict[str, str | None] = field(default_factory=dict)


@dataclass
class TestFile:
    """A loaded ``*.cqltest.yaml`` file; paths in it are resolved against its folder."""

    __test__ = False  # not a pytest test class, despite the name

    path: Path
    rule: Path | None  # None: a pack's rule test, run with the pack's query
    params: dict[str, str] = field(default_factory=dict)
    lookups: dict[str, Path] = field(default_factory=dict)
    saved: Path | None = None
    strict: bool = False
    diagnostics: list[str] | None = None
    diagnostics_line: int = 0
    cases: list[Case] = field(default_factory=list)

    def compile(self) -> CompiledQuery:
        """The rule, compiled with the file's params, lookups and saved
        queries; raises ``CQLError`` (or ``OSError`` for an unreadable rule)."""
        if self.rule is None:
            raise OSError(f"{self.path} names no rule (a pack's tests run with cqlmatch pack test)")
        lookups = {name: str(path) for name, path in self.lookups.items()}
        if self.saved is None:
            return compile_file(str(self.rule), self.strict, self.params, lookups)
        text = expand_saved(self.rule.read_text(encoding="utf-8"), self.saved)
        return compile_text(text, self.strict, self.params, lookups)


@dataclass
class CaseResult:
    """The outcome of one case (or of the file's ``diagnostics:`` check).

    ``outcome`` is ``passed``, ``failed`` (the rule does not do what the case
    expects) or ``error`` (the rule could not be compiled or an event file
    could not be read); ``message`` explains a failure or error."""

    file: Path
    name: str
    outcome: str
    message: str = ""
    seconds: float = 0.0
    line: int = 0

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"


# --- finding and loading --------------------------------------------------------------


def is_test_file(path: Path) -> bool:
    """True for the names the runner and the pytest plugin collect."""
    return path.name.endswith(SUFFIXES)


def discover(paths: Iterable[str | Path]) -> list[Path]:
    """The test files among ``paths``: files as given, directories searched
    recursively for ``*.cqltest.yaml``/``*.cqltest.yml`` (sorted)."""
    found: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and is_test_file(p)))
        elif path.is_file():
            found.append(path)
        else:
            raise DetectionTestError(path, "no such file or directory")
    return found


def load(path: str | Path, rule_required: bool = True) -> TestFile:
    """Read and validate one test file; raises ``DetectionTestError``.
    ``rule_required=False``: the file may leave out ``rule:`` (the tests of
    a pack's rule, which the pack gives)."""
    path = Path(path)
    root = compose(path, DetectionTestError, "empty test file: expected 'rule:' and 'cases:'")
    try:
        return _Reader(path, rule_required).test_file(root)
    except RecursionError:
        raise DetectionTestError(path, "values nested too deeply") from None


class _Reader(NodeReader):
    """Turns the composed YAML nodes of one file into a ``TestFile``."""

    error = DetectionTestError

    def __init__(self, path: Path, rule_required: bool = True) -> None:
        super().__init__(path)
        self.rule_required = rule_required

    def path_to(self, node: yaml.Node, where: str, directory: bool = False) -> Path:
        """A path written in the file, relative to the file's folder; it must exist."""
        written = self.text(node, where, "a path")
        path = Path(os.path.normpath(self.base / written))
        exists = path.is_dir() if directory else path.is_file()
        if not exists:
            kind = "directory" if directory else "file"
            raise self.fail(node, where, f"no such {kind}: {written} (looked for {path})")
        return path

    def query_file(self, node: yaml.Node, where: str) -> Path:
        """``path_to`` for the rule, which must be a query: UTF-8 text without
        NUL bytes and, unless named ``*.cql``, text that parses as CQL.  What
        is not is refused here, quoting none of it (a ``.cql`` file with a
        syntax error is the author's query: its error is shown with a caret
        when the cases run)."""
        path = self.path_to(node, where)
        written = node.value
        try:
            data = path.read_bytes()
        except OSError as err:
            raise self.fail(node, where, f"cannot read {written}: {err.strerror or err}") from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise self.fail(node, where, f"{written} is not a CQL query (not UTF-8 text)") from None
        if "\x00" in text:
            raise self.fail(node, where, f"{written} is not a CQL query (it holds NUL bytes)")
        if path.suffix != ".cql":
            try:
                parse(text)
            except (CQLError, RecursionError):
                raise self.fail(
                    node,
                    where,
                    f"{written} is not a CQL query (it does not parse as one; "
                    "rules are usually .cql files)",
                ) from None
        return path

    # --- the file ------------------------------------------------------------------

    def test_file(self, root: yaml.Node) -> TestFile:
        top = self.mapping(root, "", _FILE_KEYS)
        for required in ("rule", "cases") if self.rule_required else ("cases",):
            if required not in top:
                hint = " (the tests of a pack's rule run with cqlmatch pack test)"
                raise self.fail(root, "", f"missing key {required!r}" + hint * (required == "rule"))
        rule = self.query_file(top["rule"][1], "rule") if "rule" in top else None
        result = TestFile(self.path, rule)
        if "params" in top:
            result.params = self.string_map(top["params"][1], "params")
        if "lookups" in top:
            node = top["lookups"][1]
            result.lookups = {
                name: self.path_to(value, f"lookups.{name}")
                for name, (_, value) in self.mapping(node, "lookups").items()
            }
        if "saved" in top:
            result.saved = self.path_to(top["saved"][1], "saved", directory=True)
        if "strict" in top:
            result.strict = self.flag(top["strict"][1], "strict")
        if "diagnostics" in top:
            node = top["diagnostics"][1]
            result.diagnostics_line = node.start_mark.line + 1
            result.diagnostics = [
                self.text(item, f"diagnostics[{i}]", "a diagnostic code such as W310")
                for i, item in enumerate(self.sequence(node, "diagnostics", "diagnostic codes"))
            ]
        cases = self.sequence(top["cases"][1], "cases", "cases")
        if not cases:
            raise self.fail(top["cases"][1], "cases", "a test file needs at least one case")
        names: set[str] = set()
        for index, node in enumerate(cases):
            case = self.case(node, f"cases[{index}]", index)
            if case.name in names:
                raise self.fail(node, f"cases[{index}].name", f"case name {case.name!r} repeated")
            names.add(case.name)
            result.cases.append(case)
        return result

    def case(self, node: yaml.Node, where: str, index: int) -> Case:
        keys = self.mapping(node, where, _CASE_KEYS)
        name = f"case {index + 1}"
        if "name" in keys:
            name = self.text(keys["name"][1], f"{where}.name").strip() or name
        if ("events" in keys) == ("event" in keys):
            raise self.fail(
                node, where, "give the input as 'events:' (a list or a file) or 'event:'"
            )
        if "event" in keys:
            value = keys["event"][1]
            events = EventSource([self.event(value, f"{where}.event")], [_line(value)])
        else:
            events = self.events(keys["events"][1], f"{where}.events")
        case = Case(name, _line(node), events)
        per_event = "kept" in keys or "fields" in keys
        if ("rows" in keys) == per_event:
            raise self.fail(
                node,
                where,
                "expect either output rows ('rows:') or a per-event result ('kept:' / 'fields:')",
            )
        if "ordered" in keys:
            if "rows" not in keys:
                raise self.fail(keys["ordered"][0], where, "'ordered' only applies to 'rows'")
            case.ordered = self.flag(keys["ordered"][1], f"{where}.ordered")
        if "rows" in keys:
            items = self.sequence(keys["rows"][1], f"{where}.rows", "row mappings")
            case.rows = [self.row(item, f"{where}.rows[{i}]") for i, item in enumerate(items)]
            return case
        case.kept = self.flag(keys["kept"][1], f"{where}.kept") if "kept" in keys else True
        if "fields" in keys:
            if not case.kept:
                raise self.fail(keys["fields"][0], where, "'fields' needs 'kept: true'")
            value_node = keys["fields"][1]
            case.fields = {
                key: self.expected_value(value, f"{where}.fields.{key}", absent_ok=True)
                for key, (_, value) in self.mapping(value_node, f"{where}.fields").items()
            }
        return case

    def events(self, node: yaml.Node, where: str) -> EventSource:
        if isinstance(node, yaml.MappingNode):
            keys = self.mapping(node, where, ("file",))
            if "file" not in keys:
                raise self.fail(node, where, "an event file is given as 'file: PATH.ndjson'")
            return EventSource(file=self.path_to(keys["file"][1], f"{where}.file"))
        items = self.sequence(node, where, "events (mappings), or 'file: PATH'")
        return EventSource(
            [self.event(item, f"{where}[{i}]") for i, item in enumerate(items)],
            [_line(item) for item in items],
        )

    def event(self, node: yaml.Node, where: str) -> dict[str, Any]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, where, f"an event is a mapping of fields, got {kind_of(node)}")
        value = self.json_value(node, where)
        assert isinstance(value, dict)
        return value

    def json_value(self, node: yaml.Node, where: str) -> Any:
        """An event value as JSON would decode it: YAML ``true``/``false``,
        numbers and null keep their type; everything else (``yes``, dates,
        ``0x1f``) is the text written, as it would be in a JSON string."""
        if isinstance(node, yaml.MappingNode):
            return {
                key: self.json_value(value, f"{where}.{key}")
                for key, (_, value) in self.mapping(node, where).items()
            }
        if isinstance(node, yaml.SequenceNode):
            return [self.json_value(item, f"{where}[{i}]") for i, item in enumerate(node.value)]
        if node.style is not None:  # quoted or block scalar: always a string
            return node.value
        if node.tag == NULL_TAG:
            return None
        if node.tag == _BOOL_TAG and node.value.lower() in ("true", "false"):
            return node.value.lower() == "true"
        numeric = node.tag in (_INT_TAG, _FLOAT_TAG)
        if numeric and sum(char.isdigit() for char in node.value) > MAX_DIGITS:
            raise self.fail(
                node,
                where,
                f"a number with more than {MAX_DIGITS} digits; quote it to give it as text",
            )
        if node.tag == _INT_TAG and re.fullmatch(r"-?(0|[1-9][0-9]*)", node.value):
            return int(node.value)
        if node.tag == _FLOAT_TAG and re.fullmatch(
            r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?", node.value
        ):
            number = float(node.value)
            if math.isinf(number):
                raise self.fail(
                    node, where, "a number too large for JSON; quote it to give it as text"
                )
            return number
        return node.value

    def row(self, node: yaml.Node, where: str) -> dict[str, str]:
        return {
            key: self.expected_value(value, f"{where}.{key}", absent_ok=False)
            for key, (_, value) in self.mapping(node, where).items()
        }

    def expected_value(self, node: yaml.Node, where: str, absent_ok: bool) -> str | None:
        """An expected field value: the text as written.  ``null`` (or
        nothing) means the field must be absent, where that makes sense."""
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(node, where, f"expected a field value (text), got {kind_of(node)}")
        if node.tag == NULL_TAG and node.style is None:
            if absent_ok:
                return None
            raise self.fail(
                node, where, "a row value cannot be null; leave the field out of the row"
            )
        return node.value


def _reason(err: OSError | UnicodeDecodeError) -> str:
    """Why a rule could not be read, quoting none of its bytes."""
    if isinstance(err, UnicodeDecodeError):
        return "not a CQL query (not UTF-8 text)"
    return err.strerror or str(err)


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


# --- running --------------------------------------------------------------------------


def run_file(
    test_file: TestFile, engine: str = ENGINES[0], query: CompiledQuery | None = None
) -> list[CaseResult]:
    """Every case of ``test_file`` on ``engine``, plus the ``diagnostics:``
    check when the file has one.  A rule that does not compile makes every
    case an error whose message is the usual caret rendering.  ``query``:
    the rule already compiled (a pack's), instead of the file's ``rule:``."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; available: {', '.join(ENGINES)}")
    started = time.perf_counter()
    try:
        query = test_file.compile() if query is None else query
    except CQLError as err:
        message = err.render(str(test_file.rule))
        names = [("diagnostics", test_file.diagnostics_line)] if test_file.diagnostics else []
        names += [(case.name, case.line) for case in test_file.cases]
        return [
            CaseResult(test_file.path, name, "error", message, line=line) for name, line in names
        ]
    except (OSError, UnicodeDecodeError) as err:
        message = f"cannot read the rule {test_file.rule}: {_reason(err)}"
        return [
            CaseResult(test_file.path, case.name, "error", message, line=case.line)
            for case in test_file.cases
        ]
    compiled = time.perf_counter() - started
    results: list[CaseResult] = []
    if test_file.diagnostics is not None:
        failure = check_diagnostics(query, test_file.diagnostics, str(test_file.rule))
        results.append(
            CaseResult(
                test_file.path,
                "diagnostics",
                "failed" if failure else "passed",
                failure or "",
                compiled,
                test_file.diagnostics_line,
            )
        )
    for case in test_file.cases:
        results.append(run_case(test_file, query, case, engine))
    return results


def check_diagnostics(query: CompiledQuery, expected: list[str], rule_name: str) -> str | None:
    """None when every expected code is among the rule's diagnostics, else
    what is missing and what was reported."""
    reported = [d.code for d in query.diagnostics]
    missing = [code for code in expected if code not in reported]
    if not missing:
        return None
    lines = [f"expected diagnostics not reported: {', '.join(missing)}"]
    if query.diagnostics:
        lines.append("the rule reports:")
        lines.extend(d.render(query.text, rule_name) for d in query.diagnostics)
    else:
        lines.append("the rule reports no diagnostics")
    return "\n".join(lines)


def run_case(test_file: TestFile, query: CompiledQuery, case: Case, engine: str) -> CaseResult:
    """One case; never raises for a failing rule or a bad event file."""
    started = time.perf_counter()
    try:
        if case.rows is not None:
            message = _check_rows(query, case, engine)
        else:
            message = _check_events(query, case, engine)
        outcome = "failed" if message else "passed"
    except _EventFileError as err:
        outcome, message = "error", str(err)
    except OSError as err:
        outcome, message = "error", f"cannot read the events: {err}"
    seconds = time.perf_counter() - started
    return CaseResult(test_file.path, case.name, outcome, message or "", seconds, case.line)


class _EventFileError(Exception):
    """An NDJSON event file with a line that is not a JSON object."""


def _check_rows(query: CompiledQuery, case: Case, engine: str) -> str | None:
    source = case.events
    actual = query.run(source.file if source.file is not None else source.inline or [], engine)
    expected = case.rows or []
    if case.ordered:
        same = actual == expected
    else:
        same = sorted(_canonical(r) for r in actual) == sorted(_canonical(r) for r in expected)
    if same:
        return None
    return diff_rows(expected, actual, ordered=case.ordered)


def _events_of(source: EventSource) -> list[dict[str, Any]]:
    if source.inline is not None:
        return source.inline
    assert source.file is not None
    events = []
    with open(source.file, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as err:
                raise _EventFileError(f"{source.file}:{number}: not JSON: {err}") from None
            if not isinstance(obj, dict):
                kind = type(obj).__name__
                raise _EventFileError(f"{source.file}:{number}: not a JSON object but {kind}")
            events.append(obj)
    return events


def _check_events(query: CompiledQuery, case: Case, engine: str) -> str | None:
    problems: list[str] = []
    source = case.events
    events = _events_of(source)
    for index, event in enumerate(events):
        out = query.match(event, engine=engine)
        where = source.describe(index)
        if not case.kept:
            if out is not None:
                shown = _render_rows([out], _key_order([out]))
                problems.append(f"{where}: expected dropped, but it was kept as:\n{shown}")
            continue
        if out is None:
            problems.append(f"{where}: expected kept, but it was dropped")
            continue
        actual = {key: out.get(key) for key in case.fields}
        if actual != case.fields:
            problems.append(f"{where}: fields differ\n" + _diff_fields(case.fields, actual))
    if not problems:
        return None
    head = f"{len(problems)} of {len(events)} event(s) not as expected"
    return head + "\n" + "\n".join(problems)


# --- rendering ----------------------------------------------------------------------


def _canonical(row: Mapping[str, Any]) -> str:
    return json.dumps(sorted((str(k), str(v)) for k, v in row.items()))


def _key_order(*groups: Iterable[Mapping[str, Any]]) -> list[str]:
    """Keys in the order first seen, expected rows first, so both sides of a
    diff list fields in the order the test author wrote them."""
    order: dict[str, None] = {}
    for rows in groups:
        for row in rows:
            order.update(dict.fromkeys(str(k) for k in row))
    return list(order)


def _key(name: str) -> str:
    return name if _PLAIN_KEY.match(name) and not name.startswith(("#", "@")) else json.dumps(name)


def _render_rows(rows: Iterable[Mapping[str, Any]], order: list[str]) -> str:
    return "\n".join(_row_lines(rows, order))


def _row_lines(rows: Iterable[Mapping[str, Any]], order: list[str]) -> list[str]:
    """Rows as a YAML list that can be pasted into ``rows:`` as it is."""
    lines: list[str] = []
    for row in rows:
        keys = [k for k in order if k in row] + [k for k in row if k not in order]
        if not keys:
            lines.append("- {}")
        for position, key in enumerate(keys):
            lead = "- " if position == 0 else "  "
            lines.append(f"{lead}{_key(key)}: {json.dumps(str(row[key]), ensure_ascii=False)}")
    return lines


def diff_rows(
    expected: list[dict[str, str]], actual: list[dict[str, str]], ordered: bool = True
) -> str:
    """A unified diff of expected vs actual rows, each written as YAML the
    way ``rows:`` takes it (sorted first when order does not matter)."""
    if not ordered:
        expected = sorted(expected, key=_canonical)
        actual = sorted(actual, key=_canonical)
    order = _key_order(expected, actual)
    head = f"expected {len(expected)} row(s), got {len(actual)}"
    if not ordered:
        head += " (order ignored)"
    before, after = _row_lines(expected, order), _row_lines(actual, order)
    # Short outputs are shown whole; long ones with a few lines of context.
    context = max(len(before), len(after)) if max(len(before), len(after)) <= 120 else 6
    diff = difflib.unified_diff(before, after, "expected", "actual", lineterm="", n=context)
    return head + "\n" + "\n".join(diff)


def _diff_fields(expected: Mapping[str, str | None], actual: Mapping[str, str | None]) -> str:
    def lines(values: Mapping[str, str | None]) -> list[str]:
        return [
            f"  {_key(k)}: {'null  # absent' if v is None else json.dumps(v, ensure_ascii=False)}"
            for k, v in values.items()
        ]

    diff = difflib.unified_diff(
        lines(expected), lines(actual), "expected", "actual", lineterm="", n=len(expected)
    )
    return "\n".join(diff)


# --- JUnit XML ------------------------------------------------------------------------


def junit_xml(
    results: Sequence[CaseResult],
    load_errors: Sequence[DetectionTestError] = (),
    engine: str = "",
) -> str:
    """JUnit XML (the dialect CI systems read): one ``testsuite`` per test
    file, one ``testcase`` per case; a file that cannot be loaded is a suite
    with a single errored case."""
    root = ET.Element("testsuites", name="cqlmatch")
    by_file: dict[str, list[CaseResult]] = {}
    for result in results:
        by_file.setdefault(str(result.file), []).append(result)
    totals = {"tests": 0, "failures": 0, "errors": 0}
    total_time = 0.0
    for name, items in by_file.items():
        suite = ET.SubElement(root, "testsuite", name=name)
        failures = sum(r.outcome == "failed" for r in items)
        errors = sum(r.outcome == "error" for r in items)
        seconds = sum(r.seconds for r in items)
        suite.set("tests", str(len(items)))
        suite.set("failures", str(failures))
        suite.set("errors", str(errors))
        suite.set("skipped", "0")
        suite.set("time", f"{seconds:.6f}")
        classname = _classname(name) + (f"[{engine}]" if engine else "")
        for result in items:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=classname,
                name=result.name,
                file=name,
                line=str(result.line),
                time=f"{result.seconds:.6f}",
            )
            if result.outcome != "passed":
                tag = "failure" if result.outcome == "failed" else "error"
                child = ET.SubElement(case, tag, message=result.message.split("\n")[0])
                child.text = result.message
        totals["tests"] += len(items)
        totals["failures"] += failures
        totals["errors"] += errors
        total_time += seconds
    for err in load_errors:
        suite = ET.SubElement(
            root, "testsuite", name=err.path, tests="1", failures="0", errors="1", skipped="0"
        )
        suite.set("time", "0")
        case = ET.SubElement(suite, "testcase", classname=_classname(err.path), name="load")
        child = ET.SubElement(case, "error", message=str(err))
        child.text = str(err)
        totals["tests"] += 1
        totals["errors"] += 1
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{total_time:.6f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _classname(path: str) -> str:
    """``rules/tests/x.cqltest.yaml`` -> ``rules.tests.x`` (CI tools group on dots)."""
    name = path
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name.replace("\\", "/").strip("./").replace("/", ".").replace("..", ".")


# --- the text report ------------------------------------------------------------------

_LABELS = {"passed": "ok", "failed": "FAIL", "error": "ERROR"}


def render_results(results: Sequence[CaseResult], quiet: bool = False) -> str:
    """The lines ``cqlmatch test`` prints for one file's results: a status per
    case and, under a failure, its message indented (a message shared by
    several cases, such as a rule that does not compile, is shown once)."""
    lines: list[str] = []
    shown: set[str] = set()
    for result in results:
        if quiet and result.passed:
            continue
        lines.append(f"  {_LABELS[result.outcome]:<5} {result.name}")
        if result.message and result.message not in shown:
            shown.add(result.message)
            lines.extend(f"        {line}".rstrip() for line in result.message.split("\n"))
    return "\n".join(lines)


def summary(results: Sequence[CaseResult], load_errors: int, files: int, seconds: float) -> str:
    """One line: counts of each outcome, files, and time."""
    counts = {name: sum(r.outcome == name for r in results) for name in _LABELS}
    text = f"{counts['passed']} passed, {counts['failed']} failed, {counts['error']} errors"
    if load_errors:
        text += f", {load_errors} test file(s) not loaded"
    return f"{text} ({files} file(s)) in {seconds:.2f} s"
