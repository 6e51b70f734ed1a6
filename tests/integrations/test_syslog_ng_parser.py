"""``CQLParser`` outside the daemon (a dict stands for the log message, the
standard ``logging`` for syslog-ng's log): its options, and the pairs a
message with several pack hits gets.  tests/integrations/test_syslog_ng.py
runs it in the real daemon."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from cqlmatch.integrations.syslog_ng import CQLParser, CQLResults


def parser(caplog: pytest.LogCaptureFixture, **options: str) -> CQLParser | str:
    """An initialised parser, or the error it logged."""
    made = CQLParser()
    with caplog.at_level(logging.INFO):
        caplog.clear()
        if made.init(options):
            return made
    return "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)


@pytest.fixture
def rule(tmp_path: Path) -> Path:
    path = tmp_path / "rule.cql"
    path.write_text('FileName=/cmd/ | Kind := "shell"\n', encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({}, 'give one of the options "rule" (a .cql file) or "pack"'),
        ({"rule": "R", "pack": "P"}, 'give one of the options "rule" (a .cql file) or "pack"'),
        ({"rule": "R", "mode": "drop"}, 'option "mode" is "filter" or "tag", not "drop"'),
        ({"rule": "R", "prefilter": "on"}, 'option "prefilter" is "yes" or "no", not "on"'),
        ({"rule": "R", "feild": "x"}, "CQLParser has no option 'feild'; its options are rule,"),
        ({"rule": "/no/such/rule.cql"}, "cannot read the rule /no/such/rule.cql"),
        ({"pack": "/no/such/pack.yaml"}, "the pack /no/such/pack.yaml cannot be used"),
        ({"pack": "/no/such/falcon.cqlpack"}, "/no/such/falcon.cqlpack"),
    ],
)
def test_bad_options_are_refused_with_the_reason(
    caplog: pytest.LogCaptureFixture, rule: Path, options: dict[str, str], says: str
) -> None:
    options = {k: str(rule) if v == "R" else v for k, v in options.items()}
    got = parser(caplog, **options)
    assert isinstance(got, str), "init() should have refused"
    assert says in got


def test_a_query_that_reads_its_whole_input_is_refused(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    path = tmp_path / "join.cql"
    path.write_text("join({#event_simpleName=A}, field=aid)\n", encoding="utf-8")
    got = parser(caplog, rule=str(path))
    assert isinstance(got, str) and "join() and defineTable()" in got


def test_filter_and_tag_modes(caplog: pytest.LogCaptureFixture, rule: Path) -> None:
    hit, miss, bad = b'{"FileName":"cmd.exe"}', b'{"FileName":"ls"}', b"{oops"
    filtering = parser(caplog, rule=str(rule))
    assert isinstance(filtering, CQLParser)
    message = {"MESSAGE": hit}
    assert filtering.parse(message) is True
    assert message == {"MESSAGE": hit, "cql.Kind": "shell", "cql.hits": "1"}
    assert filtering.parse({"MESSAGE": miss}) is False
    assert filtering.parse({"MESSAGE": bad}) is False
    assert filtering.parse({"OTHER": hit}) is False
    assert (filtering.messages, filtering.kept, filtering.dropped) == (4, 1, 1)
    assert (filtering.not_json, filtering.missing) == (1, 1)

    tagging = parser(caplog, rule=str(rule), mode="tag", prefix="x_", field="json")
    assert isinstance(tagging, CQLParser)
    message = {"json": miss}
    assert tagging.parse(message) is True and message == {"json": miss}
    message = {"json": bad}
    assert tagging.parse(message) is True and set(message) == {"json", "x_error"}
    message = {"json": hit}
    assert tagging.parse(message) is True and message["x_Kind"] == "shell"


def test_several_pack_hits_each_get_their_rule(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    """The first hit's pairs under the prefix, the next ones under
    ``<prefix>hit2.`` and so on, in the pack's rule order."""
    manifest = tmp_path / "pack.yaml"
    manifest.write_text(
        "rules:\n"
        "  - id: shell\n"
        "    name: A shell\n"
        "    severity: low\n"
        "    query: FileName=/cmd/i\n"
        "  - id: encoded\n"
        "    name: Encoded command\n"
        "    severity: high\n"
        '    query: CommandLine=/-enc/ | Why := "encoded"\n',
        encoding="utf-8",
    )
    made = parser(caplog, pack=str(manifest))
    assert isinstance(made, CQLParser)
    message = {"MESSAGE": b'{"FileName":"CMD.EXE","CommandLine":"cmd -enc AAA"}'}
    assert made.parse(message) is True
    assert {k: v for k, v in message.items() if k != "MESSAGE"} == {
        "cql.rule.id": "shell",
        "cql.rule.name": "A shell",
        "cql.rule.severity": "low",
        "cql.hit2.rule.id": "encoded",
        "cql.hit2.rule.name": "Encoded command",
        "cql.hit2.rule.severity": "high",
        "cql.hit2.Why": "encoded",
        "cql.hits": "2",
    }


def test_results_source_options(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        assert CQLResults().init({"interval": "0.5", "cumulative": "yes"}) is True
        assert CQLResults().init({"interval": "soon"}) is False
        assert CQLResults().init({"interval": "0"}) is False
    assert 'option "interval" is a number of seconds, not "soon"' in caplog.text
    assert 'option "interval" must be more than 0 seconds' in caplog.text


def test_the_docs_show_every_example_configuration_as_it_is() -> None:
    """docs/embedding.md includes each examples/syslog-ng file verbatim, as
    one fenced block, so what the documentation shows is what the tests run."""
    root = Path(__file__).resolve().parents[2]
    doc = (root / "docs" / "embedding.md").read_text(encoding="utf-8")
    examples = sorted((root / "examples" / "syslog-ng").glob("*.conf"))
    assert len(examples) >= 4
    for example in examples:
        block = "\n```\n" + example.read_text(encoding="utf-8") + "```\n"
        assert block in doc, f"docs/embedding.md does not show {example.name} as it is"


def test_rows_no_source_emitted_are_reported_at_the_end(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    path = tmp_path / "count.cql"
    path.write_text("FileName=/cmd/ | groupBy([FileName])\n", encoding="utf-8")
    made = parser(caplog, rule=str(path))
    assert isinstance(made, CQLParser)
    assert made.parse({"MESSAGE": b'{"FileName":"cmd.exe"}'}) is True
    with caplog.at_level(logging.INFO):
        made.deinit()
    assert "has aggregate rows but no CQLResults source emitted them" in caplog.text
    assert "1 messages, 1 kept (1 hits), 0 dropped" in caplog.text
    assert made.results(reset=True) == [{"FileName": "cmd.exe", "_count": "1"}]
