"""How often the compiler has RE2 compile a regex set: a field with one
regex is decided once (does it fit a set? cached) and gets no second trial
of its whole set; a field with several regexes still tries its set (E231)."""

from __future__ import annotations

import pytest

import cqlmatch
from cqlmatch.bytecode import compiler
from cqlmatch.bytecode.disasm import get_instructions
from cqlmatch.bytecode.opcodes import Op


@pytest.fixture
def compiles(monkeypatch):
    calls: list[tuple[str, ...]] = []
    real = compiler.RegexSet

    class Counting(real):  # type: ignore[misc, valid-type]
        def __init__(self, *args, **kwargs):
            self.added: list[str] = []

        def add(self, pattern, *args, **kwargs):
            self.added.append(pattern)
            return super().add(pattern, *args, **kwargs)

        def compile(self):
            calls.append(tuple(self.added))
            return super().compile()

    monkeypatch.setattr(compiler, "RegexSet", Counting)
    compiler._fits_pattern.cache_clear()
    yield calls
    compiler._fits_pattern.cache_clear()


def test_one_regex_on_a_field_is_tried_once(compiles) -> None:
    query = "FileName=/" + "|".join(f"a{i}" for i in range(2000)) + "/"
    program = cqlmatch.compile(query).program
    assert len(compiles) == 1  # the fits-a-set decision; the set itself is not tried again
    assert Op.TEST_REGEX in [i.op for i in get_instructions(program)]
    assert cqlmatch.compile(query).program.regex_sets
    assert len(compiles) == 1  # the decision is cached


def test_several_regexes_on_a_field_try_their_set(compiles) -> None:
    program = cqlmatch.compile("a=/x+y/ a=/z+w/").program
    assert len(program.regex_sets[0].patterns) == 2
    assert len(compiles) == 3  # each pattern's decision, then the set of both
