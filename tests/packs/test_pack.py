"""A pack runs its rules over the events in one pass, and every rule's hits
equal running that rule alone, on either engine (a differential test over
random packs of random rules, and one over real corpus rules)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import cqlmatch
from cqlmatch.packs.pack import PackCompileError, compile_pack
from cqlmatch.packs.sources import PackSource, RuleSource
from cqlmatch.synth.gen import generate_lines

from ..conftest import CORPUS, SEED
from ..runtime.test_differential import aggregations, event_lists, per_event_pipelines

RULE_FIELDS = ("rule.id", "rule.name", "rule.severity", "rule.tags")


def without_rule(row: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in row.items() if k not in RULE_FIELDS}


def hits_of(result, rule_id: str) -> list[dict[str, str]]:
    return [without_rule(row) for row in result if row["rule.id"] == rule_id]


def check_against_single_runs(pack, source, engines=("vm", "reference")) -> None:
    result = pack.run(source)
    for rule in pack.rules:
        mine = hits_of(result, rule.id)
        for engine in engines:
            alone = rule.query.run(source, engine=engine, workers=1)
            if rule.query.plan.aggregating and not _ordered(rule.query.text):
                assert sorted(map(str, mine)) == sorted(map(str, alone)), (rule.query.text, engine)
            else:
                assert mine == list(alone), (rule.query.text, engine)
        assert result.rule_stats[rule.id].hits == len(mine)


def _ordered(text: str) -> bool:
    return "sort(" in text or "head(" in text or "tail(" in text


# --- random packs --------------------------------------------------------------------------

TYPE_PREFIXES = [
    "",
    "#event_simpleName=ProcessRollup2 | ",
    "event_simpleName=/^processrollup2$/i | ",
    "(#event_simpleName=DnsRequest OR #event_simpleName=ProcessRollup2) | ",
]
rules = st.tuples(
    st.sampled_from(TYPE_PREFIXES),
    st.one_of(per_event_pipelines, per_event_pipelines, aggregations()),
).map("".join)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(st.lists(rules, min_size=1, max_size=6), event_lists)
def test_random_packs_give_each_rule_its_own_hits(queries, events) -> None:
    source = PackSource(
        "random", [RuleSource(id=f"r{i}", name=f"r{i}", text=q) for i, q in enumerate(queries)]
    )
    pack = compile_pack(source)
    check_against_single_runs(pack, events)


# --- real rules over generated telemetry ---------------------------------------------------


@pytest.fixture(scope="module")
def telemetry(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pack") / "events.ndjson"
    path.write_bytes(b"".join(generate_lines(6000, seed=4, malicious_rate=0.02)))
    return path


def corpus_rules(limit: int) -> list[RuleSource]:
    """Per-event corpus queries that compile (Sigma-converted first), plus the seed rule."""
    found = [RuleSource(id="seed", name="seed", text=SEED.read_text(encoding="utf-8"))]
    records = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    records.sort(key=lambda r: (not r.get("sigma_title"), r["id"]))
    for record in records:
        try:
            query = cqlmatch.compile(record["query"])
        except cqlmatch.CQLError:
            continue
        if query.checked.reads_source or query.tables:
            continue
        found.append(RuleSource(id=record["id"], name=record["id"], text=record["query"]))
        if len(found) > limit:
            break
    return found


def test_corpus_rules_as_one_pack_agree_with_single_runs(telemetry) -> None:
    pack = compile_pack(PackSource("corpus", corpus_rules(120)))
    assert len(pack) > 100 and not pack.problems
    routed = sum(rule.route is not None for rule in pack.rules)
    assert routed > 50  # most name their event types
    check_against_single_runs(pack, str(telemetry), engines=("vm",))
    sample = random.Random(1).sample(pack.rules, 15)
    subset = pack.select(disable=[r.id for r in pack.rules if r not in sample])
    check_against_single_runs(subset, str(telemetry), engines=("reference",))


def test_field_mode_gives_each_corpus_rule_its_own_hits(telemetry, monkeypatch) -> None:
    """With ProcessRollup2 read in field mode (its lines kept unscanned,
    the candidates found in the decoded fields each literal names), every
    rule still has the hits it has alone, in one process and in two."""
    from cqlmatch.packs import run

    if run.literal_scanner([b"x"]) is None:
        pytest.skip("field mode needs Hyperscan")
    monkeypatch.setattr(run, "FIELD_MODE_RULES", 5)
    pack = compile_pack(PackSource("corpus", corpus_rules(120)))
    check_against_single_runs(pack, str(telemetry), engines=("vm",))
    index = pack.candidates()
    assert index.adapted and index.index.field_mode  # (ProcessRollup2's scanner)
    assert list(pack.run(str(telemetry), workers=2)) == list(pack.run(str(telemetry), workers=1))


def test_hits_come_by_event_then_by_rule_with_rule_fields() -> None:
    source = PackSource(
        "p",
        [
            RuleSource(id="b", name="B rule", severity="high", tags=("t1", "t2"), text="x=1"),
            RuleSource(id="a", name="A rule", text="y=*"),
            RuleSource(id="agg", name="Agg", text="count()"),
        ],
    )
    pack = compile_pack(source)
    events = [{"x": "1"}, {"y": "2", "x": "1"}, {"z": "3"}]
    result = pack.run(events)
    assert [(row.get("rule.id"), row.get("x"), row.get("y")) for row in result] == [
        ("b", "1", None),
        ("b", "1", "2"),
        ("a", "1", "2"),
        ("agg", None, None),
    ]
    assert result[0]["rule.tags"] == "t1,t2" and result[0]["rule.severity"] == "high"
    assert "rule.tags" not in result[2] and result[2]["rule.severity"] == "medium"
    assert result[3]["_count"] == "3"
    assert pack.match({"y": "5", "x": "1"}) == [
        {
            "y": "5",
            "x": "1",
            "rule.id": "b",
            "rule.name": "B rule",
            "rule.severity": "high",
            "rule.tags": "t1,t2",
        },
        {"y": "5", "x": "1", "rule.id": "a", "rule.name": "A rule", "rule.severity": "medium"},
    ]


def test_a_rule_that_does_not_compile_is_left_out_with_its_place(tmp_path) -> None:
    manifest = tmp_path / "pack.yaml"
    manifest.write_text(
        "rules:\n"
        "  - id: good\n"
        "    query: x=1\n"
        "  - id: bad\n"
        "    query: |\n"
        "      x=1\n"
        "      | nosuchfunction()\n",
        encoding="utf-8",
    )
    pack = compile_pack(manifest)
    assert [rule.id for rule in pack.rules] == ["good"]
    (problem,) = pack.problems
    assert problem.rule == "bad"
    assert f"{manifest}:7:9: error" in problem.message  # line 7, after "      | "
    with pytest.raises(PackCompileError, match="1 rule"):
        compile_pack(manifest, strict=True)


def test_select_enables_and_disables_by_id() -> None:
    source = PackSource(
        "p",
        [
            RuleSource(id="a", name="a", text="x=1"),
            RuleSource(id="b", name="b", text="x=2", enabled=False),
            RuleSource(id="c", name="c", text="x=("),
        ],
    )
    pack = compile_pack(source)
    assert [r.id for r in pack.rules] == ["a"] and pack.disabled == ["b"]
    both = pack.select(enable=["b"])
    assert [r.id for r in both.rules] == ["a", "b"]
    assert [r.id for r in both.select(disable=["a"]).rules] == ["b"]
    with pytest.raises(KeyError, match="zzz"):
        pack.select(enable=["zzz"])
    with pytest.raises(KeyError, match="c \\(left out"):
        pack.select(enable=["c"])


def test_a_rule_without_literals_turns_the_shared_prefilter_off(tmp_path) -> None:
    lines = [json.dumps({"event_simpleName": "DnsRequest", "n": str(i)}) for i in range(50)]
    lines.append("garbage")
    path = tmp_path / "e.ndjson"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with_literals = compile_pack(
        PackSource("p", [RuleSource(id="a", name="a", text="#event_simpleName=ProcessRollup2")])
    )
    result = with_literals.run(str(path))
    assert result.prefilter and result.stats.skipped == 50 and result.malformed_count == 1
    everything = compile_pack(
        PackSource(
            "p",
            [
                RuleSource(id="a", name="a", text="#event_simpleName=ProcessRollup2"),
                RuleSource(id="b", name="b", text="n=7"),
            ],
        )
    )
    result = everything.run(str(path))
    assert not result.prefilter and result.stats.skipped == 0
    assert [row["n"] for row in result] == ["7"]


def test_the_shared_prefilter_decodes_only_lines_a_rule_can_keep(tmp_path) -> None:
    """Lines no rule is a candidate for are skipped, Gson's escapes
    (``\\u003d`` for ``=``, ``\\/``) neither hide a literal nor make every
    line a candidate, and the hits are those of a run without prefilter, in
    one process or two."""
    rows = []
    for i in range(3000):
        command = ["x -Level=Info", "certutil -urlcache http://a/b", "tool -k=v"][i % 3]
        rows.append({"event_simpleName": "ProcessRollup2", "CommandLine": command, "n": str(i)})
    text = "\n".join(json.dumps(row).replace("=", "\\u003d").replace("/", "\\/") for row in rows)
    path = tmp_path / "e.ndjson"
    path.write_text(text + "\nnot json\n", encoding="utf-8")
    pack = compile_pack(
        PackSource(
            "p",
            [
                RuleSource(id="k", name="k", text="CommandLine=/tool -k/i"),
                RuleSource(id="url", name="url", text='CommandLine="*http://a/*"'),
                RuleSource(id="none", name="none", text="CommandLine=/mimikatz/i"),
            ],
        )
    )
    result = pack.run(str(path), workers=1)
    assert result.prefilter and result.malformed_count == 1
    assert result.stats.skipped == 1000  # the "-Level=Info" lines
    assert [len(hits_of(result, r)) for r in ("k", "url", "none")] == [1000, 1000, 0]
    unfiltered = pack.run(str(path), workers=1, prefilter=False)
    assert list(result) == list(unfiltered) and unfiltered.stats.skipped == 0
    assert list(pack.run(str(path), workers=2)) == list(result)
    check_against_single_runs(pack, str(path), engines=("vm",))


# --- the pack matcher ---------------------------------------------------------------------


def test_the_pack_matcher_gives_what_a_run_gives() -> None:
    """match_many, feed in pieces and results() against Pack.run on the same events."""
    source = PackSource(
        "p",
        [
            RuleSource(id="dns", name="dns", text="#event_simpleName=DnsRequest"),
            RuleSource(id="tag", name="tag", tags=("x",), text="n=* | t:=upper(n)"),
            RuleSource(id="agg", name="agg", text="groupBy([event_simpleName])"),
        ],
    )
    pack = compile_pack(source)
    events = [
        {"event_simpleName": "DnsRequest", "n": str(i)} if i % 3 else {"event_simpleName": "X"}
        for i in range(50)
    ]
    expected = pack.run(events)
    per_event = [row for row in expected if row["rule.id"] != "agg"]
    matcher = cqlmatch.Matcher(pack)
    assert [hit for hits in matcher.match_many(events) for hit in hits] == per_event
    assert matcher.results() == [row for row in expected if row["rule.id"] == "agg"]
    data = "".join(json.dumps(e) + "\n" for e in events).encode() + b"garbage\n"
    fed = cqlmatch.Matcher(pack)
    hits = []
    for start in range(0, len(data), 37):
        hits.extend(fed.feed(data[start : start + 37]))
    hits.extend(fed.flush())
    assert hits == per_event
    assert fed.malformed_count == 1 and fed.malformed[0].line_number == 51
    assert fed.lines == 51
    assert fed.results(reset=True) == matcher.results()
    assert fed.results() == []  # reset


def test_a_pack_matcher_refuses_rules_that_read_their_input_again() -> None:
    pack = compile_pack(
        PackSource(
            "p",
            [RuleSource(id="j", name="j", text="join({y=1}, field=a, include=[b])")],
        )
    )
    with pytest.raises(ValueError, match="j \\(disable them\\)"):
        pack.matcher()


def test_pack_rules_read_the_tags_of_the_source() -> None:
    # Tags of the source (docs/packs.md): the pack's tags over the Falcon
    # sensor defaults, for linked and engine rules alike.
    source = PackSource(
        "t",
        [
            RuleSource(id="linked", name="l", text="#repo=base_sensor #event_simpleName=X"),
            RuleSource(id="grouped", name="g", text="#repo=base_sensor | groupBy(#type)"),
        ],
    )
    events = [{"event_simpleName": "X", "n": "1"}, {"event_simpleName": "X", "#repo": "other"}]
    hits = compile_pack(source).run(events)
    assert [(h["rule.id"], h.get("n") or h.get("#type")) for h in hits] == [
        ("linked", "1"),
        ("grouped", "falcon-raw-data"),
    ]
    # the input's tag is the last fallback: the first event now reads "other"
    assert compile_pack(source, tags={"repo": "other"}).run(events) == []
    assert compile_pack(source, default_tags=False).run(events) == []


def test_a_rule_with_a_slow_path_gets_its_events_decoded_whole(tmp_path) -> None:
    """The pack decodes only the fields its native rules read; a rule with a
    slow path (``test()``) reads fields none of them does, and still sees
    them: its candidates are decoded whole (in process and in parts)."""
    from cqlmatch.packs.run import pack_fields

    lines = []
    for i in range(400):
        same = i % 7 == 0
        lines.append(
            {
                "event_simpleName": "ProcessRollup2",
                "CommandLine": f"cmd.exe /c evil{i}" if i % 3 else "notepad.exe",
                "ParentBaseFileName": "a.exe" if same else "b.exe",
                "FileName": "a.exe",
                "Other": "x" * (i % 5),
            }
        )
    path = tmp_path / "events.ndjson"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    source = PackSource(
        "slow",
        [
            RuleSource(
                id="native", name="n", text="#event_simpleName=ProcessRollup2 CommandLine=/cmd/i"
            ),
            RuleSource(
                id="slow",
                name="s",
                text="#event_simpleName=ProcessRollup2 CommandLine=/evil/ "
                "| test(ParentBaseFileName == FileName)",
            ),
        ],
    )
    pack = compile_pack(source)
    slow = next(rule for rule in pack.rules if rule.id == "slow")
    assert not slow.query.plan.native
    fields = pack_fields(pack.rules)
    assert fields is not None and "ParentBaseFileName" not in fields
    check_against_single_runs(pack, str(path), engines=("vm",))
    result = pack.run(str(path), workers=2)
    mine = hits_of(result, "slow")
    want = [line for i, line in enumerate(lines) if i % 7 == 0 and i % 3]
    assert [row["CommandLine"] for row in mine] == [line["CommandLine"] for line in want]
    assert mine and all(row["Other"] == line["Other"] for row, line in zip(mine, want, strict=True))
