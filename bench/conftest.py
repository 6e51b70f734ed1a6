"""Benchmarks run with pytest-benchmark: ``python -m pytest bench --benchmark-enable``."""
