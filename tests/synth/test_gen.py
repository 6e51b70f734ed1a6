"""The synthetic telemetry generator: determinism, shape, mix, planted chains."""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import random
import re
import statistics
import subprocess
import sys
from collections import Counter
from itertools import pairwise
from pathlib import Path

import pytest

from cqlmatch.synth import gen
from cqlmatch.synth.encode import _encode_object

COMMON_KEYS = (
    "aid",
    "cid",
    "aip",
    "event_simpleName",
    "event_platform",
    "timestamp",
    "id",
    "name",
    "ConfigBuild",
    "ConfigStateHash",
    "Entitlements",
    "EffectiveTransmissionClass",
)
NUMERIC_KEYS = {"EventOrigin", "ActiveCpuCount"}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
HEX32 = re.compile(r"^[0-9a-f]{32}$")

# The seed rule (shared/seed/t1546_016.cql) restated with Python regexes, as
# an independent oracle: LogScale's field=/re/ is an unanchored search.
_PARENT = re.compile(
    r"(?i)(msiexec\.exe|installer|pkgutil|dpkg|rpm|yum|apt-get|apt|chocolatey|winget)"
)
_CHILD = re.compile(
    r"(?i)(powershell\.exe|pwsh\.exe|cmd\.exe|wscript\.exe|cscript\.exe|mshta\.exe"
    r"|certutil\.exe|bitsadmin\.exe|bash|sh|python)"
)
_CMDLINE = re.compile(
    r"(?i)(invoke-webrequest|downloadstring|net\.webclient|-encodedcommand"
    r"|certutil.{0,20}urlcache|bitsadmin.{0,20}transfer|curl.{0,30}https?:\/\/|wget.{0,30}https?:\/\/)"
)
_CRADLE = re.compile(r"(?i)(invoke-webrequest|downloadstring|net\.webclient|-encodedcommand)")
_ENCODED = re.compile(r"(?i)(certutil.{0,20}urlcache|bitsadmin.{0,20}transfer)")
_NET_IMAGE = re.compile(r"(?i)(msiexec\.exe|installer)")
_PRIVATE = re.compile(r"^(10\.|172\.(1[6-9]|2[0-9]|3[01])\.|192\.168\.|127\.|::1)")


def _has(event: dict, field: str, rx: re.Pattern[str]) -> bool:
    return field in event and rx.search(event[field]) is not None


def seed_rule_label(event: dict) -> str | None:
    """The EventType the seed rule's case statement gives ``event``, or None."""
    name = event.get("event_simpleName")
    if name == "ProcessRollup2":
        if _has(event, "ParentBaseFileName", _PARENT) and (
            _has(event, "FileName", _CHILD) or _has(event, "CommandLine", _CMDLINE)
        ):
            if _has(event, "CommandLine", _CRADLE):
                return "INSTALLER_DOWNLOAD_CRADLE"
            if _has(event, "CommandLine", _ENCODED):
                return "INSTALLER_ENCODED_EXECUTION"
            return "INSTALLER_SCRIPT_CHILD"
    elif (
        name == "NetworkConnectIP4"
        and _has(event, "ImageFileName", _NET_IMAGE)
        and not _has(event, "RemoteAddressIP4", _PRIVATE)
    ):
        return "INSTALLER_NETWORK_CALLBACK"
    return None


def _events(n: int, **kwargs: object) -> list[dict]:
    return [json.loads(line) for line in gen.generate_lines(n, **kwargs)]  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def realistic() -> list[bytes]:
    return list(gen.generate_lines(20_000, seed=11))


@pytest.fixture(scope="module")
def realistic_events(realistic: list[bytes]) -> list[dict]:
    return [json.loads(line) for line in realistic]


# -- determinism --------------------------------------------------------------


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    a = b"".join(gen.generate_lines(3000, seed=7, malicious_rate=0.01))
    b = b"".join(gen.generate_lines(3000, seed=7, malicious_rate=0.01))
    c = b"".join(gen.generate_lines(3000, seed=8, malicious_rate=0.01))
    assert a == b
    assert a != c
    # A prefix of a longer run is the shorter run.
    longer = b"".join(gen.generate_lines(3500, seed=7, malicious_rate=0.01))
    assert longer.startswith(a)


