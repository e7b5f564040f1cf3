"""SSRF guard for webhook URLs: no network — every test injects its own resolver."""

from __future__ import annotations

import pytest

from common.errors import ValidationFailed
from gateway.events.urlsafety import check_webhook_url, is_public_address

PUBLIC = "93.184.216.34"


def resolver(table: dict[str, list[str]]):
    calls: list[tuple[str, int]] = []

    async def resolve(host: str, port: int) -> list[str]:
        calls.append((host, port))
        return table.get(host, [])

    resolve.calls = calls
    return resolve


async def refused(url: str, *, environment: str = "production", table=None, **kw) -> str:
    with pytest.raises(ValidationFailed) as exc:
        await check_webhook_url(url, environment=environment, resolve=resolver(table or {}), **kw)
    [error] = exc.value.extensions["errors"]
    assert error["field"] == "url"
    return error["reason"]


async def test_https_public_ok_returns_ips():
    resolve = resolver({"hooks.partner.vn": [PUBLIC, "2606:2800:220:1::1", PUBLIC]})
    ips = await check_webhook_url("https://hooks.partner.vn:8443/cb?x=1", environment="production", resolve=resolve)
    assert ips == [PUBLIC, "2606:2800:220:1::1"]
    assert resolve.calls == [("hooks.partner.vn", 8443)]


async def test_default_port_is_passed_to_resolver():
    resolve = resolver({"hooks.partner.vn": [PUBLIC]})
    await check_webhook_url("https://hooks.partner.vn/cb", environment="production", resolve=resolve)
    assert resolve.calls == [("hooks.partner.vn", 443)]


async def test_http_refused_in_production():
    reason = await refused("http://hooks.partner.vn/cb", table={"hooks.partner.vn": [PUBLIC]})
    assert reason == "http is allowed only for loopback endpoints in development; use https"
    assert "use https" in await refused("http://localhost:8000/cb", table={"localhost": ["127.0.0.1"]})


@pytest.mark.parametrize("url", ["http://localhost:8000/cb", "http://127.0.0.1:8000/cb", "http://[::1]:8000/cb"])
async def test_http_loopback_allowed_in_development(url):
    resolve = resolver({"localhost": ["127.0.0.1", "::1"]})
    assert await check_webhook_url(url, environment="development", resolve=resolve)


async def test_http_public_refused_in_development():
    table = {"hooks.partner.vn": [PUBLIC]}
    reason = await refused("http://hooks.partner.vn/cb", environment="development", table=table)
    assert "use https" in reason


async def test_localhost_that_resolves_elsewhere_refused_in_development():
    reason = await refused("http://localhost/cb", environment="development", table={"localhost": ["10.0.0.5"]})
    assert "10.0.0.5" in reason and "private" in reason


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("https://user:pass@hooks.partner.vn/cb", "credentials"),
        ("https://user@hooks.partner.vn/cb", "credentials"),
        ("https://hooks.partner.vn/cb#frag", "fragment"),
        ("https:///cb", "no host"),
        ("https://hooks.partner.vn:0/cb", "port"),
        ("https://hooks.partner.vn:70000/cb", "port"),
        ("https://hooks.partner.vn:abc/cb", "port"),
        ("ftp://hooks.partner.vn/cb", "scheme"),
        ("hooks.partner.vn/cb", "scheme"),
        ("https://hooks.partner.vn/c b", "spaces"),
    ],
)
async def test_malformed_urls_refused(url, words):
    assert words in await refused(url, table={"hooks.partner.vn": [PUBLIC]})


@pytest.mark.parametrize(
    ("ip", "kind"),
    [
        ("10.0.0.5", "private"),
        ("172.16.3.4", "private"),
        ("192.168.1.10", "private"),
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("169.254.169.254", "cloud metadata"),
        ("::1", "loopback"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "cloud metadata"),
        ("::ffff:a00:1", "private"),
        ("64:ff9b::7f00:1", "loopback"),
        ("2002:a00:1::1", "private"),
        ("100.64.0.1", "shared"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
    ],
)
async def test_non_public_addresses_refused(ip, kind):
    assert not is_public_address(ip)
    reason = await refused("https://hooks.partner.vn/cb", table={"hooks.partner.vn": [ip]})
    assert ip in reason and kind in reason and "allow-list" in reason
    literal = f"[{ip}]" if ":" in ip else ip
    reason = await refused(f"https://{literal}/cb")
    assert reason.startswith(f"{ip}") and kind in reason


async def test_reason_names_the_offending_address():
    reason = await refused("https://hooks.partner.vn/cb", table={"hooks.partner.vn": ["10.0.0.5"]})
    assert reason == (
        "host 'hooks.partner.vn' resolves to 10.0.0.5, a private address; ask the operator to allow-list it"
    )


async def test_one_public_and_one_private_address_refused():
    reason = await refused("https://hooks.partner.vn/cb", table={"hooks.partner.vn": [PUBLIC, "192.168.0.7"]})
    assert "192.168.0.7" in reason and PUBLIC not in reason


async def test_unresolvable_refused():
    assert "does not resolve" in await refused("https://nowhere.invalid/cb")


async def test_resolver_error_refused():
    async def broken(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    with pytest.raises(ValidationFailed, match="does not resolve"):
        await check_webhook_url("https://nowhere.invalid/cb", environment="production", resolve=broken)


async def test_allowlist_by_hostname():
    resolve = resolver({"partner.internal": ["10.1.2.3"]})
    ips = await check_webhook_url(
        "https://Partner.Internal/cb", environment="production", allowlist=["partner.internal"], resolve=resolve
    )
    assert ips == ["10.1.2.3"]


async def test_allowlist_by_cidr():
    resolve = resolver({"partner.internal": ["10.1.2.3", "10.1.9.9"]})
    ips = await check_webhook_url(
        "https://partner.internal/cb", environment="production", allowlist=["10.1.0.0/16"], resolve=resolve
    )
    assert ips == ["10.1.2.3", "10.1.9.9"]
    reason = await refused(
        "https://partner.internal/cb", table={"partner.internal": ["10.1.2.3", "10.2.0.1"]}, allowlist=["10.1.0.0/16"]
    )
    assert "10.2.0.1" in reason


async def test_allowlist_does_not_relax_scheme():
    table = {"partner.internal": ["10.1.2.3"]}
    reason = await refused("http://partner.internal/cb", table=table, allowlist=["partner.internal"])
    assert "use https" in reason


async def test_literal_public_ip_passes_without_dns():
    resolve = resolver({})
    assert await check_webhook_url(f"https://{PUBLIC}/cb", environment="production", resolve=resolve) == [PUBLIC]
    assert await check_webhook_url("https://[2606:2800:220:1::1]/cb", environment="production", resolve=resolve) == [
        "2606:2800:220:1::1"
    ]
    assert resolve.calls == []


@pytest.mark.parametrize("ip", [PUBLIC, "8.8.8.8", "2001:4860:4860::8888", "::ffff:8.8.8.8"])
def test_is_public_address_true(ip):
    assert is_public_address(ip)


def test_is_public_address_rejects_garbage():
    assert not is_public_address("not-an-ip")
