"""Fuzz the checker and bytecode compiler: mutated corpus queries compile
(and run on a few events with both engines) or raise ``CQLError``; nothing
else escapes.  Seed the run with ``fuzz/seed_corpus.py compiler`` first."""

from __future__ import annotations

import _driver

with _driver.instrumented():
    from fuzz.oracles import check_compile, decode_text


def one_input(data: bytes) -> None:
    check_compile(decode_text(data))


if __name__ == "__main__":
    _driver.main(one_input)
