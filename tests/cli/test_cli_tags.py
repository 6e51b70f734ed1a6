"""``--tag`` and ``--no-default-tags`` on the command line: run, check,
stream and pack run (docs/cli.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cqlmatch.cli.commands import main
from cqlmatch.cli.pack import EXIT_PACK_ERROR

EVENTS = [
    {"event_simpleName": "ProcessRollup2", "aid": "a1"},
    {"#repo": "detections", "event_simpleName": "ProcessRollup2", "aid": "a2"},
]


@pytest.fixture
def events(tmp_path: Path) -> Path:
    path = tmp_path / "events.ndjson"
    path.write_text("".join(json.dumps(e) + "\n" for e in EVENTS), encoding="utf-8")
    return path


def query_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "q.cql"
    path.write_text(text + "\n", encoding="utf-8")
    return path


def aids(out: str) -> list[str]:
    return [json.loads(line)["aid"] for line in out.splitlines()]


@pytest.mark.parametrize("engine", ["vm", "reference"])
def test_run_with_default_and_given_tags(tmp_path, events, capsys, engine) -> None:
    q = str(query_file(tmp_path, "#repo=base_sensor"))
    assert main(["run", q, str(events), "--format", "ndjson", "--engine", engine]) == 0
    assert aids(capsys.readouterr().out) == ["a1"]
    q = str(query_file(tmp_path, "#repo=detections"))
    argv = ["run", q, str(events), "--format", "ndjson", "--engine", engine]
    assert main([*argv, "--tag", "repo=detections"]) == 0
    assert aids(capsys.readouterr().out) == ["a1", "a2"]


def test_run_without_default_tags_warns_naming_the_option(tmp_path, events, capsys) -> None:
    q = str(query_file(tmp_path, "#kind=Primary"))
    assert main(["run", q, str(events), "--format", "ndjson", "--no-default-tags"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "warning W340" in captured.err  # the check, before the run
    assert "warning W470" in captured.err and "--tag kind=VALUE" in captured.err
    assert main(["run", q, str(events), "--format", "ndjson"]) == 0
    captured = capsys.readouterr()
    assert aids(captured.out) == ["a1", "a2"] and "W470" not in captured.err


def test_check_names_the_option_and_takes_tags(tmp_path, capsys) -> None:
    q = str(query_file(tmp_path, "#Vendor=zscaler | count()"))
    assert main(["check", q]) == 0
    out = capsys.readouterr().out
    assert "warning W340" in out and "--tag Vendor=VALUE" in out
    assert main(["check", q, "--tag", "Vendor=zscaler"]) == 0
    assert "W340" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("tag", "says"),
    [("repo", "not NAME=VALUE"), ("=x", "not a tag name"), ("repo=", "has no value")],
)
def test_a_bad_tag_is_a_clear_error(tmp_path, events, tag, says) -> None:
    q = str(query_file(tmp_path, "#repo=x"))
    with pytest.raises(SystemExit) as info:
        main(["run", q, str(events), "--tag", tag])
    assert str(info.value).startswith("cqlmatch: --tag: ") and says in str(info.value)


def test_stream_takes_tags(tmp_path) -> None:
    q = str(query_file(tmp_path, "#repo=detections"))
    data = "".join(json.dumps(e) + "\n" for e in EVENTS).encode()
    for extra, expected in [([], ["a2"]), (["--tag", "repo=detections"], ["a1", "a2"])]:
        done = subprocess.run(
            [sys.executable, "-m", "cqlmatch", "stream", q, *extra],
            input=data,
            capture_output=True,
            check=True,
            timeout=60,
        )
        assert aids(done.stdout.decode()) == expected
    # a tag no event and no input gives: W340 when it starts, W470 when it ends
    q = str(query_file(tmp_path, "#Vendor=zscaler"))
    done = subprocess.run(
        [sys.executable, "-m", "cqlmatch", "stream", q],
        input=data,
        capture_output=True,
        check=True,
        timeout=60,
    )
    assert done.stdout == b""
    err = done.stderr.decode()
    assert "warning W340" in err and "warning W470" in err and "--tag Vendor=VALUE" in err


def _manifest(tmp_path: Path, source_tags: str = "") -> Path:
    path = tmp_path / "pack.yaml"
    path.write_text(
        "name: t\n"
        + source_tags
        + "rules:\n"
        + "  - id: linked\n    query: '#repo=detections #event_simpleName=ProcessRollup2'\n"
        + "  - id: counted\n    query: '#repo=detections | count()'\n",
        encoding="utf-8",
    )
    return path


def _hits(out: str) -> list[tuple[str, str | None]]:
    rows = [json.loads(line) for line in out.splitlines()]
    return [(r["rule.id"], r.get("aid") or r.get("_count")) for r in rows]


def test_pack_run_tags_from_the_option_and_the_manifest(tmp_path, events, capsys) -> None:
    plain = _manifest(tmp_path)
    assert main(["pack", "run", str(plain), str(events), "--format", "ndjson"]) == 0
    assert _hits(capsys.readouterr().out) == [("linked", "a2"), ("counted", "1")]
    argv = ["pack", "run", str(plain), str(events), "--format", "ndjson"]
    assert main([*argv, "--tag", "repo=detections"]) == 0
    assert _hits(capsys.readouterr().out) == [("linked", "a1"), ("linked", "a2"), ("counted", "2")]
    tagged = _manifest(tmp_path, "source_tags:\n  repo: detections\n")
    assert main(["pack", "run", str(tagged), str(events), "--format", "ndjson"]) == 0
    assert _hits(capsys.readouterr().out) == [("linked", "a1"), ("linked", "a2"), ("counted", "2")]
    # a built pack keeps them
    built = tmp_path / "t.cqlpack"
    assert main(["pack", "build", str(tagged), "-o", str(built)]) == 0
    assert main(["pack", "run", str(built), str(events), "--format", "ndjson"]) == 0
    assert _hits(capsys.readouterr().out)[-1] == ("counted", "2")


def test_pack_refuses_a_tag_it_routes_on(tmp_path, events, capsys) -> None:
    argv = ["pack", "run", str(_manifest(tmp_path)), str(events)]
    assert main([*argv, "--tag", "event_simpleName=x"]) == EXIT_PACK_ERROR
    assert "Falcon sensor events carry event_simpleName" in capsys.readouterr().err
