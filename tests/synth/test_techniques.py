"""Planted ATT&CK technique instances: the catalogue, the events each entry
builds, their rate and determinism, the side file, and detection queries
that find exactly the planted events of their technique."""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import Counter
from itertools import pairwise
from pathlib import Path

import pytest

import cqlmatch
from cqlmatch.synth import gen, techniques as tq
from cqlmatch.synth.encode import _encode_object

from .test_gen import COMMON_KEYS, seed_rule_label

_ATTACK_ID = re.compile(r"^T\d{4}(\.\d{3})?$")
_PROCESS_KINDS = ("ProcessRollup2", "SyntheticProcessRollup2")
# Fields through which a non-process event names the process behind it.
_CONTEXT_KEYS = ("ContextProcessId", "RpcClientProcessId")


def _records_and_lines(n: int, **kwargs: object) -> tuple[list[dict], list[bytes]]:
    records: list[dict] = []
    lines = list(gen.generate_lines(n, planted=records, **kwargs))  # type: ignore[arg-type]
    return records, lines


def _step_kind(step: tq.Step) -> str:
    """The event_simpleName a step produces."""
    fixed = {
        tq.Dns: "DnsRequest",
        tq.TaskRegistered: "ScheduledTaskRegistered",
        tq.ServiceStart: "ServiceStarted",
        tq.AccountCreated: "UserAccountCreated",
        tq.Logon: "UserLogon",
    }
    return fixed.get(type(step)) or step.simple  # type: ignore[union-attr]


def _variants(tech: tq.Technique) -> list[tuple[tq.Step, ...]]:
    return [tech.steps, *tech.alternatives]


def _template(text: str) -> str:
    """A step's text template as a regex: placeholders match anything."""
    return ".*".join(re.escape(part) for part in re.split(r"\{\{\w+\}\}", text))


def _proc_matches(step: tq.Proc, event: dict, host: dict) -> bool:
    base = re.split(r"[\\/]", step.image)[-1]
    user = host["users"][min(step.user, len(host["users"]) - 1)]["UserName"]
    return (
        re.fullmatch(_template(base), event["FileName"]) is not None
        and re.fullmatch(_template(step.cmd), event["CommandLine"], re.DOTALL) is not None
        and event["UserName"] == user
    )


def _matching_variants(tech: tq.Technique, events: list[dict], host: dict) -> list[int]:
    """The variants of ``tech`` whose steps produce ``events``, event by
    event: same event types, and processes with the step's image name,
    command line and user."""
    found = []
    for index, steps in enumerate(_variants(tech)):
        if [_step_kind(s) for s in steps] != [e["event_simpleName"] for e in events]:
            continue
        if all(
            _proc_matches(s, e, host)
            for s, e in zip(steps, events, strict=True)
            if isinstance(s, tq.Proc)
        ):
            found.append(index)
    return found


# -- the catalogue ------------------------------------------------------------


def test_catalogue_spans_thirty_techniques_on_three_platforms() -> None:
    ids = {t.id for t in tq.TECHNIQUES}
    assert len(ids) >= 30
    assert all(_ATTACK_ID.match(i) for i in ids)
    per_platform = Counter(t.platform for t in tq.TECHNIQUES)
    assert set(per_platform) == {"Win", "Lin", "Mac"}
    assert min(per_platform.values()) >= 10
    scenarios = [t.scenario for t in tq.TECHNIQUES]
    assert len(set(scenarios)) == len(scenarios)
    # An id appears at most once per platform.
    assert len({(t.id, t.platform) for t in tq.TECHNIQUES}) == len(tq.TECHNIQUES)
    for t in tq.TECHNIQUES:
        assert t.name and t.tactic and t.steps
        assert any(isinstance(s, tq.Proc) for v in _variants(t) for s in v)
    # The activity the generator is expected to cover.
    assert {
        "T1059.001",  # encoded PowerShell from Office
        "T1105",  # certutil -urlcache, wget and curl to /tmp
        "T1197",  # bitsadmin /transfer
        "T1218.011",  # rundll32 calling out
        "T1218.010",  # regsvr32 calling out
        "T1218.005",  # mshta calling out
        "T1003.001",  # procdump, comsvcs.dll MiniDump, mimikatz
        "T1053.005",  # schtasks /create
        "T1543.003",  # sc create, New-Service
        "T1547.001",  # Run keys
        "T1047",  # WMI process creation
        "T1490",  # vssadmin delete shadows
        "T1070.001",  # wevtutil cl
        "T1136.001",  # net user /add, useradd
        "T1033",  # whoami
        "T1069.002",  # net group /domain
        "T1482",  # nltest
        "T1546.004",  # ~/.bashrc
        "T1053.003",  # crontab
        "T1059.004",  # curl | sh
        "T1140",  # base64 -d | bash, certutil -decode
        "T1098.004",  # authorized_keys
        "T1222.002",  # chmod +x in /tmp
        "T1070.003",  # history clearing
        "T1543.001",  # launchctl load of a LaunchAgent
        "T1056.002",  # osascript password prompt
        "T1555.001",  # security find-generic-password
        "T1647",  # plutil
        "T1553.001",  # xattr -d com.apple.quarantine
    } <= ids


