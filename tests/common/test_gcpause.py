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


async def test_a_server_freezes_its_start_up_heap_and_a_test_app_does_not(test_db, minter):
    """``ansinh serve`` sets ``freeze_startup_heap``: once the lifespan has started, what is alive (modules, the app,
    its routes) is in the collector's permanent generation, which full passes do not walk; apps built by tests (the
    flag unset) leave the collector as it was."""
    from common.app import create_service_app
    from common.settings import ServiceSettings
    from common.testing import app_client

    settings = ServiceSettings(database_url=test_db.urls["registry"])
    gc.unfreeze()
    try:
        plain = create_service_app("registry", settings, title="t", description="d")
        async with app_client(plain, keys=minter, rollback=False):
            assert gc.get_freeze_count() == 0
        served = create_service_app("registry", settings, title="t", description="d")
        served.state.freeze_startup_heap = True
        async with app_client(served, keys=minter, rollback=False):
            frozen = gc.get_freeze_count()
            assert frozen > len(gc.get_objects())  # most of the heap (get_objects lists what is not frozen)
    finally:
        gc.unfreeze()
