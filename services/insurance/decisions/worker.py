"""The decision worker: inside the service process, drains ``pending_decisions`` shortly after events arrive (each
chunk its own transaction), so a card follows an event within about a second."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import structlog
from fastapi import FastAPI

from . import service

log = structlog.get_logger("insurance.decisions")


class Worker:
    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self._task: asyncio.Task[None] | None = None
        self.decided = 0

    async def run_once(self, sessionmaker: Any) -> int:
        """Drain the queue, chunk after chunk, each chunk starting where the previous one stopped (the first from the
        start of the queue); a chunk short of ``CHUNK`` ends the pass."""
        total = 0
        after = None
        while True:
            async with sessionmaker() as session:
                n, after = await service.decide_next(session, after)
                await session.commit()
            total += n
            if n < service.CHUNK:
                return total

    async def _loop(self, app: FastAPI) -> None:
        while True:
            try:
                self.decided += await self.run_once(app.state.sessionmaker)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # keep running; the queue keeps the persons for the next round
                log.warning("decisions_failed", error=f"{type(exc).__name__}: {exc}"[:300])
            await asyncio.sleep(self.interval)

    async def start(self, app: FastAPI) -> None:
        self._task = asyncio.create_task(self._loop(app))

    async def stop(self, app: FastAPI) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
