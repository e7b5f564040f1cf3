"""Group commit for a hot path: the items of concurrent callers run together, each caller waits for its own batch.

A call that writes one small row and must not answer before that row is durable (an audited read) costs the database
a statement, a commit and a WAL flush, and costs the service a round trip. Under load, many such calls wait at the
same moment. :class:`GroupCommitter` hands the items waiting at the moment a lane is free to ``run`` in one call —
one statement, one commit, one flush for all of them — and resolves each caller with its own result once ``run``
returns, i.e. once the batch has committed. Nothing is answered earlier.

With no load a call runs alone and at once (a batch of one on an idle lane): batching never waits for company. Under
load up to ``lanes`` batches are in flight; what arrives meanwhile waits for the next free lane and goes with
everything else waiting then (at most ``max_batch`` items a batch).

If ``run`` raises, every caller of that batch gets the exception: a batch commits or fails as a whole, and no caller
is told of a success that was not committed. ``run`` must return one result per item, in the items' order."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class GroupCommitter(Generic[T, R]):
    """See the module's docstring. ``lanes``: batches in flight at once (each holds one database connection while it
    runs); ``max_batch``: items a batch at most."""

    def __init__(
        self, run: Callable[[Sequence[T]], Awaitable[Sequence[R]]], *, lanes: int = 2, max_batch: int = 128
    ) -> None:
        if lanes < 1 or max_batch < 1:
            raise ValueError("lanes and max_batch must be at least 1")
        self.run = run
        self.lanes = lanes
        self.max_batch = max_batch
        self._pending: deque[tuple[T, asyncio.Future[R]]] = deque()
        self._tasks: set[asyncio.Task[None]] = set()
        self._starting = 0
        """Lanes started that have not yet taken their first batch: they will take what arrives meanwhile too."""
        self.batches = 0
        """Batches run so far (for tests and metrics)."""

    async def submit(self, item: T) -> R:
        """``item``'s result, once the batch that carried it has returned (committed)."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._starting == 0 and len(self._tasks) < self.lanes:
            self._starting += 1
            task = asyncio.create_task(self._lane())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    async def _lane(self) -> None:
        """Runs batches while items wait, then ends (a new call starts a lane again)."""
        self._starting -= 1
        pending = self._pending
        while pending:
            batch = [pending.popleft() for _ in range(min(len(pending), self.max_batch))]
            futures = [future for _, future in batch]
            try:
                results = await self.run([item for item, _ in batch])
                if len(results) != len(batch):
                    raise RuntimeError(f"a batch of {len(batch)} items gave {len(results)} results")
            except Exception as exc:
                for future in futures:
                    if not future.done():
                        future.set_exception(exc)
                continue
            except BaseException:  # cancelled (shutdown): the callers are cancelled too, never left waiting
                for future in futures:
                    future.cancel()
                raise
            self.batches += 1
            for future, result in zip(futures, results, strict=True):
                if not future.done():  # a caller cancelled meanwhile (its client went away): its row is kept
                    future.set_result(result)

    async def close(self) -> None:
        """Wait for the batches in flight (the service is stopping)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
