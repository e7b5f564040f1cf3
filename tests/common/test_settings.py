import pytest
from pydantic import SecretStr, ValidationError

from common.settings import ServiceSettings, to_asyncpg_url
from gateway.settings import GatewaySettings
from services.registry.settings import RegistrySettings


class WithSecret(ServiceSettings):
    signing_key: SecretStr = SecretStr("changeme")


def test_each_service_reads_its_own_prefix(monkeypatch):
    monkeypatch.setenv("REGISTRY_DATABASE_URL", "postgresql://ansinh_registry:s3cret-x@db/ansinh")
    monkeypatch.setenv("PAYMENTS_DATABASE_URL", "postgresql://ansinh_payments:other@db/ansinh")
    monkeypatch.setenv("REGISTRY_PORT", "9101")
    s = RegistrySettings()
    assert s.port == 9101
    assert s.sqlalchemy_url == "postgresql+asyncpg://ansinh_registry:s3cret-x@db/ansinh"


def test_database_url_is_required(monkeypatch):
    monkeypatch.delenv("GATEWAY_DATABASE_URL", raising=False)
    with pytest.raises(ValidationError, match="database_url"):
        GatewaySettings()


def test_placeholder_secrets_refused_outside_development():
    url = "postgresql://ansinh_registry:changeme@db/ansinh"
    assert ServiceSettings(database_url=url, environment="development")
    with pytest.raises(ValidationError, match="database_url"):
        ServiceSettings(database_url=url, environment="production")
    with pytest.raises(ValidationError, match="signing_key"):
        WithSecret(database_url="postgresql://u:Xk9-long-real@db/a", environment="production")
    ok = WithSecret(
        database_url="postgresql://u:Xk9-long-real@db/a",
        environment="production",
        signing_key=SecretStr("a-real-key-from-the-vault"),
    )
    assert ok.environment == "production"


def test_secrets_are_not_printed():
    s = ServiceSettings(database_url="postgresql://u:topsecret@db/a")
    assert "topsecret" not in repr(s) and "topsecret" not in str(s.model_dump())


@pytest.mark.parametrize("given", ["postgresql://u@h/d", "postgres://u@h/d", "postgresql+asyncpg://u@h/d"])
def test_plain_urls_use_asyncpg(given):
    assert to_asyncpg_url(given) == "postgresql+asyncpg://u@h/d"
