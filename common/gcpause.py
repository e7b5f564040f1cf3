"""Bulk work without the cyclic garbage collector's passes; a server's start-up heap kept out of its full passes.

A bulk import holds tens of thousands of rows (lists, dicts, dataclasses) while it checks them: the collector's full
passes walk all of them again and again, and took a quarter of a 30,000-person import's CPU (measured, see
docs/benchmarks.md). Those rows form no reference cycles: reference counting frees them. While at least one
:func:`paused` block runs, the process's cyclic collector is off (other requests of the process meanwhile also
allocate without it, for the seconds an import lasts); it comes back when the last block ends, and its next pass
collects whatever cycles were made meanwhile.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_holders = 0


@contextmanager
def paused() -> Iterator[None]:
    """The cyclic collector off while the block runs (blocks may nest or overlap, in tasks of one event loop)."""
    global _holders
    if _holders == 0 and not gc.isenabled():  # someone else turned it off: leave it as it is
        yield
        return
    _holders += 1
    gc.disable()
    try:
        yield
    finally:
        _holders -= 1
        if _holders == 0:
            gc.enable()


def freeze_startup_heap() -> int:
    """Move every object alive now to the collector's permanent generation (``gc.freeze``); the number moved.

    Called once a server process has started (``ansinh serve``: the app built, its lifespan's start-up done). What
    is alive then — modules, classes, the app, its routes and models, about 120,000 objects in a service — lives as
    long as the process, yet each full pass of the collector walked all of it again: about 70 ms of CPU at a time,
    during which the process answered nothing (every request in flight waited; measured, docs/benchmarks.md). Frozen,
    they are no longer walked; garbage made later is collected as before. Garbage is collected first, so that none
    of it is frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
