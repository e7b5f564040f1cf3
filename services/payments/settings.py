from common.settings import SERVICES, ServiceSettings, service_config


class PaymentsSettings(ServiceSettings):
    """Environment variables prefixed ``PAYMENTS_`` (e.g. ``PAYMENTS_DATABASE_URL``)."""

    model_config = service_config("PAYMENTS_")
    port: int = SERVICES["payments"]