def test_output_independent_of_hash_seed_and_locale() -> None:
    code = (
        "import hashlib, sys; from cqlmatch.synth import gen; "
        "h = hashlib.sha256(b''.join(gen.generate_lines(1500, seed=3, malicious_rate=0.02))); "
        "sys.stdout.write(h.hexdigest())"
    )
    expected = hashlib.sha256(
        b"".join(gen.generate_lines(1500, seed=3, malicious_rate=0.02))
    ).hexdigest()
    for hash_seed, locale in (("1", "C"), ("4242", "C.UTF-8")):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed, LC_ALL=locale)
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        assert out.stdout == expected


def test_generation_is_lazy() -> None:
    lines = gen.generate_lines(10**12)
    first = next(lines)
    assert first.endswith(b"\n")


# -- line shape ----------------------------------------------------------------


@pytest.mark.parametrize("mix", gen.MIXES)
def test_every_line_is_a_flat_json_object_of_strings(mix: str) -> None:
    lines = list(gen.generate_lines(4000, seed=5, mix=mix, malicious_rate=0.01))
    assert len(lines) == 4000
    attacks = 0
    for line in lines:
        assert line.endswith(b"\n") and line.count(b"\n") == 1
        event = json.loads(line)
        assert isinstance(event, dict)
        for key in COMMON_KEYS:
            assert isinstance(event.get(key), str), (key, line)
        for key, value in event.items():
            if key == "Attacks":
                attacks += 1
                assert isinstance(value, list) and value
                assert all(isinstance(a, dict) and set(a) == {"Tactic", "Technique"} for a in value)
            elif key in NUMERIC_KEYS:
                assert isinstance(value, int) and not isinstance(value, bool)
            else:
                assert isinstance(value, str), (key, line)
        assert HEX32.match(event["aid"]) and HEX32.match(event["cid"])
        assert UUID.match(event["id"]), event["id"]
        assert event["event_platform"] in ("Win", "Mac", "Lin")
        suffix = {"Win": "", "Mac": "Mac", "Lin": "Lin"}[event["event_platform"]]
        assert re.fullmatch(re.escape(event["event_simpleName"]) + suffix + r"V\d+", event["name"])
    if mix == "realistic":
        assert attacks > 0


def test_timestamps_strictly_increase_from_the_fixed_epoch(realistic_events: list[dict]) -> None:
    stamps = [int(e["timestamp"]) for e in realistic_events]
    assert stamps[0] > gen.START_MS
    assert stamps[0] - gen.START_MS < 1000
    assert all(a < b for a, b in pairwise(stamps))


def test_gson_escapes_and_no_raw_specials(realistic: list[bytes]) -> None:
    blob = b"".join(realistic)
    for escape in (b"\\u003d", b"\\u0026", b"\\u003c", b"\\u003e", b"\\u0027"):
        assert escape in blob, escape
    # Gson never writes these characters raw, not even inside values.
    for raw in (b"=", b"&", b"<", b">", b"'"):
        assert raw not in blob, raw
    assert b'"\\\\Device\\\\HarddiskVolume' in blob


def test_non_ascii_both_raw_and_escaped(realistic: list[bytes]) -> None:
    raw = [line for line in realistic if not line.isascii()]
    escaped = [line for line in realistic if re.search(rb"\\u00[c-f][0-9a-f]|\\u7528", line)]
    assert len(raw) > 100
    assert len(escaped) > 20
    text = b"".join(raw).decode("utf-8")
    assert any(name in text for name in ("José", "Zoë", "用户", "Søren", "Łukasz"))
    names = {e.get("UserName") for e in (json.loads(line) for line in escaped)}
    assert names & {"José", "Zoë", "用户", "François", "Łukasz", "Søren", "Müller", "r.garcía"}


def test_key_order_varies_between_and_within_types() -> None:
    events = _events(6000, seed=12, malicious_rate=0.0)  # background only
    first_keys = Counter(next(iter(e)) for e in events)
    assert len(first_keys) >= 5
    orders: dict[str, set[tuple[str, ...]]] = {}
    for e in events:
        if e["event_simpleName"] == "DnsRequest":
            orders.setdefault(e["aid"], set()).add(tuple(e))
    assert any(len(v) > 1 for v in orders.values())


# -- mix and sizes ------------------------------------------------------------


