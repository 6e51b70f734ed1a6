"""Types of the native module built from cext/hsscan.pyx (where libhs is)."""

from collections.abc import Iterable

def version() -> str: ...

class LiteralScanner:
    count: int
    max_id: int
    capsule: object
    def __init__(
        self,
        patterns: list[bytes],
        ids: Iterable[int] | None = None,
        database: bytes | None = None,
    ) -> None: ...
    def serialize(self) -> bytes: ...
    def found(self, data: bytes) -> list[int]: ...
