"""The peers of bench/compare.py that need no extra package: the naive Python
rule (``json`` + ``re``) must give exactly cqlmatch's rows, the row comparison
must tell agreeing rows from different ones, and the regex that stands for
``cidr()`` in the SQL and Polars queries must agree with cqlmatch's ``cidr``
(checked with RE2, DuckDB's regex engine).  The DuckDB and Polars queries
themselves are checked by ``bench/test_peer_queries.py`` (the ``bench``
extra)."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

import pytest
import re2

import cqlmatch
from cqlmatch.synth.gen import write_file

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load_peers():
    spec = importlib.util.spec_from_file_location("cqlmatch_bench_peers", BENCH / "peers.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


peers = _load_peers()


@pytest.fixture(scope="module")
def queries() -> dict[str, cqlmatch.CompiledQuery]:
    return {
        name: cqlmatch.compile(path.read_text(encoding="utf-8"))
        for name, path in peers.RULES.items()
    }


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Small generated files (the worst mix with many planted chains, so the limit of 200
    cuts a run of equal counts) and the corner-case lines, with and without the lines the
    SQL and Polars peers read differently."""
    root = tmp_path_factory.mktemp("peers")
    out = {
        "worst": root / "worst.ndjson",
        "realistic": root / "realistic.ndjson",
        "corners": root / "corners.ndjson",
        "naive-only": root / "naive-only.ndjson",
    }
    write_file(out["worst"], 12_000, seed=31, mix="worst", malicious_rate=0.05)
    write_file(out["realistic"], 12_000, seed=32, malicious_rate=0.01)
    out["corners"].write_text("\n".join(peers.CORNER_LINES) + "\n", encoding="utf-8")
    out["naive-only"].write_text(
        "\n".join(peers.NAIVE_ONLY_LINES + peers.CORNER_LINES) + "\n", encoding="utf-8"
    )
    return out


@pytest.mark.parametrize("workload", ["seed", "every"])
@pytest.mark.parametrize("name", ["worst", "realistic", "corners", "naive-only"])
def test_naive_peer_gives_cqlmatch_rows(queries, files, workload: str, name: str) -> None:
    expected = queries[workload].run(files[name])
    assert expected, "the file must give rows, or the comparison shows nothing"
    assert peers.naive(files[name], workload) == expected


def test_generated_files_exercise_the_limit_and_every_category(queries, files) -> None:
    """The worst-mix file has more groups than the limit, with equal counts across the cut,
    and every category of the seed rule."""
    groups = peers.naive_groups(files["worst"], "seed")
    assert len(groups) > peers.LIMIT
    assert groups[peers.LIMIT - 1][peers.COUNT] == groups[peers.LIMIT][peers.COUNT]
    assert {row["EventType"] for row in groups} == {
        "INSTALLER_DOWNLOAD_CRADLE",
        "INSTALLER_ENCODED_EXECUTION",
        "INSTALLER_SCRIPT_CHILD",
        "INSTALLER_NETWORK_CALLBACK",
    }


def test_corner_lines_give_the_rows_cqlmatch_semantics_call_for(queries, files) -> None:
    """What the corner lines are for, spelled out (so a change in cqlmatch's reading of
    them shows up here, not only as a peer disagreement)."""
    rows = queries["seed"].run(files["corners"])
    by_address = {row["RemoteAddressIP4"]: row for row in rows}
    assert set(by_address) >= {"010.1.2.3", "", "8", "172.32.0.1", "9.9.9.9"}
    assert " 10.1.2.3 " not in by_address and "172.31.0.1" not in by_address
    assert by_address["9.9.9.9"][peers.COUNT] == "0"  # no aid: a row with count 0
    commands = {row["CommandLine"]: row["EventType"] for row in rows}
    assert commands["cmd /c certutil -urlcache http://x"] == "INSTALLER_ENCODED_EXECUTION"
    assert commands["POWERSHELL -EncodedCommand AAAA"] == "INSTALLER_DOWNLOAD_CRADLE"
    assert "wget https://a.example" in commands and "wget\nhttps://a.example" not in commands
    assert {row["ParentBaseFileName"] for row in rows} >= {"DPKG", "MSIEXEC.EXE"}
    assert "dpkg" not in {row["ParentBaseFileName"] for row in rows}
    hosts = {
        (row["ComputerName"], row["event_platform"])
        for row in queries["every"].run(files["corners"])
    }
    assert hosts == {("H1", "Win"), ("BUILD-7", "Win"), ("-", "Mac"), ("Jenkins-9", "Lin")}