def test_realistic_shares(realistic_events: list[dict]) -> None:
    n = len(realistic_events)
    counts = Counter(e["event_simpleName"] for e in realistic_events)
    assert 0.06 <= counts["ProcessRollup2"] / n <= 0.08
    assert 0.08 <= counts["NetworkConnectIP4"] / n <= 0.12
    for name in (
        "DnsRequest",
        "ImageHash",
        "EndOfProcess",
        "ClassifiedModuleLoad",
        "NewExecutableWritten",
        "PeFileWritten",
        "RegGenericValueUpdate",
        "UserLogon",
        "SensorHeartbeat",
        "SyntheticProcessRollup2",
        "ProcessRollup2Stats",
    ):
        assert counts[name] > 0, name
    assert counts["DnsRequest"] + counts["ImageHash"] > 3 * counts["ProcessRollup2"]
    platforms = Counter(e["event_platform"] for e in realistic_events)
    assert set(platforms) == {"Win", "Mac", "Lin"}
    assert platforms["Win"] > platforms["Mac"]


def test_worst_mix_has_only_the_two_rule_types() -> None:
    events = _events(5000, seed=2, mix="worst", malicious_rate=0.02)
    counts = Counter(e["event_simpleName"] for e in events)
    assert set(counts) == {"ProcessRollup2", "NetworkConnectIP4"}
    assert counts["ProcessRollup2"] > 1500 and counts["NetworkConnectIP4"] > 1500
    # Planted chains survive the filter.
    assert any(seed_rule_label(e) == "INSTALLER_NETWORK_CALLBACK" for e in events)


