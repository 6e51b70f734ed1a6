"""Comments survive formatting (docs/cli.md, ``fmt``): every ``//`` and
``/* */`` comment is printed beside the stage it stood beside, the printed
query means the same (the same tree), and printing again changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cqlmatch.cli.commands import main
from cqlmatch.errors import CQLError
from cqlmatch.syntax.parser import parse, parse_with_comments
from cqlmatch.syntax.printer import format_query

from ..conftest import CORPUS


def fmt(text: str) -> str:
    tree, comments = parse_with_comments(text)
    return format_query(tree, comments, text)


def texts(text: str) -> list[str]:
    return [c.text for c in parse_with_comments(text)[1]]


def check_round_trip(text: str) -> str:
    """The printed text, after checking the three promises on ``text``."""
    printed = fmt(text)
    assert parse(printed) == parse(text), printed  # the same meaning
    assert texts(printed) == texts(text), printed  # every comment, in order
    assert fmt(printed) == printed  # idempotent
    return printed


# Queries written for these tests, each with comments where people put them.
WRITTEN = [
    "// Encoded PowerShell started by an Office application\n"
    "#event_simpleName=ProcessRollup2 // the process starts\n"
    "| ParentBaseFileName=/(winword|excel)\\.exe/i\n"
    "/* -enc and its abbreviations */\n"
    "| CommandLine=/-e(nc|ncodedcommand)?\\s/i\n"
    "| table([ComputerName, CommandLine])\n",
    "#repo=base_sensor /* sensor data */ #event_simpleName=DnsRequest\n"
    "| groupBy([DomainName], function=count()) // one row per domain\n"
    "| sort(_count, limit=10)\n"
    "// the ten most asked-for domains\n",
    "case {\n"
    "  // Office children\n"
    '  ParentBaseFileName=winword.exe | kind := "office" ;\n'
    "  // script hosts\n"
    '  FileName=/^(w|c)script\\.exe$/i | kind := "script" // wscript or cscript\n'
    "  | CommandLine=*http* ;\n"
    '  * | kind := "other" // everything else\n'
    "  // nothing after this\n"
    "}\n"
    "| groupBy(kind)\n",
    "event_platform match {\n"
    '  Win => os := "windows" ; // the usual case\n'
    '  /* macOS */ Mac => os := "macos" ;\n'
    '  * => os := "other"\n'
    "}\n",
    "groupBy([aid, /* the host */ ComputerName], function=[count(), /* first seen */ min(@timestamp)])\n",
    "/* a block\n   over several lines\n   that ends here */\nFileName=cmd.exe",
    "// only a comment, no query\n",
    "a=1 /* one */ /* two */ // three\n| b=2",
    'url="https://example.com/path" // the // in the string is not a comment\n',
    "x := 1 + 2 /* arithmetic */ * 3\n| test(x > 6)",
    "join({#event_simpleName=UserLogon // the logons\n | UserName=*}, field=aid)",
]


@pytest.mark.parametrize("text", WRITTEN, ids=range(len(WRITTEN)))
def test_written_queries_keep_their_comments(text: str) -> None:
    check_round_trip(text)


def test_where_the_comments_go() -> None:
    assert fmt(WRITTEN[0]) == (
        "// Encoded PowerShell started by an Office application\n"
        "#event_simpleName=ProcessRollup2 // the process starts\n"
        "| ParentBaseFileName=/(winword|excel)\\.exe/i\n"
        "/* -enc and its abbreviations */\n"
        "| CommandLine=/-e(nc|ncodedcommand)?\\s/i\n"
        "| table([ComputerName, CommandLine])"
    )
    # inside a stage: before the stage; after the last stage: at the end
    assert fmt(WRITTEN[1]) == (
        "/* sensor data */\n"
        "#repo=base_sensor #event_simpleName=DnsRequest\n"
        "| groupBy([DomainName], function=count()) // one row per domain\n"
        "| sort(_count, limit=10)\n"
        "// the ten most asked-for domains"
    )


def test_case_and_match_branches_keep_theirs() -> None:
    assert fmt(WRITTEN[2]) == (
        "case {\n"
        "  // Office children\n"
        '  ParentBaseFileName=winword.exe\n    | kind := "office" ;\n'
        "  // script hosts\n"
        '  FileName=/^(w|c)script\\.exe$/i\n    | kind := "script" // wscript or cscript\n'
        "    | CommandLine=*http* ;\n"
        '  *\n    | kind := "other" // everything else\n'
        "    // nothing after this\n"
        "}\n"
        "| groupBy(kind)"
    )
    # a // after an arm's last stage would swallow the ';': it goes before the next arm
    assert fmt(WRITTEN[3]) == (
        "event_platform match {\n"
        '  Win => os := "windows" ;\n'
        "  // the usual case\n"
        "  /* macOS */\n"
        '  Mac => os := "macos" ;\n'
        '  * => os := "other"\n'
        "}"
    )


def test_without_comments_the_canonical_form_is_unchanged() -> None:
    text = "a=1   b=2 |count()"
    assert fmt(text) == format_query(parse(text)) == "a=1 b=2\n| count()"


def test_every_corpus_query_with_comments_round_trips() -> None:
    """Every query of the repository's corpus copy that parses and has a
    comment (the corpus of real LogScale queries, corpus/README.md)."""
    if not CORPUS.exists():
        pytest.fail(f"corpus not found at {CORPUS}: corpus/queries.jsonl is part of the repository")
    checked = 0
    with open(CORPUS, encoding="utf-8") as fh:
        for line in fh:
            text = json.loads(line)["query"]
            try:
                if not texts(text):
                    continue
            except CQLError:
                continue
            check_round_trip(text)
            checked += 1
    assert checked >= 800  # 839 when written: the check must not pass vacuously


def test_fmt_write_keeps_comments(tmp_path: Path) -> None:
    query = tmp_path / "q.cql"
    query.write_text("// keep me\na=1   b=2 |count() // and me\n", encoding="utf-8")
    assert main(["fmt", "--write", str(query)]) == 0
    assert query.read_text(encoding="utf-8") == "// keep me\na=1 b=2\n| count() // and me\n"
    assert main(["fmt", "--write", str(query)]) == 0
    assert query.read_text(encoding="utf-8") == "// keep me\na=1 b=2\n| count() // and me\n"
