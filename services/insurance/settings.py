from common.settings import SERVICES, ServiceSettings, service_config


class InsuranceSettings(ServiceSettings):
    """Environment variables prefixed ``INSURANCE_`` (e.g. ``INSURANCE_DATABASE_URL``)."""

    model_config = service_config("INSURANCE_")
    port: int = SERVICES["insurance"]
