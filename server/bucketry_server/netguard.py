"""The SSRF guard: addresses the server may contact on a user's behalf.

An imported bucket's ``endpoint_url`` (and any other address the server would contact for a
user) is resolved once; if any address it resolves to is loopback, private, link-local,
multicast, reserved, unspecified, otherwise not globally routable (the shared 100.64.0.0/10;
IPv4 embedded in IPv6 by mapping or 6to4 is judged as IPv4) or a cloud metadata address, it is
refused unless one of the server's allowed networks (``BUCKETRY_ALLOWED_NETWORKS`` /
``--allowed-networks``) contains it. Refusals are :class:`..errors.Invalid` naming the
parameter (400).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from urllib.parse import urlsplit

from .errors import Invalid

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: Instance metadata services (AWS/GCP/Azure/Oracle IPv4, AWS IPv6, Alibaba Cloud): never
#: reachable by default.
METADATA = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),
        ipaddress.ip_address("fd00:ec2::254"),
        ipaddress.ip_address("100.100.100.200"),
    }
)


def parse_networks(cidrs: Sequence[str]) -> list[IPNetwork]:
    """The networks of the ``allowed_networks`` setting. Raises ``ValueError`` naming a bad
    CIDR (a server misconfiguration: fails at start)."""
    out: list[IPNetwork] = []
    for cidr in cidrs:
        try:
            out.append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"allowed network {cidr!r} is not a CIDR: {exc}") from None
    return out


def forbidden_reason(addr: IPAddress) -> str | None:
    """Why ``addr`` is not contacted by default (None: it is a public address). An IPv6
    address embedding an IPv4 one (mapped ``::ffff:a.b.c.d``, 6to4 ``2002:…``) is judged by
    the IPv4 address; any address that is not globally routable (e.g. the shared
    100.64.0.0/10) is refused."""
    if isinstance(addr, ipaddress.IPv6Address):
        embedded = addr.ipv4_mapped or addr.sixtofour
        if embedded is not None:
            return forbidden_reason(embedded)
    if addr in METADATA:
        return "a cloud metadata address"
    for reason, flag in (
        ("a loopback address", addr.is_loopback),
        ("a link-local address", addr.is_link_local),
        ("a multicast address", addr.is_multicast),
        ("an unspecified address", addr.is_unspecified),
        ("a private address", addr.is_private),
        ("a reserved address", addr.is_reserved),
    ):
        if flag:
            return reason
    if not addr.is_global:
        return "a non-public address"
    return None


def resolve(host: str, port: int, *, field: str = "endpoint_url") -> list[IPAddress]:
    """Every address ``host`` resolves to (one lookup). Raises ``Invalid`` if none."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise _bad(f"host {host!r} does not resolve ({exc.__class__.__name__})", field) from None
    addrs: list[IPAddress] = []
    for info in infos:
        text = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone
        addr = ipaddress.ip_address(text)
        if addr not in addrs:
            addrs.append(addr)
    if not addrs:
        raise _bad(f"host {host!r} does not resolve", field)
    return addrs


def check_url(
    url: str, allowed: Sequence[str] | Sequence[IPNetwork], *, field: str = "endpoint_url"
) -> list[IPAddress]:
    """Check an ``http(s)`` URL the server would contact: its host is resolved once and every
    address must be public or inside an ``allowed`` network. Returns the addresses. Raises
    ``Invalid`` (``invalid_endpoint``, naming ``field``) otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _bad("must be an http:// or https:// URL with a host", field)
    if parts.username or parts.password:
        raise _bad("must not carry user information (give credentials separately)", field)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise _bad("has an invalid port", field) from None
    networks = [n if not isinstance(n, str) else parse_networks([n])[0] for n in allowed]
    addrs = resolve(parts.hostname, port, field=field)
    for addr in addrs:
        check_address(addr, networks, field=field)
    return addrs


def check_address(addr: IPAddress, networks: Sequence[IPNetwork], *, field: str) -> None:
    """Raise ``Invalid`` if ``addr`` is not public and no allowed network contains it."""
    reason = forbidden_reason(addr)
    if reason is None:
        return
    plain = addr.ipv4_mapped if isinstance(addr, ipaddress.IPv6Address) else None
    if any((plain or addr) in n for n in networks if n.version == (plain or addr).version):
        return
    raise _bad(
        f"resolves to {addr}, {reason}; the server setting BUCKETRY_ALLOWED_NETWORKS must allow it",
        field,
    )


def _bad(detail: str, field: str = "endpoint_url") -> Invalid:
    return Invalid(
        "invalid_endpoint",
        f"{field}: {detail}",
        errors=[{"loc": ["body", field], "msg": detail, "type": "value_error"}],
    )
