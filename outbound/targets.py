"""Where outbound requests (webhooks, plugins, file fetches) may go. Private, loopback,
link-local and other non-public addresses are refused (SSRF) unless private targets are
allowed (`OUTBOUND_ALLOW_PRIVATE_TARGETS`, or its older alias `WEBHOOK_ALLOW_PRIVATE_TARGETS`)
or the host or network is on the project's allow-list (admin, *Allowed private targets*),
which opens that target only, for that project only. Checked when the URL is accepted (for
literal addresses in any notation, and `localhost`) and again when it is sent (for every
address the name resolves to; the connection then goes to an address that was checked)."""

import ipaddress
import re
import socket
from urllib.parse import urlsplit

from django.conf import settings

PRIVATE_MESSAGE = (
    "Private, loopback and link-local addresses are not accepted as targets "
    "(for local development, set OUTBOUND_ALLOW_PRIVATE_TARGETS=true for the server, its worker and the command; "
    "or add the host or network to the project's allow-list in the admin)."
)
# IPv6 ranges that carry an IPv4 address (NAT64, 6to4, the deprecated IPv4-compatible form)
# and the IPv4 special-purpose block: Python's is_global does not rule all of them out.
EMBEDDING_NETWORKS = [
    ipaddress.ip_network(n) for n in ("::/96", "64:ff9b::/96", "64:ff9b:1::/48", "2002::/16", "2001::/32", "192.0.0.0/24")
]
# What can be sent as it is: printable ASCII without spaces.
SENDABLE_URL = re.compile(r"[!-~]+")
HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


class TargetRefused(Exception):
    pass


def private_targets_allowed() -> bool:
    """`OUTBOUND_ALLOW_PRIVATE_TARGETS`, or its older alias `WEBHOOK_ALLOW_PRIVATE_TARGETS`:
    either one on opens every private target, for every project."""
    return bool(getattr(settings, "OUTBOUND_ALLOW_PRIVATE_TARGETS", False)) or bool(
        getattr(settings, "WEBHOOK_ALLOW_PRIVATE_TARGETS", False)
    )


def _ip(address: str):
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip


def _is_public(address: str) -> bool:
    ip = _ip(address)
    if any(ip in network for network in EMBEDDING_NETWORKS if network.version == ip.version):
        return False
    return ip.is_global and not ip.is_multicast


def literal_address(host: str) -> str | None:
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


def normal_host(host: str) -> str:
    return host.rstrip(".").lower()


def valid_host_name(host: str) -> bool:
    return bool(host) and all(HOST_LABEL.fullmatch(label) for label in host.split("."))


class AllowList:
    """A project's allowed private hosts and networks, read once (and only when a private
    target needs it)."""

    def __init__(self, project):
        self.project = project
        self._loaded = None

    def _entries(self):
        if self._loaded is None:
            hosts, networks = set(), []
            if self.project is not None and getattr(self.project, "pk", None) is not None:
                from .models import AllowedTarget

                for target in AllowedTarget.objects.filter(project=self.project).values_list("target", flat=True):
                    try:
                        networks.append(ipaddress.ip_network(target, strict=False))
                    except ValueError:
                        hosts.add(normal_host(target))
            self._loaded = hosts, networks
        return self._loaded

    def allows_host(self, host: str) -> bool:
        return normal_host(host) in self._entries()[0]

    def allows_address(self, address: str) -> bool:
        ip = _ip(address)
        return any(ip.version == network.version and ip in network for network in self._entries()[1])


def _allow_list(project) -> AllowList:
    return project if isinstance(project, AllowList) else AllowList(project)


def url_problem(url: str, project=None) -> str | None:
    """Why `url` cannot be a target of an outbound request (for `project`: its allow-list
    counts), or None."""
    return url_shape_problem(url) or _private_problem(url, project)


def url_shape_problem(url: str) -> str | None:
    """What is wrong with `url` as a URL to send to, whatever it points at (a definition saved
    here may run where other targets are open: where it points is checked when it is sent)."""
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
    host = normal_host(parts.hostname)
    if literal_address(host) is None and not valid_host_name(host):
        return "Must name a valid host."
    return None


def _private_problem(url: str, project) -> str | None:
    host = normal_host(urlsplit(url).hostname)
    address = literal_address(host)
    if private_targets_allowed():
        return None
    if host == "localhost" or host.endswith(".localhost"):
        return None if _allow_list(project).allows_host(host) else PRIVATE_MESSAGE
    if address is not None and not _is_public(address):
        allow_list = _allow_list(project)
        return None if allow_list.allows_address(address) or allow_list.allows_host(host) else PRIVATE_MESSAGE
    return None  # a name: its addresses are checked when a request is sent


def resolve_target(url: str, project=None) -> tuple[str, str, int, list[str]]:
    """(scheme, host, port, addresses to try) for a request; TargetRefused when the URL is
    not acceptable or the name resolves to any address that is not public (and not opened
    by the project's allow-list)."""
    allow_list = _allow_list(project)
    problem = url_problem(url, allow_list)
    if problem:
        raise TargetRefused(problem)
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise OSError(f"cannot resolve {parts.hostname}: {getattr(error, 'strerror', None) or error}") from error
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not private_targets_allowed():
        private = [a for a in addresses if not _is_public(a)]
        if private and not allow_list.allows_host(parts.hostname) and not all(allow_list.allows_address(a) for a in private):
            raise TargetRefused(f"{parts.hostname} resolves to a non-public address. {PRIVATE_MESSAGE}")
    return parts.scheme, normal_host(parts.hostname), port, addresses


def target_origin(url: str) -> str | None:
    """`scheme://host:port` of a URL (the receiver whose health is tracked), None if unparsable."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return f"{parts.scheme}://{normal_host(parts.hostname)}:{port}"[:300]
