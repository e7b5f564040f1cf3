from pydantic import AnyHttpUrl, BaseModel, SecretStr

from common.settings import GATEWAY_PORT, SERVICES, ServiceSettings, service_config


class InternalSubscription(BaseModel):
    """A service's inbox: `GATEWAY_INTERNAL_SUBSCRIPTIONS='[{"name": …, "url": …, "types": […], "secret": …}]'`."""

    name: str
    url: str
    types: list[str]
    secret: SecretStr


class GatewaySettings(ServiceSettings):
    """Environment variables prefixed ``GATEWAY_`` (e.g. ``GATEWAY_REGISTRY_URL``)."""

    model_config = service_config("GATEWAY_")
    port: int = GATEWAY_PORT

    registry_url: AnyHttpUrl = AnyHttpUrl(f"http://127.0.0.1:{SERVICES['registry']}")
    payments_url: AnyHttpUrl = AnyHttpUrl(f"http://127.0.0.1:{SERVICES['payments']}")
    insurance_url: AnyHttpUrl = AnyHttpUrl(f"http://127.0.0.1:{SERVICES['insurance']}")
    child_protection_url: AnyHttpUrl = AnyHttpUrl(f"http://127.0.0.1:{SERVICES['child_protection']}")

    upstream_connect_timeout: float = 2.0
    """Seconds to open a connection to a service before answering 504 (a refused connection is a 502 at once)."""
    upstream_read_timeout: float = 30.0
    """Seconds of silence from a service while waiting on it (its answer, the answer's next bytes, room to send more of
    the request body) before answering 504."""
    upstream_pool_size: int = 200
    """Connections per service in use at once (further requests wait) and most kept idle for reuse."""
    upstream_keepalive_seconds: float = 4.0
    """An idle pooled connection is closed after this. Keep it below the services' own keep-alive (uvicorn's 5 s),
    so the gateway never reuses a connection the service is closing at that very moment. The hub's deliveries (inboxes,
    webhooks) keep their idle connections as long."""
    max_body_bytes: int = 50 * 1024 * 1024
    """Largest request body accepted (413 above)."""

    token_ttl_seconds: int = 300
    """Lifetime of access tokens. Short, so a revoked client's tokens die soon even where not checked."""
    default_rate_per_second: int = 20
    """Rate limit of a new client unless given (`ansinh clients create --rate`)."""
    default_burst: int = 40
    redis_url: str | None = None
    """Set (GATEWAY_REDIS_URL=redis://…) to share rate limits between gateway replicas. Unset: each replica keeps
    its own buckets in memory. Redis unreachable: each replica falls back to its own buckets until it answers."""
    redis_prefix: str = "ansinh:rl:"
    """Prefix of the buckets' keys in Redis (GATEWAY_REDIS_PREFIX): one per deployment sharing a Redis."""
    auth_cache_seconds: int = 2
    """nginx data plane: seconds nginx may reuse a pass of ``/auth/check`` for one token and route (0: never)."""
    auth_cache_min_rate: float = 1000.0
    """nginx data plane: only clients with a rate limit of at least this many requests/s get cached passes (a
    cached pass is not counted against the client's rate limit); the others are checked on every request."""
    breaker_threshold: int = 5
    """Consecutive connection failures after which a service's circuit opens (fail fast)."""
    breaker_cooldown: float = 5.0
    """Seconds a circuit stays open before one trial request is let through."""
    openapi_refresh_seconds: float = 30.0
    """How often the services' OpenAPI documents (route scopes, merged /openapi.json) are re-read."""

    internal_subscriptions: list[InternalSubscription] = []
    """The services' inboxes (`ansinh up` sets them from each service's inbox handlers)."""
    webhook_allowlist: list[str] = []
    """Host names or CIDR networks partner webhooks may use although private (e.g. a partner VPN)."""
    delivery_timeout_seconds: float = 10.0
    delivery_concurrency: int = 50
    """Deliveries sent at once (each to a different subscription or subject)."""
    delivery_batch_subjects: int = 1000
    """Subjects taken per dispatch round: their events go to a service's inbox in batched deliveries."""
    delivery_batch_events: int = 1000
    """Most events in one batched delivery to a service's inbox (``POST …/events/inbox/batch``)."""
    delivery_batch_timeout_seconds: float = 60.0
    """A batched delivery applies all its events in one transaction: it may take longer than one event."""
    delivery_max_attempts: int = 15
    """With the defaults below, the last attempt comes 1.6–3.1 hours after the first (a partner may be down so long)."""
    delivery_retry_base_seconds: float = 1.0
    """First retry after ~this, doubling each time (with jitter): 1, 2, 4 … s."""
    delivery_retry_max_seconds: float = 3600.0
    delivery_poll_seconds: float = 10.0
    """When nothing is pending the dispatcher sleeps until a NOTIFY (new events, redelivery) or this fallback."""
    retention_delivered_days: int = 30
    """Days a delivered delivery is kept (listing, redelivery by date); pending and dead ones are kept."""
    retention_events_days: int = 0
    """Days an event stays in the feed (0: for ever); the newest event of each (type, subject) always stays."""

    def upstreams(self) -> dict[str, str]:
        return {name: str(getattr(self, f"{name}_url")).rstrip("/") for name in SERVICES}
