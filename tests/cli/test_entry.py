"""The console script ends the process without the interpreter's teardown
(``cli/entry.py``): output, exit codes, exit handlers and running threads
must be what a normal exit gives."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from ..conftest import ROOT

SEED = ROOT / "rules" / "t1546_016.cql"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONUNBUFFERED", None)  # block-buffered output must still be flushed
    return env


def _cqlmatch(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cqlmatch", *args],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
        check=False,
    )


def _script(script: str, mode: str) -> subprocess.CompletedProcess:
    """``script`` run by a fresh interpreter with the argument ``mode``."""
    return subprocess.run(
        [sys.executable, "-c", script, mode],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
        check=False,
    )


def test_output_and_exit_codes(tmp_path) -> None:
    events = tmp_path / "events.ndjson"
    events.write_text(
        '{"#event_simpleName":"ProcessRollup2","ParentBaseFileName":"dpkg",'
        '"FileName":"bash","CommandLine":"x","ComputerName":"h","UserName":"u","aid":"1"}\n' * 3000,
        encoding="utf-8",
    )
    done = _cqlmatch("run", str(SEED), str(events), "--format", "ndjson")
    assert done.returncode == 0
    assert '"EventCount":"3000"' in done.stdout
    assert "W330" in done.stderr
    bad = tmp_path / "bad.cql"
    bad.write_text("foo(\n", encoding="utf-8")
    failed = _cqlmatch("run", str(bad), str(events))
    assert failed.returncode == 1
    assert "E100" in failed.stderr and "^" in failed.stderr
    usage = _cqlmatch("run", "--workers", "0", str(SEED), str(events))
    assert usage.returncode == 2
    assert "--workers" in usage.stderr
    version = _cqlmatch("--version")
    assert version.returncode == 0 and version.stdout.startswith("cqlmatch ")


def test_exit_handlers_run_and_threads_are_waited_for() -> None:
    script = textwrap.dedent(
        """
        import atexit, sys, threading, time
        import cqlmatch.cli.commands as commands

        def main():
            atexit.register(lambda: print("handler ran"))
            if sys.argv[1] == "thread":
                threading.Thread(target=lambda: (time.sleep(0.3), print("thread ended"))).start()
            print("command done")
            return 3

        commands.main = main
        from cqlmatch.cli.entry import run
        run()
        """
    )
    for mode, expected in (
        ("alone", ["command done", "handler ran"]),
        ("thread", ["command done", "thread ended", "handler ran"]),
    ):
        done = _script(script, mode)
        assert done.returncode == 3, done.stderr
        assert done.stdout.split("\n")[:-1] == expected


def test_a_message_exit_keeps_its_message() -> None:
    script = (
        "import cqlmatch.cli.commands as c\n"
        "def main():\n    raise SystemExit('cqlmatch: stop here')\n"
        "c.main = main\nfrom cqlmatch.cli.entry import run\nrun()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1
    assert done.stderr.strip() == "cqlmatch: stop here"


def test_start_up_runs_without_the_collector_and_the_command_with_it() -> None:
    """The console script imports with the collector off, then freezes what
    start-up made and turns it on for the command; ``main`` called from
    Python leaves the collector as it found it."""
    script = textwrap.dedent(
        """
        import argparse, gc, sys, types
        import cqlmatch.cli.commands as commands

        def report(args):
            print(gc.isenabled(), gc.get_freeze_count() > 0)
            return 0

        namespace = argparse.Namespace(func=report)
        commands.build_parser = lambda only="": types.SimpleNamespace(
            parse_args=lambda argv: namespace
        )
        if sys.argv[1] == "script":
            from cqlmatch.cli.entry import run
            run()
        else:
            sys.exit(commands.main([]))
        """
    )
    for mode, expected in (("script", "True True"), ("main", "True False")):
        done = _script(script, mode)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == expected
