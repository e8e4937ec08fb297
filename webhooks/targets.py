"""Where webhooks may go. Private, loopback, link-local and other non-public addresses are
refused (SSRF) unless `WEBHOOK_ALLOW_PRIVATE_TARGETS` is on: when the URL is accepted (for
literal addresses in any notation, and `localhost`) and again when it is sent (for every
address the name resolves to; the connection then goes to an address that was checked)."""

import ipaddress
import re
import socket
from urllib.parse import urlsplit

from django.conf import settings

PRIVATE_MESSAGE = (
    "Private, loopback and link-local addresses are not accepted as webhook targets "
    "(for local development, set WEBHOOK_ALLOW_PRIVATE_TARGETS=true for the server, its worker and the command)."
)
# IPv6 ranges that carry an IPv4 address (NAT64, 6to4, the deprecated IPv4-compatible form)
# and the IPv4 special-purpose block: Python's is_global does not rule all of them out.
EMBEDDING_NETWORKS = [
    ipaddress.ip_network(n) for n in ("::/96", "64:ff9b::/96", "64:ff9b:1::/48", "2002::/16", "2001::/32", "192.0.0.0/24")
]
# What http.client can send as it is: printable ASCII without spaces.
SENDABLE_URL = re.compile(r"[!-~]+")
HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


class TargetRefused(Exception):
    pass


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if any(ip in network for network in EMBEDDING_NETWORKS if network.version == ip.version):
        return False
    return ip.is_global and not ip.is_multicast


def _literal_address(host: str) -> str | None:
    """The address a host written as a number stands for ("127.1", "0x7f.1", "2130706433" and
    "[::1]" included, as resolvers read them), or None for a name."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        return socket.inet_ntoa(socket.inet_aton(host))
    except OSError:
        return None


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a webhook target, or None."""
    if not SENDABLE_URL.fullmatch(url):
        return "Must be an ASCII URL without spaces (percent-encode other characters)."
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
    host = parts.hostname.rstrip(".").lower()
    address = _literal_address(host)
    if address is None and not all(HOST_LABEL.fullmatch(label) for label in host.split(".")):
        return "Must name a valid host."
    if settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        return None
    if host == "localhost" or host.endswith(".localhost"):
        return PRIVATE_MESSAGE
    if address is not None and not _is_public(address):
        return PRIVATE_MESSAGE
    return None  # a name: its addresses are checked when a delivery is sent


def resolve_target(url: str) -> tuple[str, str, int, list[str]]:
    """(scheme, host, port, addresses to try) for a delivery; TargetRefused when the URL is
    not acceptable or the name resolves to any address that is not public."""
    problem = url_problem(url)
    if problem:
        raise TargetRefused(problem)
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise OSError(f"cannot resolve {parts.hostname}: {getattr(error, 'strerror', None) or error}") from error
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not settings.WEBHOOK_ALLOW_PRIVATE_TARGETS and not all(_is_public(a) for a in addresses):
        raise TargetRefused(f"{parts.hostname} resolves to a non-public address. {PRIVATE_MESSAGE}")
    return parts.scheme, parts.hostname, port, addresses


def target_origin(url: str) -> str | None:
    """`scheme://host:port` of a URL (the receiver whose health is tracked), None if unparsable."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return f"{parts.scheme}://{parts.hostname.rstrip('.').lower()}:{port}"[:300]
