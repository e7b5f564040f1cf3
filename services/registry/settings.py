from datetime import time

from common.settings import SERVICES, ServiceSettings, service_config


class RegistrySettings(ServiceSettings):
    """Environment variables prefixed ``REGISTRY_`` (e.g. ``REGISTRY_DATABASE_URL``)."""

    model_config = service_config("REGISTRY_")
    port: int = SERVICES["registry"]
    level_changes_daily: bool = True
    """Run the daily job that publishes ``registry.beneficiary.level_changed.v1`` for age-driven changes."""
    level_changes_at: time = time(0, 30)
    """Local time (Asia/Ho_Chi_Minh) of the daily run, e.g. ``REGISTRY_LEVEL_CHANGES_AT=01:15``."""
