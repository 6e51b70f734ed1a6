"""``cqlmatch explain CODE`` and ``cqlmatch explain --list``."""

from __future__ import annotations

from cqlmatch.cli.commands import EXIT_OK, EXIT_USAGE, main
from cqlmatch.codes import CODES, explain


def test_explain_prints_title_explanation_and_example(capsys) -> None:
    assert main(["explain", "W310"]) == EXIT_OK
    out, err = capsys.readouterr()
    assert out == explain("W310") and err == ""
    assert out.startswith("W310 (warning): groupBy() returns no rows\n\n")
    assert "default()" in out
    assert "Example:\n    #event_simpleName=DnsRequest | groupBy(RemoteAddressIP4)\n" in out


def test_explain_takes_any_case(capsys) -> None:
    assert main(["explain", "e201"]) == EXIT_OK
    assert capsys.readouterr().out.startswith("E201 (error): unknown function")


def test_unknown_code_suggests_and_exits_2(capsys) -> None:
    assert main(["explain", "E2O1"]) == EXIT_USAGE
    out, err = capsys.readouterr()
    assert out == ""
    assert "unknown code 'E2O1'; did you mean E201?" in err
    assert "cqlmatch explain --list" in err


def test_unknown_code_without_a_close_one(capsys) -> None:
    assert main(["explain", "hello"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "unknown code 'hello'" in err and "did you mean" not in err


def test_list_shows_every_code_once(capsys) -> None:
    assert main(["explain", "--list"]) == EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(CODES)
    assert lines[0].startswith("E001  error    ")
    assert any(line.startswith("W401  warning  groupBy()") for line in lines)


def test_a_code_or_list_is_needed(capsys) -> None:
    assert main(["explain"]) == EXIT_USAGE
    assert "give one code" in capsys.readouterr().err
    assert main(["explain", "E201", "--list"]) == EXIT_USAGE