@pytest.mark.parametrize("tech", tq.TECHNIQUES, ids=lambda t: f"{t.id}-{t.scenario}")
def test_each_entry_builds_linked_falcon_events(tech: tq.Technique) -> None:
    rng = random.Random(tech.scenario)
    shapes: set[int] = set()
    for i in range(40):
        host = gen.sample_host(tech.platform, seed=i % 7)
        start = gen.START_MS + 5_000
        events = tq.technique_events(tech, rng, host, start_ms=start)
        stamps = [int(e["timestamp"]) for e in events]
        assert stamps[0] > start and all(a < b for a, b in pairwise(stamps))
        variants = _matching_variants(tech, events, host)
        assert len(variants) == 1, [(e["event_simpleName"], e.get("CommandLine")) for e in events]
        shapes.add(variants[0])
        procs: dict[str, dict] = {}
        for e in events:
            for key in COMMON_KEYS:
                assert isinstance(e[key], str), key
            assert e["aid"] == host["aid"] and e["event_platform"] == tech.platform
            suffix = {"Win": "", "Mac": "Mac", "Lin": "Lin"}[tech.platform]
            assert re.fullmatch(re.escape(e["event_simpleName"]) + suffix + r"V\d+", e["name"])
            assert all(isinstance(v, str) for k, v in e.items() if k != "EventOrigin")
            assert not any("{{" in v for v in e.values() if isinstance(v, str))
            assert json.loads(_encode_object(e, i % 2 == 1)) == e
            assert seed_rule_label(e) is None
            kind = e["event_simpleName"]
            if kind in _PROCESS_KINDS:
                assert e["ImageFileName"] == e["FilePath"] + e["FileName"]
                parent = procs.get(e["ParentProcessId"])
                if parent is not None:  # a tree: the child names its parent
                    assert e["ParentBaseFileName"] == parent["FileName"]
                    if tech.platform == "Win":
                        assert e["GrandParentBaseFileName"] == parent["ParentBaseFileName"]
                procs[e["TargetProcessId"]] = e
            elif kind == "ServiceStarted":
                assert procs[e["TargetProcessId"]]["ImageFileName"] == e["ImageFileName"]
            elif kind not in ("UserLogon", "NetworkReceiveAcceptIP4"):
                context = [e[k] for k in _CONTEXT_KEYS if k in e]
                assert context and all(pid in procs for pid in context), kind
            if kind in ("NetworkConnectIP4", "NetworkReceiveAcceptIP4"):
                owner = procs[e["ContextProcessId"]]
                assert e["ImageFileName"] == owner["ImageFileName"]
                assert e["RemotePort"].isdigit()
        # Where the instance resolves a name, it connects to the answer.
        answers = {e["FirstIP4Record"] for e in events if e["event_simpleName"] == "DnsRequest"}
        for e in events:
            if e["event_simpleName"] == "NetworkConnectIP4" and answers:
                assert e["RemoteAddressIP4"] in answers
    assert shapes == set(range(len(_variants(tech)))), "every alternative occurs"


