"""Write the starting corpus of a fuzz target into ``fuzz/corpus/TARGET/``.

    .venv/bin/python fuzz/seed_corpus.py parser|compiler|decoder

``parser`` and ``compiler`` start from the real queries of the corpus
(corpus/queries.jsonl), the rules in rules/ and the seed rule;
``decoder`` from generated Falcon telemetry lines plus lines chosen to hit
the decoder's edges.  libFuzzer mutates these and adds what finds new code.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

CORPUS = ROOT / "corpus" / "queries.jsonl"
SEED = ROOT / "rules" / "seed" / "t1546_016.cql"

EDGE_LINES = [
    b'{"event_simpleName":"\\u0050rocessRollup2","FileName":"cmd.exe"}',
    b'{"a":1.50,"b":-0,"n":1e400,"c":{"d":[1,{"e":null}]}}',
    b'\xef\xbb\xbf{"a":"x"}\r',
    b'{"a":"\\ud800","b":"\\/x"}',
    b'{"a":"x","a":"y"}',
    b"[1,2,3]",
    b'{"a":"\xff"}',
    b'{"#event_simpleName":"NetworkConnectIP4","timestamp":1760000000000}',
    # The seed rule's (?i) installer names in other cases and spellings.
    b'{"event_simpleName":"ProcessRollup2","ParentBaseFileName":"DP\\u212aG","FileName":"bash"}',
    b'{"event_simpleName":"ProcessRollup2","ParentBaseFileName":"in\xc5\xbftaller","FileName":"sh"}',
    b'{"event_simpleName":"ProcessRollup2","ParentBaseFileName":"\\u0041PT","FileName":"sh"}',
    b'{"event_simpleName":"ProcessRollup2","ParentBaseFileName":"MSIEXEC.EXE","FileName":"cmd"}',
    b'{"a": "x"',
    b'{"n":' + b"9" * 5000 + b"}",
    b'{"x":' + b"[" * 50 + b"]" * 50 + b"}",
]


def queries() -> list[str]:
    texts = [SEED.read_text(encoding="utf-8")]
    texts += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "rules").glob("*.cql"))]
    with CORPUS.open(encoding="utf-8") as fh:
        for line in fh:
            item = json.loads(line)
            text = item.get("query") or item.get("text") or ""
            if text and len(text.encode()) <= 4096:
                texts.append(text)
    return texts


def lines() -> list[bytes]:
    from cqlmatch.synth.gen import generate_lines

    out = [bytes(line) for line in generate_lines(200, seed=11, malicious_rate=0.2)]
    return out + EDGE_LINES


def main(target: str) -> None:
    items = [t.encode() for t in queries()] if target in ("parser", "compiler") else lines()
    out = ROOT / "fuzz" / "corpus" / target
    out.mkdir(parents=True, exist_ok=True)
    for data in items:
        (out / hashlib.sha1(data).hexdigest()).write_bytes(data)
    print(f"{len(items)} inputs in {out}")


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in ("parser", "compiler", "decoder"):
        raise SystemExit(__doc__)
    main(sys.argv[1])
