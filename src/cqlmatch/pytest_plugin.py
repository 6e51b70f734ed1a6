"""pytest plugin (entry point ``pytest11``): detection tests and rule benchmarks.

Installed with cqlmatch, so a plain ``pytest`` run

- collects every ``*.cqltest.yaml`` / ``*.cqltest.yml`` file it is pointed at
  (or finds under ``testpaths``) and runs each case as a test item, failing
  with the same diff as ``cqlmatch test``; items carry the ``cqltest``
  marker.  ``--cql-engine`` picks the engine (``vm``, ``reference`` or
  ``all``; repeatable; default ``vm``).
- collects every rule pack manifest named ``*.cqlpack.yaml`` /
  ``*.cqlpack.yml``: the detection tests each rule names (``tests:``) run
  against the pack's own compiled rule, as ``cqlmatch pack test`` runs
  them; a rule the pack leaves out is a failing item with the reason.
- offers the ``cql_benchmark`` fixture, which times a rule, or a pack (a
  manifest or a folder of ``.cql`` files), over an NDJSON file with
  pytest-benchmark (``pytest --benchmark-only``).

Nothing else is collected: the naming convention keeps unrelated YAML out.
Imports of the engine are deferred to the hooks that need them, so the
plugin costs nothing in projects that have no detection tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .runtime.query import CompiledQuery
    from .testing.detection import Case, TestFile

MARKER = "cqltest"
PACK_SUFFIXES = (".cqlpack.yaml", ".cqlpack.yml")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cqlmatch", "cqlmatch detection tests")
    group.addoption(
        "--cql-engine",
        action="append",
        choices=("vm", "reference", "all"),
        default=None,
        help="engine for *.cqltest.yaml cases (repeatable; 'all' = every engine; default vm)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}: a case from a *.cqltest.yaml detection test")


def _engines(config: pytest.Config) -> list[str]:
    from .runtime.query import ENGINES

    chosen = config.getoption("--cql-engine") or [ENGINES[0]]
    if "all" in chosen:
        return list(ENGINES)
    return list(dict.fromkeys(chosen))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    from .testing.detection import is_test_file

    if is_test_file(file_path):
        return CQLTestFile.from_parent(parent, path=file_path)
    if file_path.name.endswith(PACK_SUFFIXES):
        return CQLPackFile.from_parent(parent, path=file_path)
    return None


def _case_items(parent: pytest.Collector, test_file: TestFile) -> Iterator[pytest.Item]:
    """A test file's cases (and its ``diagnostics:`` check), once per engine."""
    engines = _engines(parent.config)
    for engine in engines:
        suffix = f"[{engine}]" if len(engines) > 1 else ""
        if test_file.diagnostics is not None:
            yield CQLTestItem.from_parent(
                parent, name=f"diagnostics{suffix}", case=None, engine=engine
            )
        for case in test_file.cases:
            yield CQLTestItem.from_parent(
                parent, name=f"{case.name}{suffix}", case=case, engine=engine
            )


class CQLTestFile(pytest.File):
    """One ``*.cqltest.yaml`` file: its cases, once per engine."""

    test_file: TestFile

    def collect(self) -> Iterator[pytest.Item]:
        from .testing.detection import DetectionTestError, load

        try:
            self.test_file = load(self.path, rule_required=False)
        except DetectionTestError as err:
            # CollectError is shown as its message alone, without a traceback.
            raise self.CollectError(str(err)) from None
        if self.test_file.rule is None:
            return  # a pack rule's tests: collected through the pack's manifest
        self._queries: dict[str, CompiledQuery | BaseException] = {}
        yield from _case_items(self, self.test_file)

    def query(self, engine: str) -> CompiledQuery:
        """The rule compiled once per file (any engine runs the same compiled
        query); a compile error is kept and raised for every case."""
        from .errors import CQLError

        if "rule" not in self._queries:
            try:
                self._queries["rule"] = self.test_file.compile()
            except (CQLError, OSError, UnicodeDecodeError) as err:
                self._queries["rule"] = err
        found = self._queries["rule"]
        if isinstance(found, BaseException):
            raise CQLTestFailure(self._rule_error(found))
        return found

    def _rule_error(self, err: BaseException) -> str:
        from .errors import CQLError

        if isinstance(err, CQLError):
            return err.render(str(self.test_file.rule))
        if isinstance(err, UnicodeDecodeError):  # changed since loading; quote none of it
            return f"cannot read the rule {self.test_file.rule}: not a CQL query (not UTF-8 text)"
        return f"cannot read the rule {self.test_file.rule}: {err}"


