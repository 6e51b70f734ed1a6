"""Every limit named in ``limits.py`` is in docs/security.md's limits table."""

from __future__ import annotations

import re
from pathlib import Path

from cqlmatch import limits

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def _table_names() -> set[str]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Limits", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", section, flags=re.MULTILINE))


def test_every_limit_is_in_the_security_table() -> None:
    names = {n for n in vars(limits) if n.isupper() and not n.startswith("_")}
    assert names, "no limits found"
    missing = sorted(names - _table_names())
    assert not missing, f"limits.py names missing from docs/security.md's limits table: {missing}"


def test_the_table_names_only_real_limits() -> None:
    names = {n for n in vars(limits) if n.isupper()}
    assert not sorted(_table_names() - names)
