"""The client's address for login lockouts: the connection's own address, unless a proxy in
front of the server is trusted by setting (`TRUSTED_PROXY_COUNT`). Otherwise anyone could send
an `X-Forwarded-For` of their choosing and be counted as someone else."""

import ipaddress

from django.conf import settings


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    remote = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    # Each trusted proxy appends the address it received the request from, so the client is
    # the entry the outermost trusted proxy wrote: `count` from the right. What the client
    # itself put further left is not trusted.
    forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < count:
        return remote  # did not come through the proxies
    return _valid(forwarded[-count]) or remote
