"""Every subcommand's --help shows an example, and ``cqlmatch --help`` the
exit statuses that docs/cli.md documents."""

from __future__ import annotations

import pytest

from cqlmatch.cli.commands import build_parser, main

from ..conftest import ROOT


def _commands() -> list[str]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if a.dest == "command"]
    return sorted(sub.choices)  # type: ignore[arg-type]


def test_the_issue_commands_exist() -> None:
    assert {"run", "check", "fmt", "disasm", "gen", "test", "stream"} <= set(_commands())


@pytest.mark.parametrize("command", _commands())
def test_help_shows_an_example(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    tail = out[out.index("\nexample") :]
    assert f"cqlmatch {command} " in tail


def test_top_level_help_lists_the_exit_statuses(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for status in ("0", "1", "2", "3", "130"):
        assert f"\n  {status} " in out


@pytest.mark.parametrize("command", _commands())
def test_docs_cli_covers_every_command(command: str) -> None:
    docs = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert f"cqlmatch {command} " in docs
