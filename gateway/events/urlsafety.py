"""SSRF guard for partner webhook URLs registered at the gateway's event hub.

A webhook URL makes the gateway send requests to wherever a partner points it. Left unchecked that is a
server-side request forgery (SSRF) hole: ``http://169.254.169.254/`` (cloud metadata), ``https://10.0.0.5/``
(an internal service) or ``https://[::ffff:127.0.0.1]/`` would all be reached from inside our network.

``check_webhook_url`` therefore requires ``https`` (plain ``http`` only for loopback endpoints in
development), refuses userinfo, fragments and bad ports, resolves the host and refuses it unless *every*
address is public — or the operator allow-listed the host name or the address's network.

It returns the addresses it checked, but a check at registration time is not enough: DNS can change
between registration and delivery (DNS rebinding). Callers must check again at delivery time and connect
to an address that passed, not to the name.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

from common.errors import ValidationFailed

Resolver = Callable[[str, int], Awaitable[list[str]]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

LOOPBACK_NAMES = frozenset({"localhost"})
CLOUD_METADATA = ipaddress.ip_address("169.254.169.254")
SHARED_SPACE = ipaddress.ip_network("100.64.0.0/10")  # RFC 6598, carrier-grade NAT
NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052, last 32 bits are an IPv4 address
DEFAULT_PORTS = {"https": 443, "http": 80}
ALLOW_HINT = "ask the operator to allow-list it"


def _refuse(reason: str) -> ValidationFailed:
    return ValidationFailed([{"field": "url", "reason": reason}])


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (IPv4-mapped, 6to4, NAT64), if any."""
    if ip.version != 6:
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _non_public_kind(ip: IPAddress) -> str | None:
    """``None`` for a public address, otherwise what it is ("private", "loopback", …)."""
    inner = _embedded_ipv4(ip)
    if inner is not None:
        return _non_public_kind(inner)
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip == CLOUD_METADATA:
        return "link-local (cloud metadata)"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip in SHARED_SPACE:
        return "shared (carrier-grade NAT)"
    if ip.is_reserved:
        return "reserved"
    if ip.is_private:
        return "private"
    if not ip.is_global:
        return "non-public"
    return None


def is_public_address(ip: str) -> bool:
    """True if ``ip`` (an IPv4/IPv6 string) is a public unicast address a webhook may be delivered to."""
    try:
        return _non_public_kind(ipaddress.ip_address(ip)) is None
    except ValueError:
        return False


def _is_loopback_host(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _parse_allowlist(allowlist: Iterable[str]) -> tuple[set[str], list[IPNetwork]]:
    names: set[str] = set()
    networks: list[IPNetwork] = []
    for entry in allowlist:
        entry = entry.strip()
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            names.add(entry.lower().rstrip("."))
    return names, networks


async def _system_resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def check_webhook_url(
    url: str, *, environment: str, allowlist: Iterable[str] = (), resolve: Resolver | None = None
) -> list[str]:
    """Validate a webhook URL against SSRF; return the IP addresses its host resolves to.

    Raises ``ValidationFailed`` (field ``url``) with a reason a partner can act on.
    """
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        raise _refuse("the URL must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise _refuse(f"not a valid URL ({exc})") from None
    if parts.scheme not in DEFAULT_PORTS:
        raise _refuse(f"scheme must be https, not {parts.scheme or 'missing'!r}")
    if "@" in parts.netloc:
        raise _refuse("credentials in the URL (user:password@) are not allowed; authenticate with the webhook secret")
    if "#" in url:
        raise _refuse("fragments (#…) are not allowed in a webhook URL")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise _refuse("the URL has no host")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port is not None and not 1 <= port <= 65535:
        raise _refuse("port must be a number between 1 and 65535")

    dev_loopback = environment == "development" and _is_loopback_host(host)
    if parts.scheme == "http" and not dev_loopback:
        raise _refuse("http is allowed only for loopback endpoints in development; use https")

    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [host]
    else:
        try:
            addresses = await (resolve or _system_resolve)(host, port or DEFAULT_PORTS[parts.scheme])
        except (OSError, UnicodeError):
            addresses = []
        addresses = list(dict.fromkeys(addresses))  # de-duplicate, keep order
        if not addresses:
            raise _refuse(f"host {host!r} does not resolve")

    names, networks = _parse_allowlist(allowlist)
    if host.lower() in names:
        return addresses
    for address in addresses:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            raise _refuse(f"host {host!r} resolves to {address!r}, which is not an IP address") from None
        kind = _non_public_kind(ip)
        if kind is None or (dev_loopback and kind == "loopback"):
            continue
        inner = _embedded_ipv4(ip)
        if any(ip in net or (inner is not None and inner in net) for net in networks):
            continue
        shown = f"{address} (IPv4 {inner})" if inner is not None else address
        article = "an" if kind[0] in "aeiou" else "a"
        where = f"{shown} is" if literal is not None else f"host {host!r} resolves to {shown},"
        raise _refuse(f"{where} {article} {kind} address; {ALLOW_HINT}")
    return addresses
