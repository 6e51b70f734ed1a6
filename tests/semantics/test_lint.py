"""Regex lints (W330-W332) and the Falcon field check (W320)."""

from __future__ import annotations

import pytest

import cqlmatch


def codes(query: str) -> list[tuple[str, str]]:
    return [(d.code, d.message) for d in cqlmatch.compile(query).diagnostics]


@pytest.mark.parametrize(
    ("query", "code", "fragment"),
    [
        ("FileName=/(?i)(bash|sh|zsh)/", "W330", "'sh'"),
        ("CommandLine=/(apt|yum)/", "W330", "'apt'"),
        ("FileName=/(cmd.exe|powershell\\.exe)/", "W331", "'cmd.exe'"),
        ("RemoteAddressIP4=/^(10\\.|::1)/", "W332", "'::1'"),
        (
            "#event_simpleName=DnsRequest CommandLine=*",
            "W320",
            "DnsRequest events never carry CommandLine",
        ),
    ],
)
def test_lint_finds(query: str, code: str, fragment: str) -> None:
    assert any(c == code and fragment in m for c, m in codes(query))


@pytest.mark.parametrize(
    "query",
    [
        "FileName=/^(bash|sh|zsh)$/",  # anchored
        "FileName=/(?i)^(sh)/",
        "FileName=/powershell\\.exe|pwsh\\.exe/",  # escaped dots, long alternatives
        "RemoteAddressIP4=/^(10\\.|192\\.168\\.)/",
        "#event_simpleName=ProcessRollup2 CommandLine=*",
        "CommandLine=*",  # event type unknown: nothing to say
    ],
)
def test_lint_is_quiet(query: str) -> None:
    assert codes(query) == []
