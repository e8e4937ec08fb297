"""Where webhooks may go. Private, loopback, link-local and other non-public addresses are
refused (SSRF) unless `WEBHOOK_ALLOW_PRIVATE_TARGETS` is on: when the URL is accepted (for
literal addresses and `localhost`) and again when it is sent (for every address the name
resolves to, and the connection then goes to the address that was checked)."""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

PRIVATE_MESSAGE = "Private, loopback and link-local addresses are not accepted as webhook targets."


class TargetRefused(Exception):
    pass


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a webhook target, or None."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "Must be a valid http or https URL."
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "Must be an http or https URL with a host."
    if parts.username or parts.password:
        return "Must not contain a user name or password (receivers check the X-HMAC-Signature header)."
    if port == 0:
        return "Must be a valid http or https URL."
    if settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        return None
    host = parts.hostname.rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return PRIVATE_MESSAGE
    try:
        return None if _is_public(host) else PRIVATE_MESSAGE
    except ValueError:
        return None  # a name: its addresses are checked when a delivery is sent


def resolve_target(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, address to connect to) for a delivery; TargetRefused when the URL
    is not acceptable or the name resolves to an address that is not public."""
    problem = url_problem(url)
    if problem:
        raise TargetRefused(problem)
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise OSError(f"cannot resolve {parts.hostname}: {error.strerror}") from error
    addresses = [info[4][0] for info in infos]
    if not settings.WEBHOOK_ALLOW_PRIVATE_TARGETS and not all(_is_public(a) for a in addresses):
        raise TargetRefused(f"{parts.hostname} resolves to a non-public address. {PRIVATE_MESSAGE}")
    return parts.scheme, parts.hostname, port, addresses[0]
