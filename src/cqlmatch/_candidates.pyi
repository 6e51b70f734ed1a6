"""Types of the native module built from cext/candidates.pyx."""

from collections.abc import Iterable
from typing import Any

class CandidateIndex:
    states: int
    scan_patterns: list[bytes]
    always_admits: bool
    scanner_name: str
    typed: int
    nliterals: int
    def __init__(self, literals: list[bytes], rules: list[list[list[int]]]) -> None: ...
    def choose(self, rules: list[list[list[int]]]) -> None: ...
    def literal_counts(self, lines: list[str | bytes]) -> list[int]: ...
    def use_scanner(self, scanner: Any) -> None: ...
    def used_literals(self) -> list[int]: ...
    def use_typed_scanners(
        self,
        name: str | None,
        by_type: dict[str, int],
        scanners: list[Any],
        untyped: int = -1,
        admitted: list[list[int] | None] | None = None,
    ) -> None: ...
    def candidates(self, lines: list[str | bytes]) -> list[list[int]]: ...
    def pairs(
        self,
        lines: list[str | bytes],
        wanted: Iterable[int] | None = None,
        fields: list[Any] | None = None,
        columns: tuple[list[Any], ...] | None = None,
        names: tuple[str, ...] | None = None,
    ) -> tuple[memoryview, memoryview, list[list[int]]]: ...
    def admits(self, line: str | bytes) -> bool: ...
    def scan_block(self, block: bytes, packed: bool = False) -> tuple[Any, int]: ...
