"""common.batching.GroupCommitter: the calls of the moment run together, each caller gets its own result only once
its batch has returned, a failed batch fails each of its callers, and a call alone never waits for company."""

import asyncio

import pytest

from common.batching import GroupCommitter


class Runner:
    """A batch function that records its batches and can be held until released."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.hold = asyncio.Event()
        self.hold.set()
        self.fail_next = False

    async def __call__(self, items):
        self.batches.append(list(items))
        await self.hold.wait()
        if self.fail_next:
            self.fail_next = False
            raise ConnectionResetError("lost mid-batch")
        return [i * 10 for i in items]


async def test_a_call_alone_runs_at_once_in_a_batch_of_its_own():
    run = Runner()
    committer = GroupCommitter(run, lanes=2)
    assert await committer.submit(7) == 70
    assert run.batches == [[7]]


async def test_calls_arriving_together_share_one_batch_and_each_gets_its_own_result():
    run = Runner()
    committer = GroupCommitter(run, lanes=4)
    assert await asyncio.gather(*(committer.submit(i) for i in range(1, 6))) == [10, 20, 30, 40, 50]
    assert run.batches == [[1, 2, 3, 4, 5]]


async def test_no_caller_is_answered_before_its_batch_has_returned():
    run = Runner()
    committer = GroupCommitter(run, lanes=1)
    run.hold.clear()
    first = asyncio.create_task(committer.submit(1))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    later = [asyncio.create_task(committer.submit(i)) for i in (2, 3, 4)]  # the only lane is busy: they wait
    await asyncio.sleep(0.05)
    assert not any(t.done() for t in [first, *later])
    assert run.batches == [[1]]
    run.hold.set()
    assert await asyncio.gather(first, *later) == [10, 20, 30, 40]
    assert run.batches == [[1], [2, 3, 4]]  # those that waited went together


async def test_a_failed_batch_fails_each_of_its_callers_and_the_next_batch_runs():
    run = Runner()
    committer = GroupCommitter(run, lanes=1)
    run.fail_next = True
    results = await asyncio.gather(*(committer.submit(i) for i in (1, 2, 3)), return_exceptions=True)
    assert [type(r) for r in results] == [ConnectionResetError] * 3
    assert await committer.submit(4) == 40


async def test_a_batch_is_at_most_max_batch_items():
    run = Runner()
    committer = GroupCommitter(run, lanes=1, max_batch=2)
    assert await asyncio.gather(*(committer.submit(i) for i in range(5))) == [0, 10, 20, 30, 40]
    assert run.batches == [[0, 1], [2, 3], [4]]


async def test_a_batch_with_the_wrong_number_of_results_fails_its_callers():
    async def short(items):
        return [1]

    committer = GroupCommitter(short, lanes=1)
    results = await asyncio.gather(committer.submit(1), committer.submit(2), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)


def test_lanes_and_batches_are_at_least_one():
    with pytest.raises(ValueError):
        GroupCommitter(Runner(), lanes=0)
