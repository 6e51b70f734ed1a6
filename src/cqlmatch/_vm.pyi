from collections.abc import Iterable
from typing import Any

from .events import Event
from .program import Program

class Machine:
    regex_calls: int
    def __init__(self, program: Program, slow: Any) -> None: ...
    def run(self, events: Iterable[Event]) -> list[Event]: ...
    def group(self, events: list[Event]) -> list[Event]: ...
