"""Run every benchmark and record the results in docs/benchmarks.md."""

import argparse

from . import gateway


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="short runs (a smoke test of the benchmarks)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    gateway.run(quick=args.quick, write=not args.no_write)


main()
