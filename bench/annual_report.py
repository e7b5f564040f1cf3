"""The annual report's rendering cost: CPU seconds to lay out the sections as PDF, HTML and XLSX.

Run: ``.venv/bin/python -m bench.annual_report [--quick]``. It renders the sections of the gateway's render test
(every section available, insurance and children included) in this process, so what it measures is the rendering
alone: the services' answers are not fetched. Prints the numbers; docs/benchmarks.md records them by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.annual_report")
    parser.add_argument("--quick", action="store_true", help="one PDF after the fonts (a smoke run)")
    args = parser.parse_args()
    from gateway.reports import compose, render
    from tests.gateway.test_annual_render import fetch_all

    sections = asyncio.run(compose.annual(fetch_all, 2026, "recorded"))
    start = time.process_time()
    render.static_fonts()
    fonts = time.process_time() - start
    runs = 1 if args.quick else 10
    timings = {}
    for name, make in (
        ("pdf", lambda: render.as_pdf(2026, sections, "vi", "2026-12-31")),
        ("html", lambda: render.as_html(2026, sections, "vi", "2026-12-31").encode()),
        ("xlsx", lambda: render.as_xlsx(2026, sections, "vi")),
    ):
        start = time.process_time()
        for _ in range(runs):
            size = len(make())
        timings[name] = ((time.process_time() - start) / runs, size)
    print(f"load average {os.getloadavg()[0]:.1f}; fonts made once per process: {fonts:.2f} s CPU")
    for name, (cpu, size) in timings.items():
        print(f"{name}: {cpu * 1000:.0f} ms CPU per report ({runs} runs), {size:,} bytes")


if __name__ == "__main__":
    main()
