from common.settings import SERVICES, ServiceSettings, service_config


class RegistrySettings(ServiceSettings):
    """Environment variables prefixed ``REGISTRY_`` (e.g. ``REGISTRY_DATABASE_URL``)."""

    model_config = service_config("REGISTRY_")
    port: int = SERVICES["registry"]
