"""The SSRF guard at connect time (DNS rebinding): every connection a provider client opens
checks the address it really connected to.

The endpoint of an imported bucket is checked by :mod:`...netguard` when it is registered and
when a client opens, but boto3, azure-core and google-auth resolve the host again for every
new connection: a host that answered a public address then could answer ``127.0.0.1`` or a
metadata address now. The urllib3 connection classes made here check the peer address of
each new socket (after the TCP connect, before a byte is sent, so before TLS and before any
request with credentials) against the same rules and close it when it is refused; the
library sees a connection error (a :class:`urllib3.exceptions.NewConnectionError`), which
the clients translate into ``ProviderUnreachable``.

Hooks: :func:`guard_botocore` (a boto3 client's pool classes) and :func:`guarded_session`
(a ``requests`` session for azure-core's transport and google-auth's ``AuthorizedSession``
and token refresh).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NewConnectionError

from ...errors import Invalid
from ...netguard import IPNetwork, check_address, parse_networks


def _check_peer(conn: Any, sock: Any, networks: Sequence[IPNetwork]) -> None:
    """Close ``sock`` and raise ``NewConnectionError`` if its peer is a refused address."""
    try:
        peer = str(sock.getpeername()[0]).split("%", 1)[0]
        check_address(ipaddress.ip_address(peer), networks, field="endpoint_url")
    except (Invalid, OSError, ValueError) as exc:
        sock.close()
        reason = exc.detail if isinstance(exc, Invalid) else type(exc).__name__
        raise NewConnectionError(conn, f"connection to {conn.host} refused: {reason}") from None


def _guarded_connection(base: type, networks: Sequence[IPNetwork]) -> type:
    def _new_conn(self: Any) -> Any:
        sock = base._new_conn(self)  # type: ignore[attr-defined]
        _check_peer(self, sock, networks)
        return sock

    return type(f"Guarded{base.__name__}", (base,), {"_new_conn": _new_conn})


def guarded_pools(
    pools: Mapping[str, type], allowed: Sequence[str] | Sequence[IPNetwork]
) -> dict[str, type]:
    """Subclasses of the urllib3 connection pool classes ``pools`` (by scheme) whose
    connections refuse a peer that is not public and not in an ``allowed`` network."""
    networks = [n if not isinstance(n, str) else parse_networks([n])[0] for n in allowed]
    out: dict[str, type] = {}
    for scheme, pool in pools.items():
        connection = _guarded_connection(pool.ConnectionCls, networks)  # type: ignore[attr-defined]
        out[scheme] = type(f"Guarded{pool.__name__}", (pool,), {"ConnectionCls": connection})
    return out


def guard_botocore(client: Any, allowed: Sequence[str]) -> None:
    """Make every connection of a boto3 ``client`` check its peer (see the module). Uses
    botocore's ``URLLib3Session`` pool classes (direct and proxy managers)."""
    http = client._endpoint.http_session
    http._pool_classes_by_scheme = guarded_pools(http._pool_classes_by_scheme, allowed)
    http._manager.pool_classes_by_scheme = http._pool_classes_by_scheme
    for manager in http._proxy_managers.values():
        manager.pool_classes_by_scheme = http._pool_classes_by_scheme


class GuardedAdapter(HTTPAdapter):
    """A ``requests`` adapter whose connections check their peer (see the module)."""

    def __init__(self, allowed: Sequence[str], **kwargs: Any) -> None:
        """``allowed``: the server's allowed networks (CIDR text); ``kwargs`` go to
        :class:`~requests.adapters.HTTPAdapter`."""
        self._allowed = list(allowed)
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        """The direct pool manager, with guarded pool classes."""
        super().init_poolmanager(*args, **kwargs)
        pools = self.poolmanager.pool_classes_by_scheme
        self.poolmanager.pool_classes_by_scheme = guarded_pools(pools, self._allowed)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        """A proxy's pool manager, with guarded pool classes (the proxy is checked)."""
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not getattr(manager, "_bucketry_guarded", False):
            manager.pool_classes_by_scheme = guarded_pools(
                manager.pool_classes_by_scheme, self._allowed
            )
            manager._bucketry_guarded = True
        return manager


def guard_session(session: requests.Session, allowed: Sequence[str]) -> requests.Session:
    """Mount :class:`GuardedAdapter` for http and https on ``session``; returns it."""
    for scheme in ("http://", "https://"):
        session.mount(scheme, GuardedAdapter(allowed))
    return session


def guarded_session(allowed: Sequence[str]) -> requests.Session:
    """A new ``requests`` session whose connections check their peer (see the module)."""
    return guard_session(requests.Session(), allowed)