# --- the row comparison --------------------------------------------------------------------------


def _rows(*pairs: tuple[str, int]) -> list[dict[str, str]]:
    return [{"k": key, peers.COUNT: str(n)} for key, n in pairs]


def test_compare_rows_accepts_any_order_among_equal_counts() -> None:
    expected = _rows(("a", 5), ("b", 3), ("c", 3), ("d", 1))
    assert peers.compare_rows(expected, _rows(("a", 5), ("c", 3), ("b", 3), ("d", 1))) == []


@pytest.mark.parametrize(
    ("got", "problem"),
    [
        (_rows(("b", 3), ("a", 5), ("c", 3), ("d", 1)), "descending"),
        (_rows(("a", 5), ("b", 3), ("c", 2), ("d", 1)), "differ"),
        (_rows(("a", 5), ("b", 3), ("c", 3)), "3 rows, expected 4"),
        (_rows(("a", 5), ("b", 3), ("c", 3), ("x", 1)), "differ"),
        (_rows(("a", 5), ("b", 3), ("c", 3), ("d", 1), ("e", 1)), "5 rows"),
    ],
)
def test_compare_rows_reports_differences(got, problem: str) -> None:
    expected = _rows(("a", 5), ("b", 3), ("c", 3), ("d", 1))
    problems = peers.compare_rows(expected, got)
    assert problems and any(problem in p for p in problems), problems


def test_compare_rows_at_a_limit_that_cuts_equal_counts() -> None:
    """Cut at 3 rows in the middle of the count-1 groups: another count-1 group may take
    the last place, a group that does not exist (or has another count) may not."""
    groups = _rows(("a", 4), ("b", 1), ("c", 1), ("d", 1))
    expected = groups[:3]
    assert peers.compare_rows(expected, _rows(("a", 4), ("d", 1), ("c", 1)), groups, 3) == []
    stray = peers.compare_rows(expected, _rows(("a", 4), ("b", 1), ("z", 1)), groups, 3)
    assert stray == ["1 rows with EventCount = 1 are no such group"]


# --- cidr as a regex ------------------------------------------------------------------------------

_CIDR = '!cidr(ip, subnet=["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8"])'


def _addresses() -> list[str]:
    tricky = [
        "10.0.0.1",
        " 10.0.0.1 ",
        "\t127.0.0.1\n",
        "\u300010.0.0.1\u2029",
        "\x8510.0.0.1\xa0",
        "010.0.0.1",
        "10.0.0.01",
        "10.0.0.256",
        "10.0.0",
        "10.0.0.1.1",
        "10.0.0.1/8",
        "172.15.255.255",
        "172.16.0.0",
        "172.31.255.255",
        "172.32.0.0",
        "192.168.0.1",
        "192.169.0.1",
        "192.168.1",
        "127.255.255.255",
        "128.0.0.1",
        "::1",
        "::ffff:10.0.0.1",
        "\uff110.0.0.1",
        "1\u06f0.0.0.1",
        "",
        " ",
        "10 .0.0.1",
        "x10.0.0.1",
    ]
    rng = random.Random(5)
    firsts = (10, 127, 172, 192, 8, 100)
    for _ in range(300):
        first = rng.choice(firsts)
        second = rng.choice((16, 31, 15, 32, 168, rng.randrange(256)))
        tricky.append(f"{first}.{second}.{rng.randrange(256)}.{rng.randrange(256)}")
    return tricky


def test_private_range_regex_is_cidr() -> None:
    """``peers.PRIVATE`` (RE2, as DuckDB runs it) matches exactly the values cqlmatch's
    ``cidr()`` puts in the four private ranges."""
    kept_by_cidr = cqlmatch.compile(_CIDR)
    private = re2.compile(peers.PRIVATE)
    disagree = [
        value
        for value in _addresses()
        if (kept_by_cidr.match({"ip": value}) is None) != (private.search(value) is not None)
    ]
    assert disagree == []
    assert private.search(" 10.0.0.1 ") and not private.search("010.0.0.1")
