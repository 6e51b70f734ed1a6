"""Types of the ingest kernels (cext/scan.pyx)."""

from typing import Any

def scan(
    block: bytes,
    groups: tuple[tuple[bytes, ...], ...],
    escapes: bytes,
    slash: bool,
    packed: bool = False,
    folds: tuple[tuple[bool, ...], ...] | None = None,
    start: int = 0,
    end: int = -1,
    scope: tuple[tuple[tuple[tuple[bytes, ...], ...] | None, ...], bytes, bool] | None = None,
) -> tuple[Any, int]: ...
def _use_kernel(name: str | None = None) -> str: ...
def join_lines(block: bytes, spans: list[tuple[int, int]]) -> tuple[bytes, bool]: ...
def gather(
    rows: list[Any], own: tuple[str, ...], fallback: tuple[str | None, ...], unset: object
) -> tuple[list[str | None], ...]: ...
def utf8_valid(data: bytes) -> bool: ...
