"""End-to-end: the real processes, started by the same code as ``ansinh up``, on their own database."""

from __future__ import annotations

import io
import secrets
import sys

import pytest

from ansinh.database import COMPONENTS, drop_database, env_prefix
from ansinh.stack import Stack, StackConfig, prepare_database
from common.testing import free_port

E2E_DB = "ansinh_e2e"


class Tee(io.TextIOBase):
    """Keeps the processes' log lines for assertions and shows them when a test fails."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def write(self, s: str) -> int:
        self.lines.append(s)
        return len(s)


def loopback_certificate(directory) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A self-signed certificate for https://127.0.0.1 (its own trust anchor): partner webhooks in these tests are
    https, as the hub demands outside development."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    certfile, keyfile = directory / "webhook.crt", directory / "webhook.key"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(certfile), str(keyfile)


@pytest.fixture(scope="package")
async def stack(test_db, tmp_path_factory):
    await drop_database(test_db.admin_url, E2E_DB)
    ports = {c: free_port() for c in ("gateway", "registry", "payments", "insurance", "child_protection")}
    # Five processes must fit a default PostgreSQL (max_connections 100, CI's included) with the test's own
    # connections: 5 × (8 + 4) at the most.
    pools = {
        f"{env_prefix(c)}{name}": value
        for c in COMPONENTS
        for name, value in (("DB_POOL_SIZE", "8"), ("DB_MAX_OVERFLOW", "4"))
    }
    certfile, keyfile = loopback_certificate(tmp_path_factory.mktemp("tls"))
    # The processes trust that certificate (only the hub makes https calls here), and the hub accepts partner
    # webhooks on loopback: tests receive them at https://127.0.0.1:<port>.
    secrets_ = {
        "INSURANCE_IDENTITY_KEY": secrets.token_urlsafe(32),
        "SSL_CERT_FILE": certfile,
        "GATEWAY_WEBHOOK_ALLOWLIST": '["127.0.0.1"]',
    }
    # A module's tokens are taken once; on a busy machine a module outlasts the default 5-minute lifetime.
    pools["GATEWAY_TOKEN_TTL_SECONDS"] = "3600"
    # Prompt redelivery: the tests stop a consumer or the gateway and wait for the events to flow again as soon
    # as it is back, not for a backoff of 16 or 30 s. A retry every second or two, for as many attempts as a
    # production delivery gets in hours (a consumer restarted on a loaded machine is not dead-lettered meanwhile).
    prompt = {
        "GATEWAY_DELIVERY_RETRY_MAX_SECONDS": "2",
        "GATEWAY_DELIVERY_MAX_ATTEMPTS": "200",
        **{f"{env_prefix(s)}EVENTS_RETRY_MAX_SECONDS": "1" for s in COMPONENTS if s != "gateway"},
    }
    config = StackConfig(
        admin_url=test_db.admin_url,
        database=E2E_DB,
        passwords=test_db.passwords,
        ports=ports,
        environment="test",
        extra_env={**pools, **secrets_, **prompt},
    )
    await prepare_database(config)
    logs = Tee()
    running = Stack(config, out=logs)
    running.webhook_tls = {"ssl_certfile": certfile, "ssl_keyfile": keyfile}  # type: ignore[attr-defined]
    try:
        running.start_all(timeout=60)
        yield running
    finally:
        running.stop()
        sys.stdout.write("".join(logs.lines[-200:]))  # visible with -rA or on failure
