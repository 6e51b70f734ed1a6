"""Generated telemetry with the lines that send a block down the per-event
path: what the column paths (packs and single queries) are tested over."""

from __future__ import annotations

import json

from cqlmatch.synth.gen import generate_lines


def awkward_telemetry(count: int, seed: int, malicious_rate: float) -> bytes:
    """``count`` generated lines with, a quarter, a half and three quarters
    of the way in, a malformed line, a value that is not a string, and a
    ``\\u00XX`` escape on a line ending in CRLF (the blocks holding them come
    as events, the others as column batches)."""
    lines = list(generate_lines(count, seed=seed, malicious_rate=malicious_rate))
    lines[count // 4] = b'{"event_simpleName": "ProcessRollup2", "CommandLine": \n'
    lines[count // 2] = (
        json.dumps({"event_simpleName": "ProcessRollup2", "CommandLine": 7}).encode() + b"\n"
    )
    lines[3 * count // 4] = (
        b'{"event_simpleName":"ProcessRollup2","CommandLine":"cmd \\u003d x"}\r\n'
    )
    return b"".join(lines)