def test_technique_events_rejects_bad_input() -> None:
    rng = random.Random(0)
    with pytest.raises(ValueError, match="unknown technique"):
        tq.technique_events("nope", rng, gen.sample_host("Win"))
    with pytest.raises(ValueError, match="needs a Win host"):
        tq.technique_events("lsass_dump", rng, gen.sample_host("Lin"))
    assert tq.technique_events("crontab_persistence", rng, gen.sample_host("Lin"))


# -- the stream -----------------------------------------------------------------


def test_same_seed_same_bytes_and_records() -> None:
    a_records, a = _records_and_lines(8000, seed=7, technique_rate=0.01)
    b_records, b = _records_and_lines(8000, seed=7, technique_rate=0.01)
    c_records, c = _records_and_lines(8000, seed=8, technique_rate=0.01)
    assert a == b and a_records == b_records
    assert a != c and a_records != c_records
    assert len(a_records) > 20
    # A prefix of a longer run is the shorter run, records included.
    longer_records, longer = _records_and_lines(9000, seed=7, technique_rate=0.01)
    assert longer[:8000] == a
    assert longer_records[: len(a_records)] == a_records


def test_rate_zero_plants_none() -> None:
    records, lines = _records_and_lines(20_000, seed=3, technique_rate=0.0)
    assert records == []
    events = [json.loads(line) for line in lines]
    assert not {e["event_simpleName"] for e in events} & {
        "ScheduledTaskRegistered",
        "ServiceStarted",
        "AsepValueUpdate",
        "UserAccountCreated",
    }
    commands = " ".join(e.get("CommandLine", "") for e in events)
    for marker in ("vssadmin", "wevtutil", "launchctl", "authorized_keys", "sekurlsa"):
        assert marker not in commands
    assert list(gen.generate_lines(20_000, seed=3, technique_rate=0.001)) != lines


def test_planted_at_the_requested_rate_across_the_catalogue() -> None:
    n, rate = 60_000, 0.01
    records, _lines = _records_and_lines(n, seed=21, technique_rate=rate)
    assert 0.6 * n * rate <= len(records) <= 1.2 * n * rate
    seen = Counter(r["scenario"] for r in records)
    assert set(seen) == {t.scenario for t in tq.TECHNIQUES}
    assert {r["platform"] for r in records} == {"Win", "Lin", "Mac"}


def test_side_records_name_the_planted_events() -> None:
    records, lines = _records_and_lines(30_000, seed=5, technique_rate=0.01)
    hosts = {h["aid"]: h for h in gen.make_hosts(5)}
    events = [json.loads(line) for line in lines]
    position = {e["id"]: i for i, e in enumerate(events)}
    assert len(position) == len(events)  # ids are unique
    planted: set[str] = set()
    for record in records:
        assert set(record) == {
            "technique",
            "name",
            "tactic",
            "scenario",
            "platform",
            "aid",
            "event_ids",
        }
        tech = tq.BY_SCENARIO[record["scenario"]]
        assert (record["technique"], record["name"], record["tactic"], record["platform"]) == (
            tech.id,
            tech.name,
            tech.tactic,
            tech.platform,
        )
        where = [position[i] for i in record["event_ids"]]  # every id is in the output
        assert where == list(range(where[0], where[0] + len(where)))  # consecutive lines
        instance = [events[i] for i in where]
        assert {e["aid"] for e in instance} == {record["aid"]}
        assert {e["event_platform"] for e in instance} == {record["platform"]}
        assert len(_matching_variants(tech, instance, hosts[record["aid"]])) == 1, record
        planted.update(record["event_ids"])
    # Nothing else in the output is technique activity.
    for e in events:
        if e["id"] not in planted:
            assert e["event_simpleName"] not in (
                "ScheduledTaskRegistered",
                "ServiceStarted",
                "AsepValueUpdate",
                "UserAccountCreated",
            )


