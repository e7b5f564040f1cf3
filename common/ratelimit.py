"""Per-client token buckets: in memory by default, in Redis when several gateway replicas share limits.

A client's rate (requests/second) and burst are set on the client and carried in its token's ``rl``
claim, so checking a request costs no database lookup. ``hit`` returns ``None`` when the request may
pass, or the seconds to wait before the next one will.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Protocol

import structlog

log = structlog.get_logger("ratelimit")


class Limiter(Protocol):
    async def hit(self, key: str, rate: float, burst: int) -> float | None: ...

    async def close(self) -> None: ...


class MemoryLimiter:
    def __init__(self, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.buckets: dict[str, list[float]] = {}
        self.max_keys = max_keys
        self.clock = clock

    async def hit(self, key: str, rate: float, burst: int) -> float | None:
        now = self.clock()
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) >= self.max_keys:
                self.buckets.clear()  # a flood of distinct clients: forget rather than grow without bound
            bucket = self.buckets[key] = [float(burst), now]
        # max(0, …): a clock set back (a test's) never takes tokens away, as in the Redis script
        tokens = min(float(burst), bucket[0] + max(0.0, now - bucket[1]) * rate)
        bucket[1] = now
        if tokens >= 1.0:
            bucket[0] = tokens - 1.0
            return None
        bucket[0] = tokens
        return (1.0 - tokens) / rate

    async def close(self) -> None:
        self.buckets.clear()


# KEYS[1] bucket key; ARGV rate, burst, now (s, float). Returns 0 to pass, else milliseconds to wait.
_LUA = """
local state = redis.call('HMGET', KEYS[1], 't', 'ts')
local rate, burst, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tokens, ts = tonumber(state[1]), tonumber(state[2])
if tokens == nil then tokens, ts = burst, now end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / rate * 1000) end
redis.call('HSET', KEYS[1], 't', tokens, 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return wait
"""


class RedisLimiter:
    """The same bucket, kept in Redis and updated atomically by a Lua script (one round trip).

    Redis is an aid, not a dependency: when it does not answer (down, timeout), the replica falls back to buckets of
    its own (:class:`MemoryLimiter`: each replica then allows a client its full rate) and tries Redis again after
    ``retry_after`` seconds, logging ``redis_unavailable`` once per outage and ``redis_back`` when it answers."""

    def __init__(
        self,
        url: str,
        prefix: str = "ansinh:rl:",
        *,
        timeout: float = 0.25,
        retry_after: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        import redis.asyncio as redis
        from redis.exceptions import RedisError

        self.errors: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)
        self.redis = redis.from_url(
            url,
            socket_timeout=timeout,  # type: ignore[no-untyped-call]
            socket_connect_timeout=timeout,
        )
        self.prefix = prefix
        self.script = self.redis.register_script(_LUA)
        self.fallback = MemoryLimiter()
        self.retry_after = retry_after
        self.clock = clock  # wall-clock seconds, shared by the replicas (tests pass their own)
        self.down_until = 0.0
        self.down = False

    async def hit(self, key: str, rate: float, burst: int) -> float | None:
        if self.down and time.monotonic() < self.down_until:
            return await self.fallback.hit(key, rate, burst)
        try:
            # Redis' clock (TIME) would cost a second call; replicas' clocks are NTP-synchronised.
            wait_ms = int(await self.script(keys=[self.prefix + key], args=[rate, burst, self.clock()]))
        except self.errors as exc:
            self._failed(exc)
            return await self.fallback.hit(key, rate, burst)
        if self.down:
            self.down = False
            log.warning("redis_back")
        return None if wait_ms == 0 else wait_ms / 1000

    def _failed(self, exc: BaseException) -> None:
        if not self.down:
            log.warning(
                "redis_unavailable", error=type(exc).__name__, detail=str(exc)[:200], fallback="per-replica buckets"
            )
        self.down = True
        self.down_until = time.monotonic() + self.retry_after

    async def close(self) -> None:
        await self.redis.aclose()


def retry_after_seconds(wait: float) -> int:
    return max(1, math.ceil(wait))
