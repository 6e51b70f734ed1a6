"""``python -m cqlmatch``."""

from .cli.entry import run

run()
