"""Start-up imports only what is used (issue 19): ``import cqlmatch`` loads
nothing but the version, ``cqlmatch --version`` nothing of the engine, and
a run of a query the VM executes whole loads neither the reference
interpreter, the function implementations, packs, the generator nor the
test tools; no run loads the worker pool unless it splits its input, nor
makes a dataclass or the table of diagnostic codes.  Counted in a fresh
interpreter, not timed."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("cqlmatch.reference", "cqlmatch.functions", "cqlmatch.packs", "cqlmatch.synth")


# Standard modules a run does without (each costs milliseconds to load):
# the pool, generated dataclasses (and the inspect module they load), the
# shutil argparse loads for the terminal's width, difflib for suggestions.
STDLIB = ("multiprocessing", "dataclasses", "shutil", "difflib")


def loaded_after(code: str, tmp_path) -> list[str]:
    """The cqlmatch modules (and yaml, and regex: the backtracking engine,
    and the ``STDLIB`` ones) a fresh interpreter holds after ``code``."""
    script = (
        "import sys, json\n" + code + "\nprint(json.dumps(sorted(m for m in sys.modules"
        f" if m.split('.')[0] in ('cqlmatch', 'yaml', 'regex', *{STDLIB!r}))))\n"
    )
    return json.loads(last_line(script, tmp_path))


def last_line(script: str, tmp_path) -> str:
    """The last line a fresh interpreter running ``script`` prints."""
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        timeout=120,
    )
    return done.stdout.splitlines()[-1]


def test_import_cqlmatch_loads_only_the_version(tmp_path) -> None:
    assert loaded_after("import cqlmatch", tmp_path) == ["cqlmatch", "cqlmatch.version"]
    # and the names are still there, each loaded when first used
    names = loaded_after("import cqlmatch\ncqlmatch.compile('x=1')", tmp_path)
    assert "cqlmatch.runtime.query" in names and "cqlmatch.packs.pack" not in names


def test_version_loads_no_engine(tmp_path) -> None:
    code = (
        "from cqlmatch.cli.commands import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass"
    )
    assert set(loaded_after(code, tmp_path)) <= {
        "cqlmatch",
        "cqlmatch.version",
        "cqlmatch.cli",
        "cqlmatch.cli.commands",
        "cqlmatch.runtime",
        "cqlmatch.runtime.choices",
    }


def test_a_native_run_loads_no_interpreter_packs_or_generator(tmp_path) -> None:
    (tmp_path / "q.cql").write_text("#event_simpleName=ProcessRollup2 CommandLine=/x/i\n")
    (tmp_path / "e.ndjson").write_text('{"event_simpleName":"ProcessRollup2","CommandLine":"x"}\n')
    code = (
        "import contextlib, io\n"
        "from cqlmatch.cli.commands import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['run', 'q.cql', 'e.ndjson', '--workers', '1']) == 0"
    )
    names = loaded_after(code, tmp_path)
    assert "cqlmatch.runtime.engine" in names  # it did run on the VM
    assert [n for n in names if n.startswith(HEAVY) or n in ("yaml", "regex")] == []
    # a query with a stage after its groupBy does need the interpreter, then
    (tmp_path / "q.cql").write_text("groupBy([CommandLine]) | sort(_count)\n")
    names = loaded_after(code, tmp_path)
    assert "cqlmatch.reference" in names
    # but only the implementations of the common stages, not parsing, hashing or time
    functions = {n for n in names if n.startswith("cqlmatch.functions.")}
    assert functions <= {
        "cqlmatch.functions.registry",
        "cqlmatch.functions.stages",
        "cqlmatch.functions.select",
        "cqlmatch.functions.aggregates",
    }
    # a function from another module is found all the same
    (tmp_path / "q.cql").write_text("groupBy([CommandLine]) | h := lower(CommandLine)\n")
    assert "cqlmatch.functions.strings" in loaded_after(code, tmp_path)


def test_stream_loads_no_packs_without_a_pack(tmp_path) -> None:
    """A shipper starts ``cqlmatch stream``: the pack modules (yaml, Sigma
    sources) are for ``--pack`` only."""
    (tmp_path / "q.cql").write_text("#event_simpleName=ProcessRollup2 CommandLine=/x/i\n")
    code = (
        "import os, sys\n"
        "from cqlmatch.cli.commands import main\n"
        "sys.stdin = open(os.devnull)\n"
        "assert main(['stream', '-q', 'q.cql']) == 0"
    )
    names = loaded_after(code, tmp_path)
    assert "cqlmatch.runtime.stream" in names
    assert [n for n in names if n.startswith(HEAVY) or n in ("yaml", "regex")] == []


def test_a_run_left_in_one_process_loads_no_pool_partial_states_or_dataclasses(tmp_path) -> None:
    """On every core (the default), a file too small to split runs in this
    process: neither the pool nor the partial states load; and no part of a
    run makes a dataclass, builds the table of diagnostic codes, or loads
    shutil or difflib.  The query has a stage after its groupBy, so the
    interpreter and the common function implementations load too."""
    (tmp_path / "q.cql").write_text(
        "#event_simpleName=ProcessRollup2 CommandLine=/x/i | groupBy([CommandLine])"
        " | sort(_count)\n"
    )
    (tmp_path / "e.ndjson").write_text('{"event_simpleName":"ProcessRollup2","CommandLine":"x"}\n')
    code = (
        "import contextlib, io\n"
        "from cqlmatch.cli.commands import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['run', 'q.cql', 'e.ndjson', '--format', 'ndjson']) == 0\n"
        "import cqlmatch.codes\n"
        "assert 'CODES' not in vars(cqlmatch.codes), 'the table of codes was built'"
    )
    names = loaded_after(code, tmp_path)
    assert "cqlmatch.reference" in names and "cqlmatch.runtime.parallel" in names
    assert [n for n in names if n.split(".")[0] in STDLIB] == []
    assert "cqlmatch.runtime.partial" not in names and "cqlmatch.runtime.pool" not in names
    assert not any(n.startswith("cqlmatch.functions.partials") for n in names)


def test_running_a_built_pack_loads_no_yaml_or_sigma_converter(tmp_path) -> None:
    """A built pack holds its compiled rules: running it reads no manifest,
    so neither YAML nor the Sigma converter loads (they do for a source);
    nor, when the run stays in one process, the pool or partial states."""
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "one.cql").write_text("#event_simpleName=ProcessRollup2 CommandLine=/x/i\n")
    (tmp_path / "e.ndjson").write_text('{"event_simpleName":"ProcessRollup2","CommandLine":"x"}\n')
    build = (
        "import contextlib, io\n"
        "from cqlmatch.cli.commands import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['pack', 'build', 'p', '-o', 'p.cqlpack']) == 0"
    )
    assert "yaml" in loaded_after(build, tmp_path)
    run = build.replace("'build', 'p', '-o', 'p.cqlpack'", "'run', 'p.cqlpack', 'e.ndjson'")
    names = loaded_after(run, tmp_path)
    assert "cqlmatch.packs.run" in names  # it did run the pack
    assert [
        n for n in names if n in ("yaml", "cqlmatch.packs.sources", "cqlmatch.packs.sigma")
    ] == []
    # in one process (a file too small to split): no pool, no partial states,
    # no matcher, and argparse's shutil neither; nor dataclasses (its inspect)
    left_out = ("multiprocessing", "shutil", "cqlmatch.runtime.pool", "cqlmatch.runtime.partial")
    left_out += ("dataclasses",)
    assert [n for n in names if n.startswith(left_out)] == []
    assert [n for n in names if n in ("cqlmatch.packs.partial", "cqlmatch.packs.matcher")] == []


def test_the_console_script_loads_msgspec_without_typing_extensions(tmp_path) -> None:
    """msgspec would load ``typing_extensions`` (and with it ``inspect``,
    ``ast`` and ``dis``) where that package is installed, as the sigma
    extra installs it for the tests; the console script hides it while
    msgspec loads, and it can still be imported after."""
    import importlib.util

    assert importlib.util.find_spec("typing_extensions") is not None  # (the test extra)
    script = (
        "import sys, json\n"
        "from cqlmatch.cli.entry import import_msgspec_plainly\n"
        "import_msgspec_plainly()\n"
        "before = sorted(m for m in ('inspect', 'ast', 'dis', 'typing_extensions')"
        " if m in sys.modules)\n"
        "import msgspec, typing_extensions\n"
        "class T(msgspec.Struct):\n    a: int\n    b: str = 'x'\n"
        "print(json.dumps([before, msgspec.json.decode(b'{\"a\": 1}', type=T).b]))\n"
    )
    assert json.loads(last_line(script, tmp_path)) == [[], "x"]
    plain = "import sys, msgspec; print('inspect' in sys.modules)"
    assert last_line(plain, tmp_path) == "True"  # (what the console script avoids)