def test_worst_mix_keeps_the_two_rule_types_and_records_them() -> None:
    records, lines = _records_and_lines(6000, seed=2, mix="worst", technique_rate=0.02)
    events = {json.loads(line)["id"]: json.loads(line) for line in lines}
    assert {e["event_simpleName"] for e in events.values()} == {
        "ProcessRollup2",
        "NetworkConnectIP4",
    }
    assert records
    for record in records:
        assert record["event_ids"]
        assert all(i in events for i in record["event_ids"])


def test_bad_technique_rate() -> None:
    with pytest.raises(ValueError, match="technique_rate"):
        list(gen.generate_lines(1, technique_rate=-0.1))


# -- files and the command ----------------------------------------------------


def test_write_file_writes_the_side_file(tmp_path: Path) -> None:
    records, lines = _records_and_lines(5000, seed=6, technique_rate=0.01)
    for name in ("t.ndjson", "t.ndjson.gz"):
        side = tmp_path / (name + ".planted.jsonl")
        gen.write_file(tmp_path / name, 5000, seed=6, technique_rate=0.01, planted_path=side)
        text = side.read_text(encoding="utf-8")
        assert [json.loads(line) for line in text.splitlines()] == records
        assert text == "".join(gen.planted_line(r) for r in records)
    assert (tmp_path / "t.ndjson").read_bytes() == b"".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cqlmatch gen")
    gen.add_arguments(parser)
    return parser


def test_command_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, side = tmp_path / "e.ndjson", tmp_path / "planted.jsonl"
    argv = ["--events", "4000", "--seed", "4", "--out", str(out)]
    args = _parser().parse_args([*argv, "--technique-rate", "0.01", "--planted", str(side)])
    assert gen.run(args) == 0
    records, lines = _records_and_lines(4000, seed=4, technique_rate=0.01)
    assert out.read_bytes() == b"".join(lines)
    assert [json.loads(line) for line in side.read_text(encoding="utf-8").splitlines()] == records
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"{len(records)} technique instances -> {side}" in err
    # The default rate is the API's.
    args = _parser().parse_args(argv)
    assert args.technique_rate == gen.DEFAULT_TECHNIQUE_RATE
    assert args.planted is None
    for bad in ("-1", "2", "x"):
        with pytest.raises(SystemExit):
            _parser().parse_args([*argv, "--technique-rate", bad])


# -- detections -------------------------------------------------------------------

