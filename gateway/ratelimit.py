"""Per-client token buckets of the gateway: the shared implementation lives in ``common.ratelimit`` (services that
limit one route of their own, like insurance's coverage check, use the same buckets)."""

from common.ratelimit import Limiter, MemoryLimiter, RedisLimiter, retry_after_seconds

__all__ = ["Limiter", "MemoryLimiter", "RedisLimiter", "retry_after_seconds"]
