"""pytest plugin (entry point ``pytest11``): detection tests and rule benchmarks.

Installed with cqlmatch, so a plain ``pytest`` run

- collects every ``*.cqltest.yaml`` / ``*.cqltest.yml`` file it is pointed at
  (or finds under ``testpaths``) and runs each case as a test item, failing
  with the same diff as ``cqlmatch test``; items carry the ``cqltest``
  marker.  ``--cql-engine`` picks the engine (``vm``, ``reference`` or
  ``all``; repeatable; default ``vm``).
- offers the ``cql_benchmark`` fixture, which times a rule over an NDJSON
  file with pytest-benchmark (``pytest --benchmark-only``).

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
    from ..runtime.query import CompiledQuery
    from .detection import Case, TestFile

MARKER = "cqltest"


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
    from ..runtime.query import ENGINES

    chosen = config.getoption("--cql-engine") or [ENGINES[0]]
    if "all" in chosen:
        return list(ENGINES)
    return list(dict.fromkeys(chosen))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    from .detection import is_test_file

    if is_test_file(file_path):
        return CQLTestFile.from_parent(parent, path=file_path)
    return None


class CQLTestFile(pytest.File):
    """One ``*.cqltest.yaml`` file: its cases, once per engine."""

    test_file: TestFile

    def collect(self) -> Iterator[pytest.Item]:
        from .detection import DetectionTestError, load

        try:
            self.test_file = load(self.path)
        except DetectionTestError as err:
            # CollectError is shown as its message alone, without a traceback.
            raise self.CollectError(str(err)) from None
        self._queries: dict[str, CompiledQuery | BaseException] = {}
        engines = _engines(self.config)
        for engine in engines:
            suffix = f"[{engine}]" if len(engines) > 1 else ""
            if self.test_file.diagnostics is not None:
                yield CQLTestItem.from_parent(
                    self, name=f"diagnostics{suffix}", case=None, engine=engine
                )
            for case in self.test_file.cases:
                yield CQLTestItem.from_parent(
                    self, name=f"{case.name}{suffix}", case=case, engine=engine
                )

    def query(self, engine: str) -> CompiledQuery:
        """The rule compiled once per file (any engine runs the same compiled
        query); a compile error is kept and raised for every case."""
        from ..errors import CQLError

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
        from ..errors import CQLError

        if isinstance(err, CQLError):
            return err.render(str(self.test_file.rule))
        if isinstance(err, UnicodeDecodeError):  # changed since loading; quote none of it
            return f"cannot read the rule {self.test_file.rule}: not a CQL query (not UTF-8 text)"
        return f"cannot read the rule {self.test_file.rule}: {err}"


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
        from .detection import check_diagnostics, run_case

        parent = self.parent
        assert isinstance(parent, CQLTestFile)
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
        elif isinstance(self.parent, CQLTestFile):
            line = self.parent.test_file.diagnostics_line - 1
        return self.path, line, f"{self.name} [{self.engine}]"


@pytest.fixture
def cql_benchmark(
    request: pytest.FixtureRequest, benchmark: Any
) -> Callable[..., list[dict[str, str]]]:
    """Benchmark a rule over an NDJSON event file with pytest-benchmark.

    ``cql_benchmark(rule_path, events_path, engine="vm", params=None,
    lookups=None, strict=False)`` compiles the rule once, times
    ``CompiledQuery.run`` over the file, records events, bytes and rows in
    the benchmark's ``extra_info`` and returns the rows.  Relative paths are
    taken from the folder of the test module, as in ``*.cqltest.yaml`` files.
    Needs pytest-benchmark (its ``benchmark`` fixture; ``--benchmark-only``
    selects the tests that use it)."""
    base = request.path.parent

    def run(
        rule_path: str | Path,
        events_path: str | Path,
        engine: str = "vm",
        params: Mapping[str, str] | None = None,
        lookups: Mapping[str, str] | None = None,
        strict: bool = False,
    ) -> list[dict[str, str]]:
        from ..runtime.query import compile_file

        rule = base / rule_path
        events = base / events_path
        query = compile_file(str(rule), strict=strict, params=params, lookups=lookups)
        size = events.stat().st_size
        rows = benchmark(query.run, str(events), engine)
        benchmark.extra_info.update(
            rule=str(rule), engine=engine, events=rows.events_read, bytes=size, rows=len(rows)
        )
        return rows

    return run
