"""Who the client is: the one answer used by the login lockouts and the API's throttles.

``REMOTE_ADDR`` is the direct peer, the only address nobody can forge. ``X-Forwarded-For`` is
believed only when that peer is one of ``settings.TRUSTED_PROXIES`` (addresses or CIDR
networks, empty by default: the header is then ignored). A trusted proxy appends the address it
saw to the header; the client is the right-most entry that is not itself a trusted proxy, so
whatever a client writes into the header itself (to the left) never counts.
"""

from __future__ import annotations

import ipaddress
import logging
from functools import lru_cache

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

logger = logging.getLogger(__name__)
_warned_untrusted_forwarding = False


@lru_cache(maxsize=8)
def _networks(values: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    # Validated (strictly, as gunicorn does) when the settings load.
    return tuple(ipaddress.ip_network(value.strip()) for value in values)


def trusted_proxies() -> tuple[IPNetwork, ...]:
    """The configured proxies (parsed once per distinct setting value)."""
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))


def parse_address(value: str) -> IPAddress | None:
    """An IP address from a header entry (``1.2.3.4``, ``1.2.3.4:567``, ``[::1]:567``)."""
    value = value.strip()
    if value.startswith("["):  # [IPv6]:port
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:  # IPv4:port
        value = value.partition(":")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped:  # ::ffff:1.2.3.4 is 1.2.3.4
        return address.ipv4_mapped
    return address


def is_trusted_proxy(address: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    return any(address in network for network in networks)


def client_address(request) -> str:
    """The client's IP address: ``REMOTE_ADDR``, or what trusted proxies say in front of it.

    Works on a Django ``HttpRequest`` and on a DRF ``Request`` (both have ``META``).
    """
    meta = request.META
    remote = meta.get("REMOTE_ADDR") or ""
    peer = parse_address(remote)
    if peer is None:
        return remote or "unknown"
    forwarded = meta.get("HTTP_X_FORWARDED_FOR")
    networks = trusted_proxies()
    if not is_trusted_proxy(peer, networks):
        if forwarded:
            _warn_untrusted_forwarding(peer)
        return str(peer)
    client = peer
    for entry in reversed((forwarded or "").split(",")):
        hop = parse_address(entry)
        if hop is None:
            # A trusted proxy writes addresses; anything else came from beyond the chain.
            break
        client = hop
        if not is_trusted_proxy(hop, networks):
            break
    return str(client)


def _warn_untrusted_forwarding(peer: IPAddress) -> None:
    """Once per process: helps an operator who put a proxy in front but did not list it."""
    global _warned_untrusted_forwarding
    if _warned_untrusted_forwarding:
        return
    _warned_untrusted_forwarding = True
    logger.warning(
        "X-Forwarded-For from %s ignored: it is not in TRUSTED_PROXIES. If %s is your proxy, "
        "add it to TRUSTED_PROXIES, or every client behind it shares one address for the "
        "login lockouts and throttles.",
        peer,
        peer,
    )
