import asyncio
import gc

from common import gcpause


async def test_the_collector_is_off_while_any_block_runs_and_back_after_the_last():
    assert gc.isenabled()
    first_in, second_out = asyncio.Event(), asyncio.Event()
    seen: list[bool] = []

    async def first() -> None:
        with gcpause.paused():
            first_in.set()
            await second_out.wait()
            seen.append(gc.isenabled())  # the other block ended: still off while this one runs

    async def second() -> None:
        await first_in.wait()
        with gcpause.paused():
            seen.append(gc.isenabled())
        second_out.set()

    await asyncio.gather(first(), second())
    assert seen == [False, False]
    assert gc.isenabled()


def test_an_error_in_the_block_turns_the_collector_back_on():
    try:
        with gcpause.paused():
            raise ValueError("boom")
    except ValueError:
        pass
    assert gc.isenabled()


def test_a_collector_turned_off_by_someone_else_stays_off():
    gc.disable()
    try:
        with gcpause.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
