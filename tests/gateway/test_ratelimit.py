"""Token buckets: the in-memory one, and the Redis one that several gateway replicas share."""

import os
import uuid

import pytest

from gateway.ratelimit import MemoryLimiter, RedisLimiter, retry_after_seconds

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


class Clock:
    """A clock the test moves: what the buckets see does not depend on how fast this machine runs the test."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


async def test_memory_bucket_allows_burst_then_refills(clock):
    limiter = MemoryLimiter(clock=clock)
    assert [await limiter.hit("a", rate=10, burst=3) for _ in range(3)] == [None, None, None]
    wait = await limiter.hit("a", rate=10, burst=3)
    assert wait is not None and wait == pytest.approx(0.1)
    assert await limiter.hit("b", rate=10, burst=3) is None  # per client
    clock.now += 0.05
    assert await limiter.hit("a", rate=10, burst=3) == pytest.approx(0.05)  # half a token back: not yet
    clock.now += 0.06
    assert await limiter.hit("a", rate=10, burst=3) is None
    assert retry_after_seconds(0.01) == 1 and retry_after_seconds(2.2) == 3


@pytest.fixture
async def redis_limiters(clock):
    import redis.asyncio as redis

    probe = redis.from_url(REDIS_URL)
    try:
        await probe.ping()
    except OSError as exc:
        pytest.fail(f"Redis is required for this test at {REDIS_URL} (CI has it on 127.0.0.1:6379): {exc}")
    finally:
        await probe.aclose()
    prefix = f"ansinh:test:{uuid.uuid4().hex}:"
    # Two "replicas" on one clock; a generous timeout, so a slow moment of a loaded machine is not taken for Redis down.
    a, b = (RedisLimiter(REDIS_URL, prefix, timeout=10, clock=clock) for _ in range(2))
    yield a, b
    await a.close()
    await b.close()


async def test_redis_bucket_is_shared_between_replicas(redis_limiters, clock):
    a, b = redis_limiters
    results = [await (a if i % 2 else b).hit("client-1", rate=4, burst=4) for i in range(5)]
    assert results[:4] == [None] * 4  # the burst, spent across both replicas
    assert results[4] == 0.25  # the fifth waits for a token (4 a second)
    assert await b.hit("client-2", rate=4, burst=4) is None  # another client's bucket is its own
    clock.now += 0.125
    assert await a.hit("client-1", rate=4, burst=4) == 0.125  # half a token back, seen by the other replica
    clock.now += 0.25
    assert await a.hit("client-1", rate=4, burst=4) is None


async def test_redis_down_falls_back_to_buckets_of_the_replica():
    # Nothing listens on port 1: every call fails at once; the limiter still answers, from memory.
    limiter = RedisLimiter("redis://127.0.0.1:1/0", "ansinh:test:down:", retry_after=60)
    try:
        # One token per 100 s: the third hit is refused however slowly this machine runs the three.
        results = [await limiter.hit("client-1", rate=0.01, burst=2) for _ in range(3)]
        assert results[:2] == [None, None] and results[2] is not None and 0 < results[2] <= 100
        assert limiter.down
    finally:
        await limiter.close()
