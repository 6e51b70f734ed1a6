"""Prefilter literals from text with characters JSON escapes: a backslash
or a quote is written escaped in the raw line, so such a literal cannot be
looked for as it is; its longest run of characters a JSON encoder never
escapes (three or more) must still be in the line.  Sigma rules write
Windows paths (``/\\\\rundll32\\.exe$/i``): before, their literals gave
the prefilter nothing."""

from __future__ import annotations

import json

import cqlmatch
from cqlmatch.bytecode.atoms import _safe_run
from cqlmatch.bytecode.compiler import compile_program
from cqlmatch.bytecode.program import Literal


def prefilter_of(query: str) -> tuple[tuple[Literal, ...], ...]:
    return compile_program(cqlmatch.compile(query).checked).prefilter


def test_safe_run() -> None:
    assert _safe_run("\\rundll32.exe") == "rundll32.exe"
    assert _safe_run('a"bcd\\efg') == "bcd"  # the first of the longest
    assert _safe_run("ab\\cd") == ""
    assert _safe_run("caf\u00e9s") == "caf"
    assert _safe_run("") == ""


def test_prefilter_takes_the_safe_part_of_a_literal() -> None:
    """A backslash or a quote is escaped in JSON: the literal's longest run
    of characters a JSON encoder never escapes still must be in the line."""
    assert prefilter_of(r"f=/\\rundll32\.exe$/i") == ((Literal("rundll32.exe", True, "f"),),)
    assert prefilter_of(r'f=/"C:\\Program Files/i') == ((Literal("program files", True, "f"),),)
    assert prefilter_of(r"f=/\\a\\/i") == ()  # no safe run of three characters
    # Of several runs, the longest that is not a word every Windows event holds.
    assert prefilter_of(r'f="C:\\Windows\\System32\\cmd.exe"') == (
        (Literal("cmd.exe", False, "f"),),
    )
    assert prefilter_of(r'f="C:\\Windows\\System32\\"') == ((Literal("Windows", False, "f"),),)
    assert prefilter_of(r"f=/\\ab\.exe$/i or f=/\\cd\.dll$/i") == (
        (Literal("ab.exe", True, "f"), Literal("cd.dll", True, "f")),
    )


def test_the_runs_never_change_the_rows(tmp_path) -> None:
    query = cqlmatch.compile(r'ImageFileName=/\\System32\\cmd\.exe$/i CommandLine="*\\Temp\\*"')
    assert [str(g[0]) for g in query.program.prefilter] == [
        "i'cmd.exe' in ImageFileName",
        "'Temp' in CommandLine",
    ]
    lines = []
    for image in ("C:\\Windows\\System32\\CMD.EXE", "C:\\System32\\cmd.exe", "cmd.exe"):
        for command in ("x \\Temp\\ y", "x \\temp\\ y", "\\Temp"):
            lines.append(json.dumps({"ImageFileName": image, "CommandLine": command}))
    lines.append(r'{"ImageFileName":"\\Sy\u0073tem32\\cmd.exe","CommandLine":"\\Temp\\"}')
    path = tmp_path / "events.ndjson"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    kept = list(query.run(str(path), workers=1))
    assert kept == list(query.run(str(path), workers=1, prefilter=False))
    assert len(kept) == 3


def test_a_regex_counts_by_its_most_telling_part() -> None:
    """Sigma's Falcon paths start with ``\\Device\\HarddiskVolume.``: the
    part after the wildcard tells more, so the prefilter looks for it."""
    query = r"f=/^\\Device\\HarddiskVolume.\\Windows\\cert\.exe$/i"
    assert prefilter_of(query) == ((Literal("cert.exe", True, "f"),),)
    # Only common words: the first part's best run.
    assert prefilter_of(r"f=/^\\Device\\HarddiskVolume.\\Windows\\/i") == (
        (Literal("device", True, "f"),),
    )


def test_free_text_needs_its_literals_in_the_line(tmp_path) -> None:
    """Free text searches the raw line and the values read from it: a line
    without the literal (in any spelling) cannot match, so an OR with a
    free-text branch keeps its group (before, it gave the prefilter nothing)."""
    query_text = r'CommandLine=/wevtutil cl/i or /"\\perfc\.dat"/i or "dllhost*ransoms"'
    assert prefilter_of(query_text) == (
        (
            Literal("dllhost"),
            Literal("perfc.dat", True),
            Literal("wevtutil cl", True, "CommandLine"),
        ),
    )
    assert prefilter_of(r"/(?<w>perfc)/ or CommandLine=abcd") == ()  # it extracts a field
    query = cqlmatch.compile(query_text)
    lines = [
        json.dumps({"CommandLine": "WEVTUTIL CL x"}),
        json.dumps({"Path": '"\\PERFC.dat"'}),  # in a value, escaped in the line
        json.dumps({'"\\perfc.dat"': 1}),  # escaped in a key: no value, no raw match
        json.dumps({"dllhost-ransoms": 1}),  # in a key: only the raw line holds it
        r'{"Path":"\"\\p\u0065rfc.dat\""}',  # a \u00XX escape inside the literal
        json.dumps({"a": "dllhost then ransoms"}),
        json.dumps({"a": "dllhost then Ransoms"}),
        json.dumps({"a": "perfc dat wevtutil"}),
    ]
    path = tmp_path / "events.ndjson"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    kept = list(query.run(str(path), workers=1))
    assert kept == list(query.run(str(path), workers=1, prefilter=False))
    assert kept == list(query.run(str(path), workers=1, engine="reference"))
    assert len(kept) == 5 and {"dllhost-ransoms": "1"} in kept
