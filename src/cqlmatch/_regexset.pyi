"""Type stub for the native module built from cext/regexset.pyx."""

from typing import Final, Literal

DEFAULT_MAX_MEM: Final[int]

class RegexSetError(ValueError):
    """An invalid pattern, misuse of the set, or RE2 running out of memory."""

class RegexSet:
    """A set of RE2 patterns compiled together and matched in one pass."""

    @property
    def anchor(self) -> Literal["unanchored", "start", "both"]: ...
    @property
    def max_mem(self) -> int: ...
    @property
    def patterns(self) -> tuple[str | bytes, ...]: ...
    @property
    def compiled(self) -> bool: ...
    def __init__(
        self,
        *,
        anchor: Literal["unanchored", "start", "both"] = "unanchored",
        max_mem: int = ...,
    ) -> None: ...
    def add(
        self,
        pattern: str | bytes,
        *,
        case_insensitive: bool = False,
        dot_nl: bool = False,
        literal: bool = False,
    ) -> int: ...
    def compile(self) -> None: ...
    def match(self, text: str | bytes) -> list[int]: ...
    def match_any(self, text: str | bytes) -> bool: ...
    def __len__(self) -> int: ...
