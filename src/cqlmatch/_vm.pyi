"""Type stub for the native module built from cext/vm.pyx (and its parts,
cext/vm/*.pxi)."""

from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from typing import Any, Final, Protocol

from cqlmatch.bytecode.program import GroupPlan, Program
from cqlmatch.lang.events import Event

#: Groups a partial table keeps (cqlmatch.limits.PARTIAL_GROUPS).
PARTIAL_GROUPS: Final[int]
#: RE2 memory budget for one regex set (cqlmatch.limits.REGEX_MAX_MEM).
REGEX_MAX_MEM: Final[int]

class SlowPath(Protocol):
    """What a Machine calls back for the instructions it does not run itself."""

    def test_node(self, index: int, event: Event) -> Event | None: ...
    def stage_node(self, index: int, event: Event) -> Iterable[Event]: ...
    def warn(self, code: str, message: str) -> None: ...

class GroupTable:
    """The state of a native groupBy: groups in first-appearance order with
    their aggregates; merges (in input order) and pickles."""

    @property
    def plan(self) -> GroupPlan: ...
    @property
    def limit_reached(self) -> bool: ...
    @property
    def size(self) -> int: ...
    @property
    def group_limit(self) -> int: ...
    def __init__(self, plan: GroupPlan, nfields: int) -> None: ...
    def merge(self, other: GroupTable) -> None: ...
    def __reduce__(self) -> tuple[Any, ...]: ...

class Machine:
    """Runs one compiled program."""

    @property
    def program(self) -> Program: ...
    @property
    def regex_calls(self) -> int: ...
    @property
    def ascii_subsets(self) -> int: ...
    @property
    def regex_gated(self) -> int: ...
    @property
    def native(self) -> bool: ...
    def __init__(
        self, program: Program, slow: SlowPath, lazy_sets: bool = False, parse_sets: bool = True
    ) -> None: ...
    def run(self, events: Iterable[Event]) -> list[Event]: ...
    def run_rules(
        self,
        events: list[Event],
        starts: Any,
        shapes: Any,
        shape_start: Any,
        shape_rules: Any,
        evaluated: Any,
        nanos: Any,
    ) -> list[tuple[int, int]]: ...
    def run_rules_columns(
        self,
        columns: tuple[list[Any], ...],
        size: int,
        starts: Any,
        shapes: Any,
        shape_start: Any,
        shape_rules: Any,
        evaluated: Any,
        nanos: Any,
    ) -> list[tuple[int, int]]: ...
    def new_table(self, partial: bool = False) -> GroupTable: ...
    def aggregate(self, events: Iterable[Event], table: GroupTable | None = None) -> GroupTable: ...
    def aggregate_columns(
        self,
        columns: tuple[list[str | None], ...],
        raws: list[str] | None = None,
        table: GroupTable | None = None,
    ) -> GroupTable: ...
    def accepted_rows(
        self, columns: tuple[list[str | None], ...], raws: list[str] | None = None
    ) -> list[int]: ...
    def fold(self, events: Iterable[Event], table: GroupTable) -> GroupTable: ...
    def group(self, events: Iterable[Event]) -> list[Event]: ...
    def count_order(
        self, table: GroupTable, aggregate: int, descending: bool, limit: int
    ) -> list[int]: ...
    def rows(self, table: GroupTable, order: Iterable[int] | None = None) -> list[Event]: ...

class DictMatcher:
    """One native program's per-event code over events given as dicts,
    read in place (cext/vm/dictevents.pxi)."""

    table: GroupTable | None
    kept: int
    def __init__(
        self,
        factory: Callable[[], Machine],
        one: Callable[[Any], dict[str, Any] | None],
        item: Callable[[Any], dict[str, Any] | None],
        edit: Callable[
            [Mapping[str, Any], dict[str, str], dict[str, str], list[str]], dict[str, Any]
        ],
        lock: AbstractContextManager[Any],
        table: GroupTable | None = None,
    ) -> None: ...
    def match(self, event: Mapping[str, Any]) -> dict[str, Any] | None: ...
    def match_list(
        self, events: list[Any], errors: list[tuple[int, str]]
    ) -> list[dict[str, Any] | None]: ...
