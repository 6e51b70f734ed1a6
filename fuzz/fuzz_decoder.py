"""Fuzz the event decoder: any bytes as an NDJSON line decode to exactly
``events.parse_line``'s fields (restricted to the requested names) or to a
``MalformedLine`` exactly when ``parse_line`` refuses the line; the raw-byte
prefilter never rules out a line the seed rule keeps and its C scan agrees
with the Python rule; the C field extractor declines or reads the line
exactly."""

from __future__ import annotations

import _driver

with _driver.instrumented():
    from fuzz.oracles import check_decode


def one_input(data: bytes) -> None:
    check_decode(data)


if __name__ == "__main__":
    _driver.main(one_input)