class CQLPackFile(pytest.File):
    """A pack manifest: the tests of each of its rules, against the pack's rule."""

    def collect(self) -> Iterator[pytest.Item | pytest.Collector]:
        from .packs.model import PackError
        from .packs.pack import compile_pack

        try:
            pack = compile_pack(self.path)
        except PackError as err:
            raise self.CollectError(str(err)) from None
        for problem in pack.problems:
            yield CQLLeftOut.from_parent(self, name=f"{problem.rule} (left out)", problem=problem)
        for rule in pack.compiled:
            if rule.source.tests is not None:
                yield CQLPackRule.from_parent(self, name=rule.id, rule=rule)


class CQLLeftOut(pytest.Item):
    """A rule the pack leaves out: a failing item saying why."""

    def __init__(self, *, problem: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.problem = problem
        self.add_marker(MARKER)

    def runtest(self) -> None:
        raise CQLTestFailure(f"the pack leaves this rule out: {self.problem}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        return str(excinfo.value)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, 0, self.name  # (a skip report needs a line)


class CQLPackRule(pytest.Collector):
    """One pack rule's test file: its cases, once per engine."""

    def __init__(self, *, rule: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rule = rule

    def collect(self) -> Iterator[pytest.Item]:
        from .testing.detection import DetectionTestError, load

        try:
            self.test_file = load(self.rule.source.tests, rule_required=False)
        except DetectionTestError as err:
            raise self.CollectError(f"rule {self.rule.id}: {err}") from None
        yield from _case_items(self, self.test_file)

    def query(self, engine: str) -> CompiledQuery:
        return self.rule.query


class CQLTestFailure(Exception):
    """A failed case; the message is the diff or explanation to show."""


class CQLTestItem(pytest.Item):
    """One case of a detection test file on one engine."""

    def __init__(self, *, case: Case | None, engine: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.engine = engine
        self.add_marker(MARKER)

    def runtest(self) -> None:
        from .testing.detection import check_diagnostics, run_case

        parent = self.parent
        assert isinstance(parent, CQLTestFile | CQLPackRule)
        query = parent.query(self.engine)
        test_file = parent.test_file
        if self.case is None:
            expected = test_file.diagnostics or []
            failure = check_diagnostics(query, expected, str(test_file.rule))
            if failure:
                raise CQLTestFailure(failure)
            return
        result = run_case(test_file, query, self.case, self.engine)
        if not result.passed:
            raise CQLTestFailure(result.message)

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str:
        if isinstance(excinfo.value, CQLTestFailure):
            return f"{self.path}: {self.name} (engine {self.engine})\n{excinfo.value}"
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        line = None
        if self.case is not None:
            line = self.case.line - 1
        elif isinstance(self.parent, CQLTestFile | CQLPackRule):
            line = self.parent.test_file.diagnostics_line - 1
        return self.path, line, f"{self.name} [{self.engine}]"


@pytest.fixture
def cql_benchmark(
    request: pytest.FixtureRequest, benchmark: Any
) -> Callable[..., list[dict[str, str]]]:
    """Benchmark a rule or a pack over an NDJSON event file with pytest-benchmark.

    ``cql_benchmark(rule_path, events_path, engine="vm", params=None,
    lookups=None, strict=False)`` compiles the rule once, times
    ``CompiledQuery.run`` over the file, records events, bytes and rows in
    the benchmark's ``extra_info`` and returns the rows.  A ``rule_path``
    that is a pack (a folder, or a ``.yaml``/``.yml`` manifest) is compiled
    with ``compile_pack`` and ``Pack.run`` is timed (one worker; rules and
    hits recorded); ``engine`` and ``params`` do not apply to it.  Relative
    paths are taken from the folder of the test module, as in
    ``*.cqltest.yaml`` files.  Needs pytest-benchmark (its ``benchmark``
    fixture; ``--benchmark-only`` selects the tests that use it)."""
    base = request.path.parent

    def run(
        rule_path: str | Path,
        events_path: str | Path,
        engine: str = "vm",
        params: Mapping[str, str] | None = None,
        lookups: Mapping[str, str] | None = None,
        strict: bool = False,
    ) -> list[dict[str, str]]:
        from .runtime.query import compile_file

        rule = base / rule_path
        events = base / events_path
        if rule.is_dir() or rule.name.endswith((".yaml", ".yml")):
            from .packs.pack import compile_pack

            pack = compile_pack(rule, strict=strict, lookups=lookups)
            hits = benchmark(pack.run, str(events), workers=1)
            benchmark.extra_info.update(
                pack=str(rule),
                rules=len(pack),
                events=hits.events_read,
                bytes=events.stat().st_size,
                rows=len(hits),
            )
            return hits
        query = compile_file(str(rule), strict=strict, params=params, lookups=lookups)
        size = events.stat().st_size
        rows = benchmark(query.run, str(events), engine)
        benchmark.extra_info.update(
            rule=str(rule), engine=engine, events=rows.events_read, bytes=size, rows=len(rows)
        )
        return rows

    return run
