"""An idle suite costs (almost) nothing: no request, no event, and the processes sleep.

A resource budget, not a timing: the processes' own CPU time (user + system, from the kernel) while the
stack sits idle must stay under 5 % of one core in total. A polling loop that wakes many times a second
(the hub's dispatcher once scanned its deliveries ~144 times a second) blows it at once.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import psutil
import pytest

from ansinh.database import in_gateway_db
from common.settings import SERVICES

pytestmark = pytest.mark.e2e

WINDOW = 10.0
BUDGET = 0.05  # of one core, for all five processes together


def cpu_seconds(proc: psutil.Process) -> float:
    """CPU time of a process and its children, as the kernel counts it."""
    total = 0.0
    for p in (proc, *proc.children(recursive=True)):
        try:
            t = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system
    return total


async def settled(stack) -> None:
    """Wait until the event path has nothing left to do: every outbox empty, no delivery pending."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from common.settings import to_asyncpg_url

    urls = stack.config.urls()
    deadline = time.monotonic() + 60
    while True:
        backlog = 0
        for service in SERVICES:
            engine = create_async_engine(to_asyncpg_url(urls[service]))
            try:
                async with engine.connect() as conn:
                    backlog += int(await conn.scalar(text(f"SELECT count(*) FROM {service}.outbox")) or 0)
            finally:
                await engine.dispose()

        async def pending(session):
            return await session.scalar(text("SELECT count(*) FROM gateway.deliveries WHERE status = 'pending'"))

        backlog += int(await in_gateway_db(urls["gateway"], pending) or 0)
        if backlog == 0 or time.monotonic() > deadline:
            return
        await asyncio.sleep(0.5)


async def warmed_up(stack) -> None:
    """The one-off work of a freshly (re)started process, done before measuring: a service builds its OpenAPI
    document (0.2-0.4 s of CPU) the first time the gateway reads it, which happens every 30 s."""
    async with httpx.AsyncClient(timeout=30) as http:
        for service in SERVICES:
            assert (await http.get(stack.url(service) + "/openapi.json")).status_code == 200
        assert (await http.get(stack.url("gateway") + "/openapi.json")).status_code == 200


async def test_an_idle_stack_uses_under_5_percent_of_one_core(stack):
    await settled(stack)
    await warmed_up(stack)
    await asyncio.sleep(2.0)  # let the last round of work finish
    procs = {name: psutil.Process(p.pid) for name, p in stack.procs.items()}
    before = {name: cpu_seconds(p) for name, p in procs.items()}
    await asyncio.sleep(WINDOW)
    used = {name: cpu_seconds(p) - before[name] for name, p in procs.items()}
    total = sum(used.values())
    shown = ", ".join(f"{name} {seconds:.3f} s" for name, seconds in sorted(used.items()))
    assert total < BUDGET * WINDOW, f"idle CPU over {WINDOW:.0f} s: {total:.3f} s ({shown})"
