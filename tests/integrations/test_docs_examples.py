"""docs/embedding.md shows only tested configurations: every fenced block
that is a configuration (any block not marked ``python``, ``sh``, ``text``
or ``json``) is, byte for byte, a file under examples/, which the tests in
this folder run in the real shippers."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "embedding.md"
NOT_CONFIGURATIONS = {"python", "sh", "text", "json"}
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def configuration_blocks(markdown: str) -> list[str]:
    """The text of each fenced block that is a configuration, as shown."""
    return [
        body
        for info, body in FENCE.findall(markdown)
        if info.strip().split(" ")[0] not in NOT_CONFIGURATIONS
    ]


def test_the_blocks_are_found() -> None:
    blocks = configuration_blocks(
        "x\n```python\nprint(1)\n```\n```\na=1\n```\n```conf\nb=2\n\nc=3\n```\n"
    )
    assert blocks == ["a=1\n", "b=2\n\nc=3\n"]


def test_every_configuration_in_the_embedding_page_is_a_file_under_examples() -> None:
    files = {
        path.read_text(encoding="utf-8"): path
        for path in (ROOT / "examples").rglob("*")
        if path.is_file()
    }
    blocks = configuration_blocks(DOC.read_text(encoding="utf-8"))
    assert len(blocks) >= 2  # the rsyslog ones at least
    for block in blocks:
        first = block.splitlines()[0] if block else ""
        assert block in files, f"docs/embedding.md shows a configuration no example has: {first!r}"
    shown = {files[block].relative_to(ROOT).as_posix() for block in blocks}
    assert {"examples/rsyslog/omprog.conf", "examples/rsyslog/mmexternal.conf"} <= shown
