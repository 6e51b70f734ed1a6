"""Fuzz the lexer and parser: any bytes (as UTF-8 text, undecodable bytes as
lone surrogates) give a tree or a ``CQLSyntaxError`` that points into the
text.  Run: ``.venv/bin/python fuzz/fuzz_parser.py fuzz/corpus/parser
-dict=fuzz/cql.dict -max_total_time=600`` (see fuzz/README.md)."""

from __future__ import annotations

import _driver

with _driver.instrumented():
    from fuzz.oracles import check_parse, decode_text


def one_input(data: bytes) -> None:
    check_parse(decode_text(data))


if __name__ == "__main__":
    _driver.main(one_input)
