"""Benchmarks: never part of the test run. `make bench` runs them all; `make bench-quick` a short pass."""
