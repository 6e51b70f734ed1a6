"""A built pack (``cqlmatch pack build``, packs/packfile.py) loads without
compiling its linked rules and gives exactly the hits of the pack compiled
from its sources; a file of another format, a damaged one or one whose rule
text was changed is refused with a message that says so."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from cqlmatch.cli.commands import main
from cqlmatch.cli.pack import EXIT_PACK_ERROR, EXIT_RULES_LEFT_OUT
from cqlmatch.packs import packfile
from cqlmatch.packs.pack import compile_pack
from cqlmatch.packs.packfile import PACK_MAGIC, PackFileError, read_pack, write_pack
from cqlmatch.packs.sources import PackSource, RuleSource
from cqlmatch.synth.gen import generate_lines

from .test_pack import check_against_single_runs

RULES = {
    "enc": "#event_simpleName=ProcessRollup2 CommandLine=/-enc|hidden/i",
    "cmd": 'event_simpleName=/^processrollup2$/i FileName=/^cmd\\.exe$/i or CommandLine="*whoami*"',
    "dns": "#event_simpleName=DnsRequest | groupBy([DomainName], function=count())",
    "tag": "#event_simpleName=ProcessRollup2 | seen := yes",
    "net": "RemoteAddressIP4=* RemotePort=/^(443|80)$/",
    "broken": "CommandLine=/(/",
}


@pytest.fixture(scope="module")
def telemetry(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("packfile") / "events.ndjson"
    path.write_bytes(b"".join(generate_lines(3000, seed=11, malicious_rate=0.05)))
    return path


def source() -> PackSource:
    return PackSource("t", [RuleSource(id=k, name=k, text=v) for k, v in RULES.items()])


def test_a_built_pack_gives_the_hits_of_its_sources(tmp_path, telemetry) -> None:
    compiled = compile_pack(source())
    assert [p.rule for p in compiled.problems] == ["broken"]
    path = tmp_path / "p.cqlpack"
    write_pack(compiled, path)
    loaded = compile_pack(path)
    assert [r.id for r in loaded.rules] == [r.id for r in compiled.rules]
    assert [p.rule for p in loaded.problems] == ["broken"]
    linked = {r.id for r in loaded.rules if r.links}
    assert linked == {"enc", "cmd", "net"}  # the aggregate and the assignment are not
    assert not any(r.compiled for r in loaded.rules)  # those two compile when a run needs them
    for workers in (1, 2):
        want = compiled.run(str(telemetry), workers=workers)
        got = loaded.run(str(telemetry), workers=workers)
        assert list(got) == list(want) and len(got) > 0
        assert {k: v.hits for k, v in got.rule_stats.items()} == {
            k: v.hits for k, v in want.rule_stats.items()
        }
    assert not any(r.compiled for r in loaded.rules if r.id in linked)  # ran without them
    # select works as on a compiled pack; match compiles a rule only then
    fewer = loaded.select(disable=["enc"])
    assert "enc" not in {row["rule.id"] for row in fewer.run(str(telemetry), workers=1)}
    event = {"#event_simpleName": "ProcessRollup2", "CommandLine": "ps -enc AAA"}
    assert [h["rule.id"] for h in loaded.match(event)] == ["enc", "tag"]
    assert loaded.match(event) == compiled.match(event)


def test_a_rule_reading_files_compiles_as_the_pack_loads(tmp_path) -> None:
    """A rule that reads a lookup file is compiled as the file is read, so
    a file missing where the pack is run leaves it out before any event is
    read (as a pack built before rules recorded this compiles each of its
    rules that run alone); a rule reading no file waits for a run."""
    table = tmp_path / "hosts.csv"
    table.write_text("aid,owner\nA1,ops\n", encoding="utf-8")
    rules = {
        "owned": '#event_simpleName=DnsRequest | match(file="hosts.csv", field=aid)',
        "count": "#event_simpleName=DnsRequest | groupBy([DomainName], function=count())",
    }
    compiled = compile_pack(
        PackSource("f", [RuleSource(id=k, name=k, text=v) for k, v in rules.items()]),
        lookups={"hosts.csv": table},
    )
    assert not compiled.problems
    path = tmp_path / "f.cqlpack"
    write_pack(compiled, path)
    loaded = compile_pack(path, lookups={"hosts.csv": table})
    assert {r.id: r.compiled for r in loaded.rules} == {"owned": True, "count": False}
    elsewhere = compile_pack(path)  # no lookup file given
    assert [r.id for r in elsewhere.rules] == ["count"]
    assert [p.rule for p in elsewhere.problems] == ["owned"]
    assert "does not compile here" in elsewhere.problems[0].message
    record = msgspec.msgpack.decode(path.read_bytes()[len(PACK_MAGIC) :])
    for entry in record["rules"]:
        del entry["self_contained"]
    older = tmp_path / "older.cqlpack"
    older.write_bytes(PACK_MAGIC + msgspec.msgpack.encode(record))
    loaded = compile_pack(older, lookups={"hosts.csv": table})
    assert all(r.compiled for r in loaded.rules)


def test_a_loaded_rule_runs_compiled_without_its_warnings(tmp_path, telemetry) -> None:
    """A built pack's rule that runs alone is compiled for the run without
    the analyses that only warn (its warnings were given at build); asked
    for its query, it is compiled whole, warnings and all."""
    text = "#event_simpleName=NetworkConnectIP4 ImageFileName=* | seen := yes"
    compiled = compile_pack(PackSource("w", [RuleSource(id="w", name="w", text=text)]))
    assert [d.code for d in compiled.rules[0].query.checked.diagnostics] == ["W320"]
    path = tmp_path / "w.cqlpack"
    write_pack(compiled, path)
    loaded = compile_pack(path)
    rule = loaded.rules[0]
    assert not rule.links and not rule.compiled
    assert list(loaded.run(str(telemetry), workers=1)) == list(
        compiled.run(str(telemetry), workers=1)
    )
    assert not rule.compiled and rule._to_run is not None
    assert rule._to_run.checked.diagnostics == []
    assert [d.code for d in rule.query.checked.diagnostics] == ["W320"]


def test_what_a_loader_refuses(tmp_path) -> None:
    compiled = compile_pack(source())
    path = tmp_path / "p.cqlpack"
    write_pack(compiled, path)
    body = msgspec.msgpack.decode(path.read_bytes()[len(PACK_MAGIC) :])

    def written(record: dict) -> Path:
        out = tmp_path / "changed.cqlpack"
        out.write_bytes(PACK_MAGIC + msgspec.msgpack.encode(record))
        return out

    with pytest.raises(PackFileError, match=r"pack format 99.*build it again"):
        read_pack(written({**body, "format": 99}))
    # a file of the first format (a plan and prefilter in each rule) is
    # named as such, not as damaged, though it does not decode as this one
    first = {k: v for k, v in body.items() if k not in ("plans", "prefilters")}
    first["rules"] = [
        {**entry, "plan": body["plans"][entry["plan"]], "prefilter": []} for entry in body["rules"]
    ]
    with pytest.raises(PackFileError, match=r"pack format 1, program format \d+\);.*build it"):
        read_pack(written({**first, "format": 1}))
    with pytest.raises(PackFileError, match="program format 4"):
        read_pack(written({**body, "program_format": 4}))
    changed = dict(body)
    changed["rules"] = [dict(body["rules"][0], text="CommandLine=*"), *body["rules"][1:]]
    with pytest.raises(PackFileError, match="rule enc: its text does not match its hash"):
        read_pack(written(changed))
    for entry in (dict(body["rules"][0], plan=len(body["plans"])), dict(body["rules"][0], plan=-1)):
        with pytest.raises(PackFileError, match="damaged"):
            read_pack(written({**body, "rules": [entry, *body["rules"][1:]]}))
    truncated = tmp_path / "cut.cqlpack"
    truncated.write_bytes(path.read_bytes()[:200])
    with pytest.raises(PackFileError, match="damaged"):
        compile_pack(truncated)
    assert packfile.looks_built(path) and not packfile.looks_built(tmp_path / "missing")


def test_a_loaded_pack_decodes_its_prefilters_when_asked(tmp_path) -> None:
    """A pack file stores each distinct run plan once and the rules'
    prefilters in a section of their own, decoded when a rule's is first
    asked for (a run of the pack as built reads its stored index tables
    instead): the loaded rules have the plans and prefilters of the
    compiled ones, and a damaged section is a ``PackFileError`` then."""
    texts = {**RULES, "nop": "#event_simpleName=ProcessRollup2 CommandLine=/-nop/i"}
    compiled = compile_pack(
        PackSource("t", [RuleSource(id=k, name=k, text=v) for k, v in texts.items()])
    )
    path = tmp_path / "p.cqlpack"
    write_pack(compiled, path)
    body = msgspec.msgpack.decode(path.read_bytes()[len(PACK_MAGIC) :])
    assert len(body["plans"]) == len(body["rules"]) - 1  # (enc and nop share one)
    loaded = compile_pack(path)
    holder = loaded.compiled[0]._prefilter.func.__self__  # (the section, not decoded yet)
    assert holder._decoded is None
    assert [r.plan for r in loaded.compiled] == [r.plan for r in compiled.compiled]
    assert [r.prefilter for r in loaded.compiled] == [r.prefilter for r in compiled.compiled]
    assert holder._decoded is not None
    damaged = tmp_path / "damaged.cqlpack"
    for prefilters in ([[["x"]]], [[]] * (len(body["rules"]) + 1)):
        data = {**body, "prefilters": prefilters}
        damaged.write_bytes(PACK_MAGIC + msgspec.msgpack.encode(data))
        rule = compile_pack(damaged).compiled[0]  # (loads: the section is not read yet)
        with pytest.raises(PackFileError, match="damaged pack file"):
            rule.prefilter  # noqa: B018


def test_pack_build_from_the_command_line(tmp_path, telemetry, capsys) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    for name, text in RULES.items():
        (rules / f"{name}.cql").write_text(text + "\n", encoding="utf-8")
    out = tmp_path / "rules.cqlpack"
    assert main(["pack", "build", str(rules), "-o", str(out)]) == EXIT_RULES_LEFT_OUT
    said = capsys.readouterr().err
    assert "rule broken" in said and "3 linked into one program" in said and out.is_file()
    args = [str(telemetry), "--format", "ndjson", "--workers", "1"]
    assert main(["pack", "run", str(rules), *args]) == EXIT_RULES_LEFT_OUT
    from_sources = capsys.readouterr().out
    assert main(["pack", "run", str(out), *args]) == EXIT_RULES_LEFT_OUT
    from_file = capsys.readouterr().out
    assert from_file == from_sources and json.loads(from_file.splitlines()[0])["rule.id"]
    assert main(["pack", "run", str(out), *args, "--strict"]) == EXIT_PACK_ERROR
    bad = tmp_path / "bad.cqlpack"
    bad.write_bytes(PACK_MAGIC + b"\x00\x01")
    assert main(["pack", "run", str(bad), *args]) == EXIT_PACK_ERROR
    assert "damaged pack file" in capsys.readouterr().err
    assert main(["pack", "build", str(rules), "-o", str(tmp_path / "no" / "x.cqlpack")]) == 1
    assert "cannot write" in capsys.readouterr().err


def test_a_built_pack_keeps_its_literal_scanner(tmp_path, telemetry, monkeypatch) -> None:
    """The candidate index's scanner of every literal is stored compiled and
    loaded instead of compiled again; one that does not fit (other rules
    enabled, a damaged database) is compiled again, with the same hits."""
    from cqlmatch.packs import run

    if run.literal_scanner([b"x"]) is None:
        pytest.skip("the stored scanner is Hyperscan's")
    compiled = compile_pack(source())
    path = tmp_path / "p.cqlpack"
    write_pack(compiled, path)
    stored = read_pack(path).scanner
    assert stored is not None
    assert stored[0] == run.patterns_key(compiled.candidates().index.scan_patterns)
    calls: list[bool] = []
    real = run.literal_scanner

    def spy(patterns, ids=None, database=None, every=False):
        if ids is None:  # the scanner of every literal (typed ones name their ids)
            assert every  # (field mode scans a line's values joined with it)
            calls.append(database is not None)
        return real(patterns, ids, database, every)

    monkeypatch.setattr(run, "literal_scanner", spy)
    want = list(compiled.run(str(telemetry), workers=1))
    loaded = compile_pack(path)
    calls.clear()
    assert list(loaded.run(str(telemetry), workers=1)) == want and want
    assert calls == [True]  # loaded, not compiled
    calls.clear()
    fewer = loaded.select(disable=["enc"])
    fewer.run(str(telemetry), workers=1)
    assert calls == [False]  # other literals: compiled again
    damaged = tmp_path / "damaged.cqlpack"
    record = msgspec.msgpack.decode(path.read_bytes()[len(PACK_MAGIC) :])
    database = bytearray(record["scanner_database"])
    database[len(database) // 2 :] = bytes(len(database) - len(database) // 2)
    record["scanner_database"] = bytes(database)
    damaged.write_bytes(PACK_MAGIC + msgspec.msgpack.encode(record))
    calls.clear()
    assert list(compile_pack(damaged).run(str(telemetry), workers=1)) == want
    assert calls == [True, False]  # refused by Hyperscan, then compiled


def test_a_built_pack_keeps_its_index_tables(tmp_path, telemetry, monkeypatch) -> None:
    """The candidate index's tables (literals, group sets, the fields each
    literal names) are stored for the enabled rules and loaded instead of
    worked out again, giving the same index and hits; with other rules
    enabled, or from a file without them, they are worked out again."""
    from cqlmatch.packs import run

    compiled = compile_pack(source())
    path = tmp_path / "p.cqlpack"
    write_pack(compiled, path)
    stored = read_pack(path).tables
    assert stored == run.index_tables(compiled.rules)
    assert stored.rules == tuple(rule.id for rule in compiled.rules)
    made: list[int] = []
    real = run.index_tables
    monkeypatch.setattr(run, "index_tables", lambda rules: made.append(len(rules)) or real(rules))
    want = list(compiled.run(str(telemetry), workers=1))
    made.clear()
    loaded = compile_pack(path)
    assert list(loaded.run(str(telemetry), workers=1)) == want and want
    assert made == []  # loaded, not worked out
    ours, theirs = loaded.candidates(), compiled.candidates()
    assert ours.shape_of == theirs.shape_of and ours.shapes == theirs.shapes
    assert ours.names == theirs.names
    assert ours.index.scan_patterns == theirs.index.scan_patterns
    fewer = loaded.select(disable=["enc"])
    fewer.run(str(telemetry), workers=1)
    assert made == [len(fewer.rules)]  # other rules: worked out again
    record = msgspec.msgpack.decode(path.read_bytes()[len(PACK_MAGIC) :])
    del record["index"]
    older = tmp_path / "older.cqlpack"
    older.write_bytes(PACK_MAGIC + msgspec.msgpack.encode(record))
    made.clear()
    assert list(compile_pack(older).run(str(telemetry), workers=1)) == want
    assert made == [len(compiled.rules)]


def test_a_built_pack_shares_regex_sets_within_a_candidate_set(tmp_path) -> None:
    """Rules with the same literal groups run on the same events: a built
    pack gives their patterns on one field one set (a rule with other
    literals keeps its own), and each rule keeps the hits it has alone."""
    rules = {
        "a": "#event_simpleName=ProcessRollup2 CommandLine=/a[0-9]c/",
        "b": "#event_simpleName=ProcessRollup2 CommandLine=/x[0-9]z/",
        "c": "#event_simpleName=ProcessRollup2 CommandLine=/q[0-9]+r/ or CommandLine=/a[0-9]c/",
        "d": "#event_simpleName=ProcessRollup2 CommandLine=/powershell/i CommandLine=/m[0-9]n/",
    }
    compiled = compile_pack(
        PackSource("g", [RuleSource(id=k, name=k, text=v) for k, v in rules.items()])
    )
    path = tmp_path / "g.cqlpack"
    write_pack(compiled, path)
    loaded = compile_pack(path)
    program = loaded.candidates().linked.program
    command_line = [s for s in program.regex_sets if program.fields[s.slot].name == "CommandLine"]
    own = sum(len(r.query.program.regex_sets) for r in compiled.rules)
    assert len(command_line) < own  # a, b and c share one
    assert any(len(s.patterns) == 3 for s in command_line)  # (a[0-9]c once for a and c)
    # each pattern's facts (its literals, for the set's gate) are stored with it
    assert all(len(s.facts) == len(s.patterns) for s in program.regex_sets)
    assert all(
        f.literals and all(x in p for x in f.literals)
        for s in command_line
        for p, f in zip(s.patterns, s.facts, strict=True)
    )
    lines = [
        {"event_simpleName": "ProcessRollup2", "CommandLine": text}
        for text in ["a1c", "x2z q33r", "none", "POWERSHELL m4n", "powershell a5c", "q7r x8z"]
    ]
    events = tmp_path / "e.ndjson"
    events.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    check_against_single_runs(loaded, str(events), engines=("vm", "reference"))
    hits = [(row["rule.id"], row["CommandLine"]) for row in loaded.run(str(events))]
    assert hits == [
        ("a", "a1c"),
        ("c", "a1c"),
        ("b", "x2z q33r"),
        ("c", "x2z q33r"),
        ("d", "POWERSHELL m4n"),
        ("a", "powershell a5c"),
        ("c", "powershell a5c"),
        ("b", "q7r x8z"),
        ("c", "q7r x8z"),
    ]
