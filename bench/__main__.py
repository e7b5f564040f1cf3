"""Run every benchmark and record the results in docs/benchmarks.md."""

import argparse

from . import child_protection, events, gateway, insurance, nginx_parts, payroll, registry, seed

BENCHMARKS = {
    "gateway": gateway.run,
    "nginx-parts": nginx_parts.run,
    "events": events.run,
    "registry-import": registry.run_import,
    "registry-import-scale": registry.run_import_scale,
    "registry-search": registry.run_search,
    "payroll": payroll.run,
    "child-protection": child_protection.run,
    "insurance": insurance.run,
    "insurance-coverage": insurance.run_coverage,
    "seed": seed.run,
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="short runs (a smoke test of the benchmarks)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument("--only", choices=sorted(BENCHMARKS), action="append", help="run only these")
    args = parser.parse_args()
    for name in args.only or BENCHMARKS:
        print(f"== {name}")
        BENCHMARKS[name](quick=args.quick, write=not args.no_write)


main()