def test_line_sizes(realistic: list[bytes], realistic_events: list[dict]) -> None:
    win_pr2 = []
    net = []
    for line, e in zip(realistic, realistic_events, strict=True):
        if e["event_simpleName"] == "ProcessRollup2" and e["event_platform"] == "Win":
            win_pr2.append(len(line))
        elif e["event_simpleName"] == "NetworkConnectIP4":
            net.append(len(line))
    assert 1200 <= statistics.median(win_pr2) <= 2000
    assert max(win_pr2) > 3000  # several-KB command lines exist
    assert sum(size > 2500 for size in win_pr2) < len(win_pr2) / 4
    net.sort()
    assert net[len(net) // 20] >= 600 and net[-len(net) // 20] <= 900
    assert net[0] >= 550 and net[-1] <= 1000
    assert max(len(e.get("CommandLine", "")) for e in realistic_events) > 2000


def test_missing_host_and_user_names_and_enriched_network(realistic_events: list[dict]) -> None:
    pr2 = [e for e in realistic_events if e["event_simpleName"] == "ProcessRollup2"]
    no_host = sum("ComputerName" not in e for e in pr2) / len(pr2)
    no_user = sum("UserName" not in e for e in pr2) / len(pr2)
    assert 0.02 <= no_host <= 0.15
    assert 0.03 <= no_user <= 0.12
    assert all("FileName" in e and "FilePath" in e for e in pr2)
    for e in pr2:
        assert e["ImageFileName"].endswith(e["FileName"])
        assert e["ImageFileName"] == e["FilePath"] + e["FileName"]
    net = [e for e in realistic_events if e["event_simpleName"] == "NetworkConnectIP4"]
    enriched = sum("ImageFileName" in e for e in net) / len(net)
    assert 0.25 <= enriched <= 0.42
    for e in net:
        for key in ("LocalAddressIP4", "LocalPort", "RemoteAddressIP4", "RemotePort"):
            assert key in e
        assert e["RemotePort"].isdigit() and e["ContextProcessId"].isdigit()


def test_host_pool() -> None:
    hosts = gen.make_hosts(0)
    assert hosts == gen.make_hosts(0)
    assert hosts != gen.make_hosts(1)
    assert {h["platform"] for h in hosts} == {"Win", "Mac", "Lin"}
    assert len({h["aid"] for h in hosts}) == len(hosts)
    assert any(h["ComputerName"] is None for h in hosts)
    events = _events(3000, seed=0)
    assert {e["aid"] for e in events} <= {h["aid"] for h in hosts}
    assert gen.sample_host("Mac")["platform"] == "Mac"


# -- planted scenarios --------------------------------------------------------


def _by_pid(events: list[dict]) -> dict[str, dict]:
    return {e["TargetProcessId"]: e for e in events if e["event_simpleName"] == "ProcessRollup2"}


def test_background_never_matches_the_seed_rule() -> None:
    events = _events(20_000, seed=4, malicious_rate=0.0)
    assert [e for e in events if seed_rule_label(e)] == []


def test_scenarios_planted_at_the_requested_rate_and_findable() -> None:
    n, rate = 30_000, 0.005
    events = _events(n, seed=9, malicious_rate=rate)
    procs = _by_pid(events)
    expected = n * rate / len(gen.SCENARIOS)  # about 50 instances each

    cradles = [
        e
        for e in events
        if e["event_simpleName"] == "ProcessRollup2"
        and e["FileName"] == "powershell.exe"
        and e["ParentBaseFileName"] == "msiexec.exe"
        and _CRADLE.search(e["CommandLine"])
    ]
    assert 0.5 * expected <= len(cradles) <= 1.6 * expected
    connects: dict[str, list[dict]] = {}
    for e in events:
        if e["event_simpleName"] == "NetworkConnectIP4":
            connects.setdefault(e["ContextProcessId"], []).append(e)
    for ps in cradles:
        parent = procs[ps["ParentProcessId"]]
        assert parent["FileName"] == "msiexec.exe" and parent["aid"] == ps["aid"]
        callbacks = connects[parent["TargetProcessId"]]
        assert len(callbacks) == 1
        assert seed_rule_label(callbacks[0]) == "INSTALLER_NETWORK_CALLBACK"

    curls = [
        e
        for e in events
        if e["event_simpleName"] == "ProcessRollup2"
        and e["FileName"] == "curl"
        and e["ParentBaseFileName"] == "python3"
    ]
    assert 0.5 * expected <= len(curls) <= 1.6 * expected
    for curl in curls:
        assert curl["event_platform"] in ("Lin", "Mac")
        assert re.search(r"https://", curl["CommandLine"])
        python = procs[curl["ParentProcessId"]]
        assert python["ParentBaseFileName"] == "pip3" and "setup.py" in python["CommandLine"]
        assert procs[python["ParentProcessId"]]["FileName"] == "pip3"

    silent = [
        e
        for e in events
        if e["event_simpleName"] == "ProcessRollup2"
        and e["FileName"] == "cmd.exe"
        and e["ParentBaseFileName"] == "msiexec.exe"
        and "custom_action_test.txt" in e["CommandLine"]
    ]
    assert 0.5 * expected <= len(silent) <= 1.6 * expected
    quiet = [
        e
        for e in events
        if e["event_simpleName"] == "ProcessRollup2"
        and e["FileName"] == "msiexec.exe"
        and re.search(r"/(quiet|qn)", e["CommandLine"])
    ]
    assert len(quiet) >= len(silent)
    encoded = [e for e in events if seed_rule_label(e) == "INSTALLER_ENCODED_EXECUTION"]
    assert 0.2 * len(silent) <= len(encoded) <= 0.8 * len(silent)

    lookalikes = [
        e
        for e in events
        if e["event_simpleName"] == "ProcessRollup2" and e["FileName"] in ("ssh.exe", "aptitude")
    ]
    assert len(lookalikes) >= 0.3 * n * rate / len(gen.LOOKALIKES)
    private = [
        e
        for e in events
        if e["event_simpleName"] == "NetworkConnectIP4"
        and e.get("ImageFileName", "").endswith("msiexec.exe")
        and _PRIVATE.match(e["RemoteAddressIP4"])
    ]
    assert private


# Labels the seed rule gives one instance of each chain: (always, sometimes).
EXPECTED_LABELS = {
    "msi_powershell": (
        {"INSTALLER_DOWNLOAD_CRADLE", "INSTALLER_NETWORK_CALLBACK"},
        set(),
    ),
    "msi_silent_cmd": ({"INSTALLER_SCRIPT_CHILD"}, {"INSTALLER_ENCODED_EXECUTION"}),
    "pip_python_curl": (set(), set()),
    "ssh_client": (set(), set()),
    "aptitude_upgrade": (set(), {"INSTALLER_SCRIPT_CHILD"}),
    "updater_msiexec": (set(), {"INSTALLER_SCRIPT_CHILD"}),
    "msiexec_private_net": (set(), set()),
    "apt_maintainer": ({"INSTALLER_SCRIPT_CHILD"}, set()),
    "lookalike_event_names": (set(), set()),
}


@pytest.mark.parametrize("name", gen.SCENARIOS + gen.LOOKALIKES)
def test_scenario_events_against_the_seed_rule(name: str) -> None:
    always, sometimes = EXPECTED_LABELS[name]
    platforms = {
        "pip_python_curl": ("Lin", "Mac"),
        "aptitude_upgrade": ("Lin",),
        "apt_maintainer": ("Lin",),
    }.get(name, ("Win",))
    rng = random.Random(name)
    seen: set[str] = set()
    for i in range(40):
        host = gen.sample_host(platforms[i % len(platforms)], seed=i)
        events = gen.scenario_events(name, rng, host, start_ms=gen.START_MS + 10_000)
        assert events
        stamps = [int(e["timestamp"]) for e in events]
        assert stamps[0] > gen.START_MS + 10_000
        assert all(a < b for a, b in pairwise(stamps))
        labels = [seed_rule_label(e) for e in events]
        found = {label for label in labels if label}
        assert always <= found <= always | sometimes, (name, found)
        for label in always:
            assert labels.count(label) == 1
        seen |= found
        for e in events:
            assert e["aid"] == host["aid"]
            line = _encode_object(e, i % 2 == 1)
            assert json.loads(line) == e
            assert all(isinstance(v, str) for k, v in e.items() if k != "EventOrigin")
    assert seen == always | sometimes, (name, seen)


def test_scenario_events_rejects_bad_input() -> None:
    rng = random.Random(0)
    with pytest.raises(ValueError, match="unknown scenario"):
        gen.scenario_events("nope", rng, gen.sample_host("Win"))
    with pytest.raises(ValueError, match="needs a"):
        gen.scenario_events("msi_powershell", rng, gen.sample_host("Lin"))
    with pytest.raises(ValueError, match="needs a"):
        gen.scenario_events("pip_python_curl", rng, gen.sample_host("Win"))


def test_bad_generator_arguments() -> None:
    with pytest.raises(ValueError, match="mix"):
        list(gen.generate_lines(1, mix="average"))
    with pytest.raises(ValueError, match="malicious_rate"):
        list(gen.generate_lines(1, malicious_rate=1.5))
    assert list(gen.generate_lines(0)) == []


# -- files and the command ----------------------------------------------------


def test_write_file_plain_and_gzip_round_trip(tmp_path: Path) -> None:
    expected = b"".join(gen.generate_lines(2500, seed=6, malicious_rate=0.01))
    plain = tmp_path / "t.ndjson"
    assert gen.write_file(plain, 2500, seed=6, malicious_rate=0.01) == len(expected)
    assert plain.read_bytes() == expected
    packed = tmp_path / "t.ndjson.gz"
    assert gen.write_file(str(packed), 2500, seed=6, malicious_rate=0.01) == len(expected)
    assert packed.read_bytes()[:2] == b"\x1f\x8b"
    assert gzip.decompress(packed.read_bytes()) == expected
    again = tmp_path / "u.ndjson.gz"
    gen.write_file(again, 2500, seed=6, malicious_rate=0.01)
    assert again.read_bytes() == packed.read_bytes()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cqlmatch gen")
    gen.add_arguments(parser)
    return parser


def test_run_writes_file_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "events.ndjson.gz"
    args = _parser().parse_args(
        ["--events", "700", "--seed", "3", "--out", str(out), "--mix", "worst"]
    )
    assert args.malicious_rate == 0.001
    assert gen.run(args) == 0
    data = gzip.decompress(out.read_bytes())
    assert data == b"".join(gen.generate_lines(700, seed=3, mix="worst"))
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert re.search(rf"700 events, {len(data)} bytes, [0-9.]+ s", err)


def test_run_to_stdout(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    args = _parser().parse_args(["--events", "50", "--out", "-", "--malicious-rate", "0"])
    assert gen.run(args) == 0
    captured = capsysbinary.readouterr()
    assert captured.out == b"".join(gen.generate_lines(50, malicious_rate=0.0))
    assert b"50 events" in captured.err


@pytest.mark.parametrize(
    "argv",
    [
        ["--out", "x"],
        ["--events", "10"],
        ["--events", "-1", "--out", "x"],
        ["--events", "10", "--out", "x", "--mix", "average"],
        ["--events", "10", "--out", "x", "--malicious-rate", "2"],
    ],
)
def test_bad_command_arguments(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        _parser().parse_args(argv)


def test_gzip_writer_failure_is_raised_not_hung(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class FullDisk(gzip.GzipFile):
        def write(self, data: object) -> int:
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(gzip, "GzipFile", FullDisk)
    # More chunks than the hand-off queue holds, so a stuck producer would hang.
    with pytest.raises(OSError, match="No space left"):
        gen.write_file(tmp_path / "full.ndjson.gz", 40_000, malicious_rate=0.0)