# (scenarios the query is written for, hits per instance, query).  Each
# query must return exactly those hits from every planted instance of its
# scenarios and nothing from the background or other techniques.
DETECTIONS = [
    (
        ("office_encoded_powershell",),
        1,
        r"""#event_simpleName=ProcessRollup2
            ParentBaseFileName=/^(winword|excel|powerpnt)\.exe$/i
            FileName=/^(powershell|pwsh)\.exe$/i
            CommandLine=/\s-e(nc|ncodedcommand|c)?\s/i""",
    ),
    (
        ("certutil_download",),
        1,
        r"#event_simpleName=ProcessRollup2 FileName=/^certutil\.exe$/i CommandLine=/-urlcache/i",
    ),
    (
        ("rundll32_callback", "regsvr32_scriptlet", "mshta_remote_hta"),
        1,
        r"#event_simpleName=NetworkConnectIP4 ImageFileName=/\\(rundll32|regsvr32|mshta)\.exe$/i",
    ),
    (
        ("lsass_dump",),
        1,
        r"""#event_simpleName=ProcessRollup2
            CommandLine=/(-ma\s+lsass|comsvcs\.dll,?\s*MiniDump|sekurlsa::)/i
            NOT FileName=/^(cmd|powershell)\.exe$/i""",
    ),
    (("schtasks_create",), 1, "#event_simpleName=ScheduledTaskRegistered"),
    (
        ("schtasks_create",),
        1,
        r"#event_simpleName=ProcessRollup2 FileName=/^schtasks\.exe$/i CommandLine=/\/create/i",
    ),
    (
        ("run_key",),
        1,
        r"#event_simpleName=AsepValueUpdate RegObjectName=/\\CurrentVersion\\Run$/i",
    ),
    (
        ("wmi_process_create",),
        1,
        r"""#event_simpleName=ProcessRollup2 ParentBaseFileName=/^wmiprvse\.exe$/i
            FileName=/^(powershell|cmd)\.exe$/i""",
    ),
    (
        ("delete_shadow_copies",),
        1,
        r"#event_simpleName=ProcessRollup2 FileName=/^vssadmin\.exe$/i CommandLine=/delete\s+shadows/i",
    ),
    (
        ("net_user_add",),
        2,
        r"#event_simpleName=ProcessRollup2 FileName=/^net1?\.exe$/i CommandLine=/\suser\s.*\/add/i",
    ),
    (("psexec_service",), 1, "#event_simpleName=ServiceStarted ServiceDisplayName=PSEXESVC"),
    (
        ("rdp_lateral_logon",),
        1,
        "#event_simpleName=UserLogon event_platform=Win LogonType=10 RemoteAddressIP4=*",
    ),
    (
        ("curl_pipe_shell",),
        1,
        r"#event_simpleName=ProcessRollup2 event_platform=Lin CommandLine=/-c\s+(curl|wget)\s[^|]*\|\s*(ba)?sh$/",
    ),
    (
        ("base64_pipe_bash",),
        1,
        r"#event_simpleName=ProcessRollup2 CommandLine=/base64\s+(-d|--decode)\s*\|\s*(ba)?sh/",
    ),
    (
        ("ssh_authorized_keys",),
        1,
        r"#event_simpleName=GenericFileWritten TargetFileName=/\/\.ssh\/authorized_keys$/",
    ),
    (
        ("crontab_persistence",),
        1,
        '#event_simpleName=ProcessRollup2 FileName=crontab CommandLine="crontab -"',
    ),
    (
        ("useradd", "net_user_add"),
        1,
        "#event_simpleName=UserAccountCreated",
    ),
    (
        ("launch_agent_plist",),
        1,
        r"#event_simpleName=ProcessRollup2 FileName=launchctl CommandLine=/\sload\s.*\/LaunchAgents\//",
    ),
    (
        ("quarantine_xattr_removal",),
        1,
        r"#event_simpleName=ProcessRollup2 FileName=xattr CommandLine=/com\.apple\.quarantine/",
    ),
    (
        ("keychain_secrets",),
        1,
        r"#event_simpleName=ProcessRollup2 FileName=security CommandLine=/find-generic-password|dump-keychain/",
    ),
    (
        ("osascript_password_prompt",),
        1,
        r"#event_simpleName=ProcessRollup2 FileName=osascript CommandLine=/display dialog.*hidden answer/",
    ),
]


@pytest.fixture(scope="module")
def planted_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    """Background and techniques only: the seed scenarios are left out, as
    their certutil and bitsadmin children are ingress tool transfer too."""
    folder = tmp_path_factory.mktemp("techniques")
    path, side = folder / "events.ndjson.gz", folder / "planted.jsonl"
    gen.write_file(
        path, 60_000, seed=1546, malicious_rate=0.0, technique_rate=0.01, planted_path=side
    )
    records = [json.loads(line) for line in side.read_text(encoding="utf-8").splitlines()]
    return path, records


@pytest.mark.parametrize(
    ("scenarios", "per_instance", "query"),
    DETECTIONS,
    ids=["+".join(d[0]) + f"-{i}" for i, d in enumerate(DETECTIONS)],
)
def test_detection_query_hits_exactly_the_planted_events(
    planted_file: tuple[Path, list[dict]], scenarios: tuple[str, ...], per_instance: int, query: str
) -> None:
    path, records = planted_file
    hits = [event["id"] for event in cqlmatch.compile(query).run(path, workers=1)]
    instances = [r for r in records if r["scenario"] in scenarios]
    assert {r["scenario"] for r in instances} == set(scenarios)
    expected = 0
    for r in instances:
        mine = set(r["event_ids"])
        assert sum(h in mine for h in hits) == per_instance, r
        expected += per_instance
    assert len(hits) == expected  # nothing else: background and other techniques stay quiet
