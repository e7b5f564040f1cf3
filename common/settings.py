"""Configuration shared by every process, read from the environment with pydantic-settings.

Each service subclasses :class:`ServiceSettings` with its own prefix (``REGISTRY_``, ``PAYMENTS_``, …),
so ``REGISTRY_DATABASE_URL`` configures the registry alone and a service can move to its own database
server without code changes. Outside ``development``, placeholder secrets are refused at start-up.
"""

from __future__ import annotations

from datetime import time
from typing import Literal
from urllib.parse import urlsplit

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "production"]

# Values that must never reach a real deployment.
PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "password", "ansinh", "dev", "test"})

SERVICES: dict[str, int] = {"registry": 8101, "payments": 8102, "insurance": 8103, "child_protection": 8104}
"""The four services and their default ports; the gateway listens on 8000."""

GATEWAY_PORT = 8000


def public_prefix(service: str) -> str:
    """URL prefix of a service at the gateway: ``child_protection`` → ``/child-protection``."""
    return "/" + service.replace("_", "-")


class ServiceSettings(BaseSettings):
    """Settings every process has. Subclasses set ``model_config = service_config("REGISTRY_")``."""

    model_config = SettingsConfigDict(extra="ignore")

    environment: Environment = "development"
    database_url: SecretStr
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    log_json: bool = True
    db_pool_size: int = 20
    """Kept open; requests beyond pool + overflow wait. Overflow connections are closed after use, and
    opening one costs more than a request (measured under 200 events/s), so keep the pool near the load."""
    db_max_overflow: int = 10
    gateway_url: str = f"http://127.0.0.1:{GATEWAY_PORT}"
    """Where this process fetches the token-signing keys (``/.well-known/jwks.json``) and revocations."""
    auth_refresh_seconds: float = 5.0
    """How often keys and revocations are refreshed: the longest a revoked token keeps working here."""
    events_client_id: str | None = None
    """This service's client at the gateway (scope events:publish); without it the outbox relay is off."""
    events_client_secret: SecretStr | None = None
    events_inbox_secret: SecretStr | None = None
    """Standard Webhooks secret (whsec_…) of this service's internal subscription at the hub."""
    events_batch_size: int = 100
    events_poll_seconds: float = 10.0
    """The relay's fallback poll; LISTEN/NOTIFY normally wakes it at once (it polls every second while its
    listening connection is down)."""
    events_retry_max_seconds: float = 30.0
    """Longest wait of the relay between two tries while the gateway is unreachable (it starts at half a second
    and doubles, times a random factor between 0.5 and 1)."""

    events_subscription_check_seconds: float = 60.0
    """How often the service asks the hub whether its inbox subscription is active (``/ready`` is 503 while
    it is not); also on start."""
    inbox_retention_days: int = 0
    """Days the inbox remembers an applied event's id (0: for ever). Must exceed the hub's event retention."""
    retention_at: time = time(3, 15)
    """Viet Nam time of the daily pruning (canary receipts after 7 days; the inbox as above)."""
    retention_daily: bool = True

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> ServiceSettings:
        if self.environment == "development":
            return self
        bad = []
        for name, value in self:
            if isinstance(value, SecretStr):
                secret = value.get_secret_value()
                if name.endswith("database_url"):
                    secret = urlsplit(secret).password or ""
                if secret.lower() in PLACEHOLDER_SECRETS:
                    bad.append(name)
        if bad:
            raise ValueError(
                f"placeholder or empty secret(s) {', '.join(sorted(bad))} are not allowed "
                f"when environment={self.environment!r}; set real values"
            )
        return self

    @property
    def sqlalchemy_url(self) -> str:
        return to_asyncpg_url(self.database_url.get_secret_value())


def service_config(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(env_prefix=prefix, extra="ignore", env_file=None)


def to_asyncpg_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs (as printed by tools) and use the asyncpg driver."""
    for plain in ("postgresql://", "postgres://", "postgresql+psycopg://", "postgresql+psycopg2://"):
        if url.startswith(plain):
            return "postgresql+asyncpg://" + url[len(plain) :]
    return url
