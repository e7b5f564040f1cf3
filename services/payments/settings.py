from datetime import time

from common.settings import SERVICES, ServiceSettings, service_config


class PaymentsSettings(ServiceSettings):
    """Environment variables prefixed ``PAYMENTS_`` (e.g. ``PAYMENTS_DATABASE_URL``)."""

    model_config = service_config("PAYMENTS_")
    port: int = SERVICES["payments"]
    reconciliation_daily: bool = True
    """Run the reconciliation deadline sweep (``missing_result`` exceptions) every day inside the process."""
    reconciliation_at: time = time(6, 0)
    """Local time (Asia/Ho_Chi_Minh) of the daily sweep, e.g. ``PAYMENTS_RECONCILIATION_AT=05:30``."""
