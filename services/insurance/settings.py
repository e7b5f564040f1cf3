from datetime import time

from pydantic import SecretStr

from common.settings import SERVICES, ServiceSettings, service_config


class InsuranceSettings(ServiceSettings):
    """Environment variables prefixed ``INSURANCE_`` (e.g. ``INSURANCE_DATABASE_URL``)."""

    model_config = service_config("INSURANCE_")
    port: int = SERVICES["insurance"]
    daily: bool = True
    """Run the cards' daily job (date-driven decisions, expiring and expired cards) inside the process."""
    daily_at: time = time(5, 0)
    """Local time (Asia/Ho_Chi_Minh) of the daily job, e.g. ``INSURANCE_DAILY_AT=04:30``."""
    decisions_worker: bool = True
    """Decide queued persons in the background (off in tests, which call the decision themselves)."""
    province_code: str = "84"
    """The department's province in the registry's records (list-ready events carry it for the hub's area filter)."""
    registry_client_id: str | None = None
    """Insurance's own client at the gateway for bulk identity reads (scope ``registry:read``) when a list is built."""
    registry_client_secret: SecretStr | None = None
    identity_key: SecretStr = SecretStr("dev")
    """Key of the national-ID digest that lets the coverage check find a person without storing the number
    (the development placeholder is refused in other environments)."""
    coverage_rate: float = 50.0
    """Coverage checks a second per client (token bucket in this process; the gateway limits every route too)."""
    coverage_burst: int = 100
    coverage_fast_path: bool = True
    """Answer ``GET /coverage`` ahead of FastAPI's router (``coverage/fast.py``: same rules, a fraction of the CPU);
    off: the documented FastAPI route serves it."""
    coverage_pool_size: int = 8
    """Connections of the coverage check's own asyncpg pool (one short statement a call; beside ``db_pool_size``)."""
