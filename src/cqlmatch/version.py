"""The cqlmatch version (one place: the package, built pack files and the CLI read it)."""

__version__ = "0.1.0"
