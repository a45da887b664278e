"""The client's network address, as rate limits must count it.

Behind the reverse proxy (BEHIND_PROXY), REMOTE_ADDR is the proxy's: every resident would share one
key. The address is read as allauth's sign-in limits read it (its adapter's get_client_ip, which
honours TRUSTED_PROXY_COUNT), so that every limit of the site counts the same client.
"""

from __future__ import annotations

import ipaddress

from allauth.account.adapter import get_adapter
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The client's address as a rate-limit key.

    An IPv6 address counts as its /64: one connection usually holds a whole /64 and could otherwise
    change address at every request. An IPv4-mapped IPv6 address is its IPv4 address.
    """
    try:
        raw = str(get_adapter().get_client_ip(request))
    except (PermissionDenied, ImproperlyConfigured):
        # No address at all, or a header that does not match the configured proxies.
        raw = str(request.META.get("REMOTE_ADDR", ""))
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)
