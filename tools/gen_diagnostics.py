"""Write ``docs/diagnostics.md``, the page of every diagnostic code.

The table lives in ``src/cqlmatch/codes.py`` (``cqlmatch explain CODE``
prints one entry); this script renders all of it as Markdown: an index, then
one section per code with its explanation and example.

    python tools/gen_diagnostics.py          # (re)write the page
    python tools/gen_diagnostics.py --check  # exit 1 when the page is stale

``tests/semantics/test_diagnostics_doc.py`` fails when the page differs from
what ``render()`` gives, so a change to the table cannot ship with a stale page.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "diagnostics.md"

HEADER = (
    "<!-- Generated from src/cqlmatch/codes.py by tools/gen_diagnostics.py: do not edit. -->",
    "<!-- Regenerate with: python tools/gen_diagnostics.py -->",
)
INTRO = """\
Every diagnostic cqlmatch reports has a code that stays the same across
releases: `E` codes are errors (the query does not compile; `cqlmatch`
exits with status 1), `W` codes are warnings (the query runs). A diagnostic
is printed as `file:line:column: severity CODE: message` with a caret under
the part of the query it is about; a `CQLError` raised from Python carries
the `code`, `line` and `column` of its first error.

`cqlmatch explain CODE` prints one entry of this page, `cqlmatch explain
--list` the index. The `W30x` extensions are errors under `--strict`.
Run-time warnings (`W4xx`) come from running a query over events, so their
examples give events to run over."""

# Markdown would read these as emphasis, escapes or code in running text.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_])")


def _import_codes():
    """This checkout's codes.py, loaded by path: the table in the working
    tree, not an installed copy (codes.py imports nothing from cqlmatch)."""
    name = "_cqlmatch_codes_table"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "src" / "cqlmatch" / "codes.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look the module up while it runs
    spec.loader.exec_module(module)
    return module


def _text(paragraph: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", paragraph)


def _cell(text: str) -> str:
    return _text(text).replace("|", "\\|")


def render() -> str:
    """The text of ``docs/diagnostics.md`` for the current table."""
    codes = _import_codes()
    lines = [*HEADER, "", "# Diagnostic codes", "", INTRO, ""]
    lines += ["| code | severity | title |", "|---|---|---|"]
    for entry in codes.CODES.values():
        lines.append(
            f"| [{entry.code}](#{entry.code.lower()}) | {entry.severity} | {_cell(entry.title)} |"
        )
    for section in codes.SECTIONS:
        entries = [e for e in codes.CODES.values() if e.section == section]
        if not entries:
            continue
        lines += ["", f"## {codes.SECTION_TITLES[section]}"]
        for entry in entries:
            lines += ["", f"### {entry.code}", "", f"**{entry.severity}: {_text(entry.title)}**"]
            for paragraph in entry.explanation.split("\n\n"):
                lines += ["", _text(paragraph)]
            lines += ["", "```cql", codes.render_example(entry.example), "```"]
            if entry.events:
                lines += ["", "It warns when run over these events (NDJSON):", "", "```json"]
                lines += [json.dumps(event) for event in entry.events]
                lines.append("```")
    return "\n".join(lines) + "\n"


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when docs/diagnostics.md is stale"
    )
    args = parser.parse_args(argv)
    text = render()
    current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else None
    if args.check:
        if current != text:
            print(f"{_shown(TARGET)} is stale: run python tools/gen_diagnostics.py")
            return 1
        return 0
    if current != text:
        TARGET.write_text(text, encoding="utf-8")
        print(f"wrote {_shown(TARGET)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
