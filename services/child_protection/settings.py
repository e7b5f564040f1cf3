from common.settings import SERVICES, ServiceSettings, service_config


class ChildProtectionSettings(ServiceSettings):
    """Environment variables prefixed ``CHILD_PROTECTION_`` (e.g. ``CHILD_PROTECTION_DATABASE_URL``)."""

    model_config = service_config("CHILD_PROTECTION_")
    port: int = SERVICES["child_protection"]
